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
