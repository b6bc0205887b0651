/**
 * The main step, wiring only: inputs → load → plan (src/plan.ts) → resolve the task definition
 * → run the plan → report → fail or not, one phase per log group, and the only place that
 * fails the step. One task is a set of one. Everything external comes in through `MainDeps`.
 */
import type { AwsClients, ClientOptions } from './aws/clients.js'
import { loadAndRender } from './definition/index.js'
import type { RenderedDefinition } from './definition/rendered.js'
import { ecsTaskConsoleUrl } from './aws/console.js'
import {
  cacheSetting,
  resolveTaskDefinition,
  runResolved,
  type ResolvedTaskDefinition
} from './ecs/resolve.js'
import type { ActionInputs } from './inputs-types.js'
import { followAppLogs, type Follower, type FollowResult } from './logs/follow.js'
import type { ReportIO } from './report/report.js'
import { FailedTaskTails, taskSetLogMode } from './logs/task-set-logs.js'
import { STATE, saveList, type StateStore } from './state.js'
import { reportTaskSet } from './report/set.js'
import { runTaskSet, type TaskEvents, type TaskSetOutcome } from './tasks/run-set.js'
import type { RunPlan } from './tasks/plan.js'
import { finishRerun, startRerun, type RerunState } from './tasks/rerun.js'
import { UserError, foreignErrorMessage } from './util/errors.js'
import { gitHubContextOf } from './util/github.js'
import type { Logger } from './util/logger.js'
import type { Runtime } from './util/runtime.js'
import { planRun, planWithNetwork, stepRequest, type PlanSources } from './plan.js'
import { serviceNetworkFor } from './ecs/service-network.js'
import { ExecHints } from './ecs/execute-command.js'
import { resolveNotificationPrefix } from './wait/prefix.js'
import { exitCodeOf } from './model/task-state.js'
import type { TaskEnd } from './model/task.js'

/** What the main step needs from the outside world. */
export interface MainDeps extends ReportIO, Runtime {
  readInputs(): ActionInputs
  createClients(options: ClientOptions): Promise<AwsClients>
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
    const github = gitHubContextOf(deps.env)
    const rendered = await logger.group('Load the hako definition', () => load(inputs, logger))
    if (inputs.mode === 'dry-run') {
      await dryRun(deps, { inputs, rendered, github, env: deps.env, now: deps.clock.now() })
      return
    }
    const clients = await deps.createClients({
      inputRegion: inputs.region,
      definitionRegion: rendered.region,
      scaleOut: rendered.autoscalingGroupForOneshot !== undefined,
      publish: rendered.autoscalingTopicForOneshot !== undefined
    })
    // Validated before any AWS call, so a typo costs no task.
    const prefix = resolveNotificationPrefix({
      input: inputs.notificationPrefix,
      definitionValue: rendered.notificationPrefix,
      definitionFile: inputs.definition,
      defaultRegion: clients.region
    })
    const plan = planRun({ inputs, rendered, github, prefix, env: deps.env, now: deps.clock.now() })
    const resolved = await logger.group('Register the task definition', () =>
      resolveTaskDefinition(
        { ecs: clients.ecs, clock: deps.clock, random: deps.random, logger },
        {
          registerRequest: rendered.registerRequest,
          taskDefinitionInput: inputs.taskDefinition,
          cache: cacheSetting({
            enabled: inputs.taskDefinitionCache,
            prefix,
            s3: (region) => clients.s3(region),
            region: clients.region,
            github,
            random: deps.random
          }),
          alone: inputs.fanOut.width === 1
        }
      )
    )
    deps.setOutput('task-definition-arn', resolved.taskDefinitionArn)
    deps.setOutput('registered', String(resolved.registered))
    if (inputs.mode === 'register') return
    // For the post step, before any task exists: where to stop what this step starts.
    state.save(STATE.cluster, rendered.cluster)
    state.save(STATE.region, clients.region)
    // `network-from-service`: one DescribeServices per run attempt and service, shared.
    const service = inputs.runOverrides.networkFromService
    const ready =
      service === undefined
        ? plan
        : planWithNetwork(
            plan,
            await logger.group(
              `Read the network of service ${service.cluster}/${service.service}`,
              () =>
                serviceNetworkFor(
                  { ecs: clients.ecs, clock: deps.clock, random: deps.random, logger },
                  { service, region: clients.region, prefix, s3: (r) => clients.s3(r), github }
                )
            )
          )
    await runAndReport({ deps, inputs, rendered, clients, resolved, plan: ready })
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
  // The inputs carry the definition's options under the same names (tag, containers, ...).
  const rendered = await loadAndRender(inputs.definition, inputs)
  for (const notice of rendered.notices) logger.notice(notice)
  const containers = rendered.registerRequest.containerDefinitions?.map((c) => c.name) ?? []
  logger.info(
    `${inputs.definition}: family ${rendered.family}, cluster ${rendered.cluster}, ` +
      `containers ${containers.join(', ')}`
  )
  return rendered
}

async function dryRun(deps: MainDeps, sources: PlanSources): Promise<void> {
  const { registerRequest } = sources.rendered
  const register = JSON.stringify(registerRequest, null, 2)
  const runTask = JSON.stringify(stepRequest(sources), null, 2)
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
  deps.setOutput('register-request', JSON.stringify(registerRequest))
  deps.setOutput('run-task-request', JSON.stringify(JSON.parse(runTask)))
}

/** What the run needs once the task definition is resolved. */
interface RunContext {
  deps: MainDeps
  inputs: ActionInputs
  rendered: RenderedDefinition
  clients: AwsClients
  resolved: ResolvedTaskDefinition
  plan: RunPlan
}

/** Runs the task set of `count`, `tasks` or neither (one task), reports it, fails or not. */
async function runAndReport(ctx: RunContext): Promise<void> {
  const { deps, inputs, rendered, clients } = ctx
  const { logger, state } = deps
  const logs = taskLogs(ctx)
  const bucket = ctx.plan.prefix === 'none' ? undefined : ctx.plan.prefix
  const records = { s3: bucket && clients.s3(bucket.region), logger }
  const rerun = await startRerun(records, {
    bucket,
    env: deps.env,
    jobIndex: inputs.fanOut.jobIndex,
    jobTotal: inputs.fanOut.jobTotal,
    rerun: inputs.rerun,
    specs: inputs.tasks
  })
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
    await finishRerun(records, rerun, outcome.records)
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
      followed,
      fanOut: inputs.fanOut,
      failOnError: inputs.failOnError,
      stopOnCancel: inputs.stopOnCancel,
      timeoutSeconds: inputs.timeoutSeconds,
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

/** Runs the plan with `taskDefinitionArn`: launches the task set and waits for it. */
function runSet(
  ctx: RunContext,
  logs: TaskLogs,
  taskDefinitionArn: string,
  rerun: RerunState
): Promise<TaskSetOutcome> {
  const { deps, inputs, rendered, clients, plan } = ctx
  const { clock, random, logger, state } = deps
  const n = plan.apps.length
  const bucket = plan.prefix === 'none' ? undefined : plan.prefix
  const exec =
    plan.baseRequest.enableExecuteCommand === true
      ? new ExecHints(logger, {
          cluster: rendered.cluster,
          region: clients.region,
          tasks: n,
          wait: plan.wait !== false
        })
      : undefined
  return logger.group(n === 1 ? 'Run the task' : `Run ${n} tasks`, () =>
    runTaskSet(
      {
        ecs: clients.ecs,
        autoScaling: clients.autoScaling,
        sns: clients.sns,
        clock,
        random,
        logger,
        s3: bucket && clients.s3(bucket.region),
        s3Endpoint: s3EndpointOf(deps.env, bucket?.region ?? clients.region),
        saveStartedArns: (arns) => {
          saveList(state, STATE.taskArns, arns)
          for (const arn of arns) exec?.launched(arn)
          // A set of one: its latest attempt is the task to link and follow.
          const latest = arns[arns.length - 1]
          if (n === 1 && latest !== undefined) {
            logger.info(`Console: ${ecsTaskConsoleUrl(clients.region, rendered.cluster, latest)}`)
            logs.launched(latest)
          }
        },
        events: {
          started: (taskArn) => exec?.running(taskArn),
          stopped: (taskArn, end, index, attempt) => logs.ended(taskArn, end, index, attempt)
        }
      },
      {
        ...plan,
        baseRequest: { ...plan.baseRequest, taskDefinition: taskDefinitionArn },
        signal: deps.cancelSignal,
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
  ended: NonNullable<TaskEvents['stopped']>
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
          { logs: clients.logs, clock, random: deps.random, logger },
          {
            region: clients.region,
            logConfiguration: rendered.appLogConfiguration,
            logLines: inputs.logLines,
            fanOut: inputs.fanOut,
            signal: deps.cancelSignal
          }
        )
      : undefined
  let tailsPrinted: Promise<void> = Promise.resolve()
  // Drains a follower, from the containers' exit when the awslogs driver sent their last lines.
  const drain = (f: Follower, end: TaskEnd | undefined): Promise<FollowResult> => {
    const exitedAt =
      end?.kind === 'stopped' ? (end.task.executionStoppedAt ?? end.task.stoppedAt) : undefined
    return f.stop({
      ...(exitedAt ? { exitedAt: exitedAt.getTime() } : {}),
      signal: deps.cancelSignal
    })
  }
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
          fanOut: inputs.fanOut,
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
          await drain(previous, end)
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
      return follower === undefined ? undefined : drain(follower, outcome.records[0]?.end)
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
