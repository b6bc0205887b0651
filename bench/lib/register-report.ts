/**
 * The register race's figures and their Markdown: pure functions over the measured races, so
 * bench/register.ts only measures.
 */
import { textTable } from './stats.js'

export type RaceVariant = 'cache' | 'no-write' | 'jittered' | 'today'
export type RacePhase = 'changed' | 'same'

export const RACE_VARIANT_LABELS: Record<RaceVariant, string> = {
  cache: 'bucket cache',
  'no-write': 'no s3:PutObject',
  jittered: 'cache off (jittered)',
  today: 'before (describe, register)'
}

/** One race: `jobs` jobs of one variant starting together. */
export interface RaceResult {
  variant: RaceVariant
  phase: RacePhase
  jobs: number
  mode: 'processes' | 'one process'
  failed: number
  /** Successful RegisterTaskDefinition answers. */
  revisions: number
  /** Distinct task definition ARNs the jobs ran. */
  arns: number
  /** Jobs whose `registered` was true. */
  registeredJobs: number
  /** Throttled answers by ECS operation. */
  throttled: Record<string, number>
  /** DescribeTaskDefinition and RegisterTaskDefinition calls, all jobs. */
  describeCalls: number
  registerCalls: number
  /** ECS calls per job up to and including its RunTask: max, median, and the registering job's. */
  before: { max: number; median: number; winner?: number }
  /** ms from the job's process start to its RunTask: median, p95, max. */
  startToRun: { median?: number; p95?: number; max?: number }
  /** ms from the barrier's opening to each job's RunTask: median, max. */
  barrierToRun: { median?: number; max?: number }
  /** S3 requests per job (GET and PUT of the cache entry). */
  s3PerJob: number
  /** Jobs that logged a warning. */
  warnedJobs: number
  /** The barrier opened by timeout, not by every job arriving. */
  barrierTimedOut: boolean
}

export interface RaceGoal {
  goal: string
  reached: boolean
  detail: string
}

const find = (results: RaceResult[], variant: RaceVariant, phase: RacePhase): RaceResult[] =>
  results.filter((r) => r.variant === variant && r.phase === phase)

const sizeOf = (r: RaceResult): string => `${r.jobs}${r.mode === 'one process' ? ' in 1 proc' : ''}`

/** The goals, checked against the races that were run. */
export function raceGoals(results: RaceResult[]): RaceGoal[] {
  const goals: RaceGoal[] = []
  const add = (
    goal: string,
    rows: RaceResult[],
    ok: (r: RaceResult) => boolean,
    show: (r: RaceResult) => string
  ) => {
    if (rows.length === 0) return
    goals.push({
      goal,
      reached: rows.every(ok),
      detail: rows.map((r) => `${sizeOf(r)}: ${show(r)}`).join('; ')
    })
  }
  const changed = find(results, 'cache', 'changed')
  const same = find(results, 'cache', 'same')
  const cache = [...changed, ...same]
  add(
    'Exactly 1 revision per changed definition (bucket cache)',
    changed,
    (r) => r.revisions === 1,
    (r) => `${r.revisions}`
  )
  add(
    '0 throttled RegisterTaskDefinition and DescribeTaskDefinition answers (bucket cache)',
    cache,
    (r) =>
      (r.throttled.RegisterTaskDefinition ?? 0) + (r.throttled.DescribeTaskDefinition ?? 0) === 0,
    (r) =>
      `${r.phase} ${(r.throttled.RegisterTaskDefinition ?? 0) + (r.throttled.DescribeTaskDefinition ?? 0)}`
  )
  add(
    'On a hit, 0 DescribeTaskDefinition and RegisterTaskDefinition calls',
    same,
    (r) => r.describeCalls + r.registerCalls === 0,
    (r) => `${r.describeCalls + r.registerCalls}`
  )
  add(
    'ECS calls per job before the wait: 1 on a hit',
    same,
    (r) => r.before.max === 1,
    (r) => `max ${r.before.max}`
  )
  add(
    'ECS calls per job before the wait: the winner 3 at most (the others 1)',
    changed,
    (r) => (r.before.winner ?? 0) <= 3 && r.before.median === 1,
    (r) => `winner ${r.before.winner ?? '-'}, median ${r.before.median}, max ${r.before.max}`
  )
  const noWrite = find(results, 'no-write', 'changed').filter((r) => r.jobs <= 30)
  add(
    'Without s3:PutObject: every job runs',
    noWrite,
    (r) => r.failed === 0,
    (r) => `${r.failed} failed`
  )
  add(
    'Without s3:PutObject: at most 3 revisions for 30 racing jobs',
    noWrite,
    (r) => r.revisions <= 3,
    (r) => `${r.revisions}`
  )
  return goals
}

const seconds = (ms: number | undefined): string =>
  ms === undefined ? '-' : (ms / 1000).toFixed(1)

function row(r: RaceResult): string[] {
  const t = r.throttled
  return [
    RACE_VARIANT_LABELS[r.variant],
    r.phase,
    String(r.revisions),
    String(r.arns),
    String(r.failed),
    `${t.RegisterTaskDefinition ?? 0}/${t.DescribeTaskDefinition ?? 0}/${t.RunTask ?? 0}`,
    `${r.describeCalls}/${r.registerCalls}`,
    `${r.before.median}/${r.before.max}/${r.before.winner ?? '-'}`,
    `${seconds(r.startToRun.median)}/${seconds(r.startToRun.p95)}/${seconds(r.startToRun.max)}`,
    `${seconds(r.barrierToRun.median)}/${seconds(r.barrierToRun.max)}`,
    r.s3PerJob.toFixed(1),
    String(r.warnedJobs)
  ]
}

export const RACE_HEADER = [
  'variant',
  'run',
  'revisions',
  'ARNs run',
  'failed',
  'throttled Reg/Desc/Run',
  'Describe/Register calls',
  'ECS per job med/max/winner',
  'start→RunTask s med/p95/max',
  'barrier→RunTask s med/max',
  'S3 req/job',
  'warned'
]

export function raceRow(r: RaceResult): string[] {
  return row(r)
}

/** The Markdown section for RESULTS.md. */
export function raceMarkdown(input: {
  date: string
  machine: string
  settings: string[]
  results: RaceResult[]
  notes: string[]
}): string {
  const lines: string[] = [
    '## Register race: many jobs, one changed definition, no prepare job',
    ''
  ]
  lines.push(`${input.date}, ${input.machine}.`, '')
  for (const s of input.settings) lines.push(`- ${s}`)
  lines.push('')
  const sizes = [...new Set(input.results.map(sizeOf))]
  for (const size of sizes) {
    const rows = input.results.filter((r) => sizeOf(r) === size)
    lines.push(`### ${size} jobs${rows[0]?.mode === 'processes' ? ' (one process each)' : ''}`, '')
    lines.push(markdownTable(RACE_HEADER, rows.map(row)), '')
    if (rows.some((r) => r.barrierTimedOut)) {
      lines.push('The barrier opened by timeout: some job died before its first request.', '')
    }
  }
  lines.push('### Goals', '')
  for (const g of raceGoals(input.results)) {
    lines.push(`- ${g.reached ? 'reached' : '**not reached**'}: ${g.goal} (${g.detail})`)
  }
  lines.push('', '### How to read it', '')
  for (const n of input.notes) lines.push(`- ${n}`)
  return `${lines.join('\n')}\n`
}

function markdownTable(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`)
  ].join('\n')
}

/** Console lines: the same table as text. */
export function raceText(results: RaceResult[]): string {
  return textTable(
    ['jobs', ...RACE_HEADER],
    results.map((r) => [sizeOf(r), ...row(r)])
  )
}

const START = '<!-- register-race:start -->'
const END = '<!-- register-race:end -->'

/** `page` with the section between the register-race markers replaced (or appended). */
export function spliceSection(page: string, section: string): string {
  const block = `${START}\n\n${section.trim()}\n\n${END}`
  const a = page.indexOf(START)
  const b = page.indexOf(END)
  if (a !== -1 && b > a) return page.slice(0, a) + block + page.slice(b + END.length)
  return `${page.trimEnd()}\n\n${block}\n`
}
