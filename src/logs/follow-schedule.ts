/**
 * When a log follower reads next: pure functions of the task's age, its share of the fan-out's
 * reads, a throttling penalty and a random number, in the style of src/wait/schedule.ts. A
 * follower spends the smaller of two budgets: a read interval that grows with the square of its
 * task's age, and its turns among the fan-out's reads (logs-quota.ts); a ThrottlingException
 * doubles a penalty on top. The formulas and what they cost: docs/logs.md, "The read schedule".
 */
import { backoffAfterAnswer, backoffAfterThrottle } from '../util/backoff.js'
import type { Random } from '../util/clock.js'
import type { LogsShare } from './logs-quota.js'

/** Age in seconds up to which the mean interval is MIN_MEAN_S; it grows as the square after. */
export const YOUNG_S = 60
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
  return backoffAfterThrottle(penaltyMs, 2 * intervalMs(ageMs, turns), MAX_PENALTY_S * 1000)
}

/** After an answer that was not throttled: lower by a fifth; gone below the interval. */
export function penaltyAfterAnswer(penaltyMs: number, ageMs: number, turns?: Turns): number {
  return backoffAfterAnswer(penaltyMs, intervalMs(ageMs, turns), RECOVERY)
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
