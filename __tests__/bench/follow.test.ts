import { describe, expect, it } from '@jest/globals'
import {
  accountLines,
  checkFollowGoals,
  embedFollow,
  lagText,
  lineCollector,
  ratePerSecond,
  sumAccounts
} from '../../bench/lib/follow.js'
import type { RecordedRequest } from '../../bench/lib/proxy.js'

const T = Date.parse('2026-12-01T10:00:00Z')
const iso = (ms: number): string => new Date(T + ms).toISOString()

describe('lineCollector', () => {
  it('timestamps each complete line when it first appears', () => {
    let now = 100
    const c = lineCollector(() => now)
    c.update('a\nb')
    now = 200
    c.update('a\nb\nc\n')
    now = 300
    c.update('a\nb\nc\n')
    expect(c.lines()).toEqual([
      { text: 'a', at: 100 },
      { text: 'b', at: 200 },
      { text: 'c', at: 200 }
    ])
  })
})

describe('accountLines', () => {
  const events = [
    { message: 'j line 0', timestamp: T, ingestionTime: T + 5000 },
    { message: 'j line 1', timestamp: T + 2000, ingestionTime: T + 5000 },
    { message: 'j line 2', timestamp: T + 70_000, ingestionTime: T + 71_000 }
  ]

  it('counts lost and repeated lines and the lag of each first copy', () => {
    const account = accountLines(
      events,
      [
        { text: `${iso(0)} j line 0`, at: T + 6000 },
        { text: 'Task abc is still running', at: T + 6000 },
        { text: `${iso(2000)} j line 1`, at: T + 6500 },
        { text: `${iso(2000)} j line 1`, at: T + 90_000 }
      ],
      { taskStartedAt: T, youngMs: 60_000 }
    )
    expect(account).toEqual({
      expected: 3,
      lost: 1,
      repeated: 1,
      lagFromWritten: [6000, 4500],
      lagFromReadable: [1000, 1500],
      lagYoung: [6000, 4500]
    })
  })

  it('adds accounts and formats lags as median / p95 seconds', () => {
    const a = accountLines(events, [{ text: `${iso(70_000)} j line 2`, at: T + 72_000 }], {
      taskStartedAt: T
    })
    expect(a.lagYoung).toEqual([])
    const sum = sumAccounts([a, a])
    expect(sum).toMatchObject({ expected: 6, lost: 4, repeated: 0, lagFromWritten: [2000, 2000] })
    expect(lagText([1000, 2000, 3000])).toBe('2.00 s / 3.00 s')
    expect(lagText([])).toBe('-')
  })
})

describe('ratePerSecond', () => {
  it('counts one operation within the window', () => {
    const r = (operation: string, at: number): RecordedRequest => ({
      appId: 'j',
      service: 'logs',
      operation,
      at,
      status: 200,
      throttled: false
    })
    const requests = [
      r('GetLogEvents', 0),
      r('GetLogEvents', 999),
      r('GetLogEvents', 2000),
      r('X', 10)
    ]
    expect(ratePerSecond(requests, 'GetLogEvents', 0, 2000)).toBe(1)
    expect(ratePerSecond(requests, 'GetLogEvents', 5, 5)).toBe(0)
  })
})

describe('embedFollow', () => {
  const follow =
    '# Following the log: benchmark results\n\nWritten on a day.\n\n## Setup\n\n- one\n'
  const part = '## Following the log (follow-logs)\n\nWritten on a day.\n\n### Setup\n\n- one\n'

  it('ends RESULTS.md with the part, its headings one level down', () => {
    expect(embedFollow('# Results\n\n## Notes\n\n- a\n', follow)).toBe(
      `# Results\n\n## Notes\n\n- a\n\n${part}`
    )
  })

  it('replaces the part written before', () => {
    const once = embedFollow('# Results\n', follow)
    expect(embedFollow(once, follow.replace('one', 'two'))).toBe(
      `# Results\n\n${part.replace('one', 'two')}`
    )
  })
})

describe('checkFollowGoals', () => {
  const lines = (lost: number, young: number[], readable: number[]) => ({
    expected: 90,
    lost,
    repeated: 0,
    lagFromWritten: young,
    lagFromReadable: readable,
    lagYoung: young
  })
  const run = (jobs: number, follow: boolean, extra: object = {}) => ({
    jobs,
    follow,
    failed: 0,
    lines: lines(0, [], []),
    stopLatency: { median: 1000 },
    ecsDuringPerJob: 0,
    s3ReadsPerTaskMinute: 30,
    ...extra
  })

  it('checks each goal against its own numbers', () => {
    const goals = checkFollowGoals([
      run(1, true, { lines: lines(0, [2000, 2500, 4000], [500, 700]) }),
      run(60, true, { steadyRate: 2.98, stopLatency: { median: 1900 } }),
      run(60, false, { s3ReadsPerTaskMinute: 28 })
    ])
    expect(goals.map((g) => [g.reached, g.measured])).toEqual([
      [
        true,
        '1 jobs: 0 lost, 0 repeated of 90, 0 failed; 60 jobs: 0 lost, 0 repeated of 90, 0 failed'
      ],
      [true, '2.98/s'],
      [
        true,
        "from the line's timestamp 2.50 s / 4.00 s (median / p95); from when CloudWatch had it 0.50 s / 0.70 s over the whole task"
      ],
      [
        true,
        '60 jobs on / off: stop latency median 1.90 s / 1.00 s, ECS calls per job during the wait 0.00 / 0.00, S3 reads per task-minute 30.0 / 28.0'
      ]
    ])
  })

  it('fails a goal on one lost line, a slow median or a changed ECS count', () => {
    const goals = checkFollowGoals([
      run(1, true, { lines: lines(1, [3001], [100]) }),
      run(60, true, { steadyRate: 5.01, ecsDuringPerJob: 1 }),
      run(60, false)
    ])
    expect(goals.map((g) => g.reached)).toEqual([false, false, false, false])
  })
})
