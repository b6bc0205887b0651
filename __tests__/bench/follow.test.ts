import { describe, expect, it } from '@jest/globals'
import {
  accountLines,
  checkFollowGoals,
  embedFollow,
  lagText,
  lineCollector,
  peakPerSecond,
  ratePerSecond,
  sumAccounts,
  throttledByOperation
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

describe('peakPerSecond and throttledByOperation', () => {
  const r = (operation: string, at: number, throttled = false): RecordedRequest => ({
    appId: 'j',
    service: 'logs',
    operation,
    at,
    status: throttled ? 400 : 200,
    throttled
  })

  it('finds the busiest window, sliding from one request to the next, end excluded', () => {
    const requests = [
      r('GetLogEvents', 4000),
      r('GetLogEvents', 0),
      r('GetLogEvents', 1000),
      r('GetLogEvents', 5000),
      r('GetLogEvents', 5500),
      r('GetLogEvents', 9999),
      r('FilterLogEvents', 4500)
    ]
    // [1000, 6000) holds 1000, 4000, 5000 and 5500: 4 in 5 s.
    expect(peakPerSecond(requests, 'GetLogEvents', 5000)).toBe(0.8)
    expect(peakPerSecond(requests, 'GetLogEvents', 1000)).toBe(2)
    expect(peakPerSecond([], 'GetLogEvents', 5000)).toBe(0)
  })

  it('counts throttled answers by API, most first', () => {
    expect(
      throttledByOperation([
        r('GetLogEvents', 0, true),
        r('RunTask', 0, true),
        r('GetLogEvents', 1, true),
        r('GetLogEvents', 2)
      ])
    ).toBe('GetLogEvents 2, RunTask 1')
    expect(throttledByOperation([r('GetLogEvents', 2)])).toBe('0')
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
  const lines = (lost: number, written: number[]) => ({
    expected: 90,
    lost,
    repeated: 0,
    lagFromWritten: written,
    lagFromReadable: written,
    lagYoung: written
  })
  const run = (jobs: number, follow: boolean, extra: object = {}) => ({
    jobs,
    follow,
    failed: 0,
    lines: lines(0, [1000]),
    quota: 10,
    peak5s: 4.8,
    getLogEventsThrottled: 0,
    stepEnd: { median: 600 },
    stopLatency: { median: 600 },
    detection: { median: 600 },
    ecsDuringPerJob: 0,
    s3ReadsPerTaskMinute: 30,
    ...extra
  })

  it('checks each goal against its own numbers', () => {
    const goals = checkFollowGoals([
      run(1, true, {
        lines: lines(0, [2000, 2500, 4000]),
        stopLatency: { median: 1300 },
        detection: { median: 650 }
      }),
      run(60, true, { stepEnd: { median: 900 } }),
      run(200, true, { peak5s: 5 }),
      run(60, false, { s3ReadsPerTaskMinute: 28, stopLatency: { median: 1000 } })
    ])
    expect(goals.map((g) => [g.goal, g.reached, g.measured])).toEqual([
      [
        '0 lines lost or repeated, 0 failed jobs',
        true,
        '1 jobs: 0 lost, 0 repeated of 90, 0 failed; 60 jobs: 0 lost, 0 repeated of 90, 0 failed; 200 jobs: 0 lost, 0 repeated of 90, 0 failed'
      ],
      [
        'GetLogEvents at most half the regional quota over any 5 s, 0 throttled',
        true,
        '60 jobs: peak 4.8/s of 10/s, 0 throttled; 200 jobs: peak 5.0/s of 10/s, 0 throttled'
      ],
      [
        'Step end at most 1 s after stop detection (median), following on',
        true,
        '1 jobs: 0.60 s; 60 jobs: 0.90 s; 200 jobs: 0.60 s'
      ],
      [
        'One job: median lag at most 5 s, stop detection median at most 0.7 s',
        true,
        "lag from the line's timestamp 2.50 s / 4.00 s (median / p95), stop detection 0.65 s after stopped.json was written"
      ],
      [
        'Stop detection and ECS/S3 calls unchanged by following',
        true,
        '60 jobs on / off: stop latency median 0.60 s / 1.00 s, ECS calls per job during the wait 0.00 / 0.00, S3 reads per task-minute 30.0 / 28.0'
      ]
    ])
  })

  it('fails a goal on one lost line, one throttled read, a slow step end or a slow lone job', () => {
    const goals = checkFollowGoals([
      run(1, true, { lines: lines(0, [5001]) }),
      run(60, true, { lines: lines(1, [1000]), getLogEventsThrottled: 1 }),
      run(200, true, { stepEnd: { median: 1001 } })
    ])
    expect(goals.map((g) => g.reached)).toEqual([false, false, false, false])
    expect(goals).toHaveLength(4)
  })

  it('fails the share goal on a peak above half the quota', () => {
    const goals = checkFollowGoals([run(60, true, { peak5s: 5.2 })])
    expect(goals[1]?.reached).toBe(false)
  })
})
