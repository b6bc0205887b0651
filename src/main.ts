/**
 * The main step: load → resolve the task definition → run the task set → report → fail or not,
 * one phase per log group, and the only place that fails the step. One task is a set of one. Everything external comes in through `MainDeps`.
 */
import type { RunTaskCommandInput } from '@aws-sdk/client-ecs'
import type { AwsClients, ClientOptions } from './aws/clients.js'
import { loadAndRender } from './definition/index.js'
import type { RenderedDefinition } from './definition/rendered.js'
import { ecsTaskConsoleUrl } from './aws/console.js'
import { defaultStartedBy, launchTags } from './ecs/launch.js'
import {
  cacheSetting,
  resolveTaskDefinition,
  runResolved,
  type ResolvedTaskDefinition
} from './ecs/resolve.js'
import { taskResourcesOf } from './ecs/scale-out.js'
import type { ActionInputs } from './inputs-types.js'
import { followAppLogs, type Follower, type FollowResult } from './logs/follow.js'
import type { ReportIO } from './report/report.js'
import { FailedTaskTails, taskSetLogMode } from './logs/task-set-logs.js'
import { STATE, saveList, type StateStore } from './state.js'
import { reportTaskSet } from './report/set.js'
import { runTaskSet, type TaskSetOutcome } from './tasks/run-set.js'
import { finishRerun, startRerun, type RerunState } from './tasks/rerun.js'
import type { Clock, Random } from './util/clock.js'
import { UserError, foreignErrorMessage } from './util/errors.js'
import type { Logger } from './util/logger.js'
import { resolveNotificationPrefix } from './wait/prefix.js'
import { exitCodeOf } from './model/task-state.js'
import type { NotificationPrefix } from './model/task.js'
import type { TaskEnd } from './model/task.js'

/** What the main step needs from the outside world. */
export interface MainDeps extends ReportIO {
  readInputs(): ActionInputs
  createClients(options: ClientOptions): Promise<AwsClients>
  logger: Logger
  clock: Clock
  random: Random
  state: StateStore
  /** The process environment (GITHUB_* variables for tags, startedBy and links). */
  env: NodeJS.ProcessEnv
  /** Aborted when the runner cancels the job (SIGINT/SIGTERM). */
  cancelSignal: AbortSignal
  /** Fails the step with one error annotation. */
  setFailed(message: string): void
}

export async function run(deps: MainDeps): Promise<void> {
  const { logger, state } = deps
  state.save(STATE.isPost, 'true')
  try {
    const inputs = deps.readInputs()
    const rendered = await logger.group('Load the hako definition', () => load(inputs, logger))
    if (inputs.mode === 'dry-run') {
      await dryRun(deps, inputs, rendered)
      return
    }
    const clients = await deps.createClients({
      inputRegion: inputs.region,
      definitionRegion: rendered.region,
      scaleOut: rendered.autoscalingGroupForOneshot !== undefined,
      publish: rendered.autoscalingTopicForOneshot !== undefined
    })
    const prefix = inputs.wait ? notificationPrefix(inputs, rendered, clients.region) : undefined
    const resolved = await logger.group('Register the task definition', () =>
      resolveTaskDefinition(
        { ecs: clients.ecs, clock: deps.clock, random: deps.random, logger },
        {
          registerRequest: rendered.registerRequest,
          taskDefinitionInput: inputs.taskDefinition,
          cache: cacheSetting({
            enabled: inputs.taskDefinitionCache,
            prefix: prefix ?? notificationPrefix(inputs, rendered, clients.region),
            s3: (region) => clients.s3(region),
            region: clients.region,
            env: deps.env,
            random: deps.random
          })
        }
      )
    )
    deps.setOutput('task-definition-arn', resolved.taskDefinitionArn)
    deps.setOutput('registered', String(resolved.registered))
    if (inputs.mode === 'register') return
    // For the post step, before any task exists: where to stop what this step starts.
    state.save(STATE.cluster, rendered.cluster)
    state.save(STATE.region, clients.region)
    await runAndReport({ deps, inputs, rendered, clients, resolved, prefix })
  } catch (error) {
    if (error instanceof UserError) {
      deps.setFailed(error.message)
    } else {
      if (error instanceof Error && error.stack) logger.debug(error.stack)
      deps.setFailed(foreignErrorMessage(error))
    }
  }
}

async function load(inputs: ActionInputs, logger: Logger): Promise<RenderedDefinition> {
  const rendered = await loadAndRender(inputs.definition, {
    tag: inputs.tag,
    containers: inputs.containers,
    cluster: inputs.cluster,
    command: inputs.command,
    env: inputs.env,
    appCpu: inputs.appCpu,
    appMemory: inputs.appMemory,
    appMemoryReservation: inputs.appMemoryReservation
  })
  for (const notice of rendered.notices) logger.notice(notice)
  const containers = rendered.registerRequest.containerDefinitions?.map((c) => c.name) ?? []
  logger.info(
    `${inputs.definition}: family ${rendered.family}, cluster ${rendered.cluster}, ` +
      `containers ${containers.join(', ')}`
  )
  return rendered
}

/** The complete RunTask request of one task, as it will be sent. */
export function runTaskRequest(
  inputs: ActionInputs,
  rendered: RenderedDefinition,
  env: NodeJS.ProcessEnv,
  taskDefinition: string
): RunTaskCommandInput {
  const tags = launchTags(env, inputs.tags)
  return {
    ...rendered.runTaskRequest,
    taskDefinition,
    startedBy: inputs.startedBy ?? defaultStartedBy(env),
    ...(inputs.group !== undefined ? { group: inputs.group } : {}),
    ...(tags.length > 0 ? { tags } : {})
  }
}

async function dryRun(
  deps: MainDeps,
  inputs: ActionInputs,
  rendered: RenderedDefinition
): Promise<void> {
  const register = JSON.stringify(rendered.registerRequest, null, 2)
  const runTask = JSON.stringify(
    runTaskRequest(inputs, rendered, deps.env, rendered.family),
    null,
    2
  )
  await deps.logger.group('RegisterTaskDefinition request', () => {
    deps.logger.info(register)
    return Promise.resolve()
  })
  await deps.logger.group('RunTask request', () => {
    deps.logger.info(runTask)
    deps.logger.info(
      `taskDefinition is the family: a run resolves it to the latest matching revision, ` +
        `or registers a new one`
    )
    return Promise.resolve()
  })
  deps.setOutput('register-request', JSON.stringify(rendered.registerRequest))
  deps.setOutput('run-task-request', JSON.stringify(JSON.parse(runTask)))
}

/** The notification prefix, validated before any AWS call so a typo costs no task. */
function notificationPrefix(
  inputs: ActionInputs,
  rendered: RenderedDefinition,
  region: string
): NotificationPrefix | 'none' | undefined {
  return resolveNotificationPrefix({
    input: inputs.notificationPrefix,
    definitionValue: rendered.notificationPrefix,
    definitionFile: inputs.definition,
    defaultRegion: region
  })
}

/** What the run needs once the task definition is resolved. */
interface RunContext {
  deps: MainDeps
  inputs: ActionInputs
  rendered: RenderedDefinition
  clients: AwsClients
  resolved: ResolvedTaskDefinition
  /** Where to wait: an S3 prefix; 'none' or undefined (none set) for DescribeTasks. */
  prefix: NotificationPrefix | 'none' | undefined
}

/** Runs the task set of `count`, `tasks` or neither (one task), reports it, fails or not. */
async function runAndReport(ctx: RunContext): Promise<void> {
  const { deps, inputs, rendered, clients } = ctx
  const { logger, state } = deps
  const logs = taskLogs(ctx)
  const s3Prefix = ctx.prefix === undefined || ctx.prefix === 'none' ? undefined : ctx.prefix
  const recordsS3 = s3Prefix === undefined ? undefined : clients.s3(s3Prefix.region)
  const rerun = await startRerun(
    { ...(recordsS3 !== undefined ? { s3: recordsS3 } : {}), logger },
    {
      ...(s3Prefix !== undefined ? { bucket: s3Prefix } : {}),
      env: deps.env,
      jobIndex: inputs.fanOut.jobIndex,
      jobTotal: inputs.fanOut.jobTotal,
      rerun: inputs.rerun,
      specs: inputs.tasks
    }
  )
  let taskDefinitionArn = ctx.resolved.taskDefinitionArn
  let outcome: TaskSetOutcome
  let followed: FollowResult | undefined
  try {
    // A revision read from the bucket may have been deregistered since: replaced once.
    outcome = await runResolved(ctx.resolved, (arn) => runSet(ctx, logs, arn, rerun), {
      logger,
      onReplaced: (replacement) => {
        taskDefinitionArn = replacement.taskDefinitionArn
        deps.setOutput('task-definition-arn', replacement.taskDefinitionArn)
        deps.setOutput('registered', String(replacement.registered))
      },
      refusedBy: refusalOf
    })
    saveList(state, STATE.settledArns, outcome.settledArns)
    await finishRerun(
      { ...(recordsS3 !== undefined ? { s3: recordsS3 } : {}), logger },
      rerun,
      outcome.records
    )
    deps.setOutput('cluster', rendered.cluster)
    followed = await logs.finish(outcome)
  } finally {
    // Whatever happened, no log read of ours outlives the run.
    logs.close()
  }
  const failure = await logger.group('Report', () =>
    reportTaskSet(deps, outcome, {
      clients,
      rendered,
      taskDefinitionArn,
      logLines: inputs.logLines,
      ...(followed !== undefined ? { followed } : {}),
      failOnError: inputs.failOnError,
      stopOnCancel: inputs.stopOnCancel,
      ...(inputs.timeoutSeconds !== undefined ? { timeoutSeconds: inputs.timeoutSeconds } : {}),
      wait: inputs.wait,
      runAttempt: rerun.runAttempt,
      earlier: rerun.plan.earlier
    })
  )
  if (failure !== undefined) deps.setFailed(failure)
}

/** RunTask's error when the set started no task at all, else undefined. */
function refusalOf(outcome: TaskSetOutcome): string | undefined {
  if (outcome.records.some((r) => r.taskArn !== undefined)) return undefined
  return outcome.records.find((r) => r.error !== undefined)?.error
}

/** Launches the task set with `taskDefinitionArn` and waits for it. */
function runSet(
  ctx: RunContext,
  logs: TaskLogs,
  taskDefinitionArn: string,
  rerun: RerunState
): Promise<TaskSetOutcome> {
  const { deps, inputs, rendered, clients, prefix } = ctx
  const { logger, clock, state } = deps
  const n = inputs.tasks.length
  const s3Prefix = prefix === undefined || prefix === 'none' ? undefined : prefix
  return logger.group(n === 1 ? 'Run the task' : `Run ${n} tasks`, () =>
    runTaskSet(
      {
        ecs: clients.ecs,
        s3: s3Prefix === undefined ? undefined : clients.s3(s3Prefix.region),
        autoScaling: clients.autoScaling,
        sns: clients.sns,
        clock,
        random: deps.random,
        logger,
        s3Endpoint: s3EndpointOf(deps.env, s3Prefix?.region ?? clients.region),
        saveStartedArns: (arns) => {
          saveList(state, STATE.taskArns, arns)
          // A set of one: its latest attempt is the task to link and follow.
          const latest = arns[arns.length - 1]
          if (n === 1 && latest !== undefined) {
            logger.info(`Console: ${ecsTaskConsoleUrl(clients.region, rendered.cluster, latest)}`)
            logs.launched(latest)
          }
        },
        events: {
          stopped: (taskArn, end, index, attempt) => logs.ended(taskArn, end, index, attempt)
        }
      },
      {
        baseRequest: runTaskRequest(inputs, rendered, deps.env, taskDefinitionArn),
        appCommand: inputs.command,
        appEnv: inputs.env,
        specs: inputs.tasks,
        maxParallel: inputs.maxParallel,
        launchRate: inputs.launchRate,
        failFast: inputs.failFast,
        wait: inputs.wait,
        prefix,
        pollIntervalSeconds: inputs.pollIntervalSeconds,
        verifyIntervalSeconds: inputs.verifyIntervalSeconds,
        ...(inputs.timeoutSeconds !== undefined ? { timeoutSeconds: inputs.timeoutSeconds } : {}),
        stopOnCancel: inputs.stopOnCancel,
        signal: deps.cancelSignal,
        runUrl: runUrl(deps.env),
        scaleOut: {
          group: rendered.autoscalingGroupForOneshot,
          topic: rendered.autoscalingTopicForOneshot,
          taskResources: taskResourcesOf(rendered.registerRequest)
        },
        retry: { attempts: inputs.attempts, rules: inputs.retryOn },
        ...(rerun.plan.only !== undefined ? { only: rerun.plan.only } : {})
      }
    )
  )
}

/**
 * The task logs while the set runs: one task is followed live from the moment RunTask returns
 * (`follow-logs`), and drained before the report; in a set of more, each failed task's last
 * `log-lines` lines print as it ends (src/logs/task-set-logs.ts says why).
 */
interface TaskLogs {
  launched(taskArn: string): void
  ended(
    taskArn: string,
    end: TaskEnd,
    index: number | undefined,
    attempt?: { attempt: number; retried: boolean }
  ): void
  finish(outcome: TaskSetOutcome): Promise<FollowResult | undefined>
  /** Ends any log read at once (after `finish`, or when the run failed). */
  close(): void
}

function taskLogs(ctx: RunContext): TaskLogs {
  const { deps, inputs, rendered, clients } = ctx
  const { clock, logger } = deps
  const live = inputs.wait && taskSetLogMode(inputs.tasks.length) === 'follow'
  // Ends the follower's reads at once when the step is over, whatever happened.
  const done = new AbortController()
  let follower: Follower | undefined
  const tails =
    inputs.wait && !live
      ? new FailedTaskTails(
          { logs: clients.logs, clock, logger },
          {
            region: clients.region,
            logConfiguration: rendered.appLogConfiguration,
            logLines: inputs.logLines,
            signal: deps.cancelSignal
          }
        )
      : undefined
  let tailsPrinted: Promise<void> = Promise.resolve()
  return {
    launched(taskArn) {
      if (!live || follower !== undefined) return
      follower = followAppLogs(
        { logs: clients.logs, region: clients.region, clock, random: deps.random, logger },
        {
          enabled: inputs.followLogs,
          logConfiguration: rendered.appLogConfiguration,
          taskArn,
          startedAt: clock.now(),
          keepLines: inputs.logLines,
          signal: done.signal
        }
      )
    },
    ended(taskArn, end, index, attempt) {
      if (live && attempt?.retried === true && follower !== undefined) {
        // The retried attempt's lines were printed as it ran; drain them, then follow the next.
        const previous = follower
        follower = undefined
        tailsPrinted = tailsPrinted.then(async () => {
          await previous.stop({
            ...(end.kind === 'stopped' && end.task.stoppedAt
              ? { stoppedAt: end.task.stoppedAt.getTime() }
              : {}),
            signal: deps.cancelSignal
          })
          logger.info(`Attempt ${attempt.attempt} of the task ended; its log lines are above`)
        })
        return
      }
      if (tails === undefined || index === undefined) return
      const exitCode = end.kind === 'stopped' ? exitCodeOf(end.task) : undefined
      tailsPrinted = tails.ended({
        index,
        taskArn,
        exitCode,
        failed: exitCode !== 0,
        ...(attempt !== undefined && (attempt.retried || attempt.attempt > 1)
          ? { attempt: attempt.attempt }
          : {})
      })
    },
    async finish(outcome) {
      await tailsPrinted
      const end = outcome.records[0]?.end
      return follower?.stop({
        ...(end?.kind === 'stopped' && end.task.stoppedAt
          ? { stoppedAt: end.task.stoppedAt.getTime() }
          : {}),
        signal: deps.cancelSignal
      })
    },
    close() {
      done.abort()
    }
  }
}

/** The S3 endpoint the SDK talks to, for the message when it cannot be reached. */
function s3EndpointOf(env: NodeJS.ProcessEnv, region: string): string {
  return env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? `https://s3.${region}.amazonaws.com`
}

/** The workflow run's URL, for StopTask reasons and logs. */
export function runUrl(env: NodeJS.ProcessEnv): string {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com'
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return 'outside GitHub Actions'
  return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
}
