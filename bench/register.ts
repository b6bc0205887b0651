/**
 * `npm run bench` (register part): the register race. Many jobs start together on a changed
 * definition with no prepare job, then again on the same content; for each size and variant
 * (bench/lib/register-report.ts) a fresh simulator with ECS's token buckets, its per-family
 * registration lock and a 1 s delay before a new revision shows in DescribeTaskDefinition.
 * A barrier in the recording proxies holds every job's first request until all jobs have sent
 * one, so the jobs truly start together however long this machine takes to start processes.
 * Writes bench/RESULTS-register.md and the register section of bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { format, resolveConfig } from 'prettier'
import { loadAndRender } from '../src/definition/index.js'
import { startLocalAws, type LocalAws } from '../sim/index.js'
import { registerPreviousImage } from './lib/fanout-sim.js'
import { runScriptJob } from './lib/jobs.js'
import { requestBarrier, startRecordingProxy } from './lib/proxy.js'
import {
  raceGoals,
  raceMarkdown,
  raceText,
  spliceSection,
  type RacePhase,
  type RaceResult,
  type RaceVariant
} from './lib/register-report.js'
import { diffCounts, median, percentile, splitAtRunTask, total } from './lib/stats.js'
import type { RegisterJobLine, RegisterJobSpec } from './register-job.js'

const ROOT = resolve(import.meta.dirname, '..')
const DEFINITION = '__fixtures__/e2e/oneshot.yml'
/** A registration holds the family's lock this long (simulated seconds). */
const REGISTER_LOCK_SECONDS = 0.3
const VARIANTS: RaceVariant[] = ['cache', 'jittered', 'no-write', 'today']

const USAGE = `Usage: tsx bench/register.ts [options]

  --sizes <n,n>        jobs as separate processes (default 60,200; at most 300)
  --in-process <n,n>   jobs in one process (default 1000; at most 2000); 0 for none
  --no-write <n,n>     extra sizes for the no-s3:PutObject variant only (default 30)
  --variants <v,v>     ${VARIANTS.join(',')} (default all)
  --out <dir>          where RESULTS-register.md goes and RESULTS.md is updated (default bench/)
`

interface Options {
  sizes: number[]
  inProcess: number[]
  noWrite: number[]
  variants: RaceVariant[]
  out: string
}

function numbers(raw: string, max: number): number[] {
  if (raw.trim() === '0' || raw.trim() === '') return []
  return raw.split(',').map((s) => {
    const n = Number(s)
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`'${s}' is not 1..${max}`)
    return n
  })
}

function parseOptions(): Options | 'help' {
  if (process.argv.includes('--help')) return 'help'
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '60,200' },
      'in-process': { type: 'string', default: '1000' },
      'no-write': { type: 'string', default: '30' },
      variants: { type: 'string', default: VARIANTS.join(',') },
      out: { type: 'string', default: 'bench' }
    },
    strict: true
  })
  const variants = values.variants.split(',') as RaceVariant[]
  for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`unknown variant ${v}`)
  return {
    sizes: numbers(values.sizes, 300),
    inProcess: numbers(values['in-process'], 2000),
    noWrite: numbers(values['no-write'], 300),
    variants,
    out: resolve(ROOT, values.out)
  }
}

interface Ctx {
  script: string
  work: string
  registerRequest: RegisterTaskDefinitionSpec
}
type RegisterTaskDefinitionSpec = RegisterJobSpec['registerRequest']

/** Registers a revision that differs (another image tag), so the race's definition changed. */
async function registerPrevious(
  local: LocalAws,
  request: RegisterTaskDefinitionSpec
): Promise<void> {
  await registerPreviousImage(local, request)
  // Let it become visible, and its registration lock and token pass.
  await new Promise((r) => setTimeout(r, 2500))
}

async function race(
  ctx: Ctx,
  local: LocalAws,
  variant: RaceVariant,
  phase: RacePhase,
  jobs: number,
  mode: RaceResult['mode']
): Promise<RaceResult> {
  const barrier = requestBarrier(jobs, 300_000)
  const ecsProxy = await startRecordingProxy(local.ecsEndpoint, { barrier })
  const s3Proxy = await startRecordingProxy(local.s3Endpoint, {
    barrier,
    ...(variant === 'no-write' ? { denyPut: (p: string) => p.includes('/task-definitions/') } : {})
  })
  try {
    const env = {
      ...local.env,
      AWS_ENDPOINT_URL_ECS: ecsProxy.endpoint,
      AWS_ENDPOINT_URL_S3: s3Proxy.endpoint
    }
    const ids = Array.from(
      { length: jobs },
      (_, i) => `${variant}-${phase}-${String(i).padStart(4, '0')}`
    )
    const spec = (mine: string[]): string => {
      const file = join(ctx.work, `spec-${mine[0] ?? 'x'}.json`)
      const body: RegisterJobSpec = {
        variant,
        ids: mine,
        region: local.region,
        bucket: local.bucket,
        prefix: local.keyPrefix,
        cluster: 'e2e',
        registerRequest: ctx.registerRequest
      }
      writeFileSync(file, JSON.stringify(body))
      return file
    }
    const baseline = local.stats()
    const killAfterMs = 600_000
    const outcomes =
      mode === 'processes'
        ? await Promise.all(
            ids.map((id) =>
              runScriptJob({
                id,
                script: ctx.script,
                args: [spec([id])],
                env,
                cwd: ROOT,
                killAfterMs
              })
            )
          )
        : [
            await runScriptJob({
              id: 'one-process',
              script: ctx.script,
              args: [spec(ids)],
              env,
              cwd: ROOT,
              killAfterMs
            })
          ]
    const lines = outcomes.flatMap((o) =>
      o.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as RegisterJobLine)
    )
    const startedAt = new Map<string, number>()
    for (const o of outcomes) {
      for (const id of mode === 'processes' ? [o.id] : ids) startedAt.set(id, o.startedAt)
    }
    const stats = local.stats()
    const ecsRequests = groupBy(ecsProxy.requests(), (r) => r.appId)
    const s3Requests = s3Proxy.requests().filter((r) => r.appId !== '')
    const befores: number[] = []
    const startToRun: number[] = []
    const barrierToRun: number[] = []
    let winner: number | undefined
    const winners = new Set(lines.filter((l) => l.registered).map((l) => l.id))
    for (const id of ids) {
      const mine = ecsRequests.get(id) ?? []
      const count = total(splitAtRunTask(mine).before)
      befores.push(count)
      if (winners.has(id)) winner = Math.max(winner ?? 0, count)
      const runAt = mine.find((r) => r.operation === 'RunTask' && r.status === 200)?.at
      if (runAt !== undefined) {
        startToRun.push(runAt - (startedAt.get(id) ?? runAt))
        const opened = barrier.openedAt()
        if (opened !== undefined) barrierToRun.push(runAt - opened)
      }
    }
    const all = ecsProxy.requests()
    const ok = (op: string) => all.filter((r) => r.operation === op && r.status === 200).length
    const calls = (op: string) => all.filter((r) => r.operation === op).length
    return {
      variant,
      phase,
      jobs,
      mode,
      failed: jobs - lines.filter((l) => l.ok).length,
      revisions: ok('RegisterTaskDefinition'),
      arns: new Set(lines.map((l) => l.taskDefinitionArn).filter((a) => a !== undefined)).size,
      registeredJobs: winners.size,
      throttled: diffCounts(stats.ecs.throttled, baseline.ecs.throttled),
      describeCalls: calls('DescribeTaskDefinition'),
      registerCalls: calls('RegisterTaskDefinition'),
      before: {
        max: Math.max(0, ...befores),
        median: median(befores) ?? 0,
        ...(winner !== undefined ? { winner } : {})
      },
      startToRun: {
        median: median(startToRun),
        p95: percentile(startToRun, 95),
        max: percentile(startToRun, 100)
      },
      barrierToRun: { median: median(barrierToRun), max: percentile(barrierToRun, 100) },
      s3PerJob: s3Requests.length / jobs,
      warnedJobs: lines.filter((l) => l.warnings > 0).length,
      barrierTimedOut: barrier.timedOut()
    }
  } finally {
    await ecsProxy.close()
    await s3Proxy.close()
  }
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>()
  for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), item])
  return map
}

async function changedThenSame(
  ctx: Ctx,
  variant: RaceVariant,
  jobs: number,
  mode: RaceResult['mode']
): Promise<RaceResult[]> {
  const local = await startLocalAws({
    timeScale: 1,
    seed: 11,
    clusters: ['e2e'],
    notifier: false,
    timings: { registerConflictSeconds: REGISTER_LOCK_SECONDS }
  })
  try {
    await registerPrevious(local, ctx.registerRequest)
    const changed = await race(ctx, local, variant, 'changed', jobs, mode)
    process.stdout.write(`${raceText([changed]).split('\n').pop() ?? ''}\n`)
    // Token buckets refill and the new revision shows before the second run.
    await new Promise((r) => setTimeout(r, 25_000))
    const same = await race(ctx, local, variant, 'same', jobs, mode)
    process.stdout.write(`${raceText([same]).split('\n').pop() ?? ''}\n`)
    return [changed, same]
  } finally {
    await local.close()
  }
}

async function main(): Promise<void> {
  const options = parseOptions()
  if (options === 'help') {
    process.stdout.write(USAGE)
    return
  }
  const work = mkdtempSync(join(tmpdir(), 'register-bench-'))
  const begin = Date.now()
  try {
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
        'build',
        'bench/register-job.ts',
        '-o',
        join(work, 'job'),
        '--target',
        'es2022',
        '-q',
        '-t'
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }
    )
    const rendered = await loadAndRender(DEFINITION, { containers: [], cwd: ROOT })
    const ctx: Ctx = {
      script: join(work, 'job', 'index.js'),
      work,
      registerRequest: rendered.registerRequest
    }
    process.stdout.write(`${raceText([]).split('\n').slice(0, 2).join('\n')}\n`)
    const results: RaceResult[] = []
    for (const jobs of options.noWrite) {
      if (options.variants.includes('no-write'))
        results.push(...(await changedThenSame(ctx, 'no-write', jobs, 'processes')))
    }
    for (const jobs of options.sizes) {
      for (const v of options.variants)
        results.push(...(await changedThenSame(ctx, v, jobs, 'processes')))
    }
    for (const jobs of options.inProcess) {
      for (const v of options.variants)
        results.push(...(await changedThenSame(ctx, v, jobs, 'one process')))
    }
    for (const g of raceGoals(results)) {
      process.stdout.write(
        `${g.reached ? 'reached    ' : 'NOT reached'}  ${g.goal} (${g.detail})\n`
      )
    }
    const section = raceMarkdown({
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, ${((Date.now() - begin) / 60000).toFixed(0)} minutes`,
      settings: [
        'Simulator in real time with ECS token buckets (RegisterTaskDefinition 20 burst / 1 per s, DescribeTaskDefinition 50 / 20, RunTask 100 / 40), a family registration lock of ' +
          `${REGISTER_LOCK_SECONDS} s ("Too many concurrent attempts to create a new revision"), and a new revision invisible to DescribeTaskDefinition for 1 s.`,
        'Each race: a fresh simulator holding an older, different revision of the family ("changed"), then the same jobs again 25 s later ("same"). No prepare job.',
        "Each job runs the action's register path (src/ecs/resolve.ts resolveTaskDefinition and runResolved, src/ecs/run-task.ts runTask) from a bundled script, with its own clients.",
        "A barrier in the recording proxies holds each job's first request (S3 or ECS) until every job has sent one, then lets them all through at once."
      ],
      results,
      notes: [
        'revisions: successful RegisterTaskDefinition answers; ARNs run: distinct revisions the jobs started; throttled: ThrottlingException answers per API (Register/Describe/RunTask).',
        'ECS per job: ECS calls of a job up to and including its RunTask (median / max / the job that registered); 1 is RunTask alone.',
        "start→RunTask counts from the job's process start (200 processes take tens of seconds to start on this machine; the barrier waits for the last); barrier→RunTask is the coordination itself.",
        'Jobs released together send RunTask together: 200 of them overrun RunTask\'s bucket (100 burst, 40 per s) too, so the max of "ECS per job" there counts throttled RunTask answers retried, not task-definition calls. All 1,000 jobs of one process send RunTask within about a second of each other into its bucket (100 burst, 40 per s): the throttled RunTask answers there are that bucket, retried until each task starts, not registration. The S3 server runs one write of a key at a time and holds its reads during a write (s3rver rewrites files in place).',
        'cache off (jittered): after a "differs" answer each job waits a random 0-20 s, describes again and registers only if it still differs; no s3:PutObject takes the same path after one warning. before: describe and register at once, as the action did before the cache (its retry after "Too many concurrent attempts" now waits 1.5 s more, which helps it too).'
      ]
    })
    mkdirSync(options.out, { recursive: true })
    const page = join(options.out, 'RESULTS-register.md')
    const config = (await resolveConfig(page)) ?? {}
    writeFileSync(page, await format(section, { ...config, filepath: page }))
    const results_md = join(options.out, 'RESULTS.md')
    if (existsSync(results_md)) {
      const spliced = spliceSection(readFileSync(results_md, 'utf8'), section)
      writeFileSync(results_md, await format(spliced, { ...config, filepath: results_md }))
    }
    process.stdout.write(`Wrote ${page} and the register section of ${results_md}\n`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `register bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
  process.exitCode = 1
})
