/**
 * The sums of one fan-out run, job by job, the same for job processes and for jobs in one
 * process: ECS calls before and during the wait, S3 reads over the time spent waiting, stop
 * latencies and the reasons of the jobs that failed.
 */
import type { TaskTimeline } from '../../sim/index.js'
import type { RunResult } from './report.js'
import { addCounts, diffCounts, median, percentile, perJob, total } from './stats.js'

/** One job as the tally needs it. */
export interface TalliedJob {
  before: Record<string, number>
  during: Record<string, number>
  /** The step succeeded, the task exited 0 and the job saw it stop. */
  ok: boolean
  /** Why it did not, asked only for a job that failed. */
  reason: () => string
  /** Epoch ms of the first answer that told the job its task stopped. */
  noticedAt?: number
  /** Epoch ms when RunTask started its task (the wait began). */
  runTaskAt?: number
  /** Epoch ms of the job's end (its process exit, or `run` resolving). */
  endedAt?: number
  s3Reads: number
}

function latencyStats(values: number[]): { median?: number; p99?: number; max?: number } {
  return { median: median(values), p99: percentile(values, 99), max: percentile(values, 100) }
}

/** Up to three reasons, the most frequent first, as `<n> × <reason>`. */
export function failureReasons(reasons: string[]): string[] {
  const counts = new Map<string, number>()
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1)
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([r, n]) => `${n} × ${r}`)
}

/** The sums of one run; `add` every job, then `result`. */
export class Tally {
  private before: Record<string, number> = {}
  private during: Record<string, number> = {}
  private beforeMax = 0
  private reads = 0
  private waitMs = 0
  private readonly fromStopped: number[] = []
  private readonly fromWritten: number[] = []
  private readonly reasons: string[] = []

  /**
   * @param timelines the simulator's tasks by `startedBy` (the job id)
   * @param fromWritten whether this variant waits on stopped.json (its latency from the write)
   */
  constructor(
    private readonly timelines: ReadonlyMap<string, TaskTimeline>,
    private readonly fromWrittenToo: boolean
  ) {}

  add(id: string, job: TalliedJob): void {
    this.before = addCounts(this.before, job.before)
    this.during = addCounts(this.during, job.during)
    this.beforeMax = Math.max(this.beforeMax, total(job.before))
    if (!job.ok) this.reasons.push(job.reason())
    const t = this.timelines.get(id)
    if (t && job.noticedAt !== undefined) {
      if (t.stoppedAt !== undefined) this.fromStopped.push(job.noticedAt - t.stoppedAt)
      if (this.fromWrittenToo && t.stopEventWrittenAt !== undefined) {
        this.fromWritten.push(job.noticedAt - t.stopEventWrittenAt)
      }
    }
    // Every job's reads count, so every started job's wait does: to the stop seen, else its end.
    if (job.runTaskAt !== undefined) {
      this.waitMs += (job.noticedAt ?? job.endedAt ?? job.runTaskAt) - job.runTaskAt
      this.reads += job.s3Reads
    }
  }

  /** The run's figures that come from its jobs and the simulator's counters. */
  result(
    jobs: number,
    calls: { now: Record<string, number>; before: Record<string, number> },
    throttledCalls: { now: Record<string, number>; before: Record<string, number> }
  ): Omit<RunResult, 'variant' | 'mode' | 'rss' | 'firstRequest' | 'wallMs' | 'prepareCalls'> {
    const registered = diffCounts(calls.now, calls.before)
    const throttled = diffCounts(throttledCalls.now, throttledCalls.before)
    return {
      jobs,
      failed: this.reasons.length,
      failureReasons: failureReasons(this.reasons),
      throttled: total(throttled),
      throttledByOperation: throttled,
      beforePerJob: perJob(this.before, jobs),
      beforeMax: this.beforeMax,
      duringPerJob: perJob(this.during, jobs),
      revisions: (registered.RegisterTaskDefinition ?? 0) - (throttled.RegisterTaskDefinition ?? 0),
      ...(registered.DescribeServices !== undefined
        ? { describeServices: registered.DescribeServices }
        : {}),
      s3ReadsPerTaskMinute: this.waitMs > 0 ? this.reads / (this.waitMs / 60000) : 0,
      fromStopped: latencyStats(this.fromStopped),
      ...(this.fromWritten.length > 0 ? { fromWritten: latencyStats(this.fromWritten) } : {})
    }
  }
}
