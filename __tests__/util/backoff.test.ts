/** The one backoff of the action (src/util/backoff.ts): full jitter, and a throttling backoff. */
import { describe, expect, it } from '@jest/globals'
import { backoffAfterAnswer, backoffAfterThrottle, fullJitter } from '../../src/util/backoff.js'

describe('fullJitter', () => {
  it('draws below min(cap, base * 2^attempt)', () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => fullJitter(a, 200, 2000, () => 0.999_999))).toEqual([
      199, 399, 799, 1599, 1999, 1999
    ])
    expect(fullJitter(3, 200, 2000, () => 0)).toBe(0)
    expect(fullJitter(-1, 200, 2000, () => 0.5)).toBe(100)
  })
})

describe('backoffAfterThrottle and backoffAfterAnswer', () => {
  it('starts at the first length, doubles, and stops at the cap', () => {
    const seen: number[] = []
    let ms = 0
    for (let i = 0; i < 6; i++) seen.push((ms = backoffAfterThrottle(ms, 2000, 16_000)))
    expect(seen).toEqual([2000, 4000, 8000, 16_000, 16_000, 16_000])
  })

  it('keeps a share of it after each answer, and drops it once no longer than the floor', () => {
    const seen: number[] = []
    let ms = 16_000
    while (ms > 0) seen.push((ms = backoffAfterAnswer(ms, 7000, 0.8)))
    expect(seen).toEqual([12_800, 10_240, 8192, 0])
    expect(backoffAfterAnswer(2000, 1000, 0.5)).toBe(0)
    expect(backoffAfterAnswer(2002, 1000, 0.5)).toBe(1001)
    expect(backoffAfterAnswer(0, 0, 0.8)).toBe(0)
  })
})
