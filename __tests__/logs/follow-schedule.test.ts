import { describe, expect, it } from '@jest/globals'
import {
  firstDelayMs,
  followDelayMs,
  followMeanMs,
  nextHeartbeatGapMs,
  nextTurnAt,
  penaltyAfterAnswer,
  penaltyAfterThrottle,
  turnIntervalMs,
  type Turns
} from '../../src/logs/follow-schedule.js'

const s = (seconds: number): number => seconds * 1000

describe('followMeanMs: 1 s while young, the square of age / 60 s after, 30 s at most', () => {
  it.each([
    [0, 1000],
    [10, 1000],
    [60, 1000],
    [90, 2250],
    [120, 4000],
    [150, 6250],
    [328, 29884],
    [329, 30000],
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
    [120, 0, 0.5, 5000],
    [10, 8000, 0, 8000],
    [100, 8000, 0.5, 10000],
    [300, 8000, 0.5, 31250]
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
    expect(penaltyAfterThrottle(0, s(120))).toBe(8000)
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
    expect(penaltyAfterAnswer(20000, s(330))).toBe(0)
  })

  it("starts from twice the task's turns when they are further apart than the mean", () => {
    const turns: Turns = { tickMs: 200, width: 60, slot: 0 }
    expect(penaltyAfterThrottle(0, s(10), turns)).toBe(24000)
    expect(penaltyAfterAnswer(15000, s(10), turns)).toBe(0)
    expect(penaltyAfterAnswer(24000, s(10), turns)).toBe(19200)
  })
})

describe('turns on a shared clock', () => {
  // 60 tasks on a 10/s quota: ticks 200 ms apart, each task's every 12 s.
  const sixty = (slot: number): Turns => ({ tickMs: 200, width: 60, slot })
  const EPOCH_TURN = Date.parse('2026-12-01T10:00:00Z') // a multiple of 12 s

  it('comes every N ticks from the slot, counted from the clock zero', () => {
    expect(turnIntervalMs(sixty(0))).toBe(12_000)
    expect(nextTurnAt(EPOCH_TURN, sixty(0))).toBe(EPOCH_TURN)
    expect(nextTurnAt(EPOCH_TURN + 1, sixty(0))).toBe(EPOCH_TURN + 12_000)
    expect(nextTurnAt(EPOCH_TURN, sixty(7))).toBe(EPOCH_TURN + 1400)
    expect(nextTurnAt(EPOCH_TURN + 1401, sixty(7))).toBe(EPOCH_TURN + 13_400)
    // Ticks that are not whole milliseconds (30/s in eu-west-3: 66.7 ms) never come early.
    const thirty: Turns = { tickMs: 1000 / 15, width: 3, slot: 2 }
    for (let at = 0; at < 1000; at += 7) expect(nextTurnAt(at, thirty)).toBeGreaterThanOrEqual(at)
    expect([0, 134, 200, 334].map((at) => nextTurnAt(at, thirty))).toEqual([134, 334, 334, 534])
  })

  it('gives a job of several slots each of their ticks, and wraps to the next period', () => {
    // Slots 58 and 59 of 60, and the first of the next period.
    const two: Turns = { ...sixty(58), slots: 2 }
    expect(turnIntervalMs(two)).toBe(6000)
    expect(
      [0, 11_601, 11_801, 11_999].map((at) => nextTurnAt(EPOCH_TURN + at, two) - EPOCH_TURN)
    ).toEqual([11_600, 11_800, 23_600, 23_600])
    // More slots than the width: every tick.
    expect(nextTurnAt(EPOCH_TURN + 1, { ...sixty(0), slots: 99 })).toBe(EPOCH_TURN + 200)
  })

  it('gives N tasks started together one tick each, in slot order, never two in one tick', () => {
    const now = EPOCH_TURN + 123
    for (const r of [0, 0.5, 0.999]) {
      const first = Array.from({ length: 60 }, (_, slot) =>
        nextTurnAt(now + firstDelayMs(() => r), sixty(slot))
      )
      expect(new Set(first.map((at) => Math.floor(at / 200))).size).toBe(60)
      const later = first.map((at, slot) =>
        nextTurnAt(at + followDelayMs({ ageMs: 5000, penaltyMs: 0, random: () => r }), sixty(slot))
      )
      expect(new Set(later.map((at) => Math.floor(at / 200))).size).toBe(60)
    }
  })

  it('keeps the age-grown schedule when it is slower than the turns', () => {
    const alone: Turns = { tickMs: 80, width: 1, slot: 0 }
    const after = (ageMs: number, turns: Turns, r: number, now = 0): number =>
      nextTurnAt(now + followDelayMs({ ageMs, penaltyMs: 0, random: () => r }), turns)
    // 1 s while young, to the next 80 ms tick; 30 s from 329 s of age.
    expect(after(0, alone, 0)).toBe(1040)
    expect(after(s(400), alone, 0)).toBe(30_000)
    // 60 tasks: the next 12 s turn after 37.5 s (30 s lengthened by a quarter).
    expect(after(s(400), sixty(0), 0.5, EPOCH_TURN)).toBe(EPOCH_TURN + 48_000)
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
