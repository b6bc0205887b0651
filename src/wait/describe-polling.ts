/**
 * The wait engine's DescribeTasks polling, for when there is no notification prefix (or the
 * bucket cannot be read): every pending task, 100 a call, on the age-grown schedule with
 * hako's throttling backoff (schedule.ts). A task ECS does not find for VISIBILITY_TIMEOUT_MS is
 * lost; a denied call is a UserError, as waiting cannot work.
 */
import type { ECSClient } from '@aws-sdk/client-ecs'
import { isThrottling, isTransient } from '../ecs/errors.js'
import { escapeLogText } from '../util/safe-text.js'
import type { Clock, Random } from '../util/clock.js'
import { UserError, errorName, foreignErrorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { MIN_READ_GAP_MS } from './read-mode.js'
import { INCOMPLETE_STOP_GRACE_MS, graceOver, isLost, stopVerdict } from './rules.js'
import {
  NO_BACKOFF,
  afterSuccess,
  afterThrottle,
  describeDelayMs,
  type DescribeBackoff
} from './schedule.js'
import type { TaskSnapshot } from '../model/task.js'
import { paceAgeMs, type DescribeAnswer, type TaskEnd, type Watched } from './watched.js'

/** What the polling needs of the engine that owns the watched tasks. */
export interface PollHost {
  readonly watched: ReadonlyMap<string, Watched>
  describe(arns: string[], signal: AbortSignal): Promise<DescribeAnswer>
  started(w: Watched, task: TaskSnapshot | undefined): void
  end(w: Watched, end: TaskEnd): void
}

export class DescribePolling {
  private backoff: DescribeBackoff = NO_BACKOFF
  /** When the next call is due. */
  nextPollAt = Infinity

  constructor(
    private readonly host: PollHost,
    private readonly deps: {
      ecs: Pick<ECSClient, 'send'>
      clock: Clock
      random: Random
      logger: Logger
    },
    private readonly options: { cluster: string; pollIntervalSeconds: number }
  ) {}

  /** Describe mode: one DescribeTasks call per 100 pending tasks per tick. */
  async poll(signal: AbortSignal): Promise<void> {
    const { clock, logger, random } = this.deps
    const base = this.options.pollIntervalSeconds
    try {
      const arns = [...this.host.watched.keys()]
      const { found, missing } = await this.host.describe(arns, signal)
      this.backoff = afterSuccess(this.backoff, base)
      const now = clock.now()
      for (const arn of arns) {
        const w = this.host.watched.get(arn)
        if (w !== undefined) this.applyDescribed(w, found.get(arn), missing.get(arn), now)
      }
    } catch (error) {
      if (signal.aborted) return
      if (isThrottling(error) || isTransient(error)) {
        this.backoff = afterThrottle(this.backoff, base)
        const message =
          `DescribeTasks ${isThrottling(error) ? 'is throttled' : `failed (${foreignErrorMessage(error)})`}; ` +
          `next call in about ${Math.round(this.backoff.throttleMs / 1000)} s`
        if (isThrottling(error)) logger.info(message)
        else logger.warning(message)
      } else {
        throw new UserError(
          `Could not describe tasks in cluster '${this.options.cluster}': ${escapeLogText(errorName(error))}: ` +
            `${foreignErrorMessage(error)}. The action's role needs ecs:DescribeTasks on the tasks ` +
            `(or set a notification prefix to wait through S3 instead).`
        )
      }
    }
    const now = clock.now()
    const delay = describeDelayMs({
      baseSeconds: base,
      ageMs: paceAgeMs(this.host.watched.values(), now),
      backoff: this.backoff,
      random
    })
    this.nextPollAt = now + Math.max(MIN_READ_GAP_MS, delay)
  }

  /** Describe mode: what one DescribeTasks answer says of one task. */
  private applyDescribed(
    w: Watched,
    task: TaskSnapshot | undefined,
    missing: string | undefined,
    now: number
  ): void {
    if (task === undefined) {
      if (isLost(w.lastFoundAt, now)) {
        this.host.end(w, {
          kind: 'lost',
          taskArn: w.arn,
          reason:
            `DescribeTasks has not found the task in cluster '${this.options.cluster}' for ` +
            `${Math.round((now - w.lastFoundAt) / 1000)} s (${missing ?? 'no task'}). Check ` +
            `that the cluster and region are the ones the task was started in.`
        })
      }
      return
    }
    w.lastFoundAt = now
    if (task.lastStatus === 'RUNNING' || task.startedAt !== undefined) this.host.started(w, task)
    if (task.lastStatus !== 'STOPPED') return
    if (stopVerdict(undefined, task) === 'end') {
      this.host.end(w, { kind: 'stopped', task })
      return
    }
    w.incompleteSince ??= now
    if (graceOver(w.incompleteSince, now)) {
      this.deps.logger.info(
        `Task ${w.id} stopped (EssentialContainerExited) without an exit code or reason ` +
          `for the app container after ${INCOMPLETE_STOP_GRACE_MS / 1000} s of re-reading`
      )
      this.host.end(w, { kind: 'stopped', task })
    }
  }
}
