/**
 * Results and report of a task set (pure): the outputs in task order, the job summary with one
 * row per task (failures first, successes in a collapsed block, kept under GitHub's 1 MiB step
 * summary limit, docs/limits.md, "GitHub Actions limits") and the step's failure message.
 */
import { formatDuration } from '../util/duration.js'
import { escapeMarkdown } from './summary.js'
import { escapeLogText } from '../util/safe-text.js'
import { appContainer, runTimeMs, taskIdOf } from '../model/task-state.js'
import type { TaskSnapshot } from '../model/task.js'
import type { HaltReason, RoomWait, TaskRecord } from '../model/outcome.js'
import {
  APP_RULE,
  statusOf,
  taskExitCode,
  type ResultRule,
  type TaskStatus
} from '../model/result.js'

/** One task's result, by spec index. */
export interface SetTaskResult {
  /** Position in the `tasks` list (ONESHOT_INDEX with `count`). */
  index: number
  status: TaskStatus
  taskArn?: string
  /** The exit code by hako's rule, when the task's end was seen. */
  exitCode?: number
  /** The final state, when seen. */
  task?: TaskSnapshot
  /** From start to stop by the task's own timestamps, else as the action saw it. */
  durationMs?: number
  /** Why it could not start, or why its end is unknown. */
  error?: string
  /** The app container's logs in the CloudWatch console. */
  logsUrl?: string
}

/** GitHub's step summary limit: 1 MiB (docs/limits.md, "GitHub Actions limits"). */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024
/** What this summary may use, leaving room below the limit. */
export const SUMMARY_BUDGET_BYTES = 1_000_000
/** Untrusted reasons are cut to this many characters in a summary row. */
export const REASON_MAX_CHARS = 1000
/** Failed tasks named in the failure message. */
export const NAMED_FAILURES = 5

/** Each record's result, with its logs link. */
export function resultsOf(
  records: readonly TaskRecord[],
  logsUrlOf: (taskArn: string) => string | undefined,
  rule: ResultRule = APP_RULE
): SetTaskResult[] {
  return records.map((r) => {
    const result: SetTaskResult = { index: r.index, status: statusOf(r, rule) }
    if (r.taskArn !== undefined) {
      result.taskArn = r.taskArn
      const url = logsUrlOf(r.taskArn)
      if (url !== undefined) result.logsUrl = url
    }
    if (r.state === 'start-failed') {
      result.error = r.error ?? 'could not start'
    } else if (r.state === 'ended' && r.end?.kind === 'lost') {
      result.error = r.end.reason
    } else if (r.state === 'ended' && r.end?.kind === 'stopped') {
      result.task = r.end.task
      result.exitCode = taskExitCode(r.end.task, rule)
    }
    const durationMs = runTimeMs(result.task, r)
    if (durationMs !== undefined) result.durationMs = durationMs
    return result
  })
}

/**
 * The task set outputs: `task-arns` and `exit-codes` as JSON arrays in task order (null for a
 * task that never started, and for an exit code not seen), `succeeded` and `failed` counts.
 */
export function setOutputs(results: readonly SetTaskResult[]): Record<string, string> {
  return {
    'task-arns': JSON.stringify(results.map((r) => r.taskArn ?? null)),
    'exit-codes': JSON.stringify(results.map((r) => r.exitCode ?? null)),
    succeeded: String(results.filter((r) => r.status === 'succeeded').length),
    failed: String(results.filter((r) => r.status === 'failed').length)
  }
}

export function countByStatus(results: readonly SetTaskResult[]): Record<TaskStatus, number> {
  const counts: Record<TaskStatus, number> = {
    succeeded: 0,
    failed: 0,
    stopped: 0,
    unfinished: 0,
    'not-started': 0
  }
  for (const r of results) counts[r.status]++
  return counts
}

/** `2 stopped`, `1 unfinished`, `3 not started`: the other counts, those that are not 0. */
function otherCounts(counts: Record<TaskStatus, number>): string[] {
  const statuses = ['stopped', 'unfinished', 'not-started'] as const
  return statuses.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s.replace('-', ' ')}`)
}

/** `3 succeeded, 1 failed, 2 stopped`: every count, the last three only when not 0. */
export function countsText(counts: Record<TaskStatus, number>): string {
  const ended = [`${counts.succeeded} succeeded`, `${counts.failed} failed`]
  return [...ended, ...otherCounts(counts)].join(', ')
}

/** `0-3, 7, 9-10`: indexes as ranges. */
export function indexRanges(indexes: readonly number[]): string {
  const parts: string[] = []
  let start: number | undefined
  let prev: number | undefined
  const flush = (): void => {
    if (start === undefined || prev === undefined) return
    parts.push(start === prev ? String(start) : `${start}-${prev}`)
  }
  for (const i of [...indexes].sort((a, b) => a - b)) {
    if (prev !== undefined && i === prev + 1) {
      prev = i
      continue
    }
    flush()
    start = i
    prev = i
  }
  flush()
  return parts.join(', ')
}

export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/** The stop reason cell text: stop code, stopped reason and the app container's reason. */
export function stopReasonOf(result: SetTaskResult): string {
  if (result.error !== undefined) return result.error
  const task = result.task
  if (task === undefined) return ''
  return [task.stopCode, task.stoppedReason, appContainer(task)?.reason]
    .filter((s): s is string => s !== undefined && s !== '')
    .join(': ')
}

const TABLE_HEAD = [
  '| # | Task | Exit code | Duration | Stop reason | Logs |',
  '|---:|---|---:|---:|---|---|'
]

/** One summary row; every untrusted value escaped. */
export function summaryRow(result: SetTaskResult): string {
  const id =
    result.taskArn === undefined ? '' : `<code>${escapeMarkdown(taskIdOf(result.taskArn))}</code>`
  const code = result.exitCode === undefined ? '' : String(result.exitCode)
  const duration = result.durationMs === undefined ? '' : formatDuration(result.durationMs)
  const reason = escapeMarkdown(cut(stopReasonOf(result), REASON_MAX_CHARS))
  const logs = result.logsUrl
    ? `[logs](${result.logsUrl.replace(/[()\s<>]/g, encodeURIComponent)})`
    : ''
  return `| ${result.index} | ${id} | ${code} | ${duration} | ${reason} | ${logs} |`
}

const HALT_TEXT: Record<HaltReason, string> = {
  'fail-fast':
    'A task failed and fail-fast is set: the running tasks were stopped and no more started.',
  cancelled: 'The workflow run was cancelled: the tasks this job started were stopped.',
  'timed-out': 'The timeout was reached: the tasks this job started were stopped.',
  'start-error': 'A RunTask call failed for good: no more tasks were started.',
  'wait-error': 'Waiting for the tasks failed: the running tasks were stopped.'
}

/**
 * The job summary: a heading with the counts, then one row per task: failed tasks, then tasks
 * stopped or unfinished, then the successes in a collapsed block; never-started tasks as index
 * ranges. Rows that would pass SUMMARY_BUDGET_BYTES are left out, with a note saying how many.
 */
export function setSummary(
  results: readonly SetTaskResult[],
  options: { halt?: HaltReason; stopOnCancel?: boolean; detached?: boolean } = {}
): string {
  const budget = SUMMARY_BUDGET_BYTES
  const counts = countByStatus(results)
  const total = results.length
  const icon = counts.succeeded === total ? '✅' : '❌'
  const head: string[] = [`### ${icon} ECS tasks: ${countsText(counts)} (${total} in all)`, '']
  if (options.halt !== undefined) {
    let text = HALT_TEXT[options.halt]
    if (options.halt === 'timed-out' && options.detached === true) {
      text =
        'The timeout was reached and on-timeout is detach: the running tasks were left ' +
        'running; a later step with mode: wait waits on them.'
    } else if (
      (options.halt === 'cancelled' || options.halt === 'timed-out') &&
      options.stopOnCancel === false
    ) {
      text = text.replace(
        'the tasks this job started were stopped',
        'stop-on-cancel is false, so the running tasks were left running'
      )
    }
    head.push(text, '')
  }
  const notStarted = results.filter((r) => r.status === 'not-started').map((r) => r.index)
  if (notStarted.length > 0) {
    head.push(`Not started: ${indexRanges(notStarted)}`, '')
  }

  const groups: { title: string; rows: SetTaskResult[]; collapsed: boolean }[] = [
    { title: 'Failed', rows: results.filter((r) => r.status === 'failed'), collapsed: false },
    {
      title: 'Stopped or unfinished',
      rows: results.filter((r) => r.status === 'stopped' || r.status === 'unfinished'),
      collapsed: false
    },
    { title: 'Succeeded', rows: results.filter((r) => r.status === 'succeeded'), collapsed: true }
  ]

  const out: string[] = [...head]
  let used = out.reduce((n, line) => n + size(line), 0)
  // Room for the closing lines and the note about rows left out.
  const reserve = 600
  let omitted = 0
  for (const group of groups) {
    if (group.rows.length === 0) continue
    const open = group.collapsed
      ? [`<details><summary>${group.title} (${group.rows.length})</summary>`, '', ...TABLE_HEAD]
      : [`#### ${group.title} (${group.rows.length})`, '', ...TABLE_HEAD]
    const close = group.collapsed ? ['', '</details>', ''] : ['']
    const openSize = open.reduce((n, line) => n + size(line), 0)
    const closeSize = close.reduce((n, line) => n + size(line), 0)
    if (used + openSize + closeSize + reserve > budget) {
      omitted += group.rows.length
      continue
    }
    out.push(...open)
    used += openSize + closeSize
    const fit = rowsWithin(group.rows.map(summaryRow), { used, reserve, budget, omitted })
    out.push(...fit.rows, ...close)
    used = fit.used
    omitted = fit.omitted
  }
  if (omitted > 0) {
    out.push(
      `_${omitted} of ${total} rows were left out to keep this summary under GitHub's 1 MiB ` +
        `step summary limit; the task-arns and exit-codes outputs list every task._`,
      ''
    )
  }
  return out.join('\n')
}

/** Bytes a summary line takes, its line break included. */
export function size(line: string): number {
  return Buffer.byteLength(line) + 1
}

/**
 * The table rows that fit in the summary's budget, in order: once one does not fit, it and
 * every row after it are left out (counted in `omitted`), so the table never skips a row.
 */
export function rowsWithin(
  rows: readonly string[],
  room: { used: number; reserve: number; budget: number; omitted: number }
): { rows: string[]; used: number; omitted: number } {
  let { used, omitted } = room
  const taken: string[] = []
  for (const row of rows) {
    if (omitted > 0 || used + size(row) + room.reserve > room.budget) {
      omitted++
      continue
    }
    taken.push(row)
    used += size(row)
  }
  return { rows: taken, used, omitted }
}

/** `#4 (exit code 1, arn)`, `#7 (could not start: ...)`. */
function nameFailure(r: SetTaskResult): string {
  const what =
    r.exitCode !== undefined
      ? `exit code ${r.exitCode}`
      : r.taskArn === undefined
        ? `could not start: ${r.error ?? ''}`
        : (r.error ?? 'failed')
  return `#${r.index} (${what}${r.taskArn ? `, ${escapeLogText(r.taskArn)}` : ''})`
}

/**
 * The step's failure message, or undefined when the step should pass: failed tasks (unless
 * `failOnError` is false) named by index and ARN, the first few of them; a halt by cancel,
 * timeout or a failed wait always fails the step.
 */
export function failureMessageOf(
  results: readonly SetTaskResult[],
  options: { halt?: HaltReason; failOnError: boolean; error?: string }
): string | undefined {
  const total = results.length
  const counts = countByStatus(results)
  const messages: string[] = []
  const failed = results.filter((r) => r.status === 'failed')
  if (failed.length > 0 && options.failOnError) {
    const named = failed.slice(0, NAMED_FAILURES).map(nameFailure).join('; ')
    const more =
      failed.length > NAMED_FAILURES ? `; and ${failed.length - NAMED_FAILURES} more` : ''
    messages.push(`${failed.length} of ${total} tasks failed: ${named}${more}.`)
  }
  const rest = otherCounts(counts)
  const tail = rest.length > 0 ? ` (${rest.join(', ')})` : ''
  if (options.halt === 'cancelled') {
    messages.push(`The workflow run was cancelled while tasks were running${tail}.`)
  } else if (options.halt === 'timed-out') {
    messages.push(`Timed out before every task stopped${tail}.`)
  } else if (options.halt === 'wait-error') {
    messages.push(`Waiting for the tasks failed${tail}: ${options.error ?? ''}`)
  } else if (options.halt === 'start-error' && options.failOnError && failed.length === 0) {
    messages.push(`A RunTask call failed${tail}: ${options.error ?? ''}`)
  } else if (messages.length > 0 && tail !== '') {
    messages[0] = messages[0]?.replace(/\.$/, `${tail}.`) ?? ''
  }
  if (messages.length > 0) messages.push('See the job summary for every task.')
  return messages.length > 0 ? messages.join(' ') : undefined
}

/**
 * The summary line for tasks that waited for room under an account quota before they started
 * (src/ecs/run-task.ts): how many, under which quota, and how long; undefined when none did.
 */
export function roomWaitLine(waits: readonly RoomWait[], total: number): string | undefined {
  if (waits.length === 0) return undefined
  const longest = Math.max(...waits.map((w) => w.waitedMs))
  const quotas = [...new Set(waits.map((w) => w.quota))].map(escapeMarkdown).join('; ')
  if (total === 1) {
    return `⏳ The task waited ${formatDuration(longest)} for room under the account's ${quotas} before it started.\n`
  }
  const sorted = waits.map((w) => w.waitedMs).sort((a, b) => a - b)
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as number
  return (
    `⏳ ${waits.length} of ${total} tasks waited for room under the account's ${quotas} before ` +
    `they started: ${formatDuration(median)} median, ${formatDuration(longest)} at most.\n`
  )
}
