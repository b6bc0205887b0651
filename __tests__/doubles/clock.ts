/**
 * The fake clock the tests inject wherever the action takes a `Clock` (src/util/clock.ts).
 * It lives here, outside src/, so it never reaches the bundle.
 */
import type { Clock } from '../../src/util/clock.js'

/**
 * A manual clock for tests: `sleep` registers a timer and `advance` fires the due ones in
 * order, so a 30-minute wait runs in microseconds. `sleeps` records every requested delay.
 */
export class FakeClock implements Clock {
  private current: number
  private timers: { at: number; resolve: () => void; seq: number }[] = []
  private seq = 0
  /** Every delay passed to sleep, in call order. */
  readonly sleeps: number[] = []

  constructor(start = 0) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms)
    return new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve()
        return
      }
      const timer = { at: this.current + Math.max(0, ms), resolve, seq: this.seq++ }
      this.timers.push(timer)
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((t) => t !== timer)
          resolve()
        },
        { once: true }
      )
    })
  }

  /** Number of sleeps not yet resolved. */
  get pending(): number {
    return this.timers.length
  }

  /**
   * Moves time forward by `ms`, resolving each timer that falls due, in time order, and letting
   * the promise callbacks it unblocks run before the next one fires.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms
    for (;;) {
      await flushMicrotasks()
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.timers[0]
      if (!next || next.at > target) break
      this.timers.shift()
      this.current = next.at
      next.resolve()
    }
    this.current = target
    await flushMicrotasks()
  }

  /**
   * Runs `promise` to completion, firing timers one at a time as they fall due. Fails when
   * the promise is still pending after `maxMs` of fake time.
   */
  async run<T>(promise: Promise<T>, maxMs = 24 * 3600 * 1000): Promise<T> {
    let settled = false
    let value: T | undefined
    let error: unknown
    let failed = false
    promise.then(
      (v) => {
        settled = true
        value = v
      },
      (e: unknown) => {
        settled = true
        failed = true
        error = e
      }
    )
    const limit = this.current + maxMs
    let idleSince: number | undefined
    for (;;) {
      await flushMicrotasks()
      if (settled) break
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.timers[0]
      if (!next) {
        // No timer yet: the promise may be waiting on real I/O (a file read, a loopback
        // server). Give it real time, a little at a time, before calling it stuck.
        idleSince ??= Date.now()
        if (Date.now() - idleSince > REAL_IO_GRACE_MS) {
          throw new Error('FakeClock.run: still pending, with no timer and no I/O finishing')
        }
        await new Promise<void>((resolve) => setTimeout(resolve, 1))
        continue
      }
      idleSince = undefined
      if (next.at > limit) {
        throw new Error(`FakeClock.run: still pending after ${maxMs} ms of fake time`)
      }
      this.timers.shift()
      this.current = next.at
      next.resolve()
    }
    if (failed) throw error
    return value as T
  }
}

/** Real time FakeClock.run gives pending I/O when no timer is due. */
const REAL_IO_GRACE_MS = 5000

/** Lets queued promise callbacks (including a few chained awaits) run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
  await new Promise<void>((resolve) => setImmediate(resolve))
}

/** A FakeClock whose next `times` sleeps fire `lateMs` late, as a busy runner's timers do. */
export class LateClock extends FakeClock {
  lateMs = 0
  times = 0

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.times <= 0) return super.sleep(ms, signal)
    this.times--
    return super.sleep(ms + this.lateMs, signal)
  }
}
