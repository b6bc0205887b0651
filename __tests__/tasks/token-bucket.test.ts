import { describe, expect, it } from '@jest/globals'
import { TokenBucket } from '../../src/tasks/token-bucket.js'
import { FakeClock } from '../doubles/clock.js'

/** Takes `n` tokens one after another; resolves with the fake time of each. */
async function takeTimes(clock: FakeClock, bucket: TokenBucket, n: number): Promise<number[]> {
  const times: number[] = []
  const all = Promise.all(
    Array.from({ length: n }, () => bucket.take().then(() => times.push(clock.now())))
  )
  await clock.run(all)
  return times
}

describe('TokenBucket', () => {
  it.each([
    // 10 RunTask calls per second, one at a time, well under the account's 40/s (docs/limits.md, "Token buckets").
    { rate: 10, burst: 1, n: 6, times: [0, 100, 200, 300, 400, 500] },
    { rate: 10, burst: 10, n: 13, times: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300] },
    { rate: 4, burst: 2, n: 5, times: [0, 0, 250, 500, 750] },
    { rate: 0.5, burst: 1, n: 3, times: [0, 2000, 4000] }
  ])('grants $rate per second with a burst of $burst at exact times', async (c) => {
    const clock = new FakeClock(0)
    const bucket = new TokenBucket(clock, { ratePerSecond: c.rate, burst: c.burst })
    expect(await takeTimes(clock, bucket, c.n)).toEqual(c.times)
  })

  it('with firstAt in the future, is empty until then and fills from then on: no burst behind the gate', async () => {
    const clock = new FakeClock(0)
    const bucket = new TokenBucket(clock, { ratePerSecond: 2, burst: 2, firstAt: 7525 })
    expect(bucket.waitMs()).toBe(7525)
    expect(await takeTimes(clock, bucket, 3)).toEqual([7525, 8025, 8525])
  })

  it('refills while idle, never past the burst', async () => {
    const clock = new FakeClock(0)
    const bucket = new TokenBucket(clock, { ratePerSecond: 10, burst: 3 })
    await takeTimes(clock, bucket, 3)
    await clock.advance(10_000)
    expect(await takeTimes(clock, bucket, 5)).toEqual([10_000, 10_000, 10_000, 10_100, 10_200])
  })

  it('gives up at once when the signal aborts, without taking a token', async () => {
    const clock = new FakeClock(0)
    const bucket = new TokenBucket(clock, { ratePerSecond: 1, burst: 1 })
    expect(await bucket.take()).toBe(true)
    const controller = new AbortController()
    const waiting = bucket.take(controller.signal)
    await clock.advance(300)
    controller.abort()
    expect(await waiting).toBe(false)
    expect(clock.now()).toBe(300)
    // The token the aborted call waited for is still there at 1000.
    expect(await takeTimes(clock, bucket, 1)).toEqual([1000])
  })

  it('rejects a rate that is not positive', () => {
    expect(() => new TokenBucket(new FakeClock(0), { ratePerSecond: 0 })).toThrow(
      'TokenBucket: ratePerSecond must be > 0, got 0'
    )
  })
})
