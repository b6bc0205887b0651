/**
 * Per-task RunTask requests and their batching (pure). Each task's app container command and
 * env are the step's with the task's own on top, put into the request once (requestFor); tasks
 * whose overrides are identical may share one RunTask call, up to ECS's `count` limit of 10
 * (docs/limits.md, "RunTask count").
 */
import type { ContainerOverride, RunTaskCommandInput, TaskOverride } from '@aws-sdk/client-ecs'
import type { TaskSpec } from '../model/task.js'
import { APP_CONTAINER } from '../model/task-state.js'

/**
 * The app container's command and environment of one task, as RunTask overrides them, and the
 * task's own task-level overrides (a `tasks` element's role, cpu, ...) over the step's.
 */
export type AppCommandEnv = Pick<ContainerOverride, 'command' | 'environment'> & {
  task?: Omit<TaskOverride, 'containerOverrides'>
}

/** RunTask starts at most 10 tasks per call (docs/limits.md, "RunTask count"). */
export const MAX_RUN_TASK_COUNT = 10

/**
 * The app container's command and environment for one task: the spec's command, else the
 * step's; the step's env with the spec's env over it (the spec wins, names keep their first
 * position), as ECS `environment` pairs.
 */
export function appOverrideOf(
  spec: TaskSpec,
  step: { command?: string[]; env: Record<string, string> }
): AppCommandEnv {
  const command = spec.command ?? step.command
  const env = { ...step.env, ...spec.env }
  const environment = Object.entries(env).map(([name, value]) => ({ name, value }))
  return {
    ...(command !== undefined ? { command: [...command] } : {}),
    ...(environment.length > 0 ? { environment } : {})
  }
}

/**
 * The RunTask request of one call: `base` (which carries no command or environment for the
 * app container) with the app's `command` and `environment` put into its app container
 * override, after its name and before its resources, and `count` set; the other containers'
 * overrides are kept. No empty override is ever sent: when nothing is set for any container,
 * the request has no `overrides`.
 */
export function requestFor(
  base: RunTaskCommandInput,
  app: AppCommandEnv,
  count: number
): RunTaskCommandInput {
  const { task, ...commandEnv } = app
  const containers = base.overrides?.containerOverrides ?? []
  const existing = containers.find((c) => c.name === APP_CONTAINER)
  // The task's own command and env win; the name first and them next, as hako orders them.
  const appOverride: ContainerOverride = {
    name: APP_CONTAINER,
    ...commandEnv,
    ...existing,
    ...commandEnv
  }
  const containerOverrides = existing
    ? containers.map((c) => (c === existing ? appOverride : c))
    : Object.keys(appOverride).length > 1
      ? [appOverride, ...containers]
      : containers
  const request: RunTaskCommandInput = { ...base, count }
  delete request.clientToken
  const taskLevel: Omit<TaskOverride, 'containerOverrides'> = { ...base.overrides, ...task }
  delete (taskLevel as TaskOverride).containerOverrides
  if (containerOverrides.length > 0) {
    request.overrides = { ...base.overrides, ...task, containerOverrides }
  } else if (Object.keys(taskLevel).length > 0) {
    request.overrides = taskLevel
  } else {
    delete request.overrides
  }
  return request
}

/** A stable text of an app override: equal texts mean the tasks may share a RunTask call. */
export function overrideKey(app: AppCommandEnv): string {
  const key: unknown[] = [app.command ?? null, app.environment ?? []]
  return JSON.stringify(app.task === undefined ? key : [...key, app.task])
}

/**
 * The next RunTask call from the queue: the first queued task, plus the next queued tasks with
 * the same override key, up to `max` in all (at most MAX_RUN_TASK_COUNT). Returns the chosen
 * indexes, in queue order; `queue` itself is not changed.
 */
export function nextBatch(
  queue: readonly number[],
  keys: readonly string[],
  max: number
): number[] {
  const first = queue[0]
  if (first === undefined) return []
  const limit = Math.max(1, Math.min(MAX_RUN_TASK_COUNT, Math.floor(max)))
  const key = keys[first]
  const chosen = [first]
  for (let i = 1; i < queue.length && chosen.length < limit; i++) {
    const index = queue[i] as number
    if (keys[index] === key) chosen.push(index)
  }
  return chosen
}
