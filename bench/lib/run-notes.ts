/**
 * The fan-out benchmark's words around its numbers: the notes under the results table, the row
 * printed as each run ends, and Markdown written the way the repository's Prettier wants it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { format, resolveConfig } from 'prettier'
import { REGISTER_CONFLICT_SECONDS, type Options } from './fanout-sim.js'
import { spliceSection } from './register-report.js'
import {
  VARIANT_LABELS,
  readmeSection,
  resultsMarkdown,
  type GoalCheck,
  type RunResult,
  type SoloResult
} from './report.js'
import { total } from './stats.js'

/** Writes Markdown formatted as the repository's Prettier settings want it (lint checks it). */
export async function writeMarkdown(file: string, markdown: string): Promise<void> {
  const config = (await resolveConfig(file)) ?? {}
  writeFileSync(file, await format(markdown, { ...config, filepath: file }))
}

/** What a reader needs to read the numbers right. */
export function notes(options: Options): string[] {
  const list: string[] = []
  list.push(
    options.timeScale === 1
      ? 'Time scale 1: the simulator runs in real time, so simulated and real seconds are the same and every ' +
          "latency is what a real 30-second task would see. The action's poll interval, its backoffs and the SDK " +
          "waiter's delays are real time and never scale: at another --time-scale tasks get shorter while the " +
          'polling does not, so (b) and (c) latencies and call counts would no longer be those of 30-second tasks ' +
          "((a)'s would: its read interval is flat for the first 50 s of a wait)."
      : `Time scale ${options.timeScale}: tasks last ${options.taskSeconds * options.timeScale} real seconds. ` +
          "Latencies are real seconds; the action's poll interval and backoffs do not scale, so (b) and (c) " +
          'latencies and call counts are not those of real-length tasks.'
  )
  list.push(
    `"Start to first request" with many processes measures this ${cpus().length}-core machine, not the action: ` +
      'every process needs the CPU time of the "one job at a time" start to load, and with fair scheduling ' +
      '200 of them finish loading together long after they were spawned. Their timers then fire late while ' +
      'the others load, which is why the stop latency of 200 processes is seconds. On GitHub each job has a ' +
      'runner of its own; the "one job at a time" figure is the one that applies there.'
  )
  if (options.spreadSeconds > 0) {
    list.push(
      `In one process, job i starts i × ${options.spreadSeconds} s / jobs after the first (1,000 jobs: ` +
        `${Math.round(1000 / options.spreadSeconds)} per second), as matrix jobs start when runners pick them up. ` +
        'Every job, in one process or as a process of its own, gets the strategy values a matrix job gets ' +
        '(`job-index` 0 to N-1, `job-total` N), so its first RunTask waits for its place in a spread over ' +
        'N / 10 seconds, half of Fargate\'s RunTask refill (docs/limits.md, "Spreading RunTask over a ' +
        'fan-out"), whenever the job starts.'
    )
  }
  list.push(
    'Register if changed: every job describes the family (DescribeTaskDefinition: 50 burst, ' +
      "20 per second) and registers when it differs. A job whose describe came before another job's " +
      'registration, and whose own registration comes more than 0.3 s after it, registers one more ' +
      "revision; on this machine CPU starvation stretches the gap between a job's describe and its " +
      'register, so the count varies from run to run. 200 processes that finish starting together, ' +
      'or 33 jobs a second in one process, describe faster than 20 per second, so ' +
      'DescribeTaskDefinition is throttled and retried (src/ecs/register.ts backs off and describes ' +
      'again). The shared task-definition (prepare once, fan out) spends none of these calls.'
  )
  list.push(
    'S3 reads count every GetObject of a job (stopped.json, and started.json until it appears) over the time ' +
      'from RunTask answering to the stop seen; the read schedule is src/wait/schedule.ts.'
  )
  list.push(
    'Peak RSS: a bare `node -e 0` peaks at about 44 MB here; importing @actions/core alone adds about 17 MB ' +
      '(it loads @actions/http-client and undici for OIDC tokens, which the action never asks for), the five SDK ' +
      "clients about 37 MB more; the bundle's dry-run, which calls nothing, peaks at about 96 MB. Node 20 here; " +
      'the runner runs the action on Node 24.'
  )
  return list
}

/** One row of the table printed as the runs finish. */
export function summaryRow(r: RunResult): string[] {
  return [
    VARIANT_LABELS[r.variant],
    `${r.jobs}${r.mode === 'one process' ? ' (1 proc)' : ''}`,
    String(r.failed),
    String(r.throttled),
    `${total(r.beforePerJob).toFixed(2)}/${total(r.duringPerJob).toFixed(2)}`,
    String(r.revisions),
    r.s3ReadsPerTaskMinute.toFixed(1),
    `${((r.fromStopped.median ?? NaN) / 1000).toFixed(2)}/${((r.fromStopped.p99 ?? NaN) / 1000).toFixed(2)}`,
    `${Math.round((r.rss.max ?? 0) / 1e6)}`,
    `${Math.round(r.firstRequest.median ?? NaN)}`,
    `${(r.wallMs / 1000).toFixed(0)}`
  ]
}

/** What one `npm run bench` measured, for its pages. */
export interface BenchRun {
  options: Options
  results: RunResult[]
  solo: SoloResult | undefined
  goals: GoalCheck[]
  totalMs: number
}

/**
 * Writes RESULTS.md (with the sections of the other benchmarks' pages found in `out`) and
 * README-section.md into `out`.
 */
export async function writePages(out: string, run: BenchRun): Promise<void> {
  const { options, results, solo, goals, totalMs } = run
  const fanoutFile = join(out, 'RESULTS-fanout.md')
  const markdown = resultsMarkdown({
    machine: {
      date: new Date().toISOString().slice(0, 10),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      os: `${platform()} ${release()}`
    },
    settings: {
      timeScale: options.timeScale,
      taskSeconds: options.taskSeconds,
      pollInterval: 1,
      throttling:
        'RunTask 100 burst / 40 per s and, for Fargate, 20 / 20 and the tasks it launches 100 / 20; ' +
        'DescribeTasks 100 / 20 (DescribeServices draws from the same bucket), ' +
        'RegisterTaskDefinition 20 / 1, ' +
        'DescribeTaskDefinition 50 / 20; a registration of a family within ' +
        `${REGISTER_CONFLICT_SECONDS} s of the previous one answers "Too many concurrent attempts to ` +
        'create a new revision of the specified family", as ECS refuses concurrent registrations',
      delivery: 'each event 0.3 s + up to 0.4 s after the change, no loss',
      totalMs
    },
    results,
    ...(solo ? { solo } : {}),
    goals,
    notes: notes(options),
    ...(existsSync(fanoutFile)
      ? // Its headings go one level below this page's "One job fanning out".
        { fanout: readFileSync(fanoutFile, 'utf8').replace(/^(#+) /gm, '##$1 ') }
      : {}),
    ...(existsSync(join(out, 'RESULTS-follow.md'))
      ? { follow: readFileSync(join(out, 'RESULTS-follow.md'), 'utf8') }
      : {})
  })
  // The register race (bench/register.ts) keeps its own section of the page.
  const registerFile = join(out, 'RESULTS-register.md')
  await writeMarkdown(
    join(out, 'RESULTS.md'),
    existsSync(registerFile)
      ? spliceSection(markdown, readFileSync(registerFile, 'utf8'))
      : markdown
  )
  await writeMarkdown(
    join(out, 'README-section.md'),
    readmeSection(results, new Date().toISOString().slice(0, 10))
  )
  process.stdout.write(
    `\nWrote ${join(out, 'RESULTS.md')} and README-section.md (${(totalMs / 60000).toFixed(1)} minutes)\n`
  )
}
