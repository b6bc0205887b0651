/**
 * Every attempt, reported (pure): the attempt outputs (`attempts` for one task, `task-attempts`
 * and `run-attempts` beside the list outputs), the results of tasks a re-run did not start
 * again (their earlier run attempt's record), and the job summary's list of attempts: task id,
 * stop code, reason and run time of each, and why it ran again.
 */
import { formatDuration } from '../util/duration.js'
import { escapeMarkdown } from './summary.js'
import { attemptsOf, type TaskRecord } from '../model/outcome.js'
import { appContainer, runTimeMs, taskIdOf } from '../model/task-state.js'
import type { TaskEnd } from '../model/task.js'
import type { RecordedResult } from '../model/result.js'
import { cut, type SetTaskResult } from './set-summary.js'

/** Adopted tasks named by index in the summary; the rest are counted. */
const ADOPTED_NAMED = 20

/** Reasons are cut to this many characters in an attempt row. */
const REASON_MAX = 300

/** Results of a set: the tasks of this attempt, and those a re-run took from an earlier one. */
export function withEarlier(
  results: readonly SetTaskResult[],
  earlier: ReadonlyMap<number, RecordedResult> | undefined
): SetTaskResult[] {
  if (earlier === undefined || earlier.size === 0) return [...results]
  return results.map((r) => {
    const e = earlier.get(r.index)
    if (e === undefined) return r
    const result: SetTaskResult = { index: r.index, status: 'succeeded' }
    if (e.taskArn !== null) result.taskArn = e.taskArn
    if (e.exitCode !== null) result.exitCode = e.exitCode
    if (e.startedAt !== null && e.stoppedAt !== null) {
      result.durationMs = Date.parse(e.stoppedAt) - Date.parse(e.startedAt)
    }
    return result
  })
}

/**
 * The attempt outputs: `task-attempts` (attempts of each task in task order, 0 for one never
 * started; an earlier run attempt's count for a task a re-run did not start), `run-attempts`
 * (the run attempt whose result each entry is, null for a task with no result), and
 * `attempts` for a set of one task.
 */
export function attemptOutputs(
  records: readonly TaskRecord[],
  options: { runAttempt: number; earlier?: ReadonlyMap<number, RecordedResult> }
): Record<string, string> {
  const counts = records.map((r) => options.earlier?.get(r.index)?.attempts ?? attemptsOf(r))
  const runs = records.map((r) => {
    const e = options.earlier?.get(r.index)
    if (e !== undefined) return e.runAttempt
    return r.state === 'not-started' ? null : options.runAttempt
  })
  const outputs: Record<string, string> = {
    'task-attempts': JSON.stringify(counts),
    'run-attempts': JSON.stringify(runs)
  }
  if (records.length === 1) outputs.attempts = String(counts[0] ?? 0)
  return outputs
}

/** One attempt as the summary shows it. */
interface AttemptRow {
  index: number
  attempt: number
  taskArn: string
  end?: TaskEnd
  launchedAt?: number
  endedAt?: number
  outcome: string
}

function runTimeOf(row: AttemptRow): string {
  const ms = runTimeMs(row.end?.kind === 'stopped' ? row.end.task : undefined, row)
  return ms === undefined ? '' : formatDuration(ms)
}

function reasonOf(end: TaskEnd | undefined): string {
  if (end === undefined) return ''
  if (end.kind === 'lost') return end.reason
  const reasons = [end.task.stoppedReason, appContainer(end.task)?.reason]
  return cut(reasons.filter((s) => s).join(': '), REASON_MAX)
}

function rowsOf(record: TaskRecord): AttemptRow[] {
  const rows: AttemptRow[] = (record.attempts ?? []).map((a) => ({
    ...a,
    index: record.index,
    outcome: `${a.endClass.kind} (${a.endClass.cause}): retried by ${a.why}`
  }))
  if (record.taskArn !== undefined) {
    const last = record.end
    const outcome =
      record.state === 'running'
        ? 'unfinished'
        : last?.kind === 'stopped'
          ? `exit code ${appContainer(last.task)?.exitCode ?? 'none'}` +
            (record.retry !== undefined && record.retry.endClass.kind !== 'app-exit'
              ? `; not retried: ${record.retry.why}`
              : '')
          : 'lost'
    rows.push({ ...record, taskArn: record.taskArn, attempt: rows.length + 1, outcome })
  }
  return rows
}

/** Rows of the attempts table at most; the rest are counted in a note. */
export const MAX_ATTEMPT_ROWS = 500

/**
 * The summary's attempts section: one row per attempt of every task that ran more than once,
 * and a line for the tasks a re-run took from an earlier run attempt. '' when there is neither.
 */
export function attemptsSummary(
  records: readonly TaskRecord[],
  options: { earlier?: ReadonlyMap<number, RecordedResult>; runAttempt: number; storm?: string[] }
): string {
  const retried = records.filter((r) => (r.attempts?.length ?? 0) > 0)
  const out: string[] = []
  const earlier = options.earlier ?? new Map<number, RecordedResult>()
  const adopted = records.filter((r) => r.adopted === true).map((r) => r.index)
  if (earlier.size > 0 || adopted.length > 0) {
    out.push(`#### Re-run (attempt ${options.runAttempt})`, '')
    const started = records.length - earlier.size - adopted.length
    if (earlier.size > 0) {
      const byRun = new Map<number, number>()
      for (const e of earlier.values()) byRun.set(e.runAttempt, (byRun.get(e.runAttempt) ?? 0) + 1)
      const from = [...byRun.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([run, n]) => `${n} in run attempt ${run}`)
        .join(', ')
      out.push(
        `${earlier.size} of ${records.length} tasks succeeded before and were not started again ` +
          `(${from}); ${started} were started in this attempt.`,
        ''
      )
    }
    if (adopted.length > 0) {
      const shown = adopted.slice(0, ADOPTED_NAMED).map((i) => `#${i}`)
      const more =
        adopted.length > ADOPTED_NAMED ? ` and ${adopted.length - ADOPTED_NAMED} more` : ''
      out.push(
        `${adopted.length} task(s) started by an earlier attempt, whose end it never recorded, ` +
          `were adopted and waited on, not started again: ${shown.join(', ')}${more}.`,
        ''
      )
    }
  }
  for (const storm of options.storm ?? []) out.push(`> ${escapeMarkdown(storm)}`, '')
  if (retried.length === 0) return out.join('\n')
  const total = retried.reduce((n, r) => n + attemptsOf(r), 0)
  out.push(
    `#### Attempts (${retried.length} task(s) retried, ${total} attempts)`,
    '',
    '| # | Attempt | Task | Stop code | Reason | Run time | Outcome |',
    '|---:|---:|---|---|---|---:|---|'
  )
  let shown = 0
  let omitted = 0
  for (const record of retried) {
    for (const row of rowsOf(record)) {
      if (shown >= MAX_ATTEMPT_ROWS) {
        omitted++
        continue
      }
      shown++
      const stopCode = row.end?.kind === 'stopped' ? (row.end.task.stopCode ?? '') : ''
      out.push(
        `| ${row.index} | ${row.attempt} | <code>${escapeMarkdown(taskIdOf(row.taskArn))}</code> | ` +
          `${escapeMarkdown(stopCode)} | ${escapeMarkdown(reasonOf(row.end))} | ${runTimeOf(row)} | ` +
          `${escapeMarkdown(row.outcome)} |`
      )
    }
  }
  if (omitted > 0) out.push('', `_${omitted} more attempt rows were left out._`)
  out.push('')
  return out.join('\n')
}
