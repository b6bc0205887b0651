import type { Random } from './clock.js'

/**
 * "Full jitter" backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"; the SDK's
 * standard retry mode uses it too, docs/limits.md, "SDK retry mode"): a uniformly random delay in
 * [0, min(cap, base * 2^attempt)). `attempt` counts from 0.
 */
export function fullJitter(attempt: number, baseMs: number, capMs: number, random: Random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt))
  return Math.floor(random() * ceiling)
}

/**
 * A throttling backoff's next length after a throttled answer: `firstMs` when there was none
 * (0), else twice the current one; never more than `capMs`.
 */
export function backoffAfterThrottle(currentMs: number, firstMs: number, capMs: number): number {
  return Math.min(capMs, currentMs === 0 ? firstMs : 2 * currentMs)
}

/**
 * A throttling backoff's length after a good answer: `keep` of it (0.8 recovers slowly, 0.5
 * halves it), in whole milliseconds; gone (0) once no longer than `floorMs`, the interval the
 * caller keeps anyway.
 */
export function backoffAfterAnswer(currentMs: number, floorMs: number, keep: number): number {
  const lowered = Math.round(currentMs * keep)
  return lowered <= floorMs ? 0 : lowered
}
