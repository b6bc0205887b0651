/**
 * Runs a task set: one task or many, each with its own command and env, through one bounded
 * work queue with a launch budget (queue.ts, launcher.ts), waited on by one wait engine
 * (src/wait/engine.ts). Reporting is src/report/set.ts's; this module only runs and watches.
 */
import { setMaxListeners } from 'node:events'
import type { RunTaskDeps } from '../ecs/run-task.js'
import { stopTasks } from '../ecs/stop-task.js'
import { describeFanOut } from '../model/fan-out.js'
import { WaitEngine, type TaskEnd, type WaitEngineDeps } from '../wait/engine.js'
import { waitingThrough } from '../wait/messages.js'
import type { TaskSnapshot } from '../model/task.js'
import { overrideKey } from './batch.js'
import { launcher } from './launcher.js'
import { STOP_RATE, stopReasons } from './start-and-stop-rules.js'
import type { RunPlan } from './plan.js'
import { WorkQueue, type QueueOutcome } from './queue.js'
import { TokenBucket } from './token-bucket.js'
import { launchPace, type RoomWait } from './pace.js'
import { RetryPolicy, type RetrySettings } from './retry.js'

/**
 * The moments of each task, for whoever follows them (a live log follower, a progress line):
 * `started` when the task is first seen RUNNING or its started.json appears, `stopped` when
 * its end is known. Both are called at most once per task.
 */
export interface TaskEvents {
  started?(taskArn: string, task: TaskSnapshot | undefined): void
  /**
   * `index` is the task's place in the set (0-based), as the summary numbers it; `attempt`
   * which attempt of it this was, and whether it runs again (retry-on).
   */
  stopped?(
    taskArn: string,
    end: TaskEnd,
    index: number | undefined,
    attempt?: { attempt: number; retried: boolean }
  ): void
}

/** `s3` is for the notification prefix's region; undefined when waiting through DescribeTasks. */
export interface TaskSetDeps extends RunTaskDeps, Pick<WaitEngineDeps, 's3' | 's3Endpoint'> {
  /**
   * Called the moment each RunTask returns, with every task ARN this set has started so far
   * (save it to state: the post step stops what is left).
   */
  saveStartedArns(arns: string[]): void
  events?: TaskEvents
}

/** The plan of the run, with the job's cancel signal. */
export interface TaskSetOptions extends RunPlan {
  /** Aborted when the job is cancelled. */
  signal: AbortSignal
  /** `attempts` and `retry-on`; absent: no retries. */
  retry?: RetrySettings
  /** Spec indexes to run (a re-run skips those that succeeded before); absent: all. */
  only?: readonly number[]
}

export interface TaskSetOutcome extends QueueOutcome {
  /** When the set began (clock ms). */
  startedAt: number
  /**
   * Started tasks the post step need not stop: seen to end, stopped by this step, or left
   * running on purpose (stop-on-cancel: false, wait: false).
   */
  settledArns: string[]
  /** Requests the wait engine made, by kind. */
  waitRequests: { get: number; list: number; describe: number }
  /** Tasks that waited for room under an account quota before they started, and how long. */
  roomWaits: RoomWait[]
}

/** Runs every spec's task and watches it to its end; never throws for a task's failure. */
export async function runTaskSet(
  deps: TaskSetDeps,
  options: TaskSetOptions
): Promise<TaskSetOutcome> {
  const { clock, logger, random } = deps
  const startedAt = clock.now()
  const cluster = options.baseRequest.cluster ?? 'default'
  const prefix = options.prefix === 'none' ? undefined : options.prefix
  const wait = options.wait ?? true
  const pace = launchPace(options, random, startedAt)
  const roomWaits: RoomWait[] = []

  logger.info(setLine(options, cluster, pace.ratePerSecond))
  if (options.fanOut !== undefined && options.fanOut.width > 1) {
    logger.info(describeFanOut(options.fanOut))
  }
  if (pace.note !== undefined) logger.info(pace.note)
  if (wait) logger.info(waitingThrough(options.prefix))

  // The queue and the engine report to each other; both exist before either runs.
  const engine = new WaitEngine(
    { ...deps, s3: prefix ? deps.s3 : undefined },
    {
      cluster,
      prefix,
      pollIntervalSeconds: options.pollIntervalSeconds,
      verifyIntervalSeconds: options.verifyIntervalSeconds,
      onStart: (taskArn, task) => {
        queue.onStart(taskArn, task)
        deps.events?.started?.(taskArn, task)
      },
      onEnd: (end) => {
        queue.onEnd(end)
        const taskArn = end.kind === 'stopped' ? end.task.taskArn : end.taskArn
        deps.events?.stopped?.(taskArn, end, queue.indexOf(taskArn), queue.attemptOf(taskArn))
      }
    }
  )
  // RunTask paced by the launch rate, StopTask by STOP_RATE, each started task handed to the
  // engine (unless left running) and its ARN saved at once.
  const started: string[] = []
  const queue = new WorkQueue(
    {
      clock,
      logger,
      bucket: new TokenBucket(clock, pace),
      stopBucket: new TokenBucket(clock, STOP_RATE),
      launch: launcher(deps, {
        baseRequest: options.baseRequest,
        apps: options.apps,
        startedAt,
        timeoutSeconds: options.timeoutSeconds,
        attemptDeadlineSeconds: options.attemptDeadlineSeconds,
        scaleOut: options.scaleOut,
        onStarted: (arns) => {
          started.push(...arns)
          deps.saveStartedArns([...started])
        },
        fanOutWidth: pace.width,
        onRoomWaited: (indexes, waitedMs, quota) =>
          roomWaits.push(...indexes.map((index) => ({ index, waitedMs, quota: quota.name })))
      }),
      watch: wait ? (arn) => engine.add(arn) : undefined,
      // One StopTask call (with its retries); false when it failed.
      stop: async (taskArn, reason) =>
        (await stopTasks(deps, { cluster, taskArns: [taskArn], reason })).failed.length === 0,
      stopped: (arn) => engine.expectStop(arn)
    },
    {
      keys: options.apps.map(overrideKey),
      maxParallel: options.maxParallel,
      failFast: options.failFast,
      stopOnCancel: options.stopOnCancel,
      signal: options.signal,
      deadline:
        options.timeoutSeconds !== undefined
          ? startedAt + options.timeoutSeconds * 1000
          : undefined,
      stopReasons: stopReasons(options),
      retry: options.retry && new RetryPolicy(options.retry, options.apps.length),
      only: options.only
    }
  )

  const waiting = new AbortController()
  // Every S3 request in flight listens on it (up to 16 GETs at once).
  setMaxListeners(0, waiting.signal)
  const engineDone = engine.run(waiting.signal).catch((error: unknown) => queue.fail(error))
  const outcome = await queue.run()
  waiting.abort()
  await engineDone

  const settledArns = settledArnsOf(outcome, { wait, stopOnCancel: options.stopOnCancel })
  return { ...outcome, startedAt, settledArns, waitRequests: { ...engine.requests }, roomWaits }
}

/**
 * Started tasks the post step need not stop: seen to end, stopped by this step (StopTask did
 * not fail), or left running on purpose (`wait: false`; `stop-on-cancel: false` on a cancel or
 * timeout).
 */
export function settledArnsOf(
  outcome: QueueOutcome,
  options: { wait: boolean; stopOnCancel: boolean }
): string[] {
  const stopFailed = new Set(outcome.stopFailures)
  const leftOnPurpose =
    !options.wait ||
    (!options.stopOnCancel && (outcome.halt === 'cancelled' || outcome.halt === 'timed-out'))
  return outcome.records.flatMap((r) => {
    // Earlier attempts were seen to end.
    const earlier = (r.attempts ?? []).map((a) => a.taskArn)
    if (r.taskArn === undefined) return earlier
    const settled =
      r.state === 'ended' ||
      (r.stopRequested && !stopFailed.has(r.taskArn)) ||
      (r.state === 'running' && leftOnPurpose)
    return settled ? [...earlier, r.taskArn] : earlier
  })
}

/** The opening line: how many tasks, where, and how fast. */
function setLine(options: TaskSetOptions, cluster: string, launchRate: number): string {
  const n = options.apps.length
  if (n === 1) return `Running 1 task on cluster '${cluster}'`
  const parallel =
    options.maxParallel === undefined ? 'all at once' : `at most ${options.maxParallel} at once`
  return (
    `Running ${n} tasks on cluster '${cluster}': ${parallel}, ${+launchRate.toFixed(2)} RunTask ` +
    `call(s) per second${options.failFast ? ', fail-fast' : ''}`
  )
}
