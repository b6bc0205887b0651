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

/**
 * The most calls of `operation` within any window of `windowMs` (start included, end excluded),
 * per second: the peak a quota sees, over windows that slide from one request to the next.
 */
export function peakPerSecond(
  requests: readonly RecordedRequest[],
  operation: string,
  windowMs: number
): number {
  const times = requests
    .filter((r) => r.operation === operation)
    .map((r) => r.at)
    .sort((a, b) => a - b)
  let most = 0
  let from = 0
  for (let to = 0; to < times.length; to++) {
    while ((times[to] ?? 0) - (times[from] ?? 0) >= windowMs) from++
    most = Math.max(most, to - from + 1)
  }
  return most / (windowMs / 1000)
}

/** Throttled answers by operation, for the operations that had any, as `Op n, Op n`. */
export function throttledByOperation(requests: readonly RecordedRequest[]): string {
  const counts = new Map<string, number>()
  for (const r of requests)
    if (r.throttled) counts.set(r.operation, (counts.get(r.operation) ?? 0) + 1)
  if (counts.size === 0) return '0'
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([op, n]) => `${op} ${n}`)
    .join(', ')
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

/** What bench/follow.ts measured in one run, as far as the goals need it. */
export interface FollowGoalInput {
  jobs: number
  follow: boolean
  failed: number
  lines: LineAccount
  /** The region's GetLogEvents quota the run had, per second. */
  quota: number
  /** The most GetLogEvents within any 5 s, per second. */
  peak5s: number
  /** GetLogEvents answered ThrottlingException. */
  getLogEventsThrottled: number
  /** From each job's stop detection to its process's end. */
  stepEnd: { median?: number }
  stopLatency: { median?: number }
  /** From the notifier's write of stopped.json to the job's first answer showing it. */
  detection: { median?: number }
  ecsDuringPerJob: number
  s3ReadsPerTaskMinute: number
}

/** One goal of log following, checked. */
export interface FollowGoal {
  goal: string
  reached: boolean
  measured: string
}

/**
 * The goals of log following: at 60 and 200 jobs no failed job and no line lost or repeated;
 * at most half the regional GetLogEvents quota over any 5 s and no throttled GetLogEvents (the
 * bench has no other reader); with following on, a median step end at most 1 s after stop
 * detection; a lone job keeps a median lag of at most 5 s and a median stop detection of at
 * most 0.7 s. With runs without following of the same size: stop detection and ECS/S3 calls
 * as without following.
 */
export function checkFollowGoals(runs: readonly FollowGoalInput[]): FollowGoal[] {
  const on = runs.filter((r) => r.follow)
  const wide = on.filter((r) => r.jobs > 1)
  const goals: FollowGoal[] = []
  goals.push({
    goal: '0 lines lost or repeated, 0 failed jobs',
    reached: wide.length > 0 && on.every((r) => r.lines.lost + r.lines.repeated + r.failed === 0),
    measured: on
      .map(
        (r) =>
          `${r.jobs} jobs: ${r.lines.lost} lost, ${r.lines.repeated} repeated of ${r.lines.expected}, ${r.failed} failed`
      )
      .join('; ')
  })
  goals.push({
    goal: 'GetLogEvents at most half the regional quota over any 5 s, 0 throttled',
    reached:
      wide.length > 0 &&
      wide.every((r) => r.peak5s <= r.quota / 2 && r.getLogEventsThrottled === 0),
    measured: wide
      .map(
        (r) =>
          `${r.jobs} jobs: peak ${r.peak5s.toFixed(1)}/s of ${r.quota}/s, ${r.getLogEventsThrottled} throttled`
      )
      .join('; ')
  })
  goals.push({
    goal: 'Step end at most 1 s after stop detection (median), following on',
    reached:
      on.length > 0 && on.every((r) => r.stepEnd.median !== undefined && r.stepEnd.median <= 1000),
    measured: on.map((r) => `${r.jobs} jobs: ${seconds(r.stepEnd.median)}`).join('; ')
  })
  const one = on.find((r) => r.jobs === 1)
  const lag = one ? median(one.lines.lagFromWritten) : undefined
  goals.push({
    goal: 'One job: median lag at most 5 s, stop detection median at most 0.7 s',
    reached:
      lag !== undefined &&
      lag <= 5000 &&
      one?.detection.median !== undefined &&
      one.detection.median <= 700,
    measured:
      one === undefined
        ? 'not measured'
        : `lag from the line's timestamp ${lagText(one.lines.lagFromWritten)} (median / p95), ` +
          `stop detection ${seconds(one.detection.median)} after stopped.json was written`
  })
  const pairs = on
    .map((r) => [r, runs.find((b) => !b.follow && b.jobs === r.jobs)] as const)
    .filter((p): p is readonly [FollowGoalInput, FollowGoalInput] => p[1] !== undefined)
  if (pairs.length === 0) return goals
  goals.push({
    goal: 'Stop detection and ECS/S3 calls unchanged by following',
    reached: pairs.every(
      ([a, b]) =>
        a.ecsDuringPerJob === b.ecsDuringPerJob &&
        Math.abs((a.stopLatency.median ?? 0) - (b.stopLatency.median ?? 0)) <= 1000 &&
        Math.abs(a.s3ReadsPerTaskMinute - b.s3ReadsPerTaskMinute) <= 0.15 * b.s3ReadsPerTaskMinute
    ),
    measured: pairs
      .map(
        ([a, b]) =>
          `${a.jobs} jobs on / off: stop latency median ${seconds(a.stopLatency.median)} / ` +
          `${seconds(b.stopLatency.median)}, ECS calls per job during the wait ` +
          `${a.ecsDuringPerJob.toFixed(2)} / ${b.ecsDuringPerJob.toFixed(2)}, S3 reads per ` +
          `task-minute ${a.s3ReadsPerTaskMinute.toFixed(1)} / ${b.s3ReadsPerTaskMinute.toFixed(1)}`
      )
      .join('; ')
  })
  return goals
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`
}
