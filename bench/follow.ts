/**
 * `npm run bench` (last part): following the task's log (`follow-logs`) with 1, 60 and 200 job
 * processes of one matrix against one simulated account in eu-west-1, whose CloudWatch Logs
 * read quota is 10 per second (src/logs/logs-quota.ts), with Docker's awslogs batching (a
 * stream's lines readable every 5 s). Each job is `node dist/index.js` (or HAKO_ONESHOT_BUNDLE)
 * with the strategy values the runner gives a matrix job (`job-index`, `job-total`,
 * `job-max-parallel`); each task prints uniquely named lines over its run; the bench timestamps
 * every line a job prints and compares it with the stream: lines lost or repeated, lag from a
 * line's timestamp to its print, GetLogEvents per second account-wide after the first minute and
 * at their peak over any 5 s, throttled answers by API, and the step's end after its stop
 * detection; and, against the same jobs with `follow-logs: false` (`--baseline`), stop latency
 * and ECS/S3 calls per job. Writes bench/RESULTS-follow.md.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, tmpdir, totalmem } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { format, resolveConfig } from 'prettier'
import { getLogEventsQuota } from '../src/logs/logs-quota.js'
import { filterLogEventsQuota } from '../sim/logs.js'
import { BUNDLE, runAction, type ActionResult } from '../sim/action-runner.js'
import { startLocalAws, type LocalAws, type TaskTimeline } from '../sim/index.js'
import {
  accountLines,
  checkFollowGoals,
  embedFollow,
  lagText,
  lineCollector,
  peakPerSecond,
  ratePerSecond,
  sumAccounts,
  throttledByOperation,
  type FollowGoal,
  type LineAccount
} from './lib/follow.js'
import { JOB_NICE, stopSeenAt } from './lib/jobs.js'
import { startRecordingProxy, type RecordedRequest } from './lib/proxy.js'
import { median, percentile, splitAtRunTask, total } from './lib/stats.js'

const ROOT = resolve(import.meta.dirname, '..')
const DEFINITION = '__fixtures__/e2e/oneshot.yml'
const GROUP = '/ecs/oneshot'
const GITHUB = { GITHUB_REPOSITORY: 'acme/batch', GITHUB_RUN_ID: '4242', GITHUB_WORKFLOW: 'bench' }

const USAGE = `Usage: npx tsx bench/follow.ts [options]

  --sizes <n,n>        job processes per run (default 1,60,200; at most 300)
  --baseline <n,n>     sizes also run with follow-logs: false (default 60,200); 0 for none
  --task-seconds <s>   seconds each task runs (default 180)
  --line-every <s>     seconds between two lines of a task (default 2)
  --region <r>         the simulated account's region (default eu-west-1); its Logs quotas
                       are the simulator's buckets and what each job takes its share of
  --quota <n>          GetLogEvents and FilterLogEvents per second in the simulator instead
  --out <dir>          where RESULTS-follow.md goes (default bench/); '-' prints only
`

interface Options {
  sizes: number[]
  baseline: number[]
  taskSeconds: number
  lineEvery: number
  region: string
  /** The simulator's Logs buckets, when not the region's. */
  quota?: number
  out?: string
}

function parse(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '1,60,200' },
      baseline: { type: 'string', default: '60,200' },
      'task-seconds': { type: 'string', default: '180' },
      'line-every': { type: 'string', default: '2' },
      region: { type: 'string', default: 'eu-west-1' },
      quota: { type: 'string' },
      out: { type: 'string', default: 'bench' },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    process.stdout.write(USAGE)
    process.exit(0)
  }
  const list = (raw: string): number[] =>
    raw === '0' || raw === ''
      ? []
      : raw.split(',').map((s) => {
          const n = Number(s)
          if (!Number.isInteger(n) || n < 1 || n > 300) throw new Error(`bad size '${s}'\n${USAGE}`)
          return n
        })
  return {
    sizes: list(values.sizes),
    baseline: list(values.baseline),
    taskSeconds: Number(values['task-seconds']),
    lineEvery: Number(values['line-every']),
    region: values.region,
    ...(values.quota === undefined ? {} : { quota: Number(values.quota) }),
    ...(values.out === '-' ? {} : { out: resolve(ROOT, values.out) })
  }
}

interface FollowRun {
  jobs: number
  follow: boolean
  failed: number
  lines: LineAccount
  logsCalls: number
  logsThrottled: number
  /** The region's GetLogEvents quota, per second. */
  quota: number
  /** Throttled answers by API, every service. */
  throttledByApi: string
  getLogEventsThrottled: number
  /** The most GetLogEvents in any 5 s, per second. */
  peak5s: number
  /** From each job's stop detection to its process's end. */
  stepEnd: { median?: number; p95?: number }
  /** GetLogEvents per second account-wide, from a minute after the last RunTask to the first stop. */
  steadyRate?: number
  steadyWindowS?: number
  /** Peak GetLogEvents in any one second. */
  peakPerSecond: number
  stopLatency: { median?: number; p99?: number }
  /** From the notifier's write of stopped.json to the job's first answer showing the stop. */
  detection: { median?: number }
  ecsDuringPerJob: number
  s3ReadsPerTaskMinute: number
  wallS: number
}

/** Why a job counts as failed: its first error annotation, else what was missing. */
function failureOf(result: ActionResult, noticedAt: number | undefined): string {
  const error = result.stdout.split('\n').find((l) => l.startsWith('::error'))
  if (error !== undefined) return error.replace(/^::error[^:]*::/, '').slice(0, 160)
  if (result.exitCode !== 0) {
    return `exit ${result.exitCode ?? 'killed'}: ${result.stderr.trim().split('\n').pop() ?? ''}`.slice(
      0,
      160
    )
  }
  if (result.outputs['exit-code'] !== '0') return `exit-code output ${result.outputs['exit-code']}`
  return noticedAt === undefined ? 'no answer showed the stop' : 'unknown'
}

function say(line = ''): void {
  process.stdout.write(`${line}\n`)
}

async function oneRun(options: Options, jobs: number, follow: boolean): Promise<FollowRun> {
  const local: LocalAws = await startLocalAws({
    seed: 7,
    region: options.region,
    clusters: ['e2e'],
    ...(options.quota === undefined
      ? {}
      : {
          throttling: {
            logs: { burst: options.quota, refillPerSecond: options.quota },
            'logs-filter': { burst: options.quota, refillPerSecond: options.quota }
          }
        })
  })
  // The fixture's definition, in the simulated region: the job's clients and its log group there.
  const dir = mkdtempSync(join(tmpdir(), 'bench-follow-'))
  const definition = join(dir, 'oneshot.yml')
  writeFileSync(
    definition,
    readFileSync(join(ROOT, DEFINITION), 'utf8').replaceAll('ap-northeast-1', options.region)
  )
  const awsProxy = await startRecordingProxy(local.ecsEndpoint)
  const s3Proxy = await startRecordingProxy(local.s3Endpoint)
  const env = {
    ...local.env,
    ...GITHUB,
    AWS_ENDPOINT_URL_ECS: awsProxy.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: awsProxy.endpoint,
    AWS_ENDPOINT_URL_S3: s3Proxy.endpoint
  }
  const begin = Date.now()
  try {
    const prep = await runAction({
      inputs: { definition, mode: 'register', 'notification-prefix': local.prefix },
      env: { ...env, AWS_SDK_UA_APP_ID: 'prepare' },
      cwd: ROOT
    })
    const taskDefinition = prep.outputs['task-definition-arn']
    if (!taskDefinition) throw new Error(`prepare failed: ${prep.stdout.slice(-1000)}`)
    const count = Math.floor(options.taskSeconds / options.lineEvery)
    const outcomes = await Promise.all(
      Array.from({ length: jobs }, async (_, i) => {
        const id = `fol-${String(i).padStart(4, '0')}`
        const lines = Array.from({ length: count }, (_, k) => `${id} line ${k}`)
        const collector = lineCollector()
        const result = await runAction({
          inputs: {
            definition,
            'notification-prefix': local.prefix,
            'task-definition': taskDefinition,
            'started-by': id,
            'follow-logs': String(follow),
            'log-lines': '50',
            // What the runner puts in a matrix job's input defaults (docs/limits.md, "The
            // strategy context in input defaults"): INPUT_JOB-INDEX and the rest.
            'job-index': String(i),
            'job-total': String(jobs),
            'job-max-parallel': String(jobs),
            env: `SIM_RUN_SECONDS=${options.taskSeconds}\nSIM_LOG_LINES=${lines.join('\\n')}`
          },
          env: { ...env, AWS_SDK_UA_APP_ID: id, GITHUB_JOB: `shard-${i}` },
          cwd: ROOT,
          killAfterMs: (options.taskSeconds + 300) * 1000,
          nice: JOB_NICE,
          onStdout: (stdout) => collector.update(stdout)
        })
        collector.update(`${result.stdout}\n`)
        if (process.env.BENCH_DUMP_LOGS) {
          writeFileSync(`${process.env.BENCH_DUMP_LOGS}-${jobs}-${id}.stdout`, result.stdout)
        }
        return {
          id,
          result,
          printed: collector.lines(),
          endedAt: result.startedAt + result.durationMs
        }
      })
    )
    await local.settled()
    const timelines = new Map<string, TaskTimeline>(
      local.stats().tasks.map((t) => [t.startedBy ?? '', t])
    )
    const requests = awsProxy.requests()
    const byJob = new Map<string, RecordedRequest[]>()
    for (const r of requests) byJob.set(r.appId, [...(byJob.get(r.appId) ?? []), r])
    const s3ByJob = new Map<string, number>()
    // When each job first got an answer saying its task stopped (never from its log).
    const seenByJob = new Map<string, RecordedRequest[]>()
    for (const r of s3Proxy.requests()) {
      if (r.operation === 'GetObject') s3ByJob.set(r.appId, (s3ByJob.get(r.appId) ?? 0) + 1)
      if (r.sawStop) seenByJob.set(r.appId, [...(seenByJob.get(r.appId) ?? []), r])
    }
    for (const r of requests) {
      if (r.sawStop) seenByJob.set(r.appId, [...(seenByJob.get(r.appId) ?? []), r])
    }
    const accounts: LineAccount[] = []
    const latencies: number[] = []
    const detections: number[] = []
    const stepEnds: number[] = []
    let failed = 0
    // Why jobs failed: the first error annotation, or what else was missing, with its count.
    const why = new Map<string, number>()
    let during = 0
    let reads = 0
    let waitMs = 0
    const runTaskAts: number[] = []
    const stops: number[] = []
    for (const o of outcomes) {
      const t = timelines.get(o.id)
      const noticedAt = stopSeenAt(seenByJob.get(o.id) ?? [])
      if (
        o.result.exitCode !== 0 ||
        o.result.outputs['exit-code'] !== '0' ||
        noticedAt === undefined
      ) {
        failed++
        const reason = failureOf(o.result, noticedAt)
        why.set(reason, (why.get(reason) ?? 0) + 1)
      }
      const taskId = o.result.outputs['task-id'] ?? ''
      const events = local.logs.events(GROUP, `ecs/app/${taskId}`) ?? []
      const account = accountLines(events, o.printed, {
        ...(t?.runningAt !== undefined ? { taskStartedAt: t.runningAt } : {}),
        youngMs: 60_000
      })
      accounts.push(account)
      if (follow && (account.lost > 0 || account.repeated > 0)) {
        // Its warning and notice annotations, to tell why.
        const said = o.printed
          .map((l) => l.text)
          .filter((l) => l.startsWith('::warning') || l.startsWith('::notice'))
        say(`  ${o.id}: ${account.lost} lost, ${account.repeated} repeated; ${said.join(' | ')}`)
      }
      if (noticedAt !== undefined) stepEnds.push(o.endedAt - noticedAt)
      if (t?.stoppedAt !== undefined && noticedAt !== undefined) {
        latencies.push(noticedAt - t.stoppedAt)
        if (t.stopEventWrittenAt !== undefined) detections.push(noticedAt - t.stopEventWrittenAt)
        stops.push(t.stoppedAt)
      }
      const mine = (byJob.get(o.id) ?? []).filter((r) => r.service === 'ecs')
      during += total(splitAtRunTask(mine).during)
      const runTaskAt = mine.filter((r) => r.operation === 'RunTask' && r.status === 200).pop()?.at
      if (runTaskAt !== undefined) {
        runTaskAts.push(runTaskAt)
        waitMs += (noticedAt ?? o.result.startedAt + o.result.durationMs) - runTaskAt
      }
      reads += s3ByJob.get(o.id) ?? 0
    }
    const logs = requests.filter((r) => r.service === 'logs')
    if (process.env.BENCH_DUMP_LOGS) {
      // Every Logs request, for a closer look at a peak: job, operation and arrival time.
      writeFileSync(
        `${process.env.BENCH_DUMP_LOGS}-${jobs}.json`,
        JSON.stringify(requests.map((r) => ({ job: r.appId, op: r.operation, at: r.at })))
      )
    }
    const quota = options.quota ?? getLogEventsQuota(options.region)
    const from = Math.max(...runTaskAts) + 60_000
    const to = Math.min(...stops)
    for (const [reason, n] of why) say(`  ${n} of ${jobs} jobs failed: ${reason}`)
    const perSecond = new Map<number, number>()
    for (const r of logs) {
      if (r.operation !== 'GetLogEvents') continue
      const s = Math.floor(r.at / 1000)
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1)
    }
    return {
      jobs,
      follow,
      failed,
      lines: sumAccounts(accounts),
      logsCalls: logs.length,
      logsThrottled: logs.filter((r) => r.throttled).length,
      quota,
      throttledByApi: throttledByOperation([...requests, ...s3Proxy.requests()]),
      getLogEventsThrottled: logs.filter((r) => r.operation === 'GetLogEvents' && r.throttled)
        .length,
      peak5s: peakPerSecond(logs, 'GetLogEvents', 5000),
      stepEnd: { median: median(stepEnds), p95: percentile(stepEnds, 95) },
      ...(to > from
        ? {
            steadyRate: ratePerSecond(logs, 'GetLogEvents', from, to),
            steadyWindowS: (to - from) / 1000
          }
        : {}),
      peakPerSecond: Math.max(0, ...perSecond.values()),
      stopLatency: { median: median(latencies), p99: percentile(latencies, 99) },
      detection: { median: median(detections) },
      ecsDuringPerJob: during / jobs,
      s3ReadsPerTaskMinute: waitMs > 0 ? reads / (waitMs / 60_000) : 0,
      wallS: (Date.now() - begin) / 1000
    }
  } finally {
    await awsProxy.close()
    await s3Proxy.close()
    await local.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const seconds = (ms: number | undefined): string =>
  ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`

function row(r: FollowRun): string[] {
  return [
    String(r.jobs),
    r.follow ? 'on' : 'off',
    String(r.failed),
    r.follow ? `${r.lines.lost} / ${r.lines.repeated} of ${r.lines.expected}` : '-',
    r.follow ? lagText(r.lines.lagFromWritten) : '-',
    r.follow ? lagText(r.lines.lagFromReadable) : '-',
    r.follow && r.jobs === 1 ? lagText(r.lines.lagYoung) : '-',
    String(r.logsCalls),
    r.throttledByApi,
    r.steadyRate === undefined
      ? '-'
      : `${r.steadyRate.toFixed(2)}/s over ${Math.round(r.steadyWindowS ?? 0)} s`,
    String(r.peakPerSecond),
    r.peak5s.toFixed(1),
    `${seconds(r.stopLatency.median)} / ${seconds(r.stopLatency.p99)}`,
    seconds(r.detection.median),
    `${seconds(r.stepEnd.median)} / ${seconds(r.stepEnd.p95)}`,
    r.ecsDuringPerJob.toFixed(2),
    r.s3ReadsPerTaskMinute.toFixed(1),
    r.wallS.toFixed(0)
  ]
}

const HEADER = [
  'jobs',
  'follow-logs',
  'failed',
  'lines lost / repeated',
  'lag from written, median / p95',
  'lag from readable, median / p95',
  'lag, task < 1 min old',
  'Logs calls',
  'throttled by API',
  'GetLogEvents/s after 1 min',
  'peak in 1 s',
  'peak/s over 5 s',
  'stop latency median / p99',
  'stop detection after stopped.json, median',
  'step end after stop detection, median / p95',
  'ECS calls/job during',
  'S3 reads/task-min',
  'wall s'
]

function markdownTable(rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map(line)].join('\n')
}

function goalsTable(goals: readonly FollowGoal[]): string {
  return [
    '| goal | reached | measured |',
    '| --- | --- | --- |',
    ...goals.map((g) => `| ${g.goal} | ${g.reached ? 'reached' : 'not reached'} | ${g.measured} |`)
  ].join('\n')
}

/** What a reader needs to read the numbers right. */
const FOLLOW_NOTES = [
  "Lag from a line's timestamp includes Docker's awslogs batching: a line waits up to 5 s (2.5 s on " +
    'average for a steady writer) before CloudWatch has it, and no reader can see it sooner. The lag from ' +
    "when CloudWatch had it is the follower's own: under a second while a lone task is young, growing with " +
    "the task's age by design, and about half the turn interval in a wide fan-out (12 s for 60 jobs on a " +
    '10/s quota, 40 s for 200): the price of the share (src/logs/follow-schedule.ts).',
  'Every job spawns at once, so all tasks are the same age: the worst case for a shared quota. The jobs ' +
    'take turns on the wall clock, so the live reads stay within half the quota; the reads at the stop ' +
    "(the drain) come on top of them, within each task's share.",
  'Stop latency and step end depend on what this 2-core machine, shared with other work, does to 60 or ' +
    '200 processes: following never touches the wait (its reads run on their own timers).'
]

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2))
  const runs: FollowRun[] = []
  say(HEADER.join(' | '))
  const plan: [number, boolean][] = []
  for (const n of options.sizes) {
    plan.push([n, true])
    if (options.baseline.includes(n)) plan.push([n, false])
  }
  for (const [n, follow] of plan) {
    const r = await oneRun(options, n, follow)
    runs.push(r)
    say(row(r).join(' | '))
  }
  if (!options.out) return
  const quotaText =
    options.quota === undefined
      ? `the region's quotas, ${getLogEventsQuota(options.region)} GetLogEvents and ${filterLogEventsQuota(options.region)} FilterLogEvents`
      : `${options.quota} GetLogEvents and ${options.quota} FilterLogEvents (--quota)`
  const markdown = `# Following the log: benchmark results

Written by \`npx tsx bench/follow.ts\` (part of \`npm run bench\`) on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${platform()} ${release()}.

## Setup

- One local simulator per run (sim/), real time, in ${options.region}. Its CloudWatch Logs allows ${quotaText} per second for the whole account (token buckets of one second of each, refilled at that rate); every other call answers ThrottlingException. Nothing else reads the account's logs.
- A task's lines become readable as Docker's awslogs driver sends them: in batches every 5 s from the container's start, and the rest at its exit, each batch 0.1 to 0.5 s after it is sent.
- Each job is \`node ${relative(ROOT, BUNDLE)}\` (S3 notifications, a shared task definition), all spawned at once on this machine, with the strategy values a matrix job gets (\`job-index\` 0 to N-1, \`job-total\` and \`job-max-parallel\` N), so each takes its share of the region's quota. Each task runs ${options.taskSeconds} s and prints a uniquely named line every ${options.lineEvery} s.
- The job processes run \`nice -n ${JOB_NICE}\`, the simulator and the proxy at the bench's own priority: they stand for AWS, which no runner takes CPU from. At one priority, 60 job processes loading on two cores starved them, and reads sent on their ticks 0.25 s apart arrived at the simulator in one burst.
- A recording proxy attributes every request to its job. The bench timestamps each line a job prints and matches it with the stream by its text.
- "Lag from written": from the line's timestamp to its print; "from readable": from its ingestion time (when any reader could first have it). "Task < 1 min old": the lines printed in the first minute of the single job's task.
- "GetLogEvents/s after 1 min": account-wide, from one minute after the last job's RunTask to the first task's stop, so every job is past its first minute of following. "Peak in 1 s": the most GetLogEvents requests that arrived within one calendar second; "peak/s over 5 s": the most within any 5 s window, per second. "Throttled by API": ThrottlingException and SlowDown answers of every service.
- "Step end after stop detection": from the moment a job's log showed its task's stop to the end of its process (the drain, the report, the outputs).
- Stop latency, ECS calls per job during the wait and S3 reads per task-minute are measured the same way as in RESULTS.md; the follow-logs: false rows are the same jobs without following.

## Results

${markdownTable(runs.map(row))}

## Goals

${goalsTable(checkFollowGoals(runs))}

## Notes

${FOLLOW_NOTES.map((n) => `- ${n}`).join('\n')}
`
  const file = join(options.out, 'RESULTS-follow.md')
  const config = (await resolveConfig(file)) ?? {}
  writeFileSync(file, await format(markdown, { ...config, filepath: file }))
  // The same numbers as the last part of RESULTS.md, which bench/run.ts writes before this runs.
  const results = join(options.out, 'RESULTS.md')
  if (existsSync(results)) {
    const merged = embedFollow(readFileSync(results, 'utf8'), readFileSync(file, 'utf8'))
    writeFileSync(results, await format(merged, { ...config, filepath: results }))
  }
  say(`\nWrote ${file}${existsSync(results) ? ' and its part of RESULTS.md' : ''}`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
  process.exitCode = 1
})
