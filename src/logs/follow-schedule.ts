/**
 * When a log follower reads next: pure functions of the task's age, its share of the fan-out's
 * reads, a throttling penalty and a random number, in the style of src/wait/schedule.ts.
 *
 * CloudWatch Logs' read quotas are small, account-wide and shared with the console and every
 * other tool: GetLogEvents 25 requests per second per account and region, only 10 in us-west-2,
 * eu-west-1, eu-central-1 and a few more, not adjustable (docs/limits.md, "CloudWatch Logs read
 * quotas"). So a follower spends the smaller of two budgets: one that shrinks as its task ages,
 * and its share of the fan-out's half of the quota (logs-quota.ts), instead of a loop.
 *
 * ## The read interval from age
 *
 * The mean interval grows with the square of the task's age `a` (seconds since following began):
 *
 *     m(a) = clamp((a / YOUNG_S)^2, MIN_MEAN_S, MAX_MEAN_S)     YOUNG_S = 25, MIN 1 s, MAX 30 s
 *     wanted = now + max(m(a), penalty) * (1 + r / 2),  r uniform in [0, 1)
 *
 * so m is 1 s up to 25 s of age, 4 s at 50 s, 5.8 s at 60 s, 16 s at 100 s and 30 s from 137 s
 * on. The jitter only lengthens a gap (as for S3 reads), so reads of one stream are never closer
 * than 1 s.
 *
 * ## The share: turns on a shared clock
 *
 * The read then waits for the task's next turn at or after `wanted`: the fan-out's reads are
 * ticks `t = 1000 / (0.8 × quota / 2)` ms apart on the wall clock (100 ms for a 25/s quota, 250 ms
 * for 10/s; logs-quota.ts, TURN_FILL), and the task in slot `s` of N owns the ticks
 * `k ≡ s (mod N)`, so its turns come every `T = N × t` and it reads within the first half of its
 * tick (`r2 × t / 2`). Every job of the fan-out computes the same ticks from its own clock, so N
 * followers read one at a time, evenly spread, without a word between them; the whole fan-out
 * reads at most `quota / 2` per second over any 5 s, whatever the ages of its tasks.
 *
 * - **A lone task** (N = 1) owns every tick: `T` is 100 ms (250 ms in a 10/s region), under the
 *   1 s of a young task, which keeps today's schedule.
 * - **Lag of a young task.** A line waits on average E[d^2]/(2 E[d]) for the next read, with d
 *   the gap: about 0.63 s while d is 1 to 1.5 s (a lone task up to 25 s of age), and T / 2 when
 *   the share decides (7.5 s for 60 tasks on a 10/s quota, 25 s for 200): the price of the share.
 * - **Reads per task.** From age alone dn = da / (1.25 m(a)): 20 in the first 25 s, 500 (1/25 -
 *   1/a) from 25 s to 137 s (16.4 in all), then one per 37.5 s, about 129 for an hour-long task.
 *   With the share, at most one per T.
 * - **Account-wide load.** At most 0.8 × quota / 2 per second in all (4/s for a 10/s quota), and
 *   less once the tasks are old: 60 tasks past 137 s read about once per 45 s each (the next
 *   15 s turn after 30 to 45 s), 1.3/s in all.
 *
 * ## Throttling
 *
 * Reads of readers the fan-out knows nothing of share the quota, so a ThrottlingException still
 * doubles a penalty (starting from twice the current interval, the larger of m(a) and T) up to
 * MAX_PENALTY_S; each answer that is not throttled lowers it by a fifth (slow recovery: five good
 * answers in a row to fall by two thirds), and once it is below the interval it is gone.
 */
import type { Random } from '../util/clock.js'
import type { LogsShare } from './logs-quota.js'

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

/**
 * A task's turns: every `width`-th tick of the fan-out, from its slot's. `slots` (default 1):
 * consecutive slots owned from `slot` on, for a job that reads for several tasks (a set's tails).
 */
export type Turns = Pick<LogsShare, 'tickMs' | 'width' | 'slot'> & { slots?: number }

/** The slots of `turns` owned, between 1 and the width. */
function ownedSlots(turns: Turns): number {
  return Math.min(turns.width, Math.max(1, Math.floor(turns.slots ?? 1)))
}

/** Milliseconds between two turns on average: T = N × t, over the slots owned. */
export function turnIntervalMs(turns: Turns): number {
  return (turns.tickMs * turns.width) / ownedSlots(turns)
}

/** The current interval: the larger of the age-grown mean and the task's turns (ms). */
function intervalMs(ageMs: number, turns: Turns | undefined): number {
  return Math.max(followMeanMs(ageMs), turns ? Math.round(turnIntervalMs(turns)) : 0)
}

/**
 * After a ThrottlingException: double, from twice the current interval (the age-grown mean, or
 * the task's turns when they are further apart), up to MAX_PENALTY_S.
 */
export function penaltyAfterThrottle(penaltyMs: number, ageMs: number, turns?: Turns): number {
  const doubled = penaltyMs === 0 ? 2 * intervalMs(ageMs, turns) : 2 * penaltyMs
  return Math.min(MAX_PENALTY_S * 1000, doubled)
}

/** After an answer that was not throttled: lower by a fifth; gone below the interval. */
export function penaltyAfterAnswer(penaltyMs: number, ageMs: number, turns?: Turns): number {
  const lowered = Math.round(penaltyMs * RECOVERY)
  return lowered <= intervalMs(ageMs, turns) ? 0 : lowered
}

/**
 * The start of the task's first turn at or after `at` (clock ms): the first tick `k × t` with
 * `(k - slot) mod width < slots`, counted from the clock's zero so every job finds the same ticks.
 */
export function nextTurnAt(at: number, turns: Turns): number {
  const { tickMs, width, slot } = turns
  const offset = slot * tickMs
  let k = Math.ceil((at - offset) / tickMs)
  const place = ((k % width) + width) % width
  if (place >= ownedSlots(turns)) k += width - place
  let turn = offset + k * tickMs
  // Floating point: never a turn before `at`.
  if (turn < at) turn = nextTurnAt(at + tickMs / 2, turns)
  return Math.ceil(turn)
}

/**
 * A read due at `dueAt` (in the first half of its tick) whose timer fired at `now` has missed
 * its turn when it is more than half a tick late: sent now, it would land in another task's tick.
 * A busy runner's late timer (or 60 job processes starting on one machine) must wait for the
 * task's next turn instead, or the late reads of many tasks pile into the same ticks.
 */
export function missedTurn(dueAt: number, now: number, turns: Turns): boolean {
  return now - dueAt > turns.tickMs / 2
}

/** The next turn from `now`, somewhere in the first half of its tick (clock ms). */
export function nextTurnReadAt(now: number, turns: Turns, random: Random): number {
  return nextTurnAt(now, turns) + Math.floor((random() * turns.tickMs) / 2)
}

/**
 * When to read next (clock ms): the age-grown, jittered, penalised delay from `now`, then the
 * task's next turn at or after it, somewhere in the first half of that tick.
 */
export function nextReadAt(options: {
  now: number
  ageMs: number
  penaltyMs: number
  turns: Turns
  random: Random
}): number {
  const wanted =
    options.now +
    followDelayMs({ ageMs: options.ageMs, penaltyMs: options.penaltyMs, random: options.random })
  return (
    nextTurnAt(wanted, options.turns) + Math.floor((options.random() * options.turns.tickMs) / 2)
  )
}

/**
 * The first read: anywhere in the first mean interval, then the task's next turn, so jobs
 * started together take their turns one after another.
 */
export function firstReadAt(options: { now: number; turns: Turns; random: Random }): number {
  const wanted = options.now + firstDelayMs(options.random)
  return (
    nextTurnAt(wanted, options.turns) + Math.floor((options.random() * options.turns.tickMs) / 2)
  )
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
