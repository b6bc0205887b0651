/**
 * `npm run demo`: the whole product on one machine, without AWS. Starts the ECS simulator and
 * the S3 server (sim/), registers the task definition once (`mode: register`), then runs many
 * parallel jobs, each a real `dist/index.js` process started the way the runner starts it, and
 * prints what happened: every job's exit code, the ECS calls they spent, throttled answers, S3
 * reads, how soon each job saw its task stop, and the wall time.
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { startLocalAws, type DeliveryOptions, type LocalAws } from '../sim/index.js'
import { runActionJob, stopSeenAt, type JobOutcome } from '../bench/lib/jobs.js'
import { startRecordingProxy, type RecordingProxy } from '../bench/lib/proxy.js'
import {
  SCENARIOS,
  envInput,
  exitCodeGrid,
  planJobs,
  type JobPlan,
  type Scenario
} from '../bench/lib/scenarios.js'
import {
  addCounts,
  formatCounts,
  median,
  percentile,
  seconds,
  splitAtRunTask,
  textTable,
  total
} from '../bench/lib/stats.js'

const ROOT = resolve(import.meta.dirname, '..')
const DEFINITION = '__fixtures__/e2e/oneshot.yml'
const MAX_JOBS = 300

const USAGE = `Usage: npm run demo -- [options]

  --jobs <n>           parallel jobs, each a dist/index.js process (default 60, at most ${MAX_JOBS})
  --scenario <name>    ${SCENARIOS.join(' | ')} (default mixed)
                         mixed:    most exit 0, some 1-3, one image pull failure (127),
                                   one capacity failure that clears
                         success:  every task exits 0
                         failures: every second job fails
                         lossy:    the simulator loses, duplicates and reorders events;
                                   jobs whose stopped.json never comes finish through DescribeTasks
  --time-scale <x>     real seconds per simulated second (default 1); the action's own
                       poll interval is real time and does not scale
  --no-prepare         no 'mode: register' step: every job registers if changed (all race)
  --help
`

function out(line = ''): void {
  process.stdout.write(`${line}\n`)
}

interface Options {
  jobs: number
  scenario: Scenario
  timeScale: number
  prepare: boolean
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: 'string', default: '60' },
      scenario: { type: 'string', default: 'mixed' },
      'time-scale': { type: 'string', default: '1' },
      prepare: { type: 'boolean', default: true },
      'no-prepare': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    },
    strict: true
  })
  if (values.help) return 'help'
  const jobs = Number(values.jobs)
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > MAX_JOBS) {
    throw new Error(`--jobs must be a whole number from 1 to ${MAX_JOBS}, got '${values.jobs}'`)
  }
  const scenario = values.scenario as Scenario
  if (!SCENARIOS.includes(scenario)) {
    throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}, got '${values.scenario}'`)
  }
  const timeScale = Number(values['time-scale'])
  if (!(timeScale > 0 && timeScale <= 10)) {
    throw new Error(
      `--time-scale must be a number above 0 and at most 10, got '${values['time-scale']}'`
    )
  }
  return { jobs, scenario, timeScale, prepare: values.prepare && !values['no-prepare'] }
}

const LOSSY: DeliveryOptions = {
  duplicateProbability: 0.3,
  lateProbability: 0.2,
  dropProbability: 0.1
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
    out(USAGE)
    return 0
  }
  const { jobs, scenario, timeScale, prepare } = options
  const plans = planJobs(scenario, jobs)
  const lossy = scenario === 'lossy'

  const local: LocalAws = await startLocalAws({
    timeScale,
    seed: 7,
    clusters: ['e2e'],
    ...(lossy ? { delivery: LOSSY } : {})
  })
  const proxies: RecordingProxy[] = []
  try {
    const ecs = await startRecordingProxy(local.ecsEndpoint)
    proxies.push(ecs)
    const s3 = await startRecordingProxy(local.s3Endpoint)
    proxies.push(s3)
    const env = {
      ...local.env,
      AWS_ENDPOINT_URL_ECS: ecs.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: ecs.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      GITHUB_REPOSITORY: 'acme/batch',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'shard',
      GITHUB_WORKFLOW: 'demo'
    }
    const common = {
      definition: DEFINITION,
      'notification-prefix': local.prefix,
      ...(lossy ? { 'verify-interval': '10' } : {})
    }

    out(
      `hako-oneshot-action demo: ${jobs} parallel jobs, scenario '${scenario}', time scale ${timeScale}`
    )
    out(`ECS simulator ${local.ecsEndpoint}, S3 ${local.s3Endpoint} (loopback only)`)
    const begin = Date.now()
    let taskDefinition: string | undefined
    if (prepare) {
      const prep = await runActionJob({
        id: 'prepare',
        inputs: { ...common, mode: 'register' },
        env,
        cwd: ROOT
      })
      taskDefinition = prep.outputs['task-definition-arn']
      if (prep.exitCode !== 0 || !taskDefinition) {
        out(prep.stdout)
        throw new Error(`the 'mode: register' step failed with exit code ${String(prep.exitCode)}`)
      }
      out(`prepare: mode: register -> ${taskDefinition} (${Date.now() - begin} ms)`)
    } else {
      out('no prepare step: every job registers the definition if it changed')
    }
    out(`starting ${jobs} jobs ...`)

    let finished = 0
    const fanOutStart = Date.now()
    const progress = setInterval(() => {
      out(
        `  ${finished}/${jobs} jobs finished after ${Math.round((Date.now() - fanOutStart) / 1000)} s`
      )
    }, 10_000)
    const outcomes = await Promise.all(
      plans.map(async (plan) => {
        const outcome = await runActionJob({
          id: jobId(plan.index),
          inputs: {
            ...common,
            ...(taskDefinition ? { 'task-definition': taskDefinition } : {}),
            'started-by': jobId(plan.index),
            env: envInput(plan.env)
          },
          env: { ...env, GITHUB_JOB: `shard-${plan.index}` },
          // A matrix job: the runner gives it its strategy values, so it takes its share.
          strategy: { jobIndex: plan.index, jobTotal: jobs },
          cwd: ROOT,
          killAfterMs: 300_000
        })
        finished++
        return outcome
      })
    )
    clearInterval(progress)
    const wallMs = Date.now() - fanOutStart
    await local.settled()
    out()
    out(summary({ plans, outcomes, local, ecs, s3, wallMs, totalMs: Date.now() - begin, lossy }))
    const wrong = outcomes.filter((o, i) => !asExpected(o, plans[i]))
    return wrong.length === 0 ? 0 : 1
  } finally {
    for (const proxy of proxies) await proxy.close()
    await local.close()
  }
}

/** The task's exit code as the job reported it (its `exit-code` output). */
function taskExitCode(o: JobOutcome): number | undefined {
  const raw = o.outputs['exit-code']
  return raw === undefined || raw === '' ? undefined : Number(raw)
}

/** The job reported the scripted exit code, and failed its step exactly when that is not 0. */
function asExpected(o: JobOutcome, plan: JobPlan | undefined): boolean {
  if (!plan) return false
  const stepFailed = o.exitCode !== 0
  return taskExitCode(o) === plan.expectedExitCode && stepFailed === (plan.expectedExitCode !== 0)
}

function jobId(index: number): string {
  return `demo-${String(index).padStart(3, '0')}`
}

function summary(run: {
  plans: JobPlan[]
  outcomes: JobOutcome[]
  local: LocalAws
  ecs: RecordingProxy
  s3: RecordingProxy
  wallMs: number
  totalMs: number
  lossy: boolean
}): string {
  const { plans, outcomes, local } = run
  const lines: string[] = []
  const stats = local.stats()
  const ids = new Set(outcomes.map((o) => o.id))

  lines.push(
    `Task exit codes by job (the 'exit-code' output; a job fails its step when it is not 0;` +
      ` '!' marks a job that did not end as scripted)`
  )
  lines.push(
    exitCodeGrid(
      outcomes.map((o, i) => ({
        index: i,
        exitCode: taskExitCode(o),
        ok: asExpected(o, plans[i])
      }))
    )
  )
  const byCode = new Map<string, number>()
  for (const o of outcomes) {
    const key = String(taskExitCode(o) ?? 'none')
    byCode.set(key, (byCode.get(key) ?? 0) + 1)
  }
  lines.push(
    `  ${[...byCode.entries()]
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([code, n]) => `exit ${code}: ${n}`)
      .join(', ')}`
  )
  const special = plans.filter((p) => p.note !== '' && !p.note.startsWith('exits'))
  for (const p of special) {
    const o = outcomes[p.index]
    lines.push(`  job ${p.index}: ${p.note} -> exit code ${String(o && taskExitCode(o))}`)
  }
  const wrong = outcomes
    .map((o, i) => ({ o, plan: plans[i] }))
    .filter(({ o, plan }) => !asExpected(o, plan))
  for (const { o, plan } of wrong) {
    const error =
      o.stdout
        .split('\n')
        .filter((l) => l.startsWith('::error'))
        .pop() ?? o.stderr.trim().split('\n').pop()
    lines.push(
      `  ! job ${plan?.index}: expected exit code ${plan?.expectedExitCode}, got ${String(taskExitCode(o))} ` +
        `(process exit ${String(o.exitCode)}): ${error ?? ''}`
    )
  }
  lines.push(
    wrong.length === 0
      ? '  every job ended as scripted'
      : `  ${wrong.length} jobs did not end as scripted`
  )
  lines.push('')

  // ECS calls: from the recording proxy, by job, split at the RunTask that started the task.
  const requests = run.ecs.requests()
  let before: Record<string, number> = {}
  let during: Record<string, number> = {}
  const prepareCalls: Record<string, number> = {}
  for (const r of requests) {
    if (r.appId === 'prepare' && r.service === 'ecs')
      prepareCalls[r.operation] = (prepareCalls[r.operation] ?? 0) + 1
  }
  for (const id of ids) {
    const split = splitAtRunTask(requests.filter((r) => r.appId === id))
    before = addCounts(before, split.before)
    during = addCounts(during, split.during)
  }
  const n = outcomes.length
  lines.push('ECS API calls (every job together)')
  if (total(prepareCalls) > 0) lines.push(`  prepare step:         ${formatCounts(prepareCalls)}`)
  // What the per-job figures are made of, so 1.03 reads as "one RunTask each, and retries".
  const runTasks = before.RunTask ?? 0
  const definitionCalls = total(before) - runTasks
  const beforeParts = [
    'one RunTask each',
    ...(runTasks > n
      ? [`${runTasks - n} RunTask retries after a capacity failure or a throttled answer`]
      : []),
    ...(definitionCalls > 0 ? [`${definitionCalls} task-definition calls`] : [])
  ]
  lines.push(
    `  before the wait:      ${formatCounts(before)}  (${(total(before) / n).toFixed(2)} per job: ` +
      `${beforeParts.join(', ')})`
  )
  lines.push(
    `  during the wait:      ${formatCounts(during)}  (${(total(during) / n).toFixed(2)} per job: ` +
      'none while S3 answers; a DescribeTasks only for a stop notification that is missing or lacks exit codes)'
  )
  lines.push(`  by operation (all):   ${formatCounts(stats.ecs.calls)}`)
  const throttled = total(stats.ecs.throttled)
  lines.push(
    `  throttled responses:  ${throttled}${throttled > 0 ? ` (${formatCounts(stats.ecs.throttled)})` : ''}`
  )
  const logsCalls = requests.filter((r) => r.service === 'logs' && ids.has(r.appId)).length
  const logsThrottled = total(stats.logs.throttled)
  lines.push(
    `  CloudWatch Logs:      ${logsCalls} GetLogEvents, ${logsThrottled} throttled ` +
      "(each job follows its task's log while it runs, then drains it, in turns with the other " +
      "jobs within half the account's read quota of 25 calls a second" +
      (logsThrottled > 0 ? '; a throttled job backs off, and no line is lost)' : ')')
  )
  const registered =
    (stats.ecs.calls.RegisterTaskDefinition ?? 0) -
    (stats.ecs.throttled.RegisterTaskDefinition ?? 0)
  lines.push(`  revisions registered: ${registered}`)
  lines.push('')

  // S3 reads: the jobs' GetObject requests, per task-minute of waiting.
  const reads = run.s3
    .requests()
    .filter((r) => ids.has(r.appId) && r.operation === 'GetObject').length
  const tasks = new Map(stats.tasks.map((t) => [t.startedBy ?? '', t]))
  // When each job first got an answer saying its task stopped: a stopped.json read that
  // answered 200, or DescribeTasks showing it STOPPED (the proxies' records, not its log).
  const noticed = new Map<string, number>()
  for (const id of ids) {
    const seen = stopSeenAt([...requests, ...run.s3.requests()].filter((r) => r.appId === id))
    if (seen !== undefined) noticed.set(id, seen)
  }
  let waitMs = 0
  for (const o of outcomes) {
    const t = tasks.get(o.id)
    // Every job's reads count, so every job's wait does: to the stop it saw, else its end.
    if (t) waitMs += (noticed.get(o.id) ?? o.endedAt) - t.createdAt
  }
  const perTaskSecond = waitMs > 0 ? reads / (waitMs / 1000) : 0
  lines.push('S3 notification reads')
  lines.push(
    `  ${reads} GetObject over ${(waitMs / 60000).toFixed(1)} task-minutes of waiting: ` +
      `${(perTaskSecond * 60).toFixed(1)} per task-minute (${perTaskSecond.toFixed(2)} per task-second)`
  )
  // The notifier's own writes, not the jobs' (task-definitions/ entries are PutObjects too).
  const written = local.notifierLog().filter((line) => line.startsWith('written ')).length
  lines.push(
    `  the notifier wrote ${written} objects (a started.json and a stopped.json per task, ` +
      `rewritten only by a newer event) for ${stats.events.emitted} task state events ` +
      `(PROVISIONING and PENDING are not written)`
  )
  lines.push('')

  // Stop detection: from stopped.json's first write (and from ECS's STOPPED) to the job seeing it.
  const fromWrite: number[] = []
  const fromStop: number[] = []
  let noticedByExit = 0
  for (const o of outcomes) {
    const t = tasks.get(o.id)
    const seen = noticed.get(o.id) ?? o.endedAt
    if (!noticed.has(o.id)) noticedByExit++
    if (t?.stopEventWrittenAt !== undefined) fromWrite.push(seen - t.stopEventWrittenAt)
    if (t?.stoppedAt !== undefined) fromStop.push(seen - t.stoppedAt)
  }
  lines.push('Stop detection latency (to the first answer that showed the job its task stopped)')
  lines.push(
    textTable(
      ['from', 'median', 'p95', 'max', 'jobs'],
      [
        [
          'stopped.json written to S3',
          seconds(median(fromWrite)),
          seconds(percentile(fromWrite, 95)),
          seconds(percentile(fromWrite, 100)),
          String(fromWrite.length)
        ],
        [
          'ECS task STOPPED',
          seconds(median(fromStop)),
          seconds(percentile(fromStop, 95)),
          seconds(percentile(fromStop, 100)),
          String(fromStop.length)
        ]
      ]
    )
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n')
  )
  lines.push(
    `  (real seconds; "ECS task STOPPED" includes the simulated EventBridge delivery delay` +
      `${run.lossy ? ' and, for lost events, the verify-interval of 10 s' : ''}` +
      `${noticedByExit > 0 ? `; ${noticedByExit} jobs got no answer showing the stop and count at their process end` : ''})`
  )
  lines.push('')
  const rss = outcomes.map((o) => o.maxRssBytes).filter((v): v is number => v !== undefined)
  lines.push(
    `Wall time: ${seconds(run.wallMs)} for the fan-out, ${seconds(run.totalMs)} with the prepare step` +
      ` (${n} processes on ${availableParallelism()} cores; peak RSS per job median ${Math.round((median(rss) ?? 0) / 1e6)} MB)`
  )
  return lines.join('\n')
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    )
    process.exitCode = 1
  }
)
