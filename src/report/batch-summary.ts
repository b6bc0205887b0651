/**
 * The whole fan-out of a workflow run at once (pure), for `mode: summary`: from the ledger
 * (src/ledger/reader.ts), one entry per task of every job, each from its newest attempt; then the
 * counts per job, the failures, the durations, the outputs, the one job summary (under GitHub's
 * 1 MiB step summary limit, docs/limits.md) and the step's failure message.
 *
 * What did not run is counted too: an index a job's intent says it may start but that has no
 * record, and a matrix leg below the matrix's recorded `jobTotal` with no record at all (its
 * runner never started, or never wrote), each one "not run" entry.
 */
import type { JobLedger, RunLedger } from '../ledger/reader.js'
import type { LedgerTask } from '../ledger/records.js'
import type { TaskStatus } from '../model/result.js'
import { taskIdOf } from '../model/task-state.js'
import { formatDuration } from '../util/duration.js'
import { escapeLogText } from '../util/safe-text.js'
import { REASON_MAX_CHARS, SUMMARY_BUDGET_BYTES, cut, rowsWithin, size } from './set-summary.js'
import { escapeMarkdown } from './summary.js'

/** One task of the fan-out, from its newest record, or a task that did not run. */
export interface BatchEntry {
  /** The job id (GITHUB_JOB). */
  job: string
  /** The matrix leg, or null outside a matrix. */
  matrixIndex: number | null
  /** The index in the job's set; null for a matrix leg that left no record at all. */
  index: number | null
  /** `not-started` for a task that did not run. */
  status: TaskStatus
  exitCode: number | null
  /** Stop code and stopped reason, as recorded; '' when none. */
  reason: string
  taskArn: string | null
  logsUrl: string | null
  durationMs: number | null
  /** Why the action stopped it (cancel, timeout, fail-fast), or null. */
  stopRequest: string | null
  /** Task attempts: above 1, the task was retried. */
  taskAttempt: number
  adopted: boolean
}

/** Counts of one job (every matrix leg and step of one job id). */
export interface JobCounts {
  job: string
  total: number
  succeeded: number
  /** Ended without success: failed, or stopped by the action. */
  failed: number
  notRun: number
  running: number
  retried: number
  adopted: number
  p50Ms: number | null
  maxMs: number | null
}

/** The fan-out as read from the ledger. */
export interface Batch {
  entries: BatchEntry[]
  jobs: JobCounts[]
  /** Job ids asked for (`jobs`) without any record. */
  missingJobs: string[]
  /** Records not trusted while reading. */
  ignored: number
}

/** Slowest tasks shown in the summary. */
export const SLOWEST_SHOWN = 5

function durationOf(t: LedgerTask): number | null {
  if (t.startedAt === null || t.stoppedAt === null) return null
  const ms = Date.parse(t.stoppedAt) - Date.parse(t.startedAt)
  return Number.isFinite(ms) && ms >= 0 ? ms : null
}

function reasonOf(t: LedgerTask): string {
  return [t.stopCode, t.stoppedReason].filter((s) => s !== null && s !== '').join(': ')
}

function entryOf(t: LedgerTask, job: JobLedger): BatchEntry {
  return {
    job: job.job,
    matrixIndex: t.matrixIndex ?? job.matrixIndex,
    index: t.index,
    status: t.status,
    exitCode: t.exitCode,
    reason: reasonOf(t),
    taskArn: t.taskArn,
    logsUrl: t.logsUrl,
    durationMs: durationOf(t),
    stopRequest: t.stopRequest,
    taskAttempt: t.taskAttempt,
    adopted: t.adopted
  }
}

function notRun(job: string, matrixIndex: number | null, index: number | null): BatchEntry {
  return {
    job,
    matrixIndex,
    index,
    status: 'not-started',
    exitCode: null,
    reason: '',
    taskArn: null,
    logsUrl: null,
    durationMs: null,
    stopRequest: null,
    taskAttempt: 0,
    adopted: false
  }
}

/** The entries of every job, in job, matrix index and index order. */
export function batchOf(ledger: RunLedger, asked?: readonly string[]): Batch {
  const entries: BatchEntry[] = []
  // Per job id and step: the matrix's recorded size and the legs that left a record.
  const matrices = new Map<string, { job: string; total: number; legs: Set<number> }>()
  for (const job of ledger.jobs) {
    for (const t of job.tasks.values()) entries.push(entryOf(t, job))
    const intent = job.intent
    for (const i of intent?.indexes ?? []) {
      if (!job.tasks.has(i.index)) entries.push(notRun(job.job, job.matrixIndex, i.index))
    }
    const totals = [...job.tasks.values()].map((t) => t.jobTotal ?? 1)
    if (intent !== undefined) totals.push(intent.jobTotal)
    const key = `${job.job}\n${job.step ?? ''}`
    const matrix = matrices.get(key) ?? { job: job.job, total: 1, legs: new Set<number>() }
    matrix.total = Math.max(matrix.total, ...totals)
    if (job.matrixIndex !== null) matrix.legs.add(job.matrixIndex)
    matrices.set(key, matrix)
  }
  for (const matrix of matrices.values()) {
    if (matrix.total <= 1) continue
    for (let leg = 0; leg < matrix.total; leg++) {
      if (!matrix.legs.has(leg)) entries.push(notRun(matrix.job, leg, null))
    }
  }
  const order = (e: BatchEntry): [string, number, number] => [
    e.job,
    e.matrixIndex ?? -1,
    e.index ?? -1
  ]
  entries.sort((a, b) => {
    const [ja, ma, ia] = order(a)
    const [jb, mb, ib] = order(b)
    return ja < jb ? -1 : ja > jb ? 1 : ma - mb || ia - ib
  })
  const jobIds = [...new Set(entries.map((e) => e.job))]
  const missingJobs = (asked ?? []).filter((j) => !jobIds.includes(j))
  return {
    entries,
    jobs: jobIds.map((id) => countsOf(id, entries)),
    missingJobs,
    ignored: ledger.ignored
  }
}

const isFailed = (e: BatchEntry): boolean => e.status === 'failed' || e.status === 'stopped'

/** The lower median: the middle value, the lower of the two middle ones for an even count. */
function p50(sorted: readonly number[]): number | null {
  return sorted.length === 0 ? null : (sorted[Math.floor((sorted.length - 1) / 2)] as number)
}

function countsOf(job: string, all: readonly BatchEntry[]): JobCounts {
  const entries = all.filter((e) => e.job === job)
  const durations = entries
    .map((e) => e.durationMs)
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b)
  return {
    job,
    total: entries.length,
    succeeded: entries.filter((e) => e.status === 'succeeded').length,
    failed: entries.filter(isFailed).length,
    notRun: entries.filter((e) => e.status === 'not-started').length,
    running: entries.filter((e) => e.status === 'unfinished').length,
    retried: entries.filter((e) => e.taskAttempt > 1).length,
    adopted: entries.filter((e) => e.adopted).length,
    p50Ms: p50(durations),
    maxMs: durations.length === 0 ? null : (durations[durations.length - 1] as number)
  }
}

/** Failed, stopped and not run entries: what the `failures` output and table list. */
export function failuresOf(batch: Batch): BatchEntry[] {
  return batch.entries.filter((e) => isFailed(e) || e.status === 'not-started')
}

/**
 * The step's outputs: `total`, `succeeded`, `failed` (ended without success, plus not run),
 * `not-run`, `running`, and `failures` (JSON: job, index, matrixIndex, exitCode, reason,
 * taskArn of each failed or not run task).
 */
export function batchOutputs(batch: Batch): Record<string, string> {
  const failures = failuresOf(batch)
  const sum = (f: (j: JobCounts) => number): number => batch.jobs.reduce((n, j) => n + f(j), 0)
  return {
    total: String(batch.entries.length),
    succeeded: String(sum((j) => j.succeeded)),
    failed: String(failures.length),
    'not-run': String(sum((j) => j.notRun)),
    running: String(sum((j) => j.running)),
    failures: JSON.stringify(
      failures.map((e) => ({
        job: e.job,
        index: e.index,
        matrixIndex: e.matrixIndex,
        exitCode: e.exitCode,
        reason: e.status === 'not-started' ? 'not run' : e.reason,
        taskArn: e.taskArn
      }))
    )
  }
}

const dash = (n: number | null): string => (n === null ? '' : String(n))
const duration = (ms: number | null): string => (ms === null ? '' : formatDuration(ms))

function taskCell(arn: string | null): string {
  return arn === null ? '' : `<code>${escapeMarkdown(taskIdOf(arn))}</code>`
}

/** A logs link only when it is an https URL; its parentheses, spaces and brackets encoded. */
function logsCell(url: string | null): string {
  if (url === null || !url.startsWith('https://')) return ''
  // encodeURIComponent leaves ( and ) as they are: a ) would end the link.
  const encoded = url.replace(
    /[()\s<>]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`
  )
  return `[logs](${encoded})`
}

function reasonCell(e: BatchEntry): string {
  if (e.status === 'not-started')
    return e.index === null ? 'not run (no record of this leg)' : 'not run'
  if (e.status === 'stopped') {
    const why = e.stopRequest === null ? '' : ` (${e.stopRequest})`
    const text = `stopped by the action${why}${e.reason === '' ? '' : `: ${e.reason}`}`
    return escapeMarkdown(cut(escapeLogText(text), REASON_MAX_CHARS))
  }
  return escapeMarkdown(cut(escapeLogText(e.reason), REASON_MAX_CHARS))
}

const JOB_HEAD = [
  '| Job | Tasks | Succeeded | Failed | Not run | Running | Retried | Adopted | p50 | Max |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'
]
const FAILURE_HEAD = [
  '| Job | Matrix index | Index | Exit code | Stop reason | Task | Logs |',
  '|---|---:|---:|---:|---|---|---|'
]
const SLOW_HEAD = ['| Job | Matrix index | Index | Duration | Task |', '|---|---:|---:|---:|---|']

function jobRow(j: JobCounts): string {
  const cells = [j.total, j.succeeded, j.failed, j.notRun, j.running, j.retried, j.adopted]
  return `| ${escapeMarkdown(j.job)} | ${cells.join(' | ')} | ${duration(j.p50Ms)} | ${duration(j.maxMs)} |`
}

function failureRow(e: BatchEntry): string {
  const cells = [
    escapeMarkdown(e.job),
    dash(e.matrixIndex),
    dash(e.index),
    dash(e.exitCode),
    reasonCell(e),
    taskCell(e.taskArn),
    logsCell(e.logsUrl)
  ]
  return `| ${cells.join(' | ')} |`
}

function slowRow(e: BatchEntry): string {
  const cells = [
    escapeMarkdown(e.job),
    dash(e.matrixIndex),
    dash(e.index),
    duration(e.durationMs),
    taskCell(e.taskArn)
  ]
  return `| ${cells.join(' | ')} |`
}

/**
 * The one job summary of the fan-out: a heading with the counts, a table of counts per job, the
 * failed and not run tasks, and the slowest tasks. Failure rows that would pass
 * SUMMARY_BUDGET_BYTES are left out, with a note saying how many.
 */
export function batchSummary(batch: Batch, where: { runId: string; location: string }): string {
  const out = batchOutputs(batch)
  const failures = failuresOf(batch)
  const total = batch.entries.length
  const ok = total > 0 && failures.length === 0
  const icon = ok ? '✅' : '❌'
  const lines: string[] = [
    `### ${icon} ECS fan-out of workflow run ${escapeMarkdown(where.runId)}: ` +
      `${out.succeeded} succeeded, ${failures.length} failed or not run, ` +
      `${out.running} running (${total} in all)`,
    ''
  ]
  if (total === 0) {
    lines.push(
      `No task of this workflow run is recorded under ${escapeMarkdown(where.location)}.`,
      ''
    )
  }
  for (const job of batch.missingJobs) {
    lines.push(`No record of job ${escapeMarkdown(job)}.`, '')
  }
  if (batch.ignored > 0) {
    lines.push(
      `${batch.ignored} record(s) were not trusted (malformed or of an unknown version).`,
      ''
    )
  }
  if (batch.jobs.length > 0) lines.push(...JOB_HEAD, ...batch.jobs.map(jobRow), '')

  const slowest = batch.entries
    .filter((e) => e.durationMs !== null)
    .sort((a, b) => (b.durationMs as number) - (a.durationMs as number))
    .slice(0, SLOWEST_SHOWN)
  const tail: string[] =
    slowest.length === 0
      ? []
      : ['#### Slowest tasks', '', ...SLOW_HEAD, ...slowest.map(slowRow), '']

  const sizeOf = (ls: readonly string[]): number => ls.reduce((n, l) => n + size(l), 0)
  // Room for the note about rows left out.
  const reserve = 600
  let used = sizeOf(lines) + sizeOf(tail)
  if (failures.length > 0) {
    const open = [`#### Failed or not run (${failures.length})`, '', ...FAILURE_HEAD]
    lines.push(...open)
    used += sizeOf(open) + 1
    const budget = SUMMARY_BUDGET_BYTES
    const fit = rowsWithin(failures.map(failureRow), { used, reserve, budget, omitted: 0 })
    const omitted = fit.omitted
    lines.push(...fit.rows, '')
    if (omitted > 0) {
      lines.push(
        `_${omitted} of ${failures.length} rows were left out to keep this summary under ` +
          `GitHub's 1 MiB step summary limit; the failures output lists every one._`,
        ''
      )
    }
  }
  lines.push(...tail)
  return lines.join('\n')
}

/** `build m3 #12 (exit code 1, arn)`, `build m5 (not run)`. */
function nameFailure(e: BatchEntry): string {
  const where = [
    e.job,
    e.matrixIndex === null ? '' : `m${e.matrixIndex}`,
    e.index === null ? '' : `#${e.index}`
  ]
    .filter((s) => s !== '')
    .join(' ')
  const what =
    e.status === 'not-started'
      ? 'not run'
      : e.exitCode !== null
        ? `exit code ${e.exitCode}`
        : e.status === 'stopped'
          ? 'stopped'
          : 'failed'
  const arn = e.taskArn === null ? '' : `, ${escapeLogText(e.taskArn)}`
  return `${escapeLogText(where)} (${what}${arn})`
}

/** Failed tasks named in the failure message. */
const NAMED = 5

/**
 * The step's failure message, or undefined when it passes: any task failed or did not run, or
 * the run has no record at all (or its ledger could not be listed). `failOnError: false` passes.
 */
export function batchFailure(
  batch: Batch,
  options: { failOnError: boolean; listed: boolean; location: string }
): string | undefined {
  if (!options.failOnError) return undefined
  if (!options.listed) {
    return `Could not read the ledger under ${options.location}; see the warning above.`
  }
  if (batch.entries.length === 0) {
    return (
      `No task of this workflow run is recorded under ${options.location}: check that the ` +
      'jobs input names the fan-out jobs and that they use the same notification prefix.'
    )
  }
  const failures = failuresOf(batch)
  const missing =
    batch.missingJobs.length === 0
      ? ''
      : ` No record of job(s) ${batch.missingJobs.map(escapeLogText).join(', ')}.`
  if (failures.length === 0) {
    return missing === '' ? undefined : `${missing.trim()} See the job summary.`
  }
  const named = failures.slice(0, NAMED).map(nameFailure).join('; ')
  const more = failures.length > NAMED ? `; and ${failures.length - NAMED} more` : ''
  return (
    `${failures.length} of ${batch.entries.length} tasks failed or did not run: ${named}${more}.` +
    `${missing} See the job summary for every task.`
  )
}
