/**
 * Runs a task set: one task or many, each with its own command and env, through one bounded
 * work queue with a launch budget (queue.ts, launcher.ts), waited on by one wait engine
 * (src/wait/engine.ts). Reporting is src/report/set.ts's; this module only runs and watches.
 */
import { setMaxListeners } from 'node:events'
import type { RunTaskDeps } from '../ecs/run-task.js'
import { stopTasks } from '../ecs/stop-task.js'
import { describeFanOut } from '../model/fan-out.js'
import { WaitEngine, type WaitEngineDeps } from '../wait/engine.js'
import { waitingThrough } from '../wait/messages.js'
import { overrideKey } from './batch.js'
import { launcher } from './launcher.js'
import { STOP_RATE, stopReasons } from './start-and-stop-rules.js'
import type { RunPlan } from './plan.js'
import { WorkQueue } from './queue.js'
import { TokenBucket } from './token-bucket.js'
import { launchPace } from './pace.js'
import type { QueueOutcome, RoomWait, TaskEvents, TaskSetOutcome } from '../model/outcome.js'
import { RetryPolicy, type RetrySettings } from './retry.js'
import type { Adoption, RerunPlan } from './rerun.js'
import type { LedgerTask, StopRequest, TaskSetLedger } from '../model/ledger.js'
import { statusOf } from '../model/result.js'
import type { StoppingHalt } from '../model/outcome.js'

/** The ledger's name for why the action stopped a task. */
const STOP_REQUEST: Record<StoppingHalt, StopRequest> = {
  cancelled: 'cancel',
  'timed-out': 'timeout',
  'fail-fast': 'fail-fast',
  'wait-error': 'wait-error'
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
  /** Records each task at its start and end (src/ledger/); absent: nothing is recorded. */
  ledger?: TaskSetLedger
  /** What a re-run takes over from earlier run attempts (src/tasks/rerun.ts). */
  rerun?: Pick<RerunPlan, 'adopt' | 'resend' | 'firstAttempt'>
  /** Start nothing: every task is adopted and none runs again (mode: wait). */
  waitOnly?: boolean
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
  const ledger = options.ledger
  const started: string[] = []
  const adopt = options.rerun?.adopt ?? new Map<number, Adoption>()
  /** Task attempt `attempt` (1-based in this run) of `index`, as the ledger counts it. */
  const ledgerTask = (index: number, attempt: number): LedgerTask => {
    const taskAttempt = (options.rerun?.firstAttempt?.get(index) ?? 1) + attempt - 1
    const resent = options.rerun?.resend?.get(index)
    const adopted = adopt.get(index)
    const clientToken =
      attempt === 1 && resent !== undefined
        ? resent.clientToken
        : attempt === 1 && adopted !== undefined
          ? adopted.clientToken
          : (ledger?.tokenOf(index, taskAttempt) ?? '')
    return { index, taskAttempt, clientToken }
  }
  /** Which attempt of its task a started task is, as the ledger counts it. */
  const ledgerTaskOf = (taskArn: string): LedgerTask | undefined => {
    const index = queue.indexOf(taskArn)
    const attempt = queue.attemptOf(taskArn)
    return index === undefined || attempt === undefined
      ? undefined
      : ledgerTask(index, attempt.attempt)
  }
  /** Tasks RunTask returned (or a re-run adopted): saved for the post step, then told of. */
  const startedNow = (arns: readonly string[], indexes: readonly number[], adopted: boolean) => {
    started.push(...arns)
    deps.saveStartedArns([...started])
    arns.forEach((arn, i) => {
      const index = indexes[i] as number
      deps.events?.launched?.(arn, index)
      const task = ledgerTask(index, queue.currentAttemptOf(index))
      ledger?.started({ ...task, taskArn: arn, adopted })
    })
  }

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
      ...(options.rule !== undefined ? { rule: options.rule } : {}),
      onStart: (taskArn, task) => {
        queue.onStart(taskArn, task)
        deps.events?.started?.(taskArn, task)
      },
      onEnd: (end) => {
        const taskArn = end.kind === 'stopped' ? end.task.taskArn : end.taskArn
        const task = ledgerTaskOf(taskArn)
        const record = task && queue.recordOf(task.index)
        const fresh = record?.state === 'running' && record.taskArn === taskArn
        queue.onEnd(end)
        deps.events?.stopped?.(taskArn, end, queue.indexOf(taskArn), queue.attemptOf(taskArn))
        if (ledger !== undefined && task !== undefined && record !== undefined && fresh) {
          const halt = queue.haltReason
          const stopRequest =
            record.stopRequested && halt !== undefined && halt !== 'start-error'
              ? STOP_REQUEST[halt]
              : undefined
          ledger.ended({
            ...task,
            taskArn,
            end,
            status: statusOf(
              { state: 'ended', end, stopRequested: record.stopRequested },
              options.rule
            ),
            adopted: task.taskAttempt === adopt.get(task.index)?.taskAttempt,
            ...(stopRequest !== undefined ? { stopRequest } : {})
          })
        }
      }
    }
  )
  // RunTask paced by the launch rate, StopTask by STOP_RATE, each started task handed to the
  // engine (unless left running) and its ARN saved at once.
  const queue: WorkQueue = new WorkQueue(
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
        onStarted: (arns, indexes) => startedNow(arns, indexes, false),
        ...(ledger !== undefined
          ? {
              clientTokenOf: (indexes: number[]): string =>
                ledgerTask(indexes[0] as number, queue.currentAttemptOf(indexes[0] as number))
                  .clientToken
            }
          : {}),
        fanOutWidth: pace.width,
        onRoomWaited: (indexes, waitedMs, quota) =>
          roomWaits.push(...indexes.map((index) => ({ index, waitedMs, quota: quota.name })))
      }),
      watch: wait ? (arn) => engine.add(arn) : undefined,
      // One StopTask call (with its retries); false when it failed.
      stop: async (taskArn, reason) => {
        const task = ledgerTaskOf(taskArn)
        const halt = queue.haltReason
        if (
          ledger !== undefined &&
          task !== undefined &&
          halt !== undefined &&
          halt !== 'start-error'
        ) {
          ledger.stopRequested({ ...task, taskArn, why: STOP_REQUEST[halt] })
        }
        return (await stopTasks(deps, { cluster, taskArns: [taskArn], reason })).failed.length === 0
      },
      stopped: (arn) => engine.expectStop(arn),
      adopted: (index, arn) => startedNow([arn], [index], true)
    },
    {
      // With a ledger each task has a RunTask call and a token of its own, so a re-run can send
      // the same call again; without one, tasks with equal overrides may share a call.
      keys:
        ledger !== undefined
          ? options.apps.map((_, i) => String(i))
          : options.apps.map(overrideKey),
      maxParallel: options.maxParallel,
      failFast: options.failFast,
      stopOnCancel: options.stopOnCancel,
      stopOnTimeout: options.onTimeout !== 'detach',
      signal: options.signal,
      deadline:
        options.timeoutSeconds !== undefined
          ? startedAt + options.timeoutSeconds * 1000
          : undefined,
      stopReasons: stopReasons(options),
      retry:
        options.retry &&
        new RetryPolicy(
          { ...options.retry, ...(options.rule !== undefined ? { rule: options.rule } : {}) },
          options.apps.length
        ),
      ...(options.rule !== undefined ? { rule: options.rule } : {}),
      only: options.only,
      ...(adopt.size > 0 ? { adopt } : {}),
      ...(options.waitOnly === true ? { rerunAdopted: false } : {})
    }
  )

  const waiting = new AbortController()
  // Every S3 request in flight listens on it (up to 16 GETs at once).
  setMaxListeners(0, waiting.signal)
  const engineDone = engine.run(waiting.signal).catch((error: unknown) => queue.fail(error))
  if (ledger !== undefined) {
    // Before the first RunTask: what this attempt may start, each with its token.
    const indexes = options.only ?? options.apps.map((_, i) => i)
    await ledger.intent(indexes.filter((i) => !adopt.has(i)).map((i) => ledgerTask(i, 1)))
  }
  const outcome = await queue.run()
  waiting.abort()
  await engineDone
  await ledger?.flush()

  const settledArns = settledArnsOf(outcome, {
    wait,
    stopOnCancel: options.stopOnCancel,
    detach: options.onTimeout === 'detach'
  })
  return { ...outcome, startedAt, settledArns, waitRequests: { ...engine.requests }, roomWaits }
}

/**
 * Started tasks the post step need not stop: seen to end, stopped by this step (StopTask did
 * not fail), or left running on purpose (`wait: false`; `stop-on-cancel: false` on a cancel or
 * timeout).
 */
export function settledArnsOf(
  outcome: QueueOutcome,
  options: { wait: boolean; stopOnCancel: boolean; detach?: boolean }
): string[] {
  const stopFailed = new Set(outcome.stopFailures)
  const stopsOnTimeout = options.detach === undefined ? options.stopOnCancel : !options.detach
  const leftOnPurpose =
    !options.wait ||
    (!options.stopOnCancel && outcome.halt === 'cancelled') ||
    (!stopsOnTimeout && outcome.halt === 'timed-out')
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
