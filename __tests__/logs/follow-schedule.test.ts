import { describe, expect, it } from '@jest/globals'
import {
  firstDelayMs,
  followDelayMs,
  followMeanMs,
  nextHeartbeatGapMs,
  penaltyAfterAnswer,
  penaltyAfterThrottle
} from '../../src/logs/follow-schedule.js'

const s = (seconds: number): number => seconds * 1000

describe('followMeanMs: 1 s while young, the square of age / 25 s after, 30 s at most', () => {
  it.each([
    [0, 1000],
    [10, 1000],
    [25, 1000],
    [30, 1440],
    [50, 4000],
    [60, 5760],
    [100, 16000],
    [136, 29594],
    [137, 30000],
    [3600, 30000]
  ])('age %d s: %d ms', (age, mean) => {
    expect(followMeanMs(s(age))).toBe(mean)
  })

  it('treats a negative age (clock skew) as zero', () => {
    expect(followMeanMs(-5000)).toBe(1000)
  })
})

describe('followDelayMs: the larger of mean and penalty, lengthened by up to half', () => {
  it.each([
    [0, 0, 0, 1000],
    [0, 0, 0.999, 1500],
    [60, 0, 0.5, 7200],
    [10, 8000, 0, 8000],
    [100, 8000, 0.5, 20000]
  ])('age %d s, penalty %d ms, r %d: %d ms', (age, penaltyMs, r, delay) => {
    expect(followDelayMs({ ageMs: s(age), penaltyMs, random: () => r })).toBe(delay)
  })

  it('never reads sooner than 1 s', () => {
    for (let r = 0; r < 1; r += 0.1) {
      expect(followDelayMs({ ageMs: 0, penaltyMs: 0, random: () => r })).toBeGreaterThanOrEqual(
        1000
      )
    }
  })

  it('spreads the first read over the first interval', () => {
    expect([0, 0.25, 0.999].map((r) => firstDelayMs(() => r))).toEqual([0, 250, 999])
  })
})

describe('throttling: multiplicative backoff, slow recovery', () => {
  it('doubles from twice the mean up to 60 s', () => {
    const seen: number[] = []
    let p = 0
    for (let i = 0; i < 7; i++) seen.push((p = penaltyAfterThrottle(p, s(10))))
    expect(seen).toEqual([2000, 4000, 8000, 16000, 32000, 60000, 60000])
  })

  it('starts from twice the age-grown mean of an older task', () => {
    expect(penaltyAfterThrottle(0, s(60))).toBe(11520)
  })

  it('loses a fifth per good answer and vanishes below the mean', () => {
    const seen: number[] = []
    let p = 60000
    while (p > 0) seen.push((p = penaltyAfterAnswer(p, s(10))))
    expect(seen).toEqual([
      48000, 38400, 30720, 24576, 19661, 15729, 12583, 10066, 8053, 6442, 5154, 4123, 3298, 2638,
      2110, 1688, 1350, 1080, 0
    ])
  })

  it('vanishes at once when the task has aged past it', () => {
    expect(penaltyAfterAnswer(20000, s(137))).toBe(0)
  })
})

describe('nextHeartbeatGapMs', () => {
  it('is 1 minute, then doubles up to 10 minutes', () => {
    const gaps: number[] = []
    let g = 0
    for (let i = 0; i < 6; i++) gaps.push((g = nextHeartbeatGapMs(g)))
    expect(gaps).toEqual([60000, 120000, 240000, 480000, 600000, 600000])
  })
})
