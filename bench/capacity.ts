/**
 * `npm run bench:capacity`: account quotas and RunTask bursts, before and after. Three runs, each
 * on a fresh simulator (sim/) with ECS's token buckets, for two bundles of the action (the
 * current sources, and a baseline commit's):
 *
 * - quota: N job processes (default 60), a matrix released together, on a Fargate quota of room
 *   for Q tasks (default 20: 256-CPU tasks under a vCPU quota of Q / 4);
 * - burst: N job processes (default 200) released together, no quota;
 * - one process: one job with `count` M (default 1,000) on the same Q-task quota.
 *
 * Every job process gets its strategy values as the runner gives them (sim/action-runner.ts),
 * resolves the task definition through the bucket (a prepare job registered it first) and
 * waits through S3. A barrier in the recording proxies holds each job's first request until
 * every job has sent one, so the jobs truly start together however long this machine takes to
 * start them. Reports failed jobs, calls and throttled answers per ECS API, and how long each
 * job took from the barrier to its task's start. Writes bench/RESULTS-capacity.md.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { format, resolveConfig } from 'prettier'
import { runAction, type ActionResult } from '../sim/action-runner.js'
import { startLocalAws, type LocalAws } from '../sim/index.js'
import { JOB_NICE } from './lib/jobs.js'
import { requestBarrier, startRecordingProxy } from './lib/proxy.js'
import { percentile } from './lib/stats.js'

const ROOT = resolve(import.meta.dirname, '..')
const DEFINITION = '__fixtures__/e2e/oneshot.yml'
/** The fixture's task-level cpu: 256 units, a quarter vCPU. */
const TASK_VCPUS = 0.25
const NCC = join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js')

const USAGE = `Usage: tsx bench/capacity.ts [options]

  --quota-jobs <n>      job processes on the quota (default 60; 0 skips)
  --burst-jobs <n>      job processes released together without a quota (default 200; 0 skips)
  --tasks <n>           tasks of the one-process job on the quota (default 1000; 0 skips)
  --room <n>            tasks the quota has room for (default 20)
  --task-seconds <s>    simulated seconds each task runs (default 5)
  --time-scale <x>      real seconds per simulated second for the one-process run (default 0.1)
  --before <commit>     the baseline (default: git merge-base HEAD main)
  --bundles <a,b>       use these built bundles (after,before) instead of building them
  --out <dir>           where RESULTS-capacity.md goes (default bench/); '-' prints only
`

interface Options {
  quotaJobs: number
  burstJobs: number
  tasks: number
  room: number
  taskSeconds: number
  timeScale: number
  before: string
  bundles?: [string, string]
  out: string | undefined
}

function parseOptions(): Options | 'help' {
  if (process.argv.includes('--help')) return 'help'
  const { values } = parseArgs({
    options: {
      'quota-jobs': { type: 'string', default: '60' },
      'burst-jobs': { type: 'string', default: '200' },
      tasks: { type: 'string', default: '1000' },
      room: { type: 'string', default: '20' },
      'task-seconds': { type: 'string', default: '5' },
      'time-scale': { type: 'string', default: '0.1' },
      before: { type: 'string' },
      bundles: { type: 'string' },
      out: { type: 'string', default: 'bench' }
    },
    strict: true
  })
  const count = (name: string, raw: string, max: number): number => {
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new Error(`--${name}: '${raw}' is not 0..${max}`)
    return n
  }
  const bundles = values.bundles?.split(',')
  return {
    quotaJobs: count('quota-jobs', values['quota-jobs'], 300),
    burstJobs: count('burst-jobs', values['burst-jobs'], 300),
    tasks: count('tasks', values.tasks, 10_000),
    room: count('room', values.room, 10_000),
    taskSeconds: Number(values['task-seconds']),
    timeScale: Number(values['time-scale']),
    before:
      values.before ??
      execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    ...(bundles?.length === 2
      ? { bundles: [bundles[0] ?? '', bundles[1] ?? ''] as [string, string] }
      : {}),
    out: values.out === '-' ? undefined : resolve(ROOT, values.out)
  }
}

function say(line = ''): void {
  process.stdout.write(`${line}\n`)
}

/** Bundles `src/index.ts` of `root` with ncc, as `npm run build` does, into `out`. */
function bundle(root: string, out: string): string {
  execFileSync(process.execPath, [NCC, 'build', 'src/index.ts', '-o', out, '--target', 'es2022'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit']
  })
  return join(out, 'index.js')
}

/** The current sources' bundle and the baseline commit's. */
function bundles(options: Options, work: string): { after: string; before: string } {
  if (options.bundles) return { after: options.bundles[0], before: options.bundles[1] }
  say(`Bundling the current sources and ${options.before.slice(0, 7)} with ncc ...`)
  const src = join(work, 'before-src')
  mkdirSync(src, { recursive: true })
  execFileSync(
    'sh',
    ['-c', `git archive ${options.before} src package.json tsconfig.json | tar -x -C '${src}'`],
    {
      cwd: ROOT
    }
  )
  execFileSync('ln', ['-s', join(ROOT, 'node_modules'), join(src, 'node_modules')])
  return { after: bundle(ROOT, join(work, 'after')), before: bundle(src, join(work, 'before')) }
}

/** What one run measured. */
interface RunResult {
  name: string
  code: 'before' | 'after'
  jobs: number
  tasks: number
  failedJobs: number
  /** Tasks that never started. */
  notStarted: number
  calls: Record<string, number>
  throttled: Record<string, number>
  /** Seconds from the release (barrier) to each started task's creation in ECS. */
  startDelays: number[]
  /** Lines of the first failed job's error annotation, deduplicated. */
  errors: string[]
  wallSeconds: number
  /** The one-job summary line about waiting for room, from one job that waited. */
  roomLine?: string
}

function diff(now: Record<string, number>, base: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(now)) if (v - (base[k] ?? 0) > 0) out[k] = v - (base[k] ?? 0)
  return out
}

/** A simulator with the quota, and the task definition registered by a prepare job. */
async function prepared(
  bundlePath: string,
  options: { room?: number; timeScale: number }
): Promise<LocalAws> {
  const local = await startLocalAws({
    timeScale: options.timeScale,
    ...(options.room !== undefined ? { quotas: { fargateVcpus: options.room * TASK_VCPUS } } : {}),
    timings: { registerConflictSeconds: 0.3 }
  })
  const prepare = await runAction({
    inputs: { definition: DEFINITION, mode: 'register', 'notification-prefix': local.prefix },
    env: local.env,
    cwd: ROOT,
    bundle: bundlePath
  }).catch((e: unknown) => {
    throw new Error(`prepare job: ${String(e)}`)
  })
  if (prepare.exitCode !== 0) throw new Error(`prepare job failed:\n${prepare.stdout}`)
  return local
}

/** Runs `bundlePath` as the runner would, as one job, nicer than the simulator (JOB_NICE). */
function job(bundlePath: string, run: Parameters<typeof runAction>[0]): Promise<ActionResult> {
  return runAction({ ...run, bundle: bundlePath, nice: JOB_NICE })
}

/** N job processes released together (the quota and burst runs). */
async function matrix(
  code: 'before' | 'after',
  bundlePath: string,
  name: string,
  options: { jobs: number; room?: number; taskSeconds: number }
): Promise<RunResult> {
  const local = await prepared(bundlePath, { room: options.room, timeScale: 1 })
  const barrier = requestBarrier(options.jobs, 600_000)
  const ecsProxy = await startRecordingProxy(local.ecsEndpoint, { barrier })
  const s3Proxy = await startRecordingProxy(local.s3Endpoint, { barrier })
  const base = local.stats().ecs
  const started = Date.now()
  try {
    const results = await Promise.all(
      Array.from({ length: options.jobs }, (_, i) =>
        job(bundlePath, {
          inputs: {
            definition: DEFINITION,
            'notification-prefix': local.prefix,
            env: `SIM_RUN_SECONDS=${options.taskSeconds}`,
            'log-lines': '0',
            'follow-logs': 'false'
          },
          strategy: { jobIndex: i, jobTotal: options.jobs },
          env: {
            ...local.env,
            AWS_ENDPOINT_URL_ECS: ecsProxy.endpoint,
            AWS_ENDPOINT_URL_S3: s3Proxy.endpoint,
            AWS_SDK_UA_APP_ID: `job-${String(i).padStart(3, '0')}`
          },
          cwd: ROOT,
          killAfterMs: 900_000
        })
      )
    )
    const stats = local.stats()
    const releasedAt = barrier.openedAt() ?? started
    const tasks = stats.tasks
    const waited = results.find((r) => r.summary.includes('⏳'))
    return {
      name,
      code,
      jobs: options.jobs,
      tasks: options.jobs,
      failedJobs: results.filter((r) => r.exitCode !== 0).length,
      notStarted: options.jobs - tasks.length,
      calls: diff(stats.ecs.calls, base.calls),
      throttled: diff(stats.ecs.throttled, base.throttled),
      startDelays: tasks.map((t) => (t.createdAt - releasedAt) / 1000),
      errors: [
        ...new Set(
          results.flatMap((r) =>
            r.stdout
              .split('\n')
              .filter((l) => l.startsWith('::error'))
              .map((l) =>
                l
                  .replace(/arn:aws:ecs:\S+/g, '<arn>')
                  .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
                  .slice(0, 300)
              )
          )
        )
      ].slice(0, 3),
      wallSeconds: (Date.now() - started) / 1000,
      ...(waited !== undefined
        ? { roomLine: waited.summary.split('\n').find((l) => l.startsWith('⏳')) ?? '' }
        : {})
    }
  } finally {
    await ecsProxy.close()
    await s3Proxy.close()
    await local.close()
  }
}

/** One job with `count` tasks on the quota, on a scaled simulator. */
async function oneProcess(
  code: 'before' | 'after',
  bundlePath: string,
  options: { tasks: number; room: number; taskSeconds: number; timeScale: number }
): Promise<RunResult> {
  const local = await prepared(bundlePath, { room: options.room, timeScale: options.timeScale })
  const base = local.stats().ecs
  const started = Date.now()
  try {
    const result = await job(bundlePath, {
      inputs: {
        definition: DEFINITION,
        'notification-prefix': local.prefix,
        env: `SIM_RUN_SECONDS=${options.taskSeconds}`,
        count: String(options.tasks),
        'log-lines': '0',
        'follow-logs': 'false'
      },
      env: local.env,
      cwd: ROOT,
      killAfterMs: 1_800_000
    })
    const stats = local.stats()
    const tasks = stats.tasks
    const first = Math.min(...tasks.map((t) => t.createdAt))
    return {
      name: `${options.tasks} tasks in one process, room for ${options.room}`,
      code,
      jobs: 1,
      tasks: options.tasks,
      failedJobs: result.exitCode === 0 ? 0 : 1,
      notStarted: options.tasks - tasks.length,
      calls: diff(stats.ecs.calls, base.calls),
      throttled: diff(stats.ecs.throttled, base.throttled),
      startDelays: tasks.map((t) => (t.createdAt - first) / 1000),
      errors: result.stdout
        .split('\n')
        .filter((l) => l.startsWith('::error'))
        .map((l) => l.slice(0, 300))
        .slice(0, 2),
      wallSeconds: (Date.now() - started) / 1000,
      ...(result.summary.includes('⏳')
        ? { roomLine: result.summary.split('\n').find((l) => l.startsWith('⏳')) ?? '' }
        : {})
    }
  } finally {
    await local.close()
  }
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record)
  return entries.length === 0 ? '0' : entries.map(([k, v]) => `${k} ${v}`).join(', ')
}

function delays(values: number[]): string {
  if (values.length === 0) return '-'
  const at = (p: number): string => `${(percentile(values, p) ?? 0).toFixed(1)} s`
  return `${at(50)} / ${at(99)} / ${at(100)}`
}

function markdown(results: RunResult[], options: Options, wallMinutes: number): string {
  const lines = [
    '# Capacity benchmark: account quotas and RunTask bursts',
    '',
    `Written by \`npm run bench:capacity\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} CPUs, Node ${process.version}; the whole run took ${wallMinutes.toFixed(1)} minutes. The machine was shared with other work and loaded while it ran.`,
    '',
    `- "before": the action at ${options.before.slice(0, 7)}; "after": the current sources. Both bundled with ncc as \`npm run build\` does.`,
    `- One simulator per run with ECS's token buckets (RunTask 100 burst / 40 a second, and Fargate's own) and, where named, a Fargate vCPU quota with room for ${options.room} of the fixture's 256-CPU tasks (${options.room * TASK_VCPUS} vCPU), answering \`tasks: []\` with "You've reached the limit on the number of vCPUs you can run concurrently" (sim/account-quotas.ts). Tasks run ${options.taskSeconds} simulated seconds after 1 s of provisioning and 2 s of image pull.`,
    "- Job processes: each `node <bundle>` with its own strategy values (`INPUT_JOB-INDEX`, `INPUT_JOB-TOTAL`, `INPUT_JOB-MAX-PARALLEL`, as the runner evaluates action.yml), resolving the task definition through the bucket after a prepare job registered it, waiting through S3. A barrier holds every job's first request until all have sent one. Time scale 1 (real time).",
    `- One process: one job with \`count\` and no \`max-parallel\` (the fan-out is ${options.tasks} wide), simulator at time scale ${options.timeScale} (tasks run ${options.timeScale}× as long in real time; the action's own clock is real, so its waits are not scaled).`,
    "- Start delay: from the barrier opening (one process: from the first task created) to each task's creation in ECS, median / p99 / max. It is the latency each job pays for its share of RunTask and for room under the quota.",
    "- The fixture launches on Fargate, so each RunTask also needs a token of Fargate's own RunTask bucket (20 at once, 20 a second) and one per task of its launch bucket (100 at once, 20 a second), as AWS documents (sim/token-bucket.ts); the current code paces Fargate launches at half of the 20 a second.",
    '',
    '| run | code | jobs | failed jobs | tasks not started | ECS calls | throttled answers | start delay (median / p99 / max) | wall |',
    '| --- | --- | ---: | ---: | ---: | --- | --- | --- | ---: |'
  ]
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.code} | ${r.jobs} | ${r.failedJobs} | ${r.notStarted} | ${counts(r.calls)} | ${counts(r.throttled)} | ${delays(r.startDelays)} | ${r.wallSeconds.toFixed(0)} s |`
    )
  }
  lines.push('', '## What the jobs said', '')
  for (const r of results) {
    if (r.errors.length === 0 && r.roomLine === undefined) continue
    lines.push(`- ${r.name}, ${r.code}:`)
    for (const e of r.errors) lines.push(`  - error: \`${e.replace(/`/g, "'")}\``)
    if (r.roomLine !== undefined) lines.push(`  - summary: ${r.roomLine}`)
  }
  lines.push('', '## Goals', '', ...goals(results).map((g) => `- ${g}`), '')
  return lines.join('\n')
}

function goals(results: RunResult[]): string[] {
  const after = results.filter((r) => r.code === 'after')
  const throttled = (r: RunResult): number => r.throttled.RunTask ?? 0
  const out: string[] = []
  for (const r of after) {
    out.push(
      `${r.name}: ${r.failedJobs === 0 && r.notStarted === 0 ? 'reached' : 'not reached'} 0 failed jobs (${r.failedJobs} failed, ${r.notStarted} tasks not started); RunTask throttled ${throttled(r)} time(s) (goal 0: ${throttled(r) === 0 ? 'reached' : 'not reached'}).`
    )
  }
  return out
}

async function main(): Promise<void> {
  const options = parseOptions()
  if (options === 'help') {
    say(USAGE)
    return
  }
  const begun = Date.now()
  const work = join(tmpdir(), `capacity-bench-${process.pid}`)
  mkdirSync(work, { recursive: true })
  try {
    const paths = bundles(options, work)
    for (const p of Object.values(paths)) if (!existsSync(p)) throw new Error(`no bundle at ${p}`)
    const results: RunResult[] = []
    const each = async (fn: (code: 'before' | 'after', path: string) => Promise<RunResult>) => {
      for (const code of ['before', 'after'] as const) {
        const r = await fn(code, paths[code])
        say(
          `${r.name} (${r.code}): ${r.failedJobs} failed jobs, ${r.notStarted} not started, throttled ${counts(r.throttled)}, calls ${counts(r.calls)}, start delay ${delays(r.startDelays)}, ${r.wallSeconds.toFixed(0)} s`
        )
        results.push(r)
      }
    }
    if (options.quotaJobs > 0) {
      await each((code, path) =>
        matrix(code, path, `${options.quotaJobs} jobs, room for ${options.room}`, {
          jobs: options.quotaJobs,
          room: options.room,
          taskSeconds: options.taskSeconds
        })
      )
    }
    if (options.burstJobs > 0) {
      await each((code, path) =>
        matrix(code, path, `${options.burstJobs} jobs, no quota`, {
          jobs: options.burstJobs,
          taskSeconds: options.taskSeconds
        })
      )
    }
    if (options.tasks > 0) {
      await each((code, path) =>
        oneProcess(code, path, {
          tasks: options.tasks,
          room: options.room,
          taskSeconds: options.taskSeconds,
          timeScale: options.timeScale
        })
      )
    }
    const text = markdown(results, options, (Date.now() - begun) / 60_000)
    const pretty = await format(text, {
      ...((await resolveConfig(join(ROOT, 'README.md'))) ?? {}),
      parser: 'markdown'
    })
    if (options.out === undefined) say(pretty)
    else {
      writeFileSync(join(options.out, 'RESULTS-capacity.md'), pretty)
      say(`Wrote ${join(options.out, 'RESULTS-capacity.md')}`)
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
  process.exitCode = 1
})
