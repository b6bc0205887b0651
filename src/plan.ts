/**
 * The run plan of the step, built once from the inputs, the rendered definition and the GitHub
 * context before any AWS call of the run (pure): each task's RunTask request (all but the task
 * definition ARN, known once resolved), where the wait goes, the fan-out. The task set runs it
 * (src/tasks/run-set.ts); the dry run prints its request.
 */
import type { RunTaskCommandInput } from '@aws-sdk/client-ecs'
import type { RenderedDefinition } from './definition/rendered.js'
import { DEADLINE_TAG, perAttemptSeconds, taskDeadline } from './ecs/deadline.js'
import { defaultStartedBy, launchTags } from './ecs/run-task-fields.js'
import { taskResourcesOf } from './ecs/scale-out.js'
import type { ActionInputs } from './inputs-types.js'
import type { NotificationPrefix } from './model/task.js'
import { appOverrideOf, requestFor } from './tasks/batch.js'
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
    DEADLINE_TAG in inputs.tags ? undefined : perAttemptSeconds({ ...inputs, env: sources.env })
  return {
    baseRequest: sharedRequest(sources),
    apps: inputs.tasks.map((spec) => appOverrideOf(spec, step)),
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
    runUrl: sources.github.runUrl ?? 'outside GitHub Actions',
    scaleOut: {
      group: rendered.autoscalingGroupForOneshot,
      topic: rendered.autoscalingTopicForOneshot,
      taskResources: taskResourcesOf(rendered.registerRequest)
    },
    fanOut: inputs.fanOut
  }
}

/**
 * The RunTask request of the step as the dry run prints it: the step's command and env in the
 * app container, no task's own (`count` and `tasks` vary them per task), `taskDefinition` the
 * family.
 */
export function stepRequest(sources: PlanSources): RunTaskCommandInput {
  const { command, env } = sources.inputs
  return requestFor(sharedRequest(sources), appOverrideOf({ env: {} }, { command, env }), 1)
}

/**
 * What every task's request shares: the rendered request, then startedBy, group and tags. Its
 * `overrides` keep their place before startedBy, as hako orders the request (an empty list
 * until requestFor puts a task's command and env in; no empty one is ever sent).
 */
function sharedRequest(sources: PlanSources): RunTaskCommandInput {
  const { inputs, rendered, github } = sources
  const deadline = taskDeadline({ ...inputs, now: sources.now, env: sources.env })
  const tags = launchTags(github, inputs.tags, deadline)
  return {
    ...rendered.runTaskRequest,
    overrides: rendered.runTaskRequest.overrides ?? { containerOverrides: [] },
    startedBy: inputs.startedBy ?? defaultStartedBy(github),
    ...(inputs.group !== undefined ? { group: inputs.group } : {}),
    ...(tags.length > 0 ? { tags } : {})
  }
}
