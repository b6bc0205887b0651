/**
 * When to read next: pure functions of the task's age, the base interval and a random number.
 *
 * ## S3 reads
 *
 * The mean interval grows with the task's age `a` (seconds since the wait began) so that a long
 * task costs few reads while a young one is seen promptly:
 *
 *     m(a) = max(base, min(MAX_MEAN_S, GROWTH * a))        GROWTH = 0.02, MAX_MEAN_S = 20
 *     delay = m(a) * (1 + r / 2),  r uniform in [0, 1)     so delay in [m, 1.5 m)
 *
 * The jitter spreads hundreds of jobs that started together, so they never read in lockstep;
 * it only lengthens a gap, so no two reads of a task are ever closer than `base`.
 * Bounds, for the default base of 1 s:
 * - Never more than one read per base-second per task (one per second with the default); the
 *   mean gap of a young task is 1.25 base.
 * - Until the task is 50 base-seconds old m = base: a stop is seen on average
 *   E[d^2]/(2 E[d]) = m (19/12) / 2.5 ≈ 0.63 m after the object appears (about 0.63 s, within
 *   the 1 s median goal), and never more than 1.5 m later.
 * - Older tasks: the gap is at most 1.5 * 0.02 = 3 % of the task's age (≈ 1.3 % on average),
 *   and never more than 1.5 * MAX_MEAN_S = 30 s once the mean reaches its cap (age >= 1000 s).
 * - Reads over a task of T seconds: about 40 while m = base, 40 ln(T / 50) in the growth phase
 *   (dn = da / (1.25 * 0.02 a)), then T / 25: about 260 for one hour, where polling every
 *   second costs 3600.
 *
 * ## DescribeTasks
 *
 * The same age-grown, jittered mean, raised by a throttling backoff as hako does: each
 * ThrottlingException doubles the backoff (from 2 * base) up to 120 s, each success halves it,
 * and below the base it vanishes (docs/hako.md, "DescribeTasks polling").
 */
import type { Random } from '../util/clock.js'

/** How fast the mean S3 read interval grows with the task's age (2 % of the age). */
export const GROWTH = 0.02
/** The largest mean interval from growth alone, in seconds (single gaps up to 1.5 times it). */
export const MAX_MEAN_S = 20
/** hako's ceiling for its DescribeTasks interval under throttling, in seconds. */
export const MAX_THROTTLE_BACKOFF_S = 120
/** Ceiling of the mean interval after S3 errors (SlowDown, 5xx, network), in seconds. */
export const MAX_ERROR_BACKOFF_S = 60

/** The mean read interval in milliseconds for a task `ageMs` old. */
export function meanIntervalMs(baseSeconds: number, ageMs: number): number {
  const base = baseSeconds * 1000
  return Math.max(base, Math.min(MAX_MEAN_S * 1000, GROWTH * Math.max(0, ageMs)))
}

/** `mean` jittered uniformly into [0.5 mean, 1.5 mean), rounded to whole milliseconds. */
export function jitter(meanMs: number, random: Random): number {
  return Math.round(meanMs * (0.5 + random()))
}

/**
 * `gap` lengthened by up to half, uniformly into [gap, 1.5 gap): spreads readers apart without
 * ever reading sooner than `gap` (the one-read-per-second bound of the S3 waiters).
 */
export function jitterUp(gapMs: number, random: Random): number {
  return Math.round(gapMs * (1 + random() / 2))
}

/**
 * Milliseconds until the next S3 read. `consecutiveErrors` counts S3 answers in a row that
 * were SlowDown, 5xx or network errors: each doubles the mean, up to MAX_ERROR_BACKOFF_S (or the
 * age-grown mean when that is longer), and a good answer resets the count.
 */
export function s3ReadDelayMs(options: {
  baseSeconds: number
  ageMs: number
  consecutiveErrors?: number
  random: Random
}): number {
  const mean = meanIntervalMs(options.baseSeconds, options.ageMs)
  const errors = options.consecutiveErrors ?? 0
  const backedOff =
    errors > 0 ? Math.max(mean, Math.min(MAX_ERROR_BACKOFF_S * 1000, mean * 2 ** errors)) : mean
  return jitterUp(backedOff, options.random)
}

/** The DescribeTasks waiter's throttling state. */
export interface DescribeBackoff {
  /** The mean interval forced by throttling, in milliseconds; 0 when not throttled. */
  throttleMs: number
}

/** The state before any call. */
export const NO_BACKOFF: DescribeBackoff = { throttleMs: 0 }

/** After a ThrottlingException: double, starting from twice the base, up to 120 s. */
export function afterThrottle(state: DescribeBackoff, baseSeconds: number): DescribeBackoff {
  const base = baseSeconds * 1000
  const doubled = state.throttleMs === 0 ? 2 * base : 2 * state.throttleMs
  return { throttleMs: Math.min(MAX_THROTTLE_BACKOFF_S * 1000, Math.max(base, doubled)) }
}

/** After a successful call: halve; below the base the backoff is gone. */
export function afterSuccess(state: DescribeBackoff, baseSeconds: number): DescribeBackoff {
  const halved = state.throttleMs / 2
  return { throttleMs: halved < baseSeconds * 1000 ? 0 : halved }
}

/** Milliseconds until the next DescribeTasks call. */
export function describeDelayMs(options: {
  baseSeconds: number
  ageMs: number
  backoff: DescribeBackoff
  random: Random
}): number {
  const mean = Math.max(
    meanIntervalMs(options.baseSeconds, options.ageMs),
    options.backoff.throttleMs
  )
  return jitter(mean, options.random)
}
