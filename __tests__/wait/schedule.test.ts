import { describe, expect, it } from '@jest/globals'
import {
  NO_BACKOFF,
  afterSuccess,
  afterThrottle,
  describeDelayMs,
  jitter,
  jitterUp,
  meanIntervalMs,
  s3ReadDelayMs,
  type DescribeBackoff
} from '../../src/wait/schedule.js'

const fixed = (r: number) => (): number => r

describe('meanIntervalMs', () => {
  it.each([
    // [base s, age ms, mean ms]
    [1, 0, 1000],
    [1, 30_000, 1000],
    [1, 50_000, 1000], // growth reaches the base at 50 s (0.02 * 50 s = 1 s)
    [1, 100_000, 2000],
    [1, 600_000, 12_000],
    [1, 1_000_000, 20_000], // the cap
    [1, 7_200_000, 20_000],
    [5, 100_000, 5000],
    [5, 500_000, 10_000],
    [30, 7_200_000, 30_000], // a base above the cap wins
    [1, -5000, 1000]
  ])('base %d s, age %d ms: %d ms', (base, age, mean) => {
    expect(meanIntervalMs(base, age)).toBe(mean)
  })
})

describe('jitter', () => {
  it.each([
    [0, 500],
    [0.5, 1000],
    [0.999999, 1500]
  ])('random %d spreads 1000 ms to %d ms, inside [0.5, 1.5) of the mean', (r, ms) => {
    expect(jitter(1000, fixed(r))).toBe(ms)
  })
})

describe('jitterUp', () => {
  it.each([
    [0, 1000],
    [0.5, 1250],
    [0.999999, 1500]
  ])('random %d lengthens 1000 ms to %d ms, inside [1, 1.5) of the gap', (r, ms) => {
    expect(jitterUp(1000, fixed(r))).toBe(ms)
  })
})

describe('s3ReadDelayMs', () => {
  it('jitters the age-grown mean upwards only', () => {
    expect(s3ReadDelayMs({ baseSeconds: 1, ageMs: 0, random: fixed(0) })).toBe(1000)
    expect(s3ReadDelayMs({ baseSeconds: 1, ageMs: 0, random: fixed(0.25) })).toBe(1125)
    expect(s3ReadDelayMs({ baseSeconds: 1, ageMs: 300_000, random: fixed(0) })).toBe(6000)
    expect(s3ReadDelayMs({ baseSeconds: 1, ageMs: 3_600_000, random: fixed(0.999) })).toBe(29_990)
  })

  it('doubles the mean per consecutive S3 error, up to 60 s', () => {
    const delays = [0, 1, 2, 3, 6, 7, 20].map((errors) =>
      s3ReadDelayMs({ baseSeconds: 1, ageMs: 0, consecutiveErrors: errors, random: fixed(0) })
    )
    expect(delays).toEqual([1000, 2000, 4000, 8000, 60_000, 60_000, 60_000])
    // An age-grown mean above the error ceiling is kept.
    expect(
      s3ReadDelayMs({ baseSeconds: 90, ageMs: 0, consecutiveErrors: 3, random: fixed(0) })
    ).toBe(90_000)
  })

  // The design goals the benchmark measures (issue 7): never more than one read per second, a
  // young task's stop seen within about 0.6 s on average, an old one's within a few percent of
  // its age.
  it('never reads twice within a second, and keeps the gaps within bounds', () => {
    let seed = 42
    const lcg = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    let t = 0
    let reads = 0
    let longestYoung = 0
    let worstFraction = 0
    while (t < 3_600_000) {
      const d = s3ReadDelayMs({ baseSeconds: 1, ageMs: t, random: lcg })
      expect(d).toBeGreaterThanOrEqual(1000)
      if (t < 50_000) longestYoung = Math.max(longestYoung, d)
      else worstFraction = Math.max(worstFraction, d / t)
      t += d
      reads++
      if (t <= 60_000) expect(reads).toBeLessThanOrEqual(Math.floor(t / 1000))
    }
    expect(longestYoung).toBeLessThanOrEqual(1500)
    expect(worstFraction).toBeLessThanOrEqual(0.03)
    // About 40 + 40 ln(1000/50) + 2600/25 ≈ 260 reads in the first hour (schedule.ts).
    expect(reads).toBeGreaterThan(220)
    expect(reads).toBeLessThan(300)
  })
})

describe('DescribeTasks backoff (hako doubles to 120 s and halves back, docs/hako.md, "DescribeTasks polling")', () => {
  it('doubles on throttling from twice the base up to 120 s, then halves back to none', () => {
    const seen: number[] = []
    let state: DescribeBackoff = NO_BACKOFF
    for (let i = 0; i < 8; i++) {
      state = afterThrottle(state, 1)
      seen.push(state.throttleMs)
    }
    expect(seen).toEqual([2000, 4000, 8000, 16_000, 32_000, 64_000, 120_000, 120_000])
    const back: number[] = []
    for (let i = 0; i < 8; i++) {
      state = afterSuccess(state, 1)
      back.push(state.throttleMs)
    }
    expect(back).toEqual([60_000, 30_000, 15_000, 7500, 3750, 1875, 0, 0])
  })

  it('jitters the larger of the age-grown mean and the backoff', () => {
    const at = (ageMs: number, throttleMs: number): number =>
      describeDelayMs({ baseSeconds: 1, ageMs, backoff: { throttleMs }, random: fixed(0.5) })
    expect(at(0, 0)).toBe(1000)
    expect(at(0, 8000)).toBe(8000)
    expect(at(600_000, 8000)).toBe(12_000)
    expect(
      describeDelayMs({
        baseSeconds: 1,
        ageMs: 0,
        backoff: { throttleMs: 120_000 },
        random: fixed(0.999)
      })
    ).toBe(179_880)
  })
})
