/**
 * When to read next: pure functions of the task's age, the base interval and a random number.
 * S3 reads follow an age-grown mean, jittered upwards only (never two reads of a task closer than
 * the base); DescribeTasks the same mean raised by hako's throttling backoff. The bounds and costs
 * this gives: docs/waiting.md, "S3 read schedule" and "DescribeTasks schedule".
 */
import { backoffAfterThrottle } from '../util/backoff.js'
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
  return {
    throttleMs: backoffAfterThrottle(state.throttleMs, 2 * base, MAX_THROTTLE_BACKOFF_S * 1000)
  }
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
