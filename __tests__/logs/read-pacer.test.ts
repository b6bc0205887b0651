import { describe, expect, it } from '@jest/globals'
import { FakeClock, LateClock } from '../doubles/clock.js'
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

/** 60 tasks on a 10/s quota: ticks 200 ms apart, each task's turn every 12 s. */
const sixty = (slot: number) => ({ tickMs: 200, width: 60, slot })

describe('ReadPacer', () => {
  it('reads on its own turns, one per turn, in the first half of the tick', async () => {
    const clock = new FakeClock(T0)
    const pacer = new ReadPacer({ clock, random: () => 0.5 }, sixty(7))
    expect(pacer.intervalMs).toBe(12_000)
    // Slot 7: the ticks at 1.4 s of every 12 s (T0 is a multiple of 12 s), 50 ms into each.
    expect(await turns(pacer, clock, T0 + 40_000, () => pacer.answered())).toEqual([
      1450, 13_450, 25_450, 37_450
    ])
  })

  it('never reads before notBefore, nor twice in a tick; a task alone owns every tick', async () => {
    const clock = new FakeClock(T0)
    const settled = new ReadPacer({ clock, random: () => 0 }, sixty(7), { notBefore: T0 + 1401 })
    expect(await turns(settled, clock, T0 + 14_000)).toEqual([13_400])
    const aloneClock = new FakeClock(T0)
    const alone = new ReadPacer(
      { clock: aloneClock, random: () => 0 },
      { tickMs: 200, width: 1, slot: 0 }
    )
    expect(await turns(alone, aloneClock, T0 + 1000)).toEqual([0, 200, 400, 600, 800, 1000])
  })

  it('takes the next turn when its timer fires too late for this one, once per read', async () => {
    const clock = new LateClock(T0)
    // Due at 1.4 s, woken at 4.4 s: in another task's tick, so the next own turn, 13.4 s.
    clock.lateMs = 3000
    clock.times = 1
    const pacer = new ReadPacer({ clock, random: () => 0 }, sixty(7))
    expect(await turns(pacer, clock, T0 + 14_000)).toEqual([13_400])
    // Late twice in a row (due at 25.4 s, woken at 28.4 s; due at 37.4 s, woken at 40.4 s): the
    // second time it reads anyway, so a runner that is always busy still reads.
    clock.times = 2
    expect(await turns(pacer, clock, T0 + 45_000)).toEqual([40_400])
  })

  it('backs off throttled reads, doubling up to the cap, onto later turns', async () => {
    const clock = new FakeClock(T0)
    const pacer = new ReadPacer({ clock, random: () => 0 }, { tickMs: 100, width: 1, slot: 0 })
    const at = await turns(pacer, clock, T0 + 60_000, () => pacer.throttled())
    // Backoffs 0.5, 1, 2, 4, 8, 16, 16 s, each waited for half (r = 0), then the next tick.
    expect(at.slice(0, 8)).toEqual([0, 300, 800, 1800, 3800, 7800, 15_800, 23_800])
    expect(pacer.backoff).toBe(BACKOFF_CAP_MS)
    // Turns further apart than the backoff decide: 200 tasks on 10/s read once per 40 s each.
    const slow = new ReadPacer(
      { clock: new FakeClock(T0), random: () => 0 },
      { tickMs: 200, width: 200, slot: 0 }
    )
    slow.throttled()
    expect(slow.backoff).toBe(BACKOFF_CAP_MS)
  })

  it('keeps its own gap when the turns come more often', async () => {
    const clock = new FakeClock(T0)
    const pacer = new ReadPacer(
      { clock, random: () => 0 },
      { tickMs: 80, width: 10, slot: 0, slots: 10 },
      { minGapMs: 500 }
    )
    expect(pacer.intervalMs).toBe(80)
    expect(await turns(pacer, clock, T0 + 2000)).toEqual([0, 560, 1120, 1680])
  })

  it('recovers by a fifth per answer, and forgets the backoff below the interval', () => {
    const pacer = new ReadPacer(
      { clock: new FakeClock(T0), random: () => 0 },
      { tickMs: 1000, width: 1, slot: 0 }
    )
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
    const pacer = new ReadPacer({ clock, random: () => 0 }, { tickMs: 10_000, width: 1, slot: 0 })
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
