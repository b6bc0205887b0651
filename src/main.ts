/**
 * The main step: one phase per log group (load, register, run, wait, report), and the only
 * place that fails the step. Everything external comes in through `MainDeps`.
 */
import type { RunTaskCommandInput, Task } from '@aws-sdk/client-ecs'
import type { AwsClients, ClientOptions } from './aws/clients.js'
import { loadAndRender } from './definition/index.js'
import type { RenderedDefinition } from './definition/rendered.js'
import { consoleTaskUrl, defaultStartedBy, launchTags, newClientToken } from './ecs/launch.js'
import { cacheSetting, resolveTaskDefinition, runResolved } from './ecs/resolve.js'
import { runTask } from './ecs/run-task.js'
import { runMany } from './fanout/run-many.js'
import { taskResourcesOf } from './ecs/scale-out.js'
import { stopTasks } from './ecs/stop-task.js'
import type { ActionInputs } from './inputs-types.js'
import { reportTask, type ReportIO } from './report/report.js'
import { STATE, saveList, type StateStore } from './state.js'
import type { Clock, Random } from './util/clock.js'
import { UserError, errorMessage } from './util/errors.js'
import type { Logger } from './util/logger.js'
import { chooseWaiter } from './wait/choose.js'
import { taskIdOf } from './wait/result.js'
import { resolveNotificationPrefix } from './wait/prefix.js'
import type { NotificationPrefix, TaskSnapshot, WaitOutcome } from './wait/types.js'

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

/** When the task start must have succeeded without a `timeout` (capacity retries). */
const DEFAULT_START_SECONDS = 600
/** How long to keep watching for STOPPED after StopTask on a timeout. */
const STOP_CONFIRM_SECONDS = 60
/** After StopTask on cancel: the runner sends SIGTERM 7.5 s after SIGINT (REFERENCE.md §3). */
const CANCEL_CONFIRM_SECONDS = 4

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
    const run = inputs.tasks.length > 1 ? runFanOut : runOne
    // A revision read from the bucket may have been deregistered since: replaced once.
    await runResolved(
      resolved,
      (taskDefinitionArn) => run({ deps, inputs, rendered, clients, taskDefinitionArn, prefix }),
      {
        logger,
        onReplaced: (replacement) => {
          deps.setOutput('task-definition-arn', replacement.taskDefinitionArn)
          deps.setOutput('registered', String(replacement.registered))
        }
      }
    )
  } catch (error) {
    if (error instanceof UserError) {
      deps.setFailed(error.message)
    } else {
      if (error instanceof Error && error.stack) logger.debug(error.stack)
      deps.setFailed(errorMessage(error))
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

/** What the run phases share once the task definition is resolved. */
interface RunContext {
  deps: MainDeps
  inputs: ActionInputs
  rendered: RenderedDefinition
  clients: AwsClients
  taskDefinitionArn: string
  /** Where to wait: an S3 prefix; 'none' or undefined (none set) for the DescribeTasks waiter. */
  prefix: NotificationPrefix | 'none' | undefined
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

async function runOne(ctx: RunContext): Promise<void> {
  const { deps, inputs, rendered, clients, taskDefinitionArn } = ctx
  const { logger, clock, state } = deps
  const started = clock.now()
  const deadline = started + (inputs.timeoutSeconds ?? DEFAULT_START_SECONDS) * 1000
  const request = runTaskRequest(inputs, rendered, deps.env, taskDefinitionArn)
  const tasks: Task[] = await logger.group('Run the task', () =>
    runTask(
      {
        ecs: clients.ecs,
        clock,
        random: deps.random,
        logger,
        autoScaling: clients.autoScaling,
        sns: clients.sns
      },
      {
        request,
        clientToken: newClientToken(),
        deadline,
        signal: deps.cancelSignal,
        autoscalingGroup: rendered.autoscalingGroupForOneshot,
        autoscalingTopic: rendered.autoscalingTopicForOneshot,
        taskResources: taskResourcesOf(rendered.registerRequest),
        onStarted: (started) =>
          saveList(
            state,
            STATE.taskArns,
            started.map((t) => t.taskArn ?? '')
          )
      }
    )
  )
  const task = tasks[0]
  if (!task?.taskArn) throw new Error('RunTask returned no task')
  const taskArn = task.taskArn
  deps.setOutput('task-arn', taskArn)
  deps.setOutput('task-id', taskIdOf(taskArn))
  deps.setOutput('cluster', rendered.cluster)
  logger.info(`Console: ${consoleTaskUrl(clients.region, rendered.cluster, taskArn)}`)
  if (!inputs.wait) {
    // Left running on purpose: the post step must not stop it.
    saveList(state, STATE.settledArns, [taskArn])
    logger.info('wait: false, so the task is left running')
    return
  }
  // Aborted when this step is done, so no timer of ours keeps the process alive.
  const done = new AbortController()
  try {
    await waitAndReport({ ...ctx, taskArn, started, done: done.signal })
  } finally {
    done.abort()
  }
}

/** Many tasks from this one job (`count`/`tasks`): a work queue, one summary. */
async function runFanOut(ctx: RunContext): Promise<void> {
  const { deps, inputs, rendered, clients, taskDefinitionArn } = ctx
  const { logger, clock, state } = deps
  const prefix = ctx.prefix ?? 'none'
  const result = await logger.group(`Run ${inputs.tasks.length} tasks`, () =>
    runMany(
      {
        ecs: clients.ecs,
        s3: prefix === 'none' ? undefined : clients.s3(prefix.region),
        clock,
        random: deps.random,
        logger,
        saveStartedArns: (arns) => saveList(state, STATE.taskArns, arns),
        setOutput: (name, value) => deps.setOutput(name, value),
        writeSummary: (markdown) => deps.writeSummary(markdown)
      },
      {
        baseRequest: runTaskRequest(inputs, rendered, deps.env, taskDefinitionArn),
        appCommand: inputs.command,
        appEnv: inputs.env,
        specs: inputs.tasks,
        maxParallel: inputs.maxParallel,
        launchRate: inputs.launchRate,
        failFast: inputs.failFast,
        prefix,
        pollIntervalSeconds: inputs.pollIntervalSeconds,
        verifyIntervalSeconds: inputs.verifyIntervalSeconds,
        deadline:
          inputs.timeoutSeconds !== undefined
            ? clock.now() + inputs.timeoutSeconds * 1000
            : undefined,
        stopOnCancel: inputs.stopOnCancel,
        signal: deps.cancelSignal,
        appLogConfiguration: rendered.appLogConfiguration,
        region: clients.region,
        failOnError: inputs.failOnError
      }
    )
  )
  saveList(state, STATE.settledArns, result.settledArns)
  deps.setOutput('cluster', rendered.cluster)
  if (result.failureMessage !== undefined) deps.setFailed(result.failureMessage)
}

interface WaitContext extends RunContext {
  taskArn: string
  /** When RunTask was first called (clock ms): the timeout counts from here. */
  started: number
  done: AbortSignal
}

async function waitAndReport(ctx: WaitContext): Promise<void> {
  const { deps, inputs, rendered, clients, taskDefinitionArn, taskArn, started, done } = ctx
  const { logger, clock, state } = deps
  const prefix = ctx.prefix === 'none' ? undefined : ctx.prefix
  const timeoutSignal =
    inputs.timeoutSeconds !== undefined
      ? abortAfter(clock, inputs.timeoutSeconds * 1000 - (clock.now() - started), done)
      : undefined
  const waitSignal = timeoutSignal
    ? AbortSignal.any([deps.cancelSignal, timeoutSignal])
    : deps.cancelSignal
  const waiterDeps = {
    ecs: clients.ecs,
    s3: prefix ? clients.s3(prefix.region) : undefined,
    clock,
    random: deps.random,
    logger
  }
  const waitFor = chooseWaiter(ctx.prefix, logger)
  const waitOptions = {
    taskArn,
    cluster: rendered.cluster,
    prefix,
    pollIntervalSeconds: inputs.pollIntervalSeconds,
    verifyIntervalSeconds: inputs.verifyIntervalSeconds
  }
  // A wait that fails (a denied DescribeTasks, a task ECS never shows) ends like a timeout:
  // the task is stopped and reported, and the step fails with what went wrong.
  let waitError: unknown
  let outcome: WaitOutcome = await logger
    .group('Wait for the task to stop', () =>
      waitFor(waiterDeps, { ...waitOptions, signal: waitSignal })
    )
    .catch((error: unknown): WaitOutcome => {
      waitError = error
      return { kind: 'aborted' }
    })

  let failure: string | undefined
  let unfinished: 'timed-out' | 'cancelled' | undefined
  let last: TaskSnapshot | undefined = outcome.kind === 'stopped' ? outcome.task : outcome.last
  if (outcome.kind === 'aborted') {
    const cancelled = deps.cancelSignal.aborted
    unfinished = cancelled ? 'cancelled' : 'timed-out'
    const why = cancelled
      ? 'the workflow run was cancelled'
      : waitError !== undefined
        ? 'the action could not wait for it'
        : `the timeout of ${inputs.timeoutSeconds}s was reached`
    failure = cancelled
      ? 'The workflow run was cancelled while the task was running'
      : waitError !== undefined
        ? `Could not wait for ${taskArn}: ${errorMessage(waitError)}`
        : `Timed out after ${inputs.timeoutSeconds}s waiting for ${taskArn} to stop`
    if (inputs.stopOnCancel) {
      const { failed } = await stopTasks(
        { ecs: clients.ecs, clock, random: deps.random, logger },
        {
          cluster: rendered.cluster,
          taskArns: [taskArn],
          reason: `Stopped by hako-oneshot-action: ${why} (${runUrl(deps.env)})`
        }
      )
      if (failed.length === 0) {
        saveList(state, STATE.settledArns, [taskArn])
        // Watch a little longer so the report shows how the task ended.
        const confirm = AbortSignal.any([
          cancelled ? new AbortController().signal : deps.cancelSignal,
          abortAfter(
            clock,
            (cancelled ? CANCEL_CONFIRM_SECONDS : STOP_CONFIRM_SECONDS) * 1000,
            done
          )
        ])
        outcome = await waitFor(waiterDeps, {
          ...waitOptions,
          verifyIntervalSeconds: Math.min(inputs.verifyIntervalSeconds || 5, 5),
          signal: confirm
        }).catch((): WaitOutcome => ({ kind: 'aborted' }))
        last = outcome.kind === 'stopped' ? outcome.task : (outcome.last ?? last)
      }
    } else {
      saveList(state, STATE.settledArns, [taskArn])
      logger.warning(`stop-on-cancel is false, so ${taskArn} is left running`)
    }
  } else {
    saveList(state, STATE.settledArns, [taskArn])
  }

  const exitCode = await logger.group('Report', () =>
    reportTask(deps, {
      clients,
      rendered,
      taskArn,
      taskDefinitionArn,
      snapshot: last,
      stopped: outcome.kind === 'stopped',
      unfinished: outcome.kind === 'stopped' ? undefined : unfinished,
      logLines: inputs.logLines,
      durationMs: deps.clock.now() - started
    })
  )
  if (failure !== undefined) {
    deps.setFailed(failure)
  } else if (exitCode.failureMessage !== undefined && inputs.failOnError) {
    deps.setFailed(exitCode.failureMessage)
  }
}

/** A signal that aborts after `ms` of the given clock, unless `done` aborts first. */
function abortAfter(clock: Clock, ms: number, done: AbortSignal): AbortSignal {
  const controller = new AbortController()
  void clock.sleep(ms, done).then(() => {
    if (!done.aborted) controller.abort()
  })
  return controller.signal
}

/** The workflow run's URL, for StopTask reasons and logs. */
export function runUrl(env: NodeJS.ProcessEnv): string {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com'
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return 'outside GitHub Actions'
  return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
}
