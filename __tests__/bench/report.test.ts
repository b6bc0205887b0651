import { describe, expect, it } from '@jest/globals'
import {
  checkGoals,
  readmeSection,
  readmeTable,
  resultsMarkdown,
  type RunResult,
  type SoloResult
} from '../../bench/lib/report.js'

function result(overrides: Partial<RunResult>): RunResult {
  return {
    variant: 'a',
    jobs: 60,
    mode: 'processes',
    failed: 0,
    failureReasons: [],
    throttled: 0,
    throttledByOperation: {},
    beforePerJob: { RunTask: 1 },
    beforeMax: 1,
    duringPerJob: {},
    revisions: 0,
    s3ReadsPerTaskMinute: 58,
    fromStopped: { median: 1000, p99: 2000, max: 2100 },
    fromWritten: { median: 500, p99: 1500, max: 1600 },
    rss: { median: 90e6, max: 95e6 },
    firstRequest: { median: 2000, p95: 4000 },
    wallMs: 45_000,
    ...overrides
  }
}

const solo: SoloResult = {
  runs: 5,
  firstRequest: { median: 250, max: 280 },
  rss: { median: 90e6, max: 96e6 },
  nodeStartMs: 60
}

describe('checkGoals', () => {
  const good = [
    result({}),
    result({
      variant: 'a-register',
      beforePerJob: { DescribeTaskDefinition: 1.1, RegisterTaskDefinition: 0.1, RunTask: 1 },
      beforeMax: 3,
      revisions: 1
    })
  ]

  it('reaches every goal when the numbers are within them', () => {
    expect(checkGoals(good, solo).map((g) => [g.goal, g.reached])).toEqual([
      ['No failed job and no throttled response at any size', true],
      ['Zero ECS calls during the wait (verify checks aside)', true],
      ['One ECS call per job before the wait with a shared task-definition', true],
      ['Three ECS calls at most per job before the wait without one', true],
      ['At most two revisions for a fan-out on a changed definition', true],
      [
        'Stop detected within 1 s median and 3 s p99 on 30-second tasks (from stopped.json written)',
        true
      ],
      ['The same from ECS STOPPED (includes the simulated EventBridge delay, 0.3-0.7 s)', true],
      ['At most one S3 read per second per task (60 per task-minute)', true],
      ['Peak RSS under 100 MB per job', true],
      ['Under 300 ms from process start to first request', true]
    ])
  })

  it('checks the overrides variant for one revision, one DescribeServices (two at most), nothing throttled', () => {
    const overrides = (r: Partial<RunResult>) =>
      checkGoals([...good, result({ variant: 'a-overrides', revisions: 1, ...r })], solo).find(
        (g) => g.goal.startsWith('With overrides')
      )
    expect(overrides({ describeServices: 1 })).toEqual({
      goal:
        'With overrides and network-from-service: one revision, one DescribeServices (two at ' +
        'most), nothing throttled',
      reached: true,
      detail:
        '(a) S3, register if changed, overrides + service network 60: 1 registered, 1 ' +
        'DescribeServices, 0 throttled'
    })
    expect(overrides({ describeServices: 3 })?.reached).toBe(false)
    expect(overrides({ describeServices: 1, revisions: 2 })?.reached).toBe(false)
    expect(checkGoals(good, solo).some((g) => g.goal.startsWith('With overrides'))).toBe(false)
  })

  it('names the run and the number behind each miss', () => {
    const bad = [
      result({
        throttled: 3,
        throttledByOperation: { RunTask: 3 },
        rss: { median: 104e6, max: 105e6 }
      }),
      result({
        variant: 'a-register',
        jobs: 1000,
        mode: 'one process',
        beforeMax: 5,
        revisions: 3,
        duringPerJob: { DescribeTasks: 1 }
      })
    ]
    const checks = checkGoals(bad, { ...solo, firstRequest: { median: 320, max: 400 } })
    const byGoal = new Map(checks.map((c) => [c.goal, c]))
    expect(byGoal.get('No failed job and no throttled response at any size')).toEqual({
      goal: 'No failed job and no throttled response at any size',
      reached: false,
      detail:
        '(a) S3, shared TD 60: 0 failed, 3 throttled (RunTask 3); ' +
        '(a) S3, register if changed 1000 in one process: 0 failed, 0 throttled'
    })
    // DescribeTasks during the wait is the verify check, which the goal sets aside.
    expect(byGoal.get('Zero ECS calls during the wait (verify checks aside)')?.reached).toBe(true)
    expect(byGoal.get('At most two revisions for a fan-out on a changed definition')?.detail).toBe(
      '(a) S3, register if changed 1000 in one process: 3 registered'
    )
    expect(byGoal.get('Peak RSS under 100 MB per job')).toEqual({
      goal: 'Peak RSS under 100 MB per job',
      reached: false,
      detail: 'alone: median 90 MB, max 96 MB; (a) S3, shared TD 60: median 104 MB, max 105 MB'
    })
    expect(byGoal.get('Under 300 ms from process start to first request')?.reached).toBe(false)
  })
})

describe('tables and the results page', () => {
  const results = [
    result({}),
    result({ variant: 'b', duringPerJob: { DescribeTasks: 11.5 }, fromWritten: undefined }),
    result({
      variant: 'c',
      beforePerJob: { RegisterTaskDefinition: 1, RunTask: 1 },
      duringPerJob: { DescribeTasks: 4 },
      revisions: 60,
      failed: 2,
      failureReasons: ['2 × ThrottlingException: Rate exceeded'],
      fromStopped: { median: 9000, p99: 20000 },
      fromWritten: undefined
    })
  ]

  it('gives the README a short table without the register-if-changed rows', () => {
    expect(readmeTable([...results, result({ variant: 'a-register' })])).toBe(
      [
        '| jobs | wait | failed jobs | throttled | ECS calls per job | revisions | stop seen after (median / p99) |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| 60 | S3 notifications | 0 | 0 | 1 | 0 | 1.00 s / 2.00 s |',
        '| 60 | DescribeTasks | 0 | 0 | 12.5 | 0 | 1.00 s / 2.00 s |',
        '| 60 | revision per job + SDK waiter | 2 | 0 | 6 | 60 | 9.00 s / 20.00 s |'
      ].join('\n')
    )
  })

  it('writes the date, the machine, the goals and the failure reasons', () => {
    const page = resultsMarkdown({
      machine: {
        date: '2026-11-28',
        cpus: 2,
        cpuModel: 'Test CPU',
        memoryGiB: 24,
        node: 'v20.20.2',
        os: 'linux 6.1'
      },
      settings: {
        timeScale: 1,
        taskSeconds: 30,
        pollInterval: 1,
        throttling: 'AWS',
        delivery: '0.3 s',
        totalMs: 600_000
      },
      results,
      solo,
      goals: checkGoals(results, solo),
      notes: ['A note.'],
      fanout: '| one job | 1000 tasks |\n'
    })
    expect(page).toContain(
      'Written by `npm run bench` on 2026-11-28: 2 × Test CPU, 24 GiB memory, Node v20.20.2, linux 6.1. The whole run took 10.0 minutes.'
    )
    expect(page).toContain(
      '- (c) new revision + SDK waiter 60: 2 × ThrottlingException: Rate exceeded'
    )
    expect(page).toContain(
      '| At most two revisions for a fan-out on a changed definition | not reached |'
    )
    expect(page).toContain('## Notes\n\n- A note.\n')
    expect(page).toContain('## One job fanning out (count / tasks)\n\n| one job | 1000 tasks |\n')
  })
})

describe('readmeSection', () => {
  it('gives the README a heading, what was measured, a link to the full results, and the table', () => {
    const section = readmeSection([result({})], '2026-11-28')
    expect(section.split('\n').slice(0, 2)).toEqual(['### Fan-out benchmark', ''])
    expect(section).toContain('30-second tasks in real time (2026-11-28, 2 cores;')
    expect(section).toContain('[bench/RESULTS.md](bench/RESULTS.md)')
    expect(section.endsWith('| 60 | S3 notifications | 0 | 0 | 1 | 0 | 1.00 s / 2.00 s |\n')).toBe(
      true
    )
  })
})
