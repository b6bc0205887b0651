/**
 * The benchmark's results as data, the goals of the fan-out issue checked against them, and the
 * Markdown of bench/RESULTS.md and of the README's short table. Pure: bench/run.ts measures,
 * this formats.
 */
import { FOLLOW_HEADING, followPart } from './follow.js'
import { formatCounts, markdownTable, megabytes, seconds } from './stats.js'

export const VARIANTS = ['a', 'a-register', 'a-overrides', 'b', 'c'] as const
export type Variant = (typeof VARIANTS)[number]

/** What each variant is, in one line. */
export const VARIANT_TITLES: Record<Variant, string> = {
  a: 'this action, S3 notifications, shared task-definition (prepare once, fan out)',
  'a-register':
    'this action, S3 notifications, every job registers if changed (changed definition)',
  'a-overrides':
    'as (a) register if changed, every job also with per-run overrides (task and execution ' +
    'roles, cpu, memory, ephemeral storage, FARGATE_SPOT/FARGATE strategy, ECS Exec) and ' +
    'network-from-service (one DescribeServices shared through the bucket)',
  b: 'this action, DescribeTasks waiter (notification-prefix: none), shared task-definition',
  c: 'other actions: a revision registered per job + SDK waitUntilTasksStopped (min delay 6 s)'
}

/** Short labels for tables. */
export const VARIANT_LABELS: Record<Variant, string> = {
  a: '(a) S3, shared TD',
  'a-register': '(a) S3, register if changed',
  'a-overrides': '(a) S3, register if changed, overrides + service network',
  b: '(b) DescribeTasks',
  c: '(c) new revision + SDK waiter'
}

/** One benchmark run: one variant at one size. */
export interface RunResult {
  variant: Variant
  jobs: number
  /** `processes`: one dist/index.js (or baseline script) process per job; `one process`: all in one. */
  mode: 'processes' | 'one process'
  /** Jobs that did not end with exit code 0 after seeing their task stop. */
  failed: number
  /** Up to three distinct reasons of failed jobs. */
  failureReasons: string[]
  /** ThrottlingException answers of the simulator during the fan-out (every job together). */
  throttled: number
  throttledByOperation: Record<string, number>
  /** ECS calls per job by operation, before the wait (up to the RunTask that started it). */
  beforePerJob: Record<string, number>
  /** The most ECS calls any one job spent before its wait. */
  beforeMax: number
  /** ECS calls per job by operation during the wait (and the report after it). */
  duringPerJob: Record<string, number>
  /** New task definition revisions registered by the jobs (not by a prepare step). */
  revisions: number
  /** DescribeServices calls of every job together (network-from-service), when any. */
  describeServices?: number
  /** The prepare step's ECS calls (a `mode: register` job), when there was one. */
  prepareCalls?: Record<string, number>
  /** Jobs' S3 GetObject per task-minute of waiting (RunTask answered to the stop noticed). */
  s3ReadsPerTaskMinute: number
  /** Stop-detection latency, ms: from ECS's STOPPED to the job noticing it. */
  fromStopped: { median?: number; p99?: number; max?: number }
  /** The same from stopped.json's first write (variant a only). */
  fromWritten?: { median?: number; p99?: number; max?: number }
  /** Peak RSS per job process, bytes (median and max); for `one process`, the process's. */
  rss: { median?: number; max?: number }
  /** Process spawn to its first AWS request, ms (median and p95). */
  firstRequest: { median?: number; p95?: number }
  /** From the first job's spawn to the last job's end, ms. */
  wallMs: number
}

/** Jobs run one at a time on an idle machine: the per-job costs without contention. */
export interface SoloResult {
  runs: number
  firstRequest: { median?: number; max?: number }
  rss: { median?: number; max?: number }
  /** A bare `node -e 0` start to exit, median ms, for scale. */
  nodeStartMs?: number
}

export interface Machine {
  date: string
  cpus: number
  cpuModel: string
  memoryGiB: number
  node: string
  os: string
}

export interface BenchSettings {
  timeScale: number
  taskSeconds: number
  pollInterval: number
  throttling: string
  delivery: string
  totalMs: number
}

/** A goal of the issue for variant (a), checked. */
export interface GoalCheck {
  goal: string
  reached: boolean
  detail: string
}

const MB = 1e6

/** Checks the issue's goals for (a) against the results. */
export function checkGoals(
  results: readonly RunResult[],
  solo: SoloResult | undefined
): GoalCheck[] {
  const a = results.filter(
    (r) => r.variant === 'a' || r.variant === 'a-register' || r.variant === 'a-overrides'
  )
  const overrides = results.filter((r) => r.variant === 'a-overrides')
  const shared = results.filter((r) => r.variant === 'a')
  const register = results.filter((r) => r.variant === 'a-register')
  const name = (r: RunResult): string =>
    `${VARIANT_LABELS[r.variant]} ${r.jobs}${r.mode === 'one process' ? ' in one process' : ''}`
  const sum = (c: Record<string, number>): number => Object.values(c).reduce((s, v) => s + v, 0)
  const checks: GoalCheck[] = []
  const list = (rs: readonly RunResult[], f: (r: RunResult) => string): string =>
    rs.map((r) => `${name(r)}: ${f(r)}`).join('; ')

  checks.push({
    goal: 'No failed job and no throttled response at any size',
    reached: a.length > 0 && a.every((r) => r.failed === 0 && r.throttled === 0),
    detail: list(
      a,
      (r) =>
        `${r.failed} failed, ${r.throttled} throttled${r.throttled ? ` (${formatCounts(r.throttledByOperation)})` : ''}`
    )
  })
  checks.push({
    goal: 'Zero ECS calls during the wait (verify checks aside)',
    reached: a.length > 0 && a.every((r) => sum(withoutDescribe(r.duringPerJob)) === 0),
    detail: list(a, (r) => formatCounts(r.duringPerJob))
  })
  checks.push({
    goal: 'One ECS call per job before the wait with a shared task-definition',
    reached: shared.length > 0 && shared.every((r) => r.beforeMax <= 1),
    detail: list(shared, (r) => `${formatCounts(r.beforePerJob)} per job, at most ${r.beforeMax}`)
  })
  checks.push({
    goal: 'Three ECS calls at most per job before the wait without one',
    reached: register.length > 0 && register.every((r) => r.beforeMax <= 3),
    detail: list(register, (r) => `${formatCounts(r.beforePerJob)} per job, at most ${r.beforeMax}`)
  })
  checks.push({
    goal: 'At most two revisions for a fan-out on a changed definition',
    reached: register.length > 0 && register.every((r) => r.revisions <= 2),
    detail: list(register, (r) => `${r.revisions} registered`)
  })
  if (overrides.length > 0) {
    checks.push({
      goal:
        'With overrides and network-from-service: one revision, one DescribeServices (two at ' +
        'most), nothing throttled',
      reached: overrides.every(
        (r) => r.revisions === 1 && (r.describeServices ?? 0) <= 2 && r.throttled === 0
      ),
      detail: list(
        overrides,
        (r) =>
          `${r.revisions} registered, ${r.describeServices ?? 0} DescribeServices, ` +
          `${r.throttled} throttled`
      )
    })
  }
  const latencyOk = (r: RunResult): boolean =>
    (r.fromWritten?.median ?? Infinity) <= 1000 && (r.fromWritten?.p99 ?? Infinity) <= 3000
  checks.push({
    goal: 'Stop detected within 1 s median and 3 s p99 on 30-second tasks (from stopped.json written)',
    reached: a.length > 0 && a.every(latencyOk),
    detail: list(
      a,
      (r) => `median ${seconds(r.fromWritten?.median)}, p99 ${seconds(r.fromWritten?.p99)}`
    )
  })
  checks.push({
    goal: 'The same from ECS STOPPED (includes the simulated EventBridge delay, 0.3-0.7 s)',
    reached:
      a.length > 0 &&
      a.every(
        (r) => (r.fromStopped.median ?? Infinity) <= 1000 && (r.fromStopped.p99 ?? Infinity) <= 3000
      ),
    detail: list(
      a,
      (r) => `median ${seconds(r.fromStopped.median)}, p99 ${seconds(r.fromStopped.p99)}`
    )
  })
  checks.push({
    goal: 'At most one S3 read per second per task (60 per task-minute)',
    reached: a.length > 0 && a.every((r) => r.s3ReadsPerTaskMinute <= 60),
    detail: list(a, (r) => `${r.s3ReadsPerTaskMinute.toFixed(1)} per task-minute`)
  })
  const perProcess = a.filter((r) => r.mode === 'processes')
  const rssValues = [...perProcess.map((r) => r.rss.max ?? Infinity), solo?.rss.max ?? Infinity]
  checks.push({
    goal: 'Peak RSS under 100 MB per job',
    reached: perProcess.length > 0 && rssValues.every((v) => v < 100 * MB),
    detail:
      `${solo ? `alone: median ${megabytes(solo.rss.median)}, max ${megabytes(solo.rss.max)}; ` : ''}` +
      list(perProcess, (r) => `median ${megabytes(r.rss.median)}, max ${megabytes(r.rss.max)}`)
  })
  checks.push({
    goal: 'Under 300 ms from process start to first request',
    reached: solo !== undefined && (solo.firstRequest.median ?? Infinity) < 300,
    detail:
      `${solo ? `alone (the runner's case: one job per machine): median ${ms(solo.firstRequest.median)}, max ${ms(solo.firstRequest.max)}; ` : ''}` +
      list(
        perProcess,
        (r) =>
          `median ${ms(r.firstRequest.median)} with ${r.jobs} processes starting at once on this machine`
      )
  })
  return checks
}

function withoutDescribe(counts: Record<string, number>): Record<string, number> {
  const rest = { ...counts }
  delete rest.DescribeTasks
  return rest
}

function ms(v: number | undefined): string {
  return v === undefined ? '-' : `${Math.round(v)} ms`
}

function latency(l: { median?: number; p99?: number } | undefined): string {
  return l ? `${seconds(l.median)} / ${seconds(l.p99)}` : '-'
}

/** The full results table, one row per run. */
export function resultsTable(results: readonly RunResult[]): string {
  return markdownTable(
    [
      'variant',
      'jobs',
      'failed',
      'throttled',
      'ECS calls per job before the wait',
      'during the wait',
      'revisions',
      'S3 reads per task-minute',
      'stop latency from STOPPED, median / p99',
      'from stopped.json written',
      'peak RSS per job, median / max',
      'start to first request, median',
      'wall'
    ],
    results.map((r) => [
      VARIANT_LABELS[r.variant],
      `${r.jobs}${r.mode === 'one process' ? ' (one process)' : ''}`,
      String(r.failed),
      String(r.throttled),
      `${formatCounts(r.beforePerJob)} (max ${r.beforeMax})`,
      formatCounts(r.duringPerJob),
      String(r.revisions),
      r.s3ReadsPerTaskMinute === 0 ? '0' : r.s3ReadsPerTaskMinute.toFixed(1),
      latency(r.fromStopped),
      latency(r.fromWritten),
      r.mode === 'one process'
        ? `${megabytes(r.rss.max)} for all (${((r.rss.max ?? 0) / r.jobs / 1e3).toFixed(0)} kB per job)`
        : `${megabytes(r.rss.median)} / ${megabytes(r.rss.max)}`,
      ms(r.firstRequest.median),
      seconds(r.wallMs)
    ])
  )
}

/** The short table for the README: the largest process size and the in-process size. */
export function readmeTable(results: readonly RunResult[]): string {
  return markdownTable(
    [
      'jobs',
      'wait',
      'failed jobs',
      'throttled',
      'ECS calls per job',
      'revisions',
      'stop seen after (median / p99)'
    ],
    results
      .filter((r) => r.variant !== 'a-register' && r.variant !== 'a-overrides')
      .map((r) => [
        `${r.jobs}${r.mode === 'one process' ? ' (one process)' : ''}`,
        r.variant === 'a'
          ? 'S3 notifications'
          : r.variant === 'b'
            ? 'DescribeTasks'
            : 'revision per job + SDK waiter',
        String(r.failed),
        String(r.throttled),
        String(
          Math.round(
            (Object.values(r.beforePerJob).reduce((s, v) => s + v, 0) +
              Object.values(r.duringPerJob).reduce((s, v) => s + v, 0)) *
              10
          ) / 10
        ),
        String(r.revisions),
        latency(r.fromStopped)
      ])
  )
}

/** bench/README-section.md: the README's benchmark paragraph and short table. */
export function readmeSection(results: readonly RunResult[], date: string): string {
  return [
    '### Fan-out benchmark',
    '',
    `\`npm run bench\` runs every job at once against the local simulator with AWS's ECS token buckets, ` +
      `30-second tasks in real time (${date}, 2 cores; full numbers, setup and goals in ` +
      '[bench/RESULTS.md](bench/RESULTS.md)). "ECS calls per job" counts every call of a job, before and ' +
      'during the wait; "stop seen after" runs from ECS marking the task STOPPED to the job noticing it.',
    '',
    readmeTable(results),
    ''
  ].join('\n')
}

/** bench/RESULTS.md. */
export function resultsMarkdown(input: {
  machine: Machine
  settings: BenchSettings
  results: readonly RunResult[]
  solo?: SoloResult
  goals: readonly GoalCheck[]
  notes: readonly string[]
  fanout?: string
  /** bench/RESULTS-follow.md, when bench/follow.ts has written it. */
  follow?: string
}): string {
  const { machine, settings, results, solo, goals } = input
  const lines: string[] = []
  lines.push('# Fan-out benchmark results', '')
  lines.push(
    `Written by \`npm run bench\` on ${machine.date}: ${machine.cpus} × ${machine.cpuModel}, ` +
      `${machine.memoryGiB} GiB memory, Node ${machine.node}, ${machine.os}. The whole run took ` +
      `${(settings.totalMs / 60000).toFixed(1)} minutes.`,
    ''
  )
  lines.push('## Setup', '')
  lines.push(
    `- One local simulator per run (sim/): ECS with AWS's token buckets (${settings.throttling}), ` +
      `task state events through the project's notifier into s3rver (${settings.delivery}).`,
    `- Tasks run ${settings.taskSeconds} simulated seconds after 1 s of provisioning and 2 s of image pull; ` +
      `time scale ${settings.timeScale} (real seconds per simulated second${settings.timeScale === 1 ? ': real time, so every latency below is in real and simulated seconds alike' : ''}).`,
    `- The action's \`poll-interval\` is ${settings.pollInterval} s (its default) and \`verify-interval\` 300 s (its default).`,
    '- Job processes are all spawned at once. Where jobs race before their first RunTask ((a) register if changed, (c)), a barrier in the ' +
      "recording proxies holds every job's first request until all have sent one, so they race as jobs that really start together, " +
      "whatever this machine's process start-up spreads; elsewhere the first request is the RunTask each job places in the fan-out's " +
      'spread, which holding would undo. In one process jobs start evenly over a window (see Notes). "processes": every job is its own `node dist/index.js` process (the baseline: its own ' +
      'bundled script), all on this machine\'s cores; "one process": every job is the action\'s own main step ' +
      '(`run` of src/main.ts with its own inputs, GITHUB_* variables, state and outputs: the task set with its work ' +
      'queue and token bucket, the registration race and the wait engine), all concurrently in one bundled process on ' +
      'one shared set of clients.',
    "- Calls are attributed to jobs by a recording proxy (each job's `AWS_SDK_UA_APP_ID`), or by a counting " +
      'wrapper around the shared clients in one process. "Before the wait" is every ECS call up to the RunTask that ' +
      'started the task; "during" is everything after it.',
    '- A job succeeded when its step did (process exit code 0, or no failure in one process) and its `exit-code` output is 0. ' +
      "Stop latency: from the task's STOPPED time in the simulator (and for (a) from the first write of its " +
      'stopped.json) to the first answer that told the job its task stopped: a read of its stopped.json that answered, ' +
      'or DescribeTasks showing it STOPPED (the recording proxy, or the counting wrapper in one process). Nothing is read from what a job logs.',
    "- Peak RSS: the kernel's VmHWM of each job process. Start to first request: from spawning the process to " +
      'the proxy receiving its first request.',
    ''
  )
  for (const v of VARIANTS) lines.push(`- ${VARIANT_LABELS[v]}: ${VARIANT_TITLES[v]}.`)
  lines.push('', '## Results', '', resultsTable(results), '')
  const prepared = results.find((r) => r.prepareCalls)
  if (prepared?.prepareCalls) {
    lines.push(
      `Shared-TD runs had a prepare step first (\`mode: register\`, one job): ${formatCounts(prepared.prepareCalls)}; not counted per job.`,
      ''
    )
  }
  const failures = results.filter((r) => r.failureReasons.length > 0)
  if (failures.length > 0) {
    lines.push('Why jobs failed:', '')
    for (const r of failures) {
      lines.push(`- ${VARIANT_LABELS[r.variant]} ${r.jobs}: ${r.failureReasons.join('; ')}`)
    }
    lines.push('')
  }
  if (solo) {
    lines.push(
      `One job at a time (${solo.runs} runs, idle machine): start to first request median ${ms(solo.firstRequest.median)} ` +
        `(max ${ms(solo.firstRequest.max)}); peak RSS median ${megabytes(solo.rss.median)} (max ${megabytes(solo.rss.max)}).` +
        `${solo.nodeStartMs !== undefined ? ` A bare \`node -e 0\` takes ${ms(solo.nodeStartMs)} to start and exit here.` : ''}`,
      ''
    )
  }
  lines.push('## Goals for (a)', '')
  lines.push(
    markdownTable(
      ['goal', 'reached', 'measured'],
      goals.map((g) => [g.goal, g.reached ? 'reached' : 'not reached', g.detail])
    ),
    ''
  )
  if (input.notes.length > 0) {
    lines.push('## Notes', '')
    for (const note of input.notes) lines.push(`- ${note}`)
    lines.push('')
  }
  if (input.fanout) {
    lines.push('## One job fanning out (count / tasks)', '', input.fanout.trim(), '')
  }
  if (input.follow) lines.push(FOLLOW_HEADING, '', followPart(input.follow), '')
  return lines.join('\n')
}
