/**
 * `npm run bench`: the fan-out benchmark. For each size and variant (bench/lib/report.ts,
 * VARIANTS) it starts a fresh local simulator (sim/) on 127.0.0.1, runs every job at once, and
 * measures failures, throttling, ECS calls per job before and during the wait, revisions, S3
 * reads, stop-detection latency, peak RSS and start-up time; then writes bench/RESULTS.md and
 * bench/README-section.md. Every run is bounded in jobs and time and stops by itself.
 *
 * Its parts: bench/lib/fanout-sim.ts (settings, simulators, bundles), bench/lib/process-run.ts
 * (job processes), bench/lib/in-process-run.ts (one process, bench/in-process.ts),
 * bench/lib/run-notes.ts and bench/lib/report.ts (the pages).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { loadAndRender } from '../src/definition/index.js'
import { DEFINITION, ROOT, bundle, type Context, type Options } from './lib/fanout-sim.js'
import { inProcessRun } from './lib/in-process-run.js'
import { processRun, soloRuns } from './lib/process-run.js'
import { VARIANTS, checkGoals, type RunResult, type Variant } from './lib/report.js'
import { summaryRow, writePages } from './lib/run-notes.js'
import type { SdkWaiterSpec } from './lib/sdk-waiter.js'
import { textTable } from './lib/stats.js'

const MAX_PROCESS_JOBS = 300
const MAX_IN_PROCESS_JOBS = 2000

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
    const inProcessJob = bundle('bench/in-process.ts', join(work, 'in-process'), false)
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
    if (options.out) await writePages(options.out, { options, results, solo, goals, totalMs })
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
