/**
 * Per-task RunTask requests and their batching (pure). Each task's app container override is
 * the step's command and env with the task's own on top; tasks whose overrides are identical
 * may share one RunTask call, up to ECS's `count` limit of 10 (docs/limits.md, "RunTask count").
 */
import type { ContainerOverride, KeyValuePair, RunTaskCommandInput } from '@aws-sdk/client-ecs'
import type { TaskSpec } from '../model/task.js'
import { APP_CONTAINER } from '../model/task-state.js'

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
): { command?: string[]; environment?: KeyValuePair[] } {
  const command = spec.command ?? step.command
  const env = { ...step.env, ...spec.env }
  const environment = Object.entries(env).map(([name, value]) => ({ name, value }))
  return {
    ...(command !== undefined ? { command: [...command] } : {}),
    ...(environment.length > 0 ? { environment } : {})
  }
}

/**
 * The RunTask request of one call: `base` with the app container's command and environment
 * replaced by `app` and `count` set. Every other field of the app override (cpu, memory,
 * memoryReservation) and the other containers' overrides are kept as they are.
 */
export function requestFor(
  base: RunTaskCommandInput,
  app: { command?: string[]; environment?: KeyValuePair[] },
  count: number
): RunTaskCommandInput {
  const overrides = base.overrides ?? {}
  const containers = overrides.containerOverrides ?? []
  const existing = containers.find((c) => c.name === APP_CONTAINER)
  const rest: ContainerOverride = { ...(existing ?? { name: APP_CONTAINER }) }
  delete rest.command
  delete rest.environment
  const appOverride: ContainerOverride = { ...rest, ...app }
  const containerOverrides = existing
    ? containers.map((c) => (c === existing ? appOverride : c))
    : [appOverride, ...containers]
  const request: RunTaskCommandInput = {
    ...base,
    count,
    overrides: { ...overrides, containerOverrides }
  }
  delete request.clientToken
  return request
}

/** A stable text of an app override: equal texts mean the tasks may share a RunTask call. */
export function overrideKey(app: { command?: string[]; environment?: KeyValuePair[] }): string {
  return JSON.stringify([app.command ?? null, app.environment ?? []])
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
