/**
 * The main step, wiring only: inputs → load → plan (src/plan.ts) → resolve the task definition
 * → run the plan (once more with a fresh revision when the cached one went stale) → record →
 * report → fail or not, one phase per log group, and the only place that fails the step. One
 * task is a set of one. Everything external comes in through `MainDeps`; the path of one task
 * through the floors is in docs/architecture.md.
 */
import type { AwsClients, ClientOptions } from './aws/clients.js'
import { loadAndRender } from './definition/index.js'
import type { RenderedDefinition } from './definition/rendered.js'
import { ecsTaskConsoleUrl } from './aws/console.js'
import {
  cacheSetting,
  resolveTaskDefinition,
  staleRevisionRefusal,
  type ResolvedTaskDefinition
} from './ecs/resolve.js'
import type { ActionInputs } from './inputs-types.js'
import type { FollowResult } from './logs/follow.js'
import type { ReportIO } from './report/report.js'
import { TaskSetLogs } from './logs/task-set-logs.js'
import { STATE, saveList, type StateStore } from './state.js'
import { reportTaskSet } from './report/set.js'
import { runTaskSet } from './tasks/run-set.js'
import type { TaskEvents, TaskSetOutcome } from './model/outcome.js'
import type { RunPlan } from './tasks/plan.js'
import { openLedger, type LedgerStart } from './tasks/ledger.js'
import { runAttemptOf } from './tasks/rerun.js'
import { waitTargets } from './wait-mode.js'
import { logsLink } from './logs/logs.js'
import { UserError, foreignErrorMessage } from './util/errors.js'
import { gitHubContextOf } from './util/github.js'
import type { Logger } from './util/logger.js'
import type { Runtime } from './util/runtime.js'
import { planRun, planWithNetwork, stepRequest, type PlanSources } from './plan.js'
import { serviceNetworkFor } from './ecs/service-network.js'
import { ExecHints } from './ecs/execute-command.js'
import { resolveNotificationPrefix } from './wait/prefix.js'
import { summarizeRun } from './summary-mode.js'

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
    if (inputs.mode === 'summary') {
      const failure = await summarizeRun(deps, { inputs, rendered })
      if (failure !== undefined) deps.setFailed(failure)
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
    if (inputs.mode === 'wait') {
      // For the post step: where to stop what this step waits on, when it is cancelled.
      state.save(STATE.cluster, rendered.cluster)
      state.save(STATE.region, clients.region)
      const bucket = prefix === 'none' ? undefined : prefix
      const targets = await logger.group('Find the tasks to wait on', () =>
        waitTargets(
          {
            ecs: clients.ecs,
            s3: bucket && clients.s3(bucket.region),
            clock: deps.clock,
            random: deps.random,
            logger,
            signal: deps.cancelSignal
          },
          {
            taskArns: inputs.taskArns,
            ...(inputs.jobs !== undefined ? { jobs: inputs.jobs } : {}),
            cluster: rendered.cluster,
            region: clients.region,
            ...(bucket !== undefined ? { prefix: bucket } : {}),
            env: deps.env
          }
        )
      )
      // Nothing starts, so nothing runs again: one attempt, every task adopted.
      const waiting = { ...inputs, tasks: targets.specs, attempts: 1, wait: true }
      const now = deps.clock.now()
      await runAndReport({
        deps,
        inputs: waiting,
        rendered,
        clients,
        plan: planRun({ inputs: waiting, rendered, github, prefix, env: deps.env, now }),
        start: {
          runAttempt: runAttemptOf(deps.env),
          plan: targets.plan,
          ...(targets.ledger !== undefined ? { ledger: targets.ledger } : {}),
          waitOnly: true
        }
      })
      return
    }
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
  /** The task definition to run; absent in mode: wait, which starts nothing. */
  resolved?: ResolvedTaskDefinition
  plan: RunPlan
  /** What the ledger says before the set runs; absent: read it (openLedger). */
  start?: LedgerStart & { waitOnly?: boolean }
}

/**
 * Runs the task set of `count`, `tasks` or neither (one task): run the plan; if the revision
 * from the bucket went stale, replace it and run again; record; report; fail or not.
 */
async function runAndReport(ctx: RunContext): Promise<void> {
  const { deps, inputs, rendered, clients } = ctx
  const { logger, state } = deps
  const bucket = ctx.plan.prefix === 'none' ? undefined : ctx.plan.prefix
  const rerun =
    ctx.start ??
    (await openLedger(
      { s3: bucket && clients.s3(bucket.region), clock: deps.clock, random: deps.random, logger },
      {
        bucket,
        env: deps.env,
        jobIndex: inputs.fanOut.jobIndex,
        jobTotal: inputs.fanOut.jobTotal,
        rerun: inputs.rerun,
        specs: inputs.tasks,
        cluster: rendered.cluster,
        region: clients.region,
        ...(ctx.plan.rule !== undefined ? { rule: ctx.plan.rule } : {}),
        logsUrlOf: (taskArn) => {
          const link = logsLink({
            logConfiguration: rendered.appLogConfiguration,
            taskArn,
            taskRegion: clients.region
          })
          return 'url' in link ? link.url : undefined
        }
      }
    ))
  const logs = new TaskSetLogs(
    { logs: clients.logs, region: clients.region, clock: deps.clock, random: deps.random, logger },
    {
      tasks: inputs.tasks.length,
      wait: inputs.wait,
      follow: inputs.followLogs,
      logConfiguration: rendered.appLogConfiguration,
      logLines: inputs.logLines,
      fanOut: inputs.fanOut,
      signal: deps.cancelSignal,
      ...(ctx.plan.rule !== undefined ? { rule: ctx.plan.rule } : {})
    }
  )
  let resolved = ctx.resolved
  let outcome: TaskSetOutcome
  let followed: FollowResult | undefined
  try {
    let ran = await runSet(ctx, logs, resolved?.taskDefinitionArn, rerun)
    const refusal = resolved && staleRevisionRefusal(resolved, ran)
    if (resolved && refusal !== undefined && resolved.replaceStale !== undefined) {
      // A revision read from the bucket may have been deregistered since: replaced once.
      logger.warning(
        `RunTask refused ${resolved.taskDefinitionArn} from the task definition cache ` +
          `(${refusal}); resolving the task definition again`
      )
      resolved = await resolved.replaceStale()
      deps.setOutput('task-definition-arn', resolved.taskDefinitionArn)
      deps.setOutput('registered', String(resolved.registered))
      ran = await runSet(ctx, logs, resolved.taskDefinitionArn, rerun)
    }
    if (ran.outcome === undefined) throw ran.error
    outcome = ran.outcome
    saveList(state, STATE.settledArns, outcome.settledArns)
    deps.setOutput('cluster', rendered.cluster)
    followed = await logs.finish(outcome.records[0]?.end)
  } finally {
    // Whatever happened, no log read of ours outlives the run.
    logs.close()
  }
  const failure = await logger.group('Report', () =>
    reportTaskSet(deps, outcome, {
      clients,
      rendered,
      ...(resolved !== undefined ? { taskDefinitionArn: resolved.taskDefinitionArn } : {}),
      logLines: inputs.logLines,
      followed,
      tail: (place, lines) => logs.tail(place, lines),
      ...(ctx.plan.rule !== undefined ? { rule: ctx.plan.rule } : {}),
      failOnError: inputs.failOnError,
      stopOnCancel: inputs.stopOnCancel,
      timeoutSeconds: inputs.timeoutSeconds,
      onTimeout: inputs.onTimeout,
      maxRunTimeSeconds: inputs.maxRunTimeSeconds,
      wait: inputs.wait,
      runAttempt: rerun.runAttempt,
      earlier: rerun.plan.earlier
    })
  )
  if (failure !== undefined) deps.setFailed(failure)
}

/**
 * Runs the plan with `taskDefinitionArn`: launches the task set and waits for it. The outcome,
 * or the error it threw; `startError` is RunTask's error when the set started no task at all.
 */
async function runSet(
  ctx: RunContext,
  events: TaskEvents,
  taskDefinitionArn: string | undefined,
  rerun: LedgerStart & { waitOnly?: boolean }
): Promise<{ outcome?: TaskSetOutcome; error?: unknown; startError?: string }> {
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
  try {
    const outcome = await logger.group(n === 1 ? 'Run the task' : `Run ${n} tasks`, () =>
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
            // A set of one: its latest attempt is the task to link.
            const latest = arns[arns.length - 1]
            if (n === 1 && latest !== undefined) {
              logger.info(`Console: ${ecsTaskConsoleUrl(clients.region, rendered.cluster, latest)}`)
            }
          },
          events: {
            launched: (taskArn, index) => events.launched?.(taskArn, index),
            started: (taskArn, task) => {
              events.started?.(taskArn, task)
              exec?.running(taskArn)
            },
            stopped: (taskArn, end, index, attempt) =>
              events.stopped?.(taskArn, end, index, attempt)
          }
        },
        {
          ...plan,
          baseRequest: { ...plan.baseRequest, taskDefinition: taskDefinitionArn },
          ...(rerun.waitOnly === true ? { waitOnly: true } : {}),
          signal: deps.cancelSignal,
          retry: { attempts: inputs.attempts, rules: inputs.retryOn },
          ...(rerun.plan.only !== undefined ? { only: rerun.plan.only } : {}),
          ...(rerun.ledger !== undefined ? { ledger: rerun.ledger } : {}),
          rerun: rerun.plan
        }
      )
    )
    const started = outcome.records.some((r) => r.taskArn !== undefined)
    const startError = started ? undefined : outcome.records.find((r) => r.error)?.error
    return { outcome, ...(startError !== undefined ? { startError } : {}) }
  } catch (error) {
    return { error }
  }
}

/** The S3 endpoint the SDK talks to, for the message when it cannot be reached. */
function s3EndpointOf(env: NodeJS.ProcessEnv, region: string): string {
  return env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? `https://s3.${region}.amazonaws.com`
}
