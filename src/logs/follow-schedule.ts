/**
 * When a log follower reads next: pure functions of the task's age, a throttling penalty and a
 * random number, in the style of src/wait/schedule.ts.
 *
 * CloudWatch Logs' read quotas are small, account-wide and shared with the console and every
 * other tool: GetLogEvents 25 requests per second per account and region, only 10 in us-west-2,
 * eu-west-1, eu-central-1 and a few more, not adjustable (docs/limits.md, "CloudWatch Logs read
 * quotas"). So a follower spends a budget that shrinks as its task ages, instead of a loop.
 *
 * ## The read interval
 *
 * The mean interval grows with the square of the task's age `a` (seconds since following began):
 *
 *     m(a) = clamp((a / YOUNG_S)^2, MIN_MEAN_S, MAX_MEAN_S)     YOUNG_S = 25, MIN 1 s, MAX 30 s
 *     delay = max(m(a), penalty) * (1 + r / 2),  r uniform in [0, 1)
 *
 * so m is 1 s up to 25 s of age, 4 s at 50 s, 5.8 s at 60 s, 16 s at 100 s and 30 s from 137 s
 * on. The jitter only lengthens a gap (as for S3 reads), so reads of one stream are never closer
 * than 1 s, and jobs that started together drift apart.
 *
 * - **Lag of a young task.** A line waits on average E[d^2]/(2 E[d]) ≈ 0.63 m for the next read
 *   (d uniform in [m, 1.5 m)): 0.63 s up to 25 s of age, 0.9 s at 30 s, 2.5 s at 50 s, 3.6 s at
 *   60 s. The median line of a task that writes steadily through its first minute is 30 s old:
 *   about 0.9 s, plus CloudWatch's own ingestion delay.
 * - **Reads per task.** dn = da / (1.25 m(a)): 20 in the first 25 s, 500 (1/25 - 1/a) from 25 s
 *   to 137 s (16.4 in all), then one per 37.5 s: 31.7 in the first minute, 4.2 in the second,
 *   1.6 per minute after 137 s, so about 129 for an hour-long task (one per 28 s on average).
 * - **Account-wide load.** N jobs following tasks of the same age spend N * 4.2 / 60 reads per
 *   second between 60 s and 120 s of age (4.2/s for 60 jobs, under half the smallest quota) and
 *   N / 37.5 after 137 s (1.6/s for 60 jobs, 5.3/s for 200). In their first minute 60 jobs would
 *   ask for 31.7/s, more than a 10/s region grants: there the throttling penalty below decides,
 *   and lines arrive later but complete.
 *
 * ## Throttling
 *
 * Each ThrottlingException doubles a penalty (starting from twice the current mean) up to
 * MAX_PENALTY_S; each answer that is not throttled lowers it by a fifth (slow recovery: five good
 * answers in a row to fall by two thirds), and once it is below the age-grown mean it is gone.
 * N jobs in a bucket of R reads per second settle where N / (1.25 penalty) ≈ R: 60 jobs on a
 * 10/s quota near a 4.8 s penalty, 200 jobs near 16 s.
 */
import type { Random } from '../util/clock.js'

/** Age in seconds up to which the mean interval is MIN_MEAN_S; it grows as the square after. */
export const YOUNG_S = 25
/** The shortest mean interval, in seconds (gaps are never shorter). */
export const MIN_MEAN_S = 1
/** The longest mean interval from age alone, in seconds (single gaps up to 1.5 times it). */
export const MAX_MEAN_S = 30
/** The ceiling of the throttling penalty, in seconds. */
export const MAX_PENALTY_S = 60
/** What one good answer leaves of the penalty. */
export const RECOVERY = 0.8

/** The mean read interval in milliseconds for a task `ageMs` old. */
export function followMeanMs(ageMs: number): number {
  const a = Math.max(0, ageMs) / 1000
  const m = Math.min(MAX_MEAN_S, Math.max(MIN_MEAN_S, (a / YOUNG_S) ** 2))
  return Math.round(m * 1000)
}

/** After a ThrottlingException: double, from twice the current mean, up to MAX_PENALTY_S. */
export function penaltyAfterThrottle(penaltyMs: number, ageMs: number): number {
  const doubled = penaltyMs === 0 ? 2 * followMeanMs(ageMs) : 2 * penaltyMs
  return Math.min(MAX_PENALTY_S * 1000, doubled)
}

/** After an answer that was not throttled: lower by a fifth; gone below the mean. */
export function penaltyAfterAnswer(penaltyMs: number, ageMs: number): number {
  const lowered = Math.round(penaltyMs * RECOVERY)
  return lowered <= followMeanMs(ageMs) ? 0 : lowered
}

/** Milliseconds until the next read: the larger of mean and penalty, lengthened by up to half. */
export function followDelayMs(options: {
  ageMs: number
  penaltyMs: number
  random: Random
}): number {
  const mean = Math.max(followMeanMs(options.ageMs), options.penaltyMs)
  return Math.round(mean * (1 + options.random() / 2))
}

/** The first read: anywhere in the first mean interval, so jobs started together spread out. */
export function firstDelayMs(random: Random): number {
  return Math.round(followMeanMs(0) * random())
}

/** The first heartbeat after this much silence; each further one waits twice as long. */
export const HEARTBEAT_FIRST_MS = 60_000
/** The longest gap between heartbeats. */
export const HEARTBEAT_MAX_MS = 600_000

/** The silence before the next heartbeat, given the one before (0: none yet). */
export function nextHeartbeatGapMs(previousGapMs: number): number {
  return previousGapMs === 0 ? HEARTBEAT_FIRST_MS : Math.min(HEARTBEAT_MAX_MS, previousGapMs * 2)
}
