/**
 * Drives a FakeClock while real I/O (s3rver over loopback) answers: whenever the code under
 * test sleeps, the actions scheduled up to the end of that sleep run, then fake time jumps to
 * it. An action scheduled at T is seen by every read at T or later. FakeClock.run cannot do this alone, since a real HTTP round trip takes more than the
 * microtasks it flushes.
 */
import type { FakeClock } from '../doubles/clock.js'

/**
 * Something that happens at a fake time, in ms after `drive` starts: an object appears, the
 * caller aborts ...
 */
export interface Scheduled {
  at: number
  action: () => Promise<void> | void
}

export async function drive<T>(
  clock: FakeClock,
  promise: Promise<T>,
  scheduled: Scheduled[] = [],
  maxMs = 24 * 3600 * 1000
): Promise<T> {
  const origin = clock.now()
  const queue = [...scheduled].sort((a, b) => a.at - b.at)
  let settled = false
  promise.then(
    () => (settled = true),
    () => (settled = true)
  )
  let seen = 0
  while (!settled) {
    if (clock.pending > 0 && clock.sleeps.length > seen) {
      seen = clock.sleeps.length
      const delay = clock.sleeps[seen - 1] ?? 0
      const wakeAt = clock.now() - origin + delay
      if (wakeAt > maxMs) throw new Error(`drive: still pending after ${wakeAt} ms of fake time`)
      // What happens during this sleep (at <= its end) is seen by the read that ends it; an abort
      // ends the sleep at once.
      while (queue.length > 0 && (queue[0]?.at ?? Infinity) <= wakeAt) {
        await queue.shift()?.action()
      }
      await clock.advance(clock.pending > 0 ? origin + wakeAt - clock.now() : 0)
    } else {
      await new Promise<void>((resolve) => setTimeout(resolve, 1))
    }
  }
  return promise
}
