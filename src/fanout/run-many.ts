/**
 * Fan out from one job: run many tasks of one task definition, each with its own command and
 * env, through a bounded work queue with a launch budget, wait on them all with few requests,
 * and report each one. The main step calls `runMany` when `count`/`tasks` asks for more than
 * one task.
 */
import { setMaxListeners } from 'node:events'
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import type { ECSClient, RunTaskCommandInput } from '@aws-sdk/client-ecs'
import type { S3Client } from '@aws-sdk/client-s3'
import { newClientToken } from '../ecs/launch.js'
import { runTask } from '../ecs/run-task.js'
import { stopTasks } from '../ecs/stop-task.js'
import type { TaskSpec } from '../inputs-types.js'
import { logsLink, type LogConfiguration } from '../report/logs.js'
import { resultOutputs } from '../report/outputs.js'
import type { Clock, Random } from '../util/clock.js'
import { errorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import type { NotificationPrefix } from '../wait/types.js'
import { MAX_RUN_TASK_COUNT, appOverrideOf, overrideKey, requestFor } from './batch.js'
import { MultiWaiter } from './multi-waiter.js'
import { WorkQueue, type HaltReason } from './queue.js'
import {
  countByStatus,
  failureMessageOf,
  fanoutOutputs,
  fanoutSummary,
  resultsOf,
  type FanoutTaskResult
} from './results.js'
import { TokenBucket } from './token-bucket.js'

/**
 * StopTask pace when the fan-out halts. A cancelled job has 7.5 s before SIGTERM and 10 s
 * before it is killed (docs/limits.md, "Cancel timing"), so stops go faster than launches: 50 at once, then 25
 * a second, within the account's RunTask/StopTask bucket (100 burst, 40 a second) that this
 * job's own launches no longer draw on once it halts. About 230 tasks are stopped within
 * 7.5 s; the post step stops any left.
 */
export const STOP_RATE = { ratePerSecond: 25, burst: 50 }

/** How long one RunTask call may retry capacity failures without a `timeout` (as one task). */
export const DEFAULT_START_SECONDS = 600

export interface RunManyDeps {
  ecs: ECSClient
  /** For the notification prefix's region; undefined when the prefix is 'none'. */
  s3?: S3Client
  /** Kept for the report; the fan-out does not tail logs per task. */
  logs?: CloudWatchLogsClient
  clock: Clock
  random: Random
  logger: Logger
  /**
   * Called the moment each RunTask returns, with every task ARN this job has started so far
   * (save it to state: the post step stops what is left).
   */
  saveStartedArns(arns: string[]): void
  setOutput(name: string, value: string): void
  writeSummary(markdown: string): Promise<void>
}

export interface RunManyOptions {
  /**
   * The RunTask request, complete but for the app container's command and environment:
   * taskDefinition ARN, cluster, startedBy, group, tags, launch settings, and any cpu/memory
   * overrides (kept).
   */
  baseRequest: RunTaskCommandInput
  /** The step's `command`; a spec's own command replaces it. */
  appCommand?: string[]
  /** The step's `env`; a spec's env is merged over it (the spec wins). */
  appEnv: Record<string, string>
  /** One per task, in task order. */
  specs: TaskSpec[]
  /** Most tasks running at once; undefined: all. */
  maxParallel?: number
  /** RunTask (and StopTask) calls per second. */
  launchRate: number
  failFast: boolean
  /** Where the notifier writes, or 'none' to wait through DescribeTasks. */
  prefix: NotificationPrefix | 'none'
  pollIntervalSeconds: number
  verifyIntervalSeconds: number
  /** Epoch ms when the `timeout` runs out; undefined: none. */
  deadline?: number
  stopOnCancel: boolean
  /** Aborted when the job is cancelled. */
  signal: AbortSignal
  /** The app container's log configuration, for the logs links. */
  appLogConfiguration?: LogConfiguration
  /** The region the tasks run in. */
  region: string
  /** Fail the step when a task failed (`fail-on-error`; default true). */
  failOnError?: boolean
}

export interface RunManyResult {
  /** One per spec, in task order. */
  results: FanoutTaskResult[]
  /** The step's failure message; undefined when the step passes. */
  failureMessage?: string
  /** Why the fan-out stopped early, if it did. */
  halt?: HaltReason
  /**
   * Started tasks the post step need not stop: seen to end, stopped by this step, or left
   * running on purpose (stop-on-cancel: false).
   */
  settledArns: string[]
  /** Requests the waiter made, by kind. */
  waitRequests: { get: number; list: number; describe: number }
}

/** Runs every spec's task and reports them; never throws for a task's failure. */
export async function runMany(deps: RunManyDeps, options: RunManyOptions): Promise<RunManyResult> {
  const { clock, logger, random } = deps
  const cluster = options.baseRequest.cluster ?? 'default'
  const step = { command: options.appCommand, env: options.appEnv }
  const apps = options.specs.map((spec) => appOverrideOf(spec, step))
  const keys = apps.map(overrideKey)
  const prefix = options.prefix === 'none' ? undefined : options.prefix
  const bucket = new TokenBucket(clock, {
    ratePerSecond: options.launchRate,
    burst: Math.max(1, Math.floor(options.launchRate))
  })
  const started: string[] = []

  logger.info(
    `Running ${options.specs.length} tasks on cluster '${cluster}': ` +
      `${options.maxParallel === undefined ? 'all at once' : `at most ${options.maxParallel} at once`}, ` +
      `${options.launchRate} RunTask call(s) per second` +
      `${options.failFast ? ', fail-fast' : ''}; waiting through ` +
      `${prefix ? `S3 notifications under s3://${prefix.bucket}/${prefix.prefix}` : 'DescribeTasks'}`
  )

  // The queue and the waiter report to each other; both exist before either runs.
  const waiter = new MultiWaiter(
    { ecs: deps.ecs, s3: prefix ? deps.s3 : undefined, clock, random, logger },
    {
      cluster,
      prefix,
      pollIntervalSeconds: options.pollIntervalSeconds,
      verifyIntervalSeconds: options.verifyIntervalSeconds,
      onEnd: (end) => queue.onEnd(end)
    }
  )
  const why = (text: string): string => `Stopped by hako-oneshot-action: ${text}`
  const queue = new WorkQueue(
    {
      clock,
      logger,
      bucket,
      stopBucket: new TokenBucket(clock, STOP_RATE),
      launch: async (indexes, signal) => {
        const app = apps[indexes[0] as number] ?? {}
        const count = Math.min(indexes.length, MAX_RUN_TASK_COUNT)
        logger.debug(`RunTask for task #${indexes.join(', #')} (count ${count})`)
        const now = clock.now()
        const tasks = await runTask(
          { ecs: deps.ecs, clock, random, logger },
          {
            request: requestFor(options.baseRequest, app, count),
            clientToken: newClientToken(),
            deadline: Math.min(options.deadline ?? Infinity, now + DEFAULT_START_SECONDS * 1000),
            signal,
            onStarted: (tasks) => {
              for (const t of tasks) if (t.taskArn) started.push(t.taskArn)
              deps.saveStartedArns([...started])
            }
          }
        )
        return tasks.flatMap((t) => (t.taskArn ? [t.taskArn] : [])).slice(0, indexes.length)
      },
      watch: (arn) => waiter.add(arn),
      stop: async (arn, reason) => {
        const result = await stopTasks(
          { ecs: deps.ecs, clock, random, logger },
          { cluster, taskArns: [arn], reason }
        )
        return result.failed.length === 0
      }
    },
    {
      keys,
      maxParallel: options.maxParallel,
      failFast: options.failFast,
      stopOnCancel: options.stopOnCancel,
      signal: options.signal,
      deadline: options.deadline,
      stopReasons: {
        'fail-fast': why('another task of this job failed (fail-fast)'),
        cancelled: why('the workflow run was cancelled'),
        'timed-out': why('the timeout was reached'),
        'wait-error': why('the action could not wait for the task')
      }
    }
  )

  const waiting = new AbortController()
  // Every S3 request in flight listens on it (up to 16 GETs at once).
  setMaxListeners(0, waiting.signal)
  const waiterDone = waiter.run(waiting.signal).catch((error: unknown) => queue.fail(error))
  const outcome = await queue.run()
  waiting.abort()
  await waiterDone

  const logsUrlOf = (taskArn: string): string | undefined => {
    const link = logsLink({
      logConfiguration: options.appLogConfiguration,
      taskArn,
      taskRegion: options.region
    })
    return 'url' in link ? link.url : undefined
  }
  const results = resultsOf(outcome.records, logsUrlOf)
  const counts = countByStatus(results)
  logger.info(
    `${counts.succeeded} succeeded, ${counts.failed} failed` +
      `${counts.stopped ? `, ${counts.stopped} stopped` : ''}` +
      `${counts.unfinished ? `, ${counts.unfinished} unfinished` : ''}` +
      `${counts['not-started'] ? `, ${counts['not-started']} not started` : ''}; ` +
      `waiting took ${waiter.requests.list} LIST, ${waiter.requests.get} GET and ` +
      `${waiter.requests.describe} DescribeTasks requests`
  )

  const outputs = fanoutOutputs(results)
  const ran = results.filter((r) => r.taskArn !== undefined)
  if (ran.length === 1) {
    const only = ran[0] as FanoutTaskResult
    Object.assign(
      outputs,
      resultOutputs(
        { task: only.task, exitCode: only.exitCode },
        { taskArn: only.taskArn, logsUrl: only.logsUrl ?? '' }
      )
    )
  }
  for (const [name, value] of Object.entries(outputs)) deps.setOutput(name, value)
  try {
    await deps.writeSummary(
      fanoutSummary(results, { halt: outcome.halt, stopOnCancel: options.stopOnCancel })
    )
  } catch (error) {
    logger.warning(`Could not write the job summary: ${errorMessage(error)}`)
  }

  const failureMessage = failureMessageOf(results, {
    halt: outcome.halt,
    failOnError: options.failOnError ?? true,
    error: outcome.error === undefined ? undefined : errorMessage(outcome.error)
  })
  const stopFailed = new Set(outcome.stopFailures)
  const leftOnPurpose =
    !options.stopOnCancel && (outcome.halt === 'cancelled' || outcome.halt === 'timed-out')
  const settledArns = outcome.records.flatMap((r) => {
    if (r.taskArn === undefined) return []
    const settled =
      r.state === 'ended' ||
      (r.stopRequested && !stopFailed.has(r.taskArn)) ||
      (r.state === 'running' && leftOnPurpose)
    return settled ? [r.taskArn] : []
  })
  const result: RunManyResult = {
    results,
    settledArns,
    waitRequests: { ...waiter.requests }
  }
  if (failureMessage !== undefined) result.failureMessage = failureMessage
  if (outcome.halt !== undefined) result.halt = outcome.halt
  return result
}
