/**
 * The result model (pure): one status vocabulary for a task of a set, one rule for whether a task
 * succeeded, and the result of a task as it is reported, recorded and read back. The work queue,
 * the retry rules, re-runs, the report and the outputs all decide through this module.
 *
 * The rule today is hako's: the task's result is the `app` container's exit code, 127 when it
 * stopped without one (docs/hako.md, "Exit code"). `ResultRule` names the deciding container so a
 * caller can pass another one.
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

/** Which container's exit code is the task's. */
export interface ResultRule {
  container: string
}

/** hako's rule: the `app` container decides. */
export const APP_RULE: ResultRule = { container: APP_CONTAINER }

/** The deciding container of a snapshot, if the task has one. */
export function decidingContainer(
  snapshot: TaskSnapshot,
  rule: ResultRule = APP_RULE
): ContainerOutcome | undefined {
  return snapshot.containers.find((c) => c.name === rule.container)
}

/**
 * The task's exit code: the deciding container's exitCode; 127 when it stopped without one
 * (image pull failure, task stopped before start, no such container in the task).
 */
export function taskExitCode(snapshot: TaskSnapshot, rule: ResultRule = APP_RULE): number {
  return decidingContainer(snapshot, rule)?.exitCode ?? MISSING_EXIT_CODE
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
