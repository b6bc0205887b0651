/**
 * Seeded randomness, so a simulator run (task ids, event ids, delivery delays, duplicates and
 * drops) is reproducible from its seed.
 */
import type { Random } from '../src/util/clock.js'

/** mulberry32: a small, fast 32-bit generator; good enough for simulation, not for secrets. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `length` lowercase hex digits drawn from `random`. */
export function randomHex(random: Random, length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16)
  return out
}

/** A UUID-shaped (8-4-4-4-12) identifier drawn from `random`. */
export function randomUuid(random: Random): string {
  const h = randomHex(random, 32)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`
}
