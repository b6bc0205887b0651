/**
 * The DescribeTasks waiter, for when there is no notification prefix: it polls ECS on a
 * jittered, age-grown schedule that backs off hard on throttling (schedule.ts). Every call
 * spends the account's shared DescribeTasks bucket (100 burst, 20 per second, docs/limits.md, "Token buckets"),
 * which is why the S3 waiter is the one that scales to many parallel jobs.
 */
import { DescribeTasksCommand, type ECSClient } from '@aws-sdk/client-ecs'
import { isThrottling, isTransient } from '../ecs/errors.js'
import { UserError, errorMessage, errorName } from '../util/errors.js'
import { isIncompleteStop, snapshotFromDescribe, taskIdOf } from './result.js'
import {
  NO_BACKOFF,
  afterSuccess,
  afterThrottle,
  describeDelayMs,
  type DescribeBackoff
} from './schedule.js'
import type { TaskSnapshot, WaitDeps, WaitOptions, WaitOutcome } from './types.js'

/**
 * How long a task may stay invisible to DescribeTasks after RunTask before the waiter gives up:
 * the ECS API is eventually consistent (docs/limits.md, "Eventual consistency"), but only for seconds.
 */
export const VISIBILITY_TIMEOUT_MS = 60_000

/**
 * How long a STOPPED state without the app container's exit code or reason is re-read for a
 * completion before it is settled on (docs/ecs-events.md, "STOPPED without exit codes", the agent's "missing exit code" fix).
 */
export const INCOMPLETE_STOP_GRACE_MS = 10_000

/** One DescribeTasks answer about one task. */
export type DescribeAnswer =
  | { kind: 'found'; task: TaskSnapshot }
  | {
      kind: 'missing'
      /** The failure reason ECS gave (MISSING), or 'no task' when it gave none. */
      reason: string
    }

/** Calls DescribeTasks once for one task. SDK errors are thrown as they are. */
export async function describeTask(
  ecs: ECSClient,
  options: { cluster: string; taskArn: string; signal?: AbortSignal }
): Promise<DescribeAnswer> {
  const answer = await ecs.send(
    new DescribeTasksCommand({ cluster: options.cluster, tasks: [options.taskArn] }),
    { abortSignal: options.signal }
  )
  const task = answer.tasks?.find((t) => t.taskArn === options.taskArn) ?? answer.tasks?.[0]
  if (task) return { kind: 'found', task: snapshotFromDescribe(task) }
  const failure = answer.failures?.find((f) => f.arn === options.taskArn) ?? answer.failures?.[0]
  return { kind: 'missing', reason: failure?.reason ?? 'no task' }
}

/**
 * Waits for the task to stop by polling DescribeTasks. A task not yet visible right after
 * RunTask is retried for VISIBILITY_TIMEOUT_MS; throttling doubles the interval up to 120 s and
 * successes halve it back (hako's rule, docs/hako.md, "DescribeTasks polling"); other server and network errors back
 * off the same way. A denied or invalid request is a UserError: waiting cannot work.
 */
export async function waitForStop(deps: WaitDeps, options: WaitOptions): Promise<WaitOutcome> {
  const { clock, logger } = deps
  const { taskArn, cluster, signal } = options
  const id = taskIdOf(taskArn)
  const start = clock.now()
  let backoff: DescribeBackoff = NO_BACKOFF
  let last: TaskSnapshot | undefined
  let lastSeenAt = start
  let incompleteSince: number | undefined
  let calls = 0

  for (;;) {
    if (signal.aborted) return aborted(last)
    try {
      calls++
      const answer = await describeTask(deps.ecs, { cluster, taskArn, signal })
      backoff = afterSuccess(backoff, options.pollIntervalSeconds)
      if (answer.kind === 'missing') {
        const invisibleMs = clock.now() - lastSeenAt
        if (invisibleMs >= VISIBILITY_TIMEOUT_MS) {
          throw new UserError(
            `DescribeTasks has not found task ${taskArn} in cluster '${cluster}' for ` +
              `${Math.round(invisibleMs / 1000)} s (${answer.reason}). Check that the cluster ` +
              `and region are the ones the task was started in.`
          )
        }
        logger.debug(`Task ${id} is not visible to DescribeTasks yet (${answer.reason})`)
      } else {
        const task = answer.task
        if (task.lastStatus !== last?.lastStatus) {
          const since = task.startedAt ? ` since ${task.startedAt.toISOString()}` : ''
          logger.info(`Task ${id} is ${task.lastStatus}${since}`)
        }
        last = task
        lastSeenAt = clock.now()
        if (task.lastStatus === 'STOPPED') {
          if (!isIncompleteStop(task)) return { kind: 'stopped', task }
          incompleteSince ??= clock.now()
          if (clock.now() - incompleteSince >= INCOMPLETE_STOP_GRACE_MS) {
            logger.info(
              `Task ${id} stopped (EssentialContainerExited) without an exit code or reason ` +
                `for the app container after ${INCOMPLETE_STOP_GRACE_MS / 1000} s of re-reading`
            )
            return { kind: 'stopped', task }
          }
        }
      }
    } catch (error) {
      if (signal.aborted) return aborted(last)
      if (error instanceof UserError) throw error
      if (isThrottling(error)) {
        backoff = afterThrottle(backoff, options.pollIntervalSeconds)
        logger.info(
          `DescribeTasks is throttled (${errorName(error)}); next call in about ` +
            `${Math.round(backoff.throttleMs / 1000)} s`
        )
      } else if (isTransient(error)) {
        backoff = afterThrottle(backoff, options.pollIntervalSeconds)
        logger.warning(
          `DescribeTasks for task ${id} failed (${errorMessage(error)}); retrying in about ` +
            `${Math.round(backoff.throttleMs / 1000)} s`
        )
      } else {
        throw new UserError(
          `Could not describe task ${taskArn} in cluster '${cluster}': ${errorName(error)}: ` +
            `${errorMessage(error)}. The action's role needs ecs:DescribeTasks on the task ` +
            `(or set a notification prefix to wait through S3 instead).`
        )
      }
    }
    const delay = describeDelayMs({
      baseSeconds: options.pollIntervalSeconds,
      ageMs: clock.now() - start,
      backoff,
      random: deps.random
    })
    logger.debug(`DescribeTasks call ${calls} done; next in ${delay} ms`)
    await clock.sleep(delay, signal)
  }
}

function aborted(last: TaskSnapshot | undefined): WaitOutcome {
  return last === undefined ? { kind: 'aborted' } : { kind: 'aborted', last }
}
