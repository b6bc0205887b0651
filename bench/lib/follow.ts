/**
 * Pure accounting for the log-following benchmark (bench/follow.ts): which lines of a task's
 * stream a job printed, how often, and how late; and the account-wide read rate over a window.
 * No I/O here, so it is tested directly.
 */
import type { RecordedRequest } from './proxy.js'
import { median, percentile } from './stats.js'

/** A line of a job's stdout and when the bench saw it. */
export interface SeenLine {
  text: string
  /** Epoch ms the line appeared on the job's stdout. */
  at: number
}

/**
 * Collects the complete lines of a growing stdout as they appear, each with the time it was
 * first seen (`now()` when `update` saw it).
 */
export function lineCollector(now: () => number = Date.now): {
  update(stdout: string): void
  lines(): SeenLine[]
} {
  const seen: SeenLine[] = []
  let consumed = 0
  return {
    update(stdout) {
      const end = stdout.lastIndexOf('\n')
      if (end < consumed) return
      const at = now()
      for (const text of stdout.slice(consumed, end).split('\n')) seen.push({ text, at })
      consumed = end + 1
    },
    lines: () => [...seen]
  }
}

/** One event of a task's stream, as the simulator stored it. */
export interface StreamEvent {
  message: string
  /** Epoch ms the container printed it. */
  timestamp: number
  /** Epoch ms it became readable in CloudWatch Logs. */
  ingestionTime: number
}

/** How a job's printed log compares with its task's stream. */
export interface LineAccount {
  expected: number
  /** Stream lines never printed. */
  lost: number
  /** Printed copies beyond the first, summed over lines. */
  repeated: number
  /** Per printed line (first copy): ms from its timestamp to its print. */
  lagFromWritten: number[]
  /** The same from when CloudWatch had it (what a reader can control). */
  lagFromReadable: number[]
  /** lagFromWritten of the lines printed less than `youngMs` after `taskStartedAt`. */
  lagYoung: number[]
}

/**
 * Matches a job's stdout lines (`<ISO timestamp> <message>`, the action's format) with its
 * stream's events by message, which the benchmark makes unique per job.
 */
export function accountLines(
  events: readonly StreamEvent[],
  printed: readonly SeenLine[],
  options: { taskStartedAt?: number; youngMs?: number } = {}
): LineAccount {
  const byMessage = new Map<string, StreamEvent>()
  for (const e of events) byMessage.set(e.message, e)
  const copies = new Map<string, number>()
  const account: LineAccount = {
    expected: events.length,
    lost: 0,
    repeated: 0,
    lagFromWritten: [],
    lagFromReadable: [],
    lagYoung: []
  }
  for (const line of printed) {
    const match = /^\d{4}-\d\d-\d\dT[\d:.]+Z (.*)$/.exec(line.text)
    const event = match ? byMessage.get(match[1] ?? '') : undefined
    if (!event) continue
    const n = (copies.get(event.message) ?? 0) + 1
    copies.set(event.message, n)
    if (n > 1) {
      account.repeated++
      continue
    }
    account.lagFromWritten.push(line.at - event.timestamp)
    account.lagFromReadable.push(line.at - event.ingestionTime)
    if (
      options.taskStartedAt !== undefined &&
      event.timestamp - options.taskStartedAt < (options.youngMs ?? 60_000)
    ) {
      account.lagYoung.push(line.at - event.timestamp)
    }
  }
  for (const e of events) if (!copies.has(e.message)) account.lost++
  return account
}

/** Adds accounts together (lags concatenated). */
export function sumAccounts(accounts: readonly LineAccount[]): LineAccount {
  return {
    expected: accounts.reduce((s, a) => s + a.expected, 0),
    lost: accounts.reduce((s, a) => s + a.lost, 0),
    repeated: accounts.reduce((s, a) => s + a.repeated, 0),
    lagFromWritten: accounts.flatMap((a) => a.lagFromWritten),
    lagFromReadable: accounts.flatMap((a) => a.lagFromReadable),
    lagYoung: accounts.flatMap((a) => a.lagYoung)
  }
}

/** Median and 95th percentile in seconds, `-` for none. */
export function lagText(values: readonly number[]): string {
  const m = median(values)
  const p = percentile(values, 95)
  if (m === undefined || p === undefined) return '-'
  return `${(m / 1000).toFixed(2)} s / ${(p / 1000).toFixed(2)} s`
}

/** Calls of `operation` per second that arrived within [from, to). */
export function ratePerSecond(
  requests: readonly RecordedRequest[],
  operation: string,
  from: number,
  to: number
): number {
  if (!(to > from)) return 0
  const n = requests.filter((r) => r.operation === operation && r.at >= from && r.at < to).length
  return n / ((to - from) / 1000)
}

/** The heading of the log-following part of bench/RESULTS.md. */
export const FOLLOW_HEADING = '## Following the log (follow-logs)'

/** RESULTS-follow.md as a part of RESULTS.md: its headings one level down. */
export function followPart(followMarkdown: string): string {
  return followMarkdown
    .trim()
    .replace(/^(#+) /gm, '#$1 ')
    .replace(/^## .*\n+/, '')
}

/**
 * RESULTS.md with its log-following part replaced by (or, without one, ended with) the given
 * RESULTS-follow.md. The part runs to the end of the page.
 */
export function embedFollow(results: string, followMarkdown: string): string {
  const at = results.indexOf(`\n${FOLLOW_HEADING}\n`)
  const head = (at === -1 ? results : results.slice(0, at)).trimEnd()
  return `${head}\n\n${FOLLOW_HEADING}\n\n${followPart(followMarkdown)}\n`
}
