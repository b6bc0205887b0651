/**
 * `npm run bench`: the fan-out benchmark. For each size and variant (bench/lib/report.ts,
 * VARIANTS) it starts a fresh local simulator (sim/) on 127.0.0.1, runs every job at once, and
 * measures failures, throttling, ECS calls per job before and during the wait, revisions, S3
 * reads, stop-detection latency, peak RSS and start-up time; then writes bench/RESULTS.md and
 * bench/README-section.md. Every run is bounded in jobs and time and stops by itself.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { format, resolveConfig } from 'prettier'
import { RegisterTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs'
import { loadAndRender } from '../src/definition/index.js'
import { startLocalAws, type LocalAws, type TaskTimeline } from '../sim/index.js'
import { runActionJob, runScriptJob, type JobOutcome } from './lib/jobs.js'
import { startRecordingProxy, type RecordedRequest, type RecordingProxy } from './lib/proxy.js'
import {
  VARIANTS,
  VARIANT_LABELS,
  checkGoals,
  readmeSection,
  resultsMarkdown,
  type RunResult,
  type SoloResult,
  type Variant
} from './lib/report.js'
import { spliceSection } from './lib/register-report.js'
import type { SdkWaiterSpec } from './lib/sdk-waiter.js'
import {
  addCounts,
  diffCounts,
  median,
  percentile,
  perJob,
  splitAtRunTask,
  textTable,
  total
} from './lib/stats.js'
import type { InProcessConfig, InProcessReport } from './in-process.js'

const ROOT = resolve(import.meta.dirname, '..')
const DEFINITION = '__fixtures__/e2e/oneshot.yml'
const MAX_PROCESS_JOBS = 300
const MAX_IN_PROCESS_JOBS = 2000
/** How long any job may take beyond its task's own length before the bench gives up on it. */
const SLACK_SECONDS = 240
/** A second RegisterTaskDefinition of a family within this many simulated seconds is refused. */
const REGISTER_CONFLICT_SECONDS = 0.3

const USAGE = `Usage: npm run bench -- [options]

  --sizes <n,n>            jobs as separate processes (default 60,200; at most ${MAX_PROCESS_JOBS})
  --in-process <n,n>       jobs in one process (default 1000; at most ${MAX_IN_PROCESS_JOBS}); 0 for none
  --variants <v,v>         ${VARIANTS.join(',')} (default all)
  --task-seconds <s>       simulated seconds each task runs (default 30)
  --time-scale <x>         real seconds per simulated second (default 1, real time)
  --in-process-spread <s> start the in-process jobs evenly over this many seconds (default 30:
                           33 RunTask calls per second, under ECS's refill of 40); 0 all at once
  --solo <n>               jobs run one at a time for uncontended start-up and memory (default 5)
  --out <dir>              where RESULTS.md and README-section.md go (default bench/); '-' prints only
  --help
`

function say(line = ''): void {
  process.stdout.write(`${line}\n`)
}

interface Options {
  sizes: number[]
  inProcess: number[]
  variants: Variant[]
  taskSeconds: number
  timeScale: number
  solo: number
  spreadSeconds: number
  out: string | undefined
}

function numbers(raw: string, what: string, max: number): number[] {
  if (raw.trim() === '0' || raw.trim() === '') return []
  return raw.split(',').map((s) => {
    const n = Number(s)
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new Error(`${what}: '${s}' is not a whole number from 1 to ${max}`)
    }
    return n
  })
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '60,200' },
      'in-process': { type: 'string', default: '1000' },
      variants: { type: 'string', default: VARIANTS.join(',') },
      'task-seconds': { type: 'string', default: '30' },
      'time-scale': { type: 'string', default: '1' },
      solo: { type: 'string', default: '5' },
      'in-process-spread': { type: 'string', default: '30' },
      out: { type: 'string', default: 'bench' },
      help: { type: 'boolean', default: false }
    },
    strict: true
  })
  if (values.help) return 'help'
  const variants = values.variants.split(',').map((v) => v.trim()) as Variant[]
  for (const v of variants) {
    if (!VARIANTS.includes(v))
      throw new Error(`--variants: '${v}' is not one of ${VARIANTS.join(', ')}`)
  }
  const taskSeconds = Number(values['task-seconds'])
  if (!(taskSeconds >= 1 && taskSeconds <= 600))
    throw new Error('--task-seconds must be within 1..600')
  const timeScale = Number(values['time-scale'])
  if (!(timeScale > 0 && timeScale <= 10))
    throw new Error('--time-scale must be above 0 and at most 10')
  const solo = Number(values.solo)
  if (!Number.isInteger(solo) || solo < 0 || solo > 20)
    throw new Error('--solo must be within 0..20')
  const spreadSeconds = Number(values['in-process-spread'])
  if (!(spreadSeconds >= 0 && spreadSeconds <= 120)) {
    throw new Error('--in-process-spread must be within 0..120 seconds')
  }
  return {
    spreadSeconds,
    sizes: numbers(values.sizes, '--sizes', MAX_PROCESS_JOBS),
    inProcess: numbers(values['in-process'], '--in-process', MAX_IN_PROCESS_JOBS),
    variants,
    taskSeconds,
    timeScale,
    solo,
    out: values.out === '-' ? undefined : resolve(ROOT, values.out)
  }
}

/** Bundles a bench entry with ncc, as the action is bundled, so no TypeScript loader runs in it. */
function bundle(entry: string, outDir: string): string {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
      'build',
      entry,
      '-o',
      outDir,
      '--target',
      'es2022',
      '-q',
      '-t'
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }
  )
  return join(outDir, 'index.js')
}

interface Context {
  options: Options
  spec: SdkWaiterSpec
  sdkJob: string
  inProcessJob: string
  work: string
}

const GITHUB = {
  GITHUB_REPOSITORY: 'acme/batch',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_WORKFLOW: 'bench'
}

async function freshSim(ctx: Context): Promise<LocalAws> {
  return startLocalAws({
    timeScale: ctx.options.timeScale,
    seed: 11,
    clusters: ['e2e'],
    // ECS refuses a registration of a family while another is in progress ("Too many concurrent
    // attempts to create a new revision", docs/limits.md, "Registration"); modelled as a 0.3 s window.
    timings: { registerConflictSeconds: REGISTER_CONFLICT_SECONDS }
  })
}

/**
 * For a run on a changed definition: an older, different revision of the family exists, so
 * every job's compare finds a difference and they race to register.
 */
async function registerPrevious(local: LocalAws, ctx: Context): Promise<void> {
  const ecs = new ECSClient(local.clientConfig('ecs'))
  const request = ctx.spec.registerRequest
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      ...request,
      containerDefinitions: (request.containerDefinitions ?? []).map((c) => ({
        ...c,
        image: `${(c.image ?? '').split(':')[0] ?? ''}:previous`
      }))
    })
  )
  ecs.destroy()
}

function jobId(variant: Variant, index: number): string {
  return `${variant}-${String(index).padStart(4, '0')}`
}

function latencyStats(values: number[]): { median?: number; p99?: number; max?: number } {
  return { median: median(values), p99: percentile(values, 99), max: percentile(values, 100) }
}

function failureReasons(reasons: string[]): string[] {
  const counts = new Map<string, number>()
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1)
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([r, n]) => `${n} × ${r}`)
}

/** The reason a job process failed, from its last error annotation or stderr line. */
function reasonOf(o: JobOutcome): string {
  const error = o.stdout
    .split('\n')
    .filter((l) => l.startsWith('::error'))
    .pop()
  const text = error?.replace(/^::error[^:]*::/, '') ?? o.stderr.trim().split('\n').pop() ?? ''
  // Task ids and ARNs differ per job; keep the reason's shape so equal reasons group.
  return (text || `exit code ${String(o.exitCode)}`)
    .replace(/arn:aws:ecs:[^\s'"]+/g, '<arn>')
    .replace(/\b[0-9a-f]{32}\b/g, '<id>')
    .slice(0, 200)
}

/** A fresh simulator with recording proxies in front, and the env a job needs to use them. */
async function proxiedSim(ctx: Context): Promise<{
  local: LocalAws
  ecsProxy: RecordingProxy
  s3Proxy: RecordingProxy
  env: Record<string, string>
}> {
  const local = await freshSim(ctx)
  const ecsProxy = await startRecordingProxy(local.ecsEndpoint)
  const s3Proxy = await startRecordingProxy(local.s3Endpoint)
  const env = {
    ...local.env,
    ...GITHUB,
    AWS_ENDPOINT_URL_ECS: ecsProxy.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: ecsProxy.endpoint,
    AWS_ENDPOINT_URL_S3: s3Proxy.endpoint
  }
  return { local, ecsProxy, s3Proxy, env }
}

async function processRun(ctx: Context, variant: Variant, jobs: number): Promise<RunResult> {
  const { local, ecsProxy, s3Proxy, env } = await proxiedSim(ctx)
  try {
    const taskEnv = `SIM_RUN_SECONDS=${ctx.options.taskSeconds}`
    let taskDefinition: string | undefined
    if (variant === 'a' || variant === 'b') {
      const prep = await runActionJob({
        id: 'prepare',
        inputs: { definition: DEFINITION, mode: 'register', 'notification-prefix': local.prefix },
        env,
        cwd: ROOT
      })
      taskDefinition = prep.outputs['task-definition-arn']
      if (!taskDefinition) throw new Error(`the prepare step failed: ${reasonOf(prep)}`)
    }
    if (variant === 'a-register') await registerPrevious(local, ctx)
    const baseline = local.stats()
    const killAfterMs = (ctx.options.taskSeconds * ctx.options.timeScale + SLACK_SECONDS) * 1000
    const specFile = join(ctx.work, `spec-${variant}-${jobs}.json`)
    writeFileSync(specFile, JSON.stringify({ ...ctx.spec, maxWaitSeconds: killAfterMs / 1000 }))

    const outcomes = await Promise.all(
      Array.from({ length: jobs }, (_, i) => {
        const id = jobId(variant, i)
        if (variant === 'c') {
          return runScriptJob({
            id,
            script: ctx.sdkJob,
            env: { ...env, BENCH_SPEC: specFile, BENCH_JOB: id },
            cwd: ROOT,
            killAfterMs
          })
        }
        return runActionJob({
          id,
          inputs: {
            definition: DEFINITION,
            'notification-prefix': variant === 'b' ? 'none' : local.prefix,
            ...(taskDefinition ? { 'task-definition': taskDefinition } : {}),
            'started-by': id,
            env: `${taskEnv}\nSHARD=${i}`
          },
          env: { ...env, GITHUB_JOB: `shard-${i}` },
          cwd: ROOT,
          killAfterMs
        })
      })
    )
    await local.settled()
    const stats = local.stats()
    const timelines = new Map<string, TaskTimeline>(stats.tasks.map((t) => [t.startedBy ?? '', t]))
    const ecsRequests = groupBy(ecsProxy.requests(), (r) => r.appId)
    const s3Requests = groupBy(s3Proxy.requests(), (r) => r.appId)

    let before: Record<string, number> = {}
    let during: Record<string, number> = {}
    let beforeMax = 0
    let reads = 0
    let waitMs = 0
    const fromStopped: number[] = []
    const fromWritten: number[] = []
    const firstRequest: number[] = []
    const reasons: string[] = []
    for (const o of outcomes) {
      const mine = ecsRequests.get(o.id) ?? []
      const split = splitAtRunTask(mine)
      before = addCounts(before, split.before)
      during = addCounts(during, split.during)
      beforeMax = Math.max(beforeMax, total(split.before))
      const all = [...mine, ...(s3Requests.get(o.id) ?? [])]
      if (all.length > 0) firstRequest.push(Math.min(...all.map((r) => r.at)) - o.startedAt)
      const t = timelines.get(o.id)
      const ok = o.exitCode === 0 && o.noticedAt !== undefined
      if (!ok) reasons.push(reasonOf(o))
      if (t && o.noticedAt !== undefined) {
        if (t.stoppedAt !== undefined) fromStopped.push(o.noticedAt - t.stoppedAt)
        if (variant !== 'b' && variant !== 'c' && t.stopEventWrittenAt !== undefined) {
          fromWritten.push(o.noticedAt - t.stopEventWrittenAt)
        }
      }
      // Every job's reads count, so every started job's wait does: to the stop seen, else its end.
      const runTaskAt = mine.filter((r) => r.operation === 'RunTask' && r.status === 200).pop()?.at
      if (runTaskAt !== undefined) waitMs += (o.noticedAt ?? o.endedAt) - runTaskAt
      reads += (s3Requests.get(o.id) ?? []).filter((r) => r.operation === 'GetObject').length
    }
    const calls = diffCounts(stats.ecs.calls, baseline.ecs.calls)
    const throttled = diffCounts(stats.ecs.throttled, baseline.ecs.throttled)
    const rss = outcomes.map((o) => o.maxRssBytes).filter((v): v is number => v !== undefined)
    const prepareCalls = countOps(ecsRequests.get('prepare') ?? [])
    return {
      variant,
      jobs,
      mode: 'processes',
      failed: reasons.length,
      failureReasons: failureReasons(reasons),
      throttled: total(throttled),
      throttledByOperation: throttled,
      beforePerJob: perJob(before, jobs),
      beforeMax,
      duringPerJob: perJob(during, jobs),
      revisions: (calls.RegisterTaskDefinition ?? 0) - (throttled.RegisterTaskDefinition ?? 0),
      ...(total(prepareCalls) > 0 ? { prepareCalls } : {}),
      s3ReadsPerTaskMinute: waitMs > 0 ? reads / (waitMs / 60000) : 0,
      fromStopped: latencyStats(fromStopped),
      ...(fromWritten.length > 0 ? { fromWritten: latencyStats(fromWritten) } : {}),
      rss: { median: median(rss), max: percentile(rss, 100) },
      firstRequest: { median: median(firstRequest), p95: percentile(firstRequest, 95) },
      wallMs:
        Math.max(...outcomes.map((o) => o.endedAt)) - Math.min(...outcomes.map((o) => o.startedAt))
    }
  } finally {
    await ecsProxy.close()
    await s3Proxy.close()
    await local.close()
  }
}

function countOps(requests: RecordedRequest[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of requests) if (r.service === 'ecs') out[r.operation] = (out[r.operation] ?? 0) + 1
  return out
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const list = map.get(k)
    if (list) list.push(item)
    else map.set(k, [item])
  }
  return map
}

async function inProcessRun(ctx: Context, variant: Variant, jobs: number): Promise<RunResult> {
  const local = await freshSim(ctx)
  try {
    let taskDefinition: string | undefined
    if (variant === 'a' || variant === 'b') {
      const ecs = new ECSClient(local.clientConfig('ecs'))
      const out = await ecs.send(new RegisterTaskDefinitionCommand(ctx.spec.registerRequest))
      taskDefinition = out.taskDefinition?.taskDefinitionArn
      ecs.destroy()
    }
    if (variant === 'a-register') await registerPrevious(local, ctx)
    const baseline = local.stats()
    const spreadMs = ctx.options.spreadSeconds * 1000
    const limitMs =
      (ctx.options.taskSeconds * ctx.options.timeScale + SLACK_SECONDS) * 1000 + spreadMs
    const config: InProcessConfig = {
      spreadMs,
      variant,
      jobs,
      spec: { ...ctx.spec, maxWaitSeconds: limitMs / 1000 },
      prefix: local.prefix,
      ...(taskDefinition ? { taskDefinition } : {}),
      deadline: Date.now() + limitMs
    }
    const configFile = join(ctx.work, `in-process-${variant}-${jobs}.json`)
    const reportFile = join(ctx.work, `in-process-${variant}-${jobs}.out.json`)
    writeFileSync(configFile, JSON.stringify(config))
    const outcome = await runScriptJob({
      id: `${variant}-process`,
      script: ctx.inProcessJob,
      args: [configFile, reportFile],
      env: { ...local.env },
      cwd: ROOT,
      killAfterMs: limitMs + 60_000
    })
    if (outcome.exitCode !== 0 || !existsSync(reportFile)) {
      throw new Error(
        `the in-process run failed (exit ${String(outcome.exitCode)}): ${outcome.stderr.slice(-2000)}`
      )
    }
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as InProcessReport
    await local.settled()
    const stats = local.stats()
    const timelines = new Map<string, TaskTimeline>(stats.tasks.map((t) => [t.startedBy ?? '', t]))
    let before: Record<string, number> = {}
    let during: Record<string, number> = {}
    let beforeMax = 0
    let reads = 0
    let waitMs = 0
    const fromStopped: number[] = []
    const fromWritten: number[] = []
    const reasons: string[] = []
    for (const job of report.jobs) {
      before = addCounts(before, job.before)
      during = addCounts(during, job.during)
      beforeMax = Math.max(beforeMax, total(job.before))
      if (!job.ok) {
        reasons.push(
          (job.error ?? `exit code ${String(job.exitCode)}`)
            .replace(/arn:aws:ecs:[^\s'"]+/g, '<arn>')
            .slice(0, 200)
        )
      }
      const t = timelines.get(job.id)
      if (t && job.noticedAt !== undefined) {
        if (t.stoppedAt !== undefined) fromStopped.push(job.noticedAt - t.stoppedAt)
        if ((variant === 'a' || variant === 'a-register') && t.stopEventWrittenAt !== undefined) {
          fromWritten.push(job.noticedAt - t.stopEventWrittenAt)
        }
        // Reads and wait of the jobs that saw their stop (a job that did not has no end time here).
        if (job.runTaskAt !== undefined) {
          waitMs += job.noticedAt - job.runTaskAt
          reads += job.s3Reads
        }
      }
    }
    const calls = diffCounts(stats.ecs.calls, baseline.ecs.calls)
    const throttled = diffCounts(stats.ecs.throttled, baseline.ecs.throttled)
    const firsts = report.jobs
      .map((j) => j.firstRequestAt)
      .filter((v): v is number => v !== undefined)
    return {
      variant,
      jobs,
      mode: 'one process',
      failed: reasons.length,
      failureReasons: failureReasons(reasons),
      throttled: total(throttled),
      throttledByOperation: throttled,
      beforePerJob: perJob(before, jobs),
      beforeMax,
      duringPerJob: perJob(during, jobs),
      revisions: (calls.RegisterTaskDefinition ?? 0) - (throttled.RegisterTaskDefinition ?? 0),
      s3ReadsPerTaskMinute: waitMs > 0 ? reads / (waitMs / 60000) : 0,
      fromStopped: latencyStats(fromStopped),
      ...(fromWritten.length > 0 ? { fromWritten: latencyStats(fromWritten) } : {}),
      rss: {
        median: outcome.maxRssBytes,
        max: Math.max(outcome.maxRssBytes ?? 0, report.peakRssBytes)
      },
      firstRequest: {
        median: firsts.length > 0 ? Math.min(...firsts) - outcome.startedAt : undefined
      },
      wallMs: outcome.endedAt - outcome.startedAt
    }
  } finally {
    await local.close()
  }
}

/** Jobs one at a time on an idle machine: start-up and memory without contention. */
async function soloRuns(ctx: Context, runs: number): Promise<SoloResult> {
  const { local, ecsProxy, s3Proxy, env } = await proxiedSim(ctx)
  try {
    const prep = await runActionJob({
      id: 'prepare',
      inputs: { definition: DEFINITION, mode: 'register', 'notification-prefix': local.prefix },
      env,
      cwd: ROOT
    })
    const taskDefinition = prep.outputs['task-definition-arn'] ?? ''
    const firsts: number[] = []
    const rss: number[] = []
    for (let i = 0; i < runs; i++) {
      const id = `solo-${i}`
      const o = await runActionJob({
        id,
        inputs: {
          definition: DEFINITION,
          'notification-prefix': local.prefix,
          'task-definition': taskDefinition,
          'started-by': id,
          env: 'SIM_RUN_SECONDS=2'
        },
        env,
        cwd: ROOT,
        killAfterMs: 60_000
      })
      const first = ecsProxy.requests().find((r) => r.appId === id)
      if (first) firsts.push(first.at - o.startedAt)
      if (o.maxRssBytes !== undefined) rss.push(o.maxRssBytes)
    }
    const nodeStarts: number[] = []
    for (let i = 0; i < 5; i++) {
      const t = Date.now()
      spawnSync(process.execPath, ['-e', '0'])
      nodeStarts.push(Date.now() - t)
    }
    return {
      runs,
      firstRequest: { median: median(firsts), max: percentile(firsts, 100) },
      rss: { median: median(rss), max: percentile(rss, 100) },
      nodeStartMs: median(nodeStarts)
    }
  } finally {
    await ecsProxy.close()
    await s3Proxy.close()
    await local.close()
  }
}

/** Writes Markdown formatted as the repository's Prettier settings want it (lint checks it). */
async function writeMarkdown(file: string, markdown: string): Promise<void> {
  const config = (await resolveConfig(file)) ?? {}
  writeFileSync(file, await format(markdown, { ...config, filepath: file }))
}

/** What a reader needs to read the numbers right. */
function notes(options: Options): string[] {
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
      'each process needs about 0.3 s of CPU to start, and with fair scheduling 200 of them finish loading ' +
      'together half a minute later (which also bunches their first ECS calls into a burst). On GitHub each job ' +
      'has a runner of its own; the "one job at a time" figure is the one that applies there.'
  )
  if (options.spreadSeconds > 0) {
    list.push(
      `In one process, job i starts i × ${options.spreadSeconds} s / jobs after the first (1,000 jobs: ` +
        `${Math.round(1000 / options.spreadSeconds)} per second), as matrix jobs start when runners pick them up. ` +
        "All 1,000 in the same second (--in-process-spread 0) cannot stay inside RunTask's bucket (100 burst, 40 " +
        'per second) whatever the launcher: at least 900 throttled answers. The one-job fan-out ' +
        '(count / tasks with launch-rate, below) paces its own launches instead.'
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

function summaryRow(r: RunResult): string[] {
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

async function main(): Promise<number> {
  let options: Options | 'help'
  try {
    options = parseOptions(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return 2
  }
  if (options === 'help') {
    say(USAGE)
    return 0
  }
  const begin = Date.now()
  const work = mkdtempSync(join(tmpdir(), 'oneshot-bench-'))
  try {
    say('Bundling the baseline job and the in-process runner with ncc ...')
    const sdkJob = bundle('bench/sdk-waiter-job.ts', join(work, 'sdk-waiter-job'))
    const inProcessJob = bundle('bench/in-process.ts', join(work, 'in-process'))
    const rendered = await loadAndRender(DEFINITION, { containers: [], cwd: ROOT })
    const spec: SdkWaiterSpec = {
      registerRequest: rendered.registerRequest,
      runTaskRequest: { ...rendered.runTaskRequest },
      env: { SIM_RUN_SECONDS: String(options.taskSeconds) },
      maxWaitSeconds: 0
    }
    const ctx: Context = { options, spec, sdkJob, inProcessJob, work }
    const results: RunResult[] = []
    const header = [
      'variant',
      'jobs',
      'failed',
      'throttled',
      'ECS/job before/during',
      'revs',
      'S3/task-min',
      'latency s med/p99',
      'RSS MB max',
      'first req ms',
      'wall s'
    ]
    const show = (r: RunResult): void => {
      results.push(r)
      say(
        textTable(header, [summaryRow(r)])
          .split('\n')
          .pop()
      )
    }
    say(textTable(header, []).split('\n').slice(0, 2).join('\n'))
    for (const jobs of options.sizes) {
      for (const variant of options.variants) show(await processRun(ctx, variant, jobs))
    }
    for (const jobs of options.inProcess) {
      for (const variant of options.variants) show(await inProcessRun(ctx, variant, jobs))
    }
    const solo = options.solo > 0 ? await soloRuns(ctx, options.solo) : undefined
    if (solo) {
      say(
        `alone: start to first request median ${Math.round(solo.firstRequest.median ?? NaN)} ms, ` +
          `peak RSS median ${Math.round((solo.rss.median ?? 0) / 1e6)} MB; bare node start ${solo.nodeStartMs ?? '-'} ms`
      )
    }
    const goals = checkGoals(results, solo)
    say()
    for (const g of goals) say(`${g.reached ? 'reached    ' : 'NOT reached'}  ${g.goal}`)
    const totalMs = Date.now() - begin
    if (options.out) {
      const fanoutFile = join(options.out, 'RESULTS-fanout.md')
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
            'RunTask 100 burst / 40 per s, DescribeTasks 100 / 20, RegisterTaskDefinition 20 / 1, ' +
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
        ...(existsSync(join(options.out, 'RESULTS-follow.md'))
          ? { follow: readFileSync(join(options.out, 'RESULTS-follow.md'), 'utf8') }
          : {})
      })
      // The register race (bench/register.ts) keeps its own section of the page.
      const registerFile = join(options.out, 'RESULTS-register.md')
      await writeMarkdown(
        join(options.out, 'RESULTS.md'),
        existsSync(registerFile)
          ? spliceSection(markdown, readFileSync(registerFile, 'utf8'))
          : markdown
      )
      await writeMarkdown(
        join(options.out, 'README-section.md'),
        readmeSection(results, new Date().toISOString().slice(0, 10))
      )
      say(
        `\nWrote ${join(options.out, 'RESULTS.md')} and README-section.md (${(totalMs / 60000).toFixed(1)} minutes)`
      )
    }
    return 0
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    )
    process.exitCode = 1
  }
)
