/**
 * The DescribeTasks reader: the state of up to 100 tasks a call, by ARN, and the ARNs ECS did
 * not find with its reason; and the poller that, without a notification prefix (or when the
 * bucket cannot be read), asks about every pending task on the age-grown schedule with hako's
 * throttling backoff (schedule.ts). Both only read: the engine (engine.ts) applies the
 * answers, through observations.ts when polling and verify-check.ts when verifying.
 */
import { DescribeTasksCommand, type ECSClient } from '@aws-sdk/client-ecs'
import { isThrottling, isTransient } from '../aws/errors.js'
import { escapeLogText } from '../util/safe-text.js'
import type { Random } from '../util/clock.js'
import { UserError, errorName, foreignErrorMessage } from '../util/errors.js'
import { snapshotFromDescribe } from '../model/task-state.js'
import type { TaskSnapshot } from '../model/task.js'
import type { LogLine, Observation } from './observations.js'
import { MIN_READ_GAP_MS } from './read-mode.js'
import {
  NO_BACKOFF,
  afterSuccess,
  afterThrottle,
  describeDelayMs,
  type DescribeBackoff
} from './schedule.js'

/** DescribeTasks takes at most 100 tasks a call. */
export const DESCRIBE_BATCH = 100

/** A DescribeTasks answer by ARN, and the ARNs ECS did not find with its reason. */
export interface DescribeAnswer {
  found: Map<string, TaskSnapshot>
  missing: Map<string, string>
}

/** DescribeTasks for `arns`, 100 a call; answers by ARN, and the ARNs ECS did not find. */
export async function describeTasks(
  ecs: Pick<ECSClient, 'send'>,
  options: { cluster: string; arns: string[]; signal: AbortSignal; onCall?: () => void }
): Promise<DescribeAnswer> {
  const found = new Map<string, TaskSnapshot>()
  const missing = new Map<string, string>()
  for (let i = 0; i < options.arns.length; i += DESCRIBE_BATCH) {
    const chunk = options.arns.slice(i, i + DESCRIBE_BATCH)
    options.onCall?.()
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster: options.cluster, tasks: chunk }),
      { abortSignal: options.signal }
    )
    for (const task of out.tasks ?? []) {
      if (task.taskArn !== undefined) found.set(task.taskArn, snapshotFromDescribe(task))
    }
    for (const failure of out.failures ?? []) {
      // ECS's failure reason is foreign text, printed in several messages (escapeLogText).
      if (failure.arn !== undefined) {
        missing.set(failure.arn, failure.reason ? escapeLogText(failure.reason) : 'no task')
      }
    }
    for (const arn of chunk) {
      if (!found.has(arn) && !missing.has(arn)) missing.set(arn, 'no task')
    }
  }
  return { found, missing }
}

/** One polling round: what ECS said of each task, and a line when the call failed. */
export interface PollRound {
  observations: Observation[]
  line?: LogLine
}

/**
 * DescribeTasks polling: every pending task, 100 a call; its throttling backoff and when the
 * next round is due are its own. A denied call is a UserError, as waiting cannot work.
 */
export class DescribePoller {
  private backoff: DescribeBackoff = NO_BACKOFF
  /** When the next round is due. */
  nextPollAt = Infinity

  constructor(
    private readonly describe: (arns: string[], signal: AbortSignal) => Promise<DescribeAnswer>,
    private readonly options: { cluster: string; pollIntervalSeconds: number; random: Random }
  ) {}

  /**
   * Asks about `arns`; undefined when `signal` aborted the call. Throttling and transient
   * errors raise the backoff and come back as a line.
   * @throws UserError when DescribeTasks is denied (or fails for good).
   */
  async poll(arns: string[], signal: AbortSignal): Promise<PollRound | undefined> {
    const base = this.options.pollIntervalSeconds
    const round: PollRound = { observations: [] }
    try {
      const { found, missing } = await this.describe(arns, signal)
      this.backoff = afterSuccess(this.backoff, base)
      for (const arn of arns) {
        const task = found.get(arn)
        round.observations.push(
          task === undefined
            ? { kind: 'missing', arn, reason: missing.get(arn) ?? 'no task' }
            : { kind: 'described', arn, task }
        )
      }
    } catch (error) {
      if (signal.aborted) return undefined
      const throttled = isThrottling(error)
      if (!throttled && !isTransient(error)) throw describeDeniedError(this.options.cluster, error)
      this.backoff = afterThrottle(this.backoff, base)
      const message =
        `DescribeTasks ${throttled ? 'is throttled' : `failed (${foreignErrorMessage(error)})`}; ` +
        `next call in about ${Math.round(this.backoff.throttleMs / 1000)} s`
      round.line = { level: throttled ? 'info' : 'warning', message }
    }
    return round
  }

  /** Schedules the next round, `ageMs` being the youngest pending task's age. */
  schedule(now: number, ageMs: number): void {
    const delay = describeDelayMs({
      baseSeconds: this.options.pollIntervalSeconds,
      ageMs,
      backoff: this.backoff,
      random: this.options.random
    })
    this.nextPollAt = now + Math.max(MIN_READ_GAP_MS, delay)
  }
}

/** Polling (no prefix) cannot go on without DescribeTasks: what to grant instead. */
export function describeDeniedError(cluster: string, error: unknown): UserError {
  return new UserError(
    `Could not describe tasks in cluster '${cluster}': ${escapeLogText(errorName(error))}: ` +
      `${foreignErrorMessage(error)}. The action's role needs ecs:DescribeTasks on the tasks ` +
      `(or set a notification prefix to wait through S3 instead).`
  )
}

/**
 * The verify call: DescribeTasks for `arns`, or the line that says why ECS gave no answer
 * (throttled: checked again later; else a warning once); undefined when `signal` aborted it.
 */
export async function verifyCall(
  describe: (arns: string[], signal: AbortSignal) => Promise<DescribeAnswer>,
  arns: string[],
  options: { signal: AbortSignal; verifyIntervalSeconds: number }
): Promise<{ answer?: DescribeAnswer; line?: LogLine } | undefined> {
  const { signal, verifyIntervalSeconds } = options
  try {
    return { answer: await describe(arns, signal) }
  } catch (error) {
    if (signal.aborted) return undefined
    if (isThrottling(error)) {
      const message = `DescribeTasks is throttled; checking again in ${verifyIntervalSeconds} s`
      return { line: { level: 'info', message } }
    }
    const message =
      `Could not check tasks with DescribeTasks (${escapeLogText(errorName(error)) || 'error'}: ` +
      `${foreignErrorMessage(error)}); the wait goes on through S3. Grant ecs:DescribeTasks to ` +
      `the action's role, or set verify-interval: 0 to never check.`
    return { line: { level: 'warning', once: `verify:${errorName(error)}`, message } }
  }
}
