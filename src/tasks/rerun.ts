/**
 * A re-run finishes the work instead of redoing it: from the newest ledger entry of each task
 * (src/tasks/ledger.ts reads them from `<prefix>/runs/<run id>/`, docs/retries.md, "The
 * ledger"), `planRerun` says which tasks a later attempt of the workflow run (GITHUB_RUN_ATTEMPT
 * above 1) skips, adopts, sends again or starts. An entry holds no environment value: a
 * fingerprint of the task's command and env names (never values) tells a changed task, which
 * is run again rather than trusted. Pure.
 */
import { createHash } from 'node:crypto'
import type { LedgerEntry, LedgerTask } from '../model/ledger.js'
import type { RecordedResult } from '../model/result.js'
import type { TaskSpec } from '../model/task.js'

/** The workflow run attempt: GITHUB_RUN_ATTEMPT, 1 when absent or not a number. */
export function runAttemptOf(env: NodeJS.ProcessEnv): number {
  const n = Number(env.GITHUB_RUN_ATTEMPT)
  return Number.isSafeInteger(n) && n >= 1 ? n : 1
}

/** A fingerprint of a task: its command and the names (not values) of its env. */
export function specFingerprint(spec: TaskSpec): string {
  const text = JSON.stringify([spec.command ?? null, Object.keys(spec.env).sort()])
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** A task an earlier run attempt started whose end it never recorded: this attempt adopts it. */
export interface Adoption extends LedgerTask {
  taskArn: string
}

/** What a run does about earlier attempts. */
export interface RerunPlan {
  /** Indexes to start or adopt, in order; undefined: all. */
  only?: number[]
  /** Indexes that succeeded in an earlier attempt, with their result. */
  earlier: Map<number, RecordedResult>
  /** Tasks started by an earlier attempt whose end was never recorded: waited on, not started. */
  adopt?: Map<number, Adoption>
  /**
   * Tasks an earlier attempt meant to start whose start was never recorded: RunTask is sent
   * again with the token it used, so ECS answers with the task if it started one (docs/retries.md).
   */
  resend?: Map<number, LedgerTask>
  /** The first task attempt of this run attempt, by index, where it is not 1. */
  firstAttempt?: Map<number, number>
}

/** The result of a task that succeeded in an earlier run attempt, as the report shows it. */
function earlierResult(entry: LedgerEntry): RecordedResult {
  return {
    index: entry.index,
    runAttempt: entry.runAttempt,
    status: 'succeeded',
    exitCode: entry.exitCode,
    taskArn: entry.taskArn,
    stopCode: entry.stopCode,
    stoppedReason: entry.stoppedReason,
    attempts: entry.taskAttempt,
    startedAt: entry.startedAt,
    stoppedAt: entry.stoppedAt
  }
}

/**
 * What to do with each task (pure), from the newest ledger entry of each index: on run attempt
 * 1 every task starts. Later, a task that succeeded before is not started again (`rerun:
 * failed`); one started before whose end was never recorded is adopted, under either `rerun`
 * setting (never doubled); one whose start was never recorded gets its RunTask again with the
 * same token; a failure, an end the action caused, and a task with no entry run again, their
 * task attempts counting on. An entry that does not fit the task (another set size or
 * fingerprint, or a later run attempt) is not trusted: that task runs.
 */
export function planRerun(input: {
  runAttempt: number
  rerun: 'failed' | 'all'
  specs: readonly TaskSpec[]
  entries: ReadonlyMap<number, LedgerEntry>
}): RerunPlan {
  const plan: RerunPlan = { earlier: new Map() }
  if (input.runAttempt <= 1) return plan
  const only: number[] = []
  const adopt = new Map<number, Adoption>()
  const resend = new Map<number, LedgerTask>()
  const firstAttempt = new Map<number, number>()
  input.specs.forEach((spec, index) => {
    const e = input.entries.get(index)
    const fits =
      e !== undefined &&
      e.tasks === input.specs.length &&
      e.spec === specFingerprint(spec) &&
      e.runAttempt < input.runAttempt
    if (!fits) {
      only.push(index)
      return
    }
    const { taskAttempt } = e
    if (e.status === 'succeeded' && input.rerun === 'failed') {
      plan.earlier.set(index, earlierResult(e))
      return
    }
    only.push(index)
    if (e.status === 'unfinished' && e.taskArn !== null && e.clientToken !== null) {
      adopt.set(index, { index, taskAttempt, clientToken: e.clientToken, taskArn: e.taskArn })
      firstAttempt.set(index, taskAttempt)
    } else if (e.status === 'intent' && e.clientToken !== null) {
      resend.set(index, { index, taskAttempt, clientToken: e.clientToken })
      firstAttempt.set(index, taskAttempt)
    } else {
      firstAttempt.set(index, taskAttempt + 1)
    }
  })
  if (only.length < input.specs.length) plan.only = only
  if (adopt.size > 0) plan.adopt = adopt
  if (resend.size > 0) plan.resend = resend
  if (firstAttempt.size > 0) plan.firstAttempt = firstAttempt
  return plan
}
