/**
 * The run plan of the step, built once from the inputs, the rendered definition and the GitHub
 * context before any AWS call of the run (pure): each task's RunTask request (all but the task
 * definition ARN, known once resolved), where the wait goes, the fan-out. The task set runs it
 * (src/tasks/run-set.ts); the dry run prints its request.
 */
import type { NetworkConfiguration, RunTaskCommandInput } from '@aws-sdk/client-ecs'
import type { RenderedDefinition } from './definition/rendered.js'
import { DEADLINE_TAG, perAttemptSeconds, taskDeadline } from './ecs/deadline.js'
import { defaultStartedBy, launchTags } from './ecs/run-task-fields.js'
import { taskResourcesOf } from './ecs/scale-out.js'
import type { ActionInputs } from './inputs-types.js'
import { APP_RULE, type ResultRule } from './model/result.js'
import { UserError } from './util/errors.js'
import type { NotificationPrefix } from './model/task.js'
import { taskOverrideOf } from './definition/run-overrides.js'
import { appOverrideOf, requestFor, type AppCommandEnv } from './tasks/batch.js'
import type { RunPlan } from './tasks/plan.js'
import type { GitHubContext } from './util/github.js'

/** What the plan is built from. */
export interface PlanSources {
  inputs: ActionInputs
  rendered: RenderedDefinition
  github: GitHubContext
  /** The resolved notification prefix; 'none' or undefined to wait through DescribeTasks. */
  prefix?: NotificationPrefix | 'none'
  /** The process environment (`RUNNER_ENVIRONMENT`, for the deadline). */
  env: NodeJS.ProcessEnv
  /** Epoch ms when the run began: the tasks' deadline counts from it (src/ecs/deadline.ts). */
  now: number
}

/** The plan of a run: the tasks' requests, the wait, the launch pace, the fan-out. */
export function planRun(sources: PlanSources): RunPlan {
  const { inputs, rendered } = sources
  const step = { command: inputs.command, env: inputs.env }
  // A deadline of the user's own `tags` entry is theirs: it is never moved.
  const perAttempt =
    DEADLINE_TAG in inputs.tags
      ? undefined
      : perAttemptSeconds({ ...inputs, wait: waitsForTasks(inputs), env: sources.env })
  return {
    baseRequest: sharedRequest(sources),
    apps: inputs.tasks.map((spec) => appOf(spec, step)),
    ...(inputs.maxParallel !== undefined ? { maxParallel: inputs.maxParallel } : {}),
    ...(inputs.launchRate !== undefined ? { launchRate: inputs.launchRate } : {}),
    failFast: inputs.failFast,
    wait: inputs.wait,
    prefix: inputs.wait ? sources.prefix : undefined,
    pollIntervalSeconds: inputs.pollIntervalSeconds,
    verifyIntervalSeconds: inputs.verifyIntervalSeconds,
    ...(inputs.timeoutSeconds !== undefined ? { timeoutSeconds: inputs.timeoutSeconds } : {}),
    ...(perAttempt !== undefined ? { attemptDeadlineSeconds: perAttempt } : {}),
    stopOnCancel: inputs.stopOnCancel,
    onTimeout: inputs.onTimeout,
    rule: resultRuleOf(
      inputs.exitCodeContainer,
      rendered.registerRequest.containerDefinitions ?? []
    ),
    runUrl: sources.github.runUrl ?? 'outside GitHub Actions',
    scaleOut: {
      group: rendered.autoscalingGroupForOneshot,
      topic: rendered.autoscalingTopicForOneshot,
      // The step's task-level cpu and memory overrides are what each task asks for.
      taskResources: taskResourcesOf({
        ...rendered.registerRequest,
        ...(inputs.runOverrides.cpu !== undefined ? { cpu: inputs.runOverrides.cpu } : {}),
        ...(inputs.runOverrides.memory !== undefined ? { memory: inputs.runOverrides.memory } : {})
      })
    },
    fanOut: inputs.fanOut
  }
}

/** One task's app command and env, and its own task-level overrides (a `tasks` element's). */
function appOf(
  spec: ActionInputs['tasks'][number],
  step: { command?: string[]; env: Record<string, string> }
): AppCommandEnv {
  const app: AppCommandEnv = appOverrideOf(spec, step)
  const task = taskOverrideOf(spec.overrides ?? {})
  return Object.keys(task).length > 0 ? { ...app, task } : app
}

/**
 * The RunTask request of the step as the dry run prints it: the step's command and env in the
 * app container, no task's own (`count` and `tasks` vary them per task), `taskDefinition` the
 * family. A value read from AWS at run time shows where it will be read from:
 * `"networkConfiguration": "<from service my-cluster/web at run time>"`.
 */
export function stepRequest(sources: PlanSources): RunTaskCommandInput {
  const { command, env, runOverrides } = sources.inputs
  const request = requestFor(
    sharedRequest(sources),
    appOverrideOf({ env: {} }, { command, env }),
    1
  )
  const service = runOverrides.networkFromService
  if (service === undefined) return request
  const shown = `<from service ${service.cluster}/${service.service} at run time>`
  return withNetwork(request, shown as NetworkConfiguration)
}

/**
 * The plan with the network read at run time (`network-from-service`) in its requests, in the
 * place RunTask's reference lists it (after the launch settings).
 */
export function planWithNetwork(plan: RunPlan, network: NetworkConfiguration): RunPlan {
  return { ...plan, baseRequest: withNetwork(plan.baseRequest, network) }
}

/** `request` with `networkConfiguration` set, placed before the first key that follows it. */
function withNetwork(
  request: RunTaskCommandInput,
  network: NetworkConfiguration
): RunTaskCommandInput {
  const after = new Set([
    'placementConstraints',
    'placementStrategy',
    'enableExecuteCommand',
    'propagateTags',
    'overrides',
    'startedBy',
    'group',
    'tags'
  ])
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(request)) {
    if (key === 'networkConfiguration') continue
    if (after.has(key) && !('networkConfiguration' in out)) out.networkConfiguration = network
    out[key] = value
  }
  if (!('networkConfiguration' in out)) out.networkConfiguration = network
  return out as unknown as RunTaskCommandInput
}

/**
 * What every task's request shares: the rendered request, then startedBy, group and tags. Its
 * `overrides` keep their place before startedBy, as hako orders the request (an empty list
 * until requestFor puts a task's command and env in; no empty one is ever sent).
 */
function sharedRequest(sources: PlanSources): RunTaskCommandInput {
  const { inputs, rendered, github } = sources
  const wait = waitsForTasks(inputs)
  const deadline = taskDeadline({ ...inputs, wait, now: sources.now, env: sources.env })
  const tags = launchTags(github, inputs.tags, deadline)
  return {
    ...rendered.runTaskRequest,
    overrides: rendered.runTaskRequest.overrides ?? { containerOverrides: [] },
    startedBy: inputs.startedBy ?? defaultStartedBy(github),
    ...(inputs.group !== undefined ? { group: inputs.group } : {}),
    ...(tags.length > 0 ? { tags } : {})
  }
}

/**
 * Whether the action waits for its tasks for the deadline rules: not with `wait: false`, and not
 * with `on-timeout: detach`, whose tasks outlive the job: only max-run-time bounds them.
 */
function waitsForTasks(inputs: Pick<ActionInputs, 'wait' | 'onTimeout'>): boolean {
  return inputs.wait && inputs.onTimeout !== 'detach'
}

/**
 * The rule of `exit-code-container` over the task's containers (in definition order): a
 * container of the task by name, every essential container (`all-essential`), or the app
 * container when the input is empty.
 * @throws UserError naming the input when the container is not one of the task's.
 */
export function resultRuleOf(
  input: string | undefined,
  containers: readonly { name?: string; essential?: boolean }[]
): ResultRule {
  if (input === undefined) return APP_RULE
  const names = containers.map((c) => c.name ?? '')
  if (input === ALL_ESSENTIAL) {
    // ECS takes a container without `essential` as essential.
    return { essential: containers.filter((c) => c.essential !== false).map((c) => c.name ?? '') }
  }
  if (names.includes(input)) return { container: input }
  throw new UserError(
    `Input 'exit-code-container' names '${input}', which is not a container of this task ` +
      `(${names.join(', ')}): give one of them, or ${ALL_ESSENTIAL}`
  )
}

/** `exit-code-container`'s value for every essential container. */
export const ALL_ESSENTIAL = 'all-essential'
