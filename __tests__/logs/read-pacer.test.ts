import { describe, expect, it } from '@jest/globals'
import { FakeClock } from '../doubles/clock.js'
import { BACKOFF_CAP_MS, ReadPacer } from '../../src/logs/read-pacer.js'

const T0 = Date.parse('2026-12-01T10:00:00Z')

/** The clock times of the turns taken until `deadline`, with `after` called after each. */
async function turns(
  pacer: ReadPacer,
  clock: FakeClock,
  deadline: number,
  after: (n: number) => void = () => undefined
): Promise<number[]> {
  const at: number[] = []
  const run = async (): Promise<void> => {
    while (await pacer.turn(deadline)) {
      at.push(clock.now() - T0)
      after(at.length)
    }
  }
  await clock.run(run())
  return at
}

describe('ReadPacer', () => {
  it('reads at the share, each gap lengthened by up to half, the first within 500 ms', async () => {
    const clock = new FakeClock(T0)
    const pacer = new ReadPacer({ clock, random: () => 0.5 }, 0.25)
    expect(pacer.intervalMs).toBe(4000)
    // First at 250 ms (half of 500), then 4 s × 1.25 apart.
    expect(await turns(pacer, clock, T0 + 16_000, () => pacer.answered())).toEqual([
      250, 5250, 10_250, 15_250
    ])
  })

  it('backs off throttled reads, doubling up to the cap, never below the share', async () => {
    const clock = new FakeClock(T0)
    const pacer = new ReadPacer({ clock, random: () => 0 }, 10)
    const at = await turns(pacer, clock, T0 + 60_000, () => pacer.throttled())
    // Backoffs 0.5, 1, 2, 4, 8, 16, 16 s, each waited for half (r = 0).
    expect(at.slice(0, 8)).toEqual([0, 250, 750, 1750, 3750, 7750, 15_750, 23_750])
    expect(pacer.backoff).toBe(BACKOFF_CAP_MS)
    // A share slower than the backoff decides: 200 tasks on 10/s read once per 40 s each.
    const slow = new ReadPacer({ clock: new FakeClock(T0), random: () => 0 }, 5 / 200)
    slow.throttled()
    expect(slow.backoff).toBe(BACKOFF_CAP_MS)
  })

  it('recovers by a fifth per answer, and forgets the backoff below the interval', () => {
    const pacer = new ReadPacer({ clock: new FakeClock(T0), random: () => 0 }, 1)
    pacer.throttled()
    pacer.throttled()
    expect(pacer.backoff).toBe(4000)
    pacer.answered()
    expect(pacer.backoff).toBe(3200)
    pacer.answered()
    pacer.answered()
    expect(pacer.backoff).toBe(2048)
    pacer.answered()
    pacer.answered()
    expect(pacer.backoff).toBe(1310)
    pacer.answered()
    expect(pacer.backoff).toBe(1048)
    pacer.answered()
    expect(pacer.backoff).toBe(0)
  })

  it('gives no turn past the deadline, without waiting for it, nor once the signal aborted', async () => {
    const clock = new FakeClock(T0)
    const pacer = new ReadPacer({ clock, random: () => 0 }, 0.1)
    expect(await clock.run(pacer.turn(T0 + 1000))).toBe(true)
    expect(await clock.run(pacer.turn(T0 + 9_999))).toBe(false)
    expect(clock.now()).toBe(T0)
    expect(await pacer.turn(T0 + 60_000, AbortSignal.abort())).toBe(false)
    const aborting = new AbortController()
    const waiting = pacer.turn(T0 + 60_000, aborting.signal)
    aborting.abort()
    expect(await waiting).toBe(false)
  })
})
