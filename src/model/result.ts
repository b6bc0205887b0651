/**
 * The result model (pure): one status vocabulary for a task of a set, one rule for whether a task
 * succeeded, and the result of a task as it is reported, recorded and read back. The work queue,
 * the retry rules, re-runs, the report and the outputs all decide through this module.
 *
 * The default rule is hako's: the task's result is the `app` container's exit code, 127 when it
 * stopped without one (docs/hako.md, "Exit code"). `ResultRule` (the `exit-code-container`
 * input) names another deciding container, or asks every essential container to exit 0: then the
 * task's code is the first non-zero one in definition order, else 0.
 */
import type { TaskRecord } from './outcome.js'
import { MISSING_EXIT_CODE, APP_CONTAINER } from './task-state.js'
import type { ContainerOutcome, TaskEnd, TaskSnapshot } from './task.js'

/** Where one task of a set stands, in every place that says it: code, outputs and summaries. */
export const TASK_STATUSES = [
  /** It stopped with exit code 0. */
  'succeeded',
  /** It stopped on its own with another exit code, could not start, or was lost. */
  'failed',
  /** The action stopped it (fail-fast, cancel, timeout) and it did not exit 0. */
  'stopped',
  /** It started, and its end was not seen. */
  'unfinished',
  /** It was never launched. */
  'not-started'
] as const

export type TaskStatus = (typeof TASK_STATUSES)[number]

/** Which container's exit code is the task's: one by name, or every essential one. */
export type ResultRule =
  | { container: string }
  /** Every essential container, in definition order, must exit 0. */
  | { essential: readonly string[] }

/** hako's rule: the `app` container decides. */
export const APP_RULE: ResultRule = { container: APP_CONTAINER }

/** The containers whose exit codes the rule reads, in its order. */
function decidingNames(rule: ResultRule): readonly string[] {
  return 'container' in rule ? [rule.container] : rule.essential
}

/**
 * The deciding container of a snapshot, if the task has one: the named one; with every
 * essential container deciding, the first whose code is not 0 (or missing), else the first.
 */
export function decidingContainer(
  snapshot: TaskSnapshot,
  rule: ResultRule = APP_RULE
): ContainerOutcome | undefined {
  const byName = (name: string) => snapshot.containers.find((c) => c.name === name)
  const names = decidingNames(rule)
  const failed = names.find((name) => (byName(name)?.exitCode ?? MISSING_EXIT_CODE) !== 0)
  return byName(failed ?? names[0] ?? '')
}

/**
 * The task's exit code: the deciding container's exitCode; 127 when it stopped without one
 * (image pull failure, task stopped before start, no such container in the task). With every
 * essential container deciding: the first code that is not 0, in definition order, else 0.
 */
export function taskExitCode(snapshot: TaskSnapshot, rule: ResultRule = APP_RULE): number {
  for (const name of decidingNames(rule)) {
    const code = snapshot.containers.find((c) => c.name === name)?.exitCode ?? MISSING_EXIT_CODE
    if (code !== 0) return code
  }
  return 0
}

/**
 * True for a STOPPED state that a newer event may still complete: an essential container
 * exited, yet a deciding container has neither an exit code nor a reason. The ECS agent has
 * sent such an event before the exit codes were known, followed by a complete one
 * (docs/ecs-events.md, "STOPPED without exit codes").
 */
export function isIncompleteStop(snapshot: TaskSnapshot, rule: ResultRule = APP_RULE): boolean {
  if (snapshot.lastStatus !== 'STOPPED' || snapshot.stopCode !== 'EssentialContainerExited') {
    return false
  }
  return decidingNames(rule).some((name) => {
    const c = snapshot.containers.find((x) => x.name === name)
    return c !== undefined && c.exitCode === undefined && c.reason === undefined
  })
}

/** The words of a rule for messages: `the app container`, `every essential container`. */
export function ruleText(rule: ResultRule): string {
  return 'container' in rule ? `the ${rule.container} container` : 'every essential container'
}

/** True when the task's end was seen and its exit code is 0: the one success rule. */
export function succeeded(end: TaskEnd | undefined, rule: ResultRule = APP_RULE): boolean {
  return end?.kind === 'stopped' && taskExitCode(end.task, rule) === 0
}

/** The status of one task of a set from its record. */
export function statusOf(
  record: Pick<TaskRecord, 'state' | 'end' | 'stopRequested'>,
  rule: ResultRule = APP_RULE
): TaskStatus {
  switch (record.state) {
    case 'not-started':
      return 'not-started'
    case 'start-failed':
      return 'failed'
    case 'running':
      return 'unfinished'
    case 'ended':
      if (record.end === undefined) return 'not-started'
      if (succeeded(record.end, rule)) return 'succeeded'
      return record.end.kind === 'stopped' && record.stopRequested ? 'stopped' : 'failed'
  }
}

/**
 * A task's result as a run records it and a later run attempt reads it back (the run records,
 * src/tasks/rerun.ts): plain JSON, no environment value.
 */
export interface RecordedResult {
  index: number
  /** The workflow run attempt (GITHUB_RUN_ATTEMPT) it ran in. */
  runAttempt: number
  status: Extract<TaskStatus, 'succeeded' | 'failed'>
  exitCode: number | null
  taskArn: string | null
  stopCode: string | null
  stoppedReason: string | null
  /** Task attempts it took in that run attempt (retry-on). */
  attempts: number
  startedAt: string | null
  stoppedAt: string | null
}
