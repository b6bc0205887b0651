/**
 * Pure numbers and text for the demo and the benchmark: percentiles, per-job call splits
 * (before the wait / during it), and small table formatting. No I/O here, so it is tested
 * directly.
 */
import type { RecordedRequest } from './proxy.js'

/**
 * The p-th percentile (0..100) by the nearest-rank method: the smallest value with at least
 * p % of the values at or below it. Undefined for no values.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be within 0..100, got ${p}`)
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]
}

/** Median (nearest rank: the lower middle for an even count). */
export function median(values: readonly number[]): number | undefined {
  return percentile(values, 50)
}

/** Adds the counts of `b` into a copy of `a`. */
export function addCounts(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>
): Record<string, number> {
  const out = { ...a }
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v
  return out
}

/** `after - before` per key, dropping zeros (the calls of one phase from two snapshots). */
export function diffCounts(
  after: Readonly<Record<string, number>>,
  before: Readonly<Record<string, number>>
): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0)
    if (d !== 0) out[k] = d
  }
  return out
}

/** Sum of the values. */
export function total(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((s, v) => s + v, 0)
}

/** One job's ECS calls split at the wait: before = up to the RunTask that started the task. */
export interface CallSplit {
  before: Record<string, number>
  during: Record<string, number>
  /** Throttled answers among these calls. */
  throttled: number
}

/**
 * Splits one job's ECS requests (any order) at its last successful RunTask: calls up to and
 * including it are "before the wait", the rest "during" (the wait, and the report after it).
 * A job whose RunTask never succeeded has every call "before".
 */
export function splitAtRunTask(requests: readonly RecordedRequest[]): CallSplit {
  const ecs = requests.filter((r) => r.service === 'ecs').sort((a, b) => a.at - b.at)
  let cut = -1
  ecs.forEach((r, i) => {
    if (r.operation === 'RunTask' && r.status === 200) cut = i
  })
  if (cut === -1) cut = ecs.length - 1
  const split: CallSplit = { before: {}, during: {}, throttled: 0 }
  ecs.forEach((r, i) => {
    const side = i <= cut ? split.before : split.during
    side[r.operation] = (side[r.operation] ?? 0) + 1
    if (r.throttled) split.throttled++
  })
  return split
}

/** Counts divided by `n`, for "per job" figures. */
export function perJob(
  counts: Readonly<Record<string, number>>,
  n: number
): Record<string, number> {
  const out: Record<string, number> = {}
  if (n <= 0) return out
  for (const [k, v] of Object.entries(counts)) out[k] = v / n
  return out
}

/** Short names of ECS operations, for narrow tables. */
const SHORT: Record<string, string> = {
  RegisterTaskDefinition: 'Register',
  DescribeTaskDefinition: 'DescribeTD',
  ListTagsForResource: 'ListTags',
  RunTask: 'RunTask',
  DescribeTasks: 'DescribeTasks',
  StopTask: 'StopTask'
}

/**
 * `RunTask 1, DescribeTD 1` style text of per-job counts, in a stable order; `0` for none.
 * Whole numbers print as such, fractions with two decimals.
 */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const order = Object.keys(SHORT)
  const entries = Object.entries(counts)
    .filter(([, v]) => v > 0)
    .sort(([a], [b]) => {
      const ia = order.indexOf(a)
      const ib = order.indexOf(b)
      return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib) || a.localeCompare(b)
    })
  if (entries.length === 0) return '0'
  return entries.map(([k, v]) => `${SHORT[k] ?? k} ${formatNumber(v)}`).join(', ')
}

/** Whole numbers as they are, others with two decimals. */
export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2)
}

/** Milliseconds as seconds with two decimals, or `-` when unknown. */
export function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`
}

/** Bytes as MB (10^6) with no decimals, or `-`. */
export function megabytes(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${Math.round(bytes / 1e6)} MB`
}

/** A Markdown table from a header row and body rows (cells escaped for `|`). */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[]
): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|')
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

/** A plain-text table with columns padded to their widest cell, for the terminal. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}
