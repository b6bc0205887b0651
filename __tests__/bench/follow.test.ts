import { describe, expect, it } from '@jest/globals'
import {
  accountLines,
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
