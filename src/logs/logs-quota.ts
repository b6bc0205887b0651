/**
 * CloudWatch Logs' read quotas by region, and one task's share of them.
 *
 * GetLogEvents and FilterLogEvents are limited per account and region, for every caller at once
 * (the console, dashboards, log shippers and every job of a fan-out), and the limits are not
 * adjustable (docs/limits.md, "CloudWatch Logs read quotas"). This table is the one place the
 * code knows GetLogEvents' (the action calls no other); the simulator takes its default Logs
 * buckets from it too, and keeps FilterLogEvents' itself (sim/logs.ts).
 */
import { shareOf, type FanOut } from '../model/fan-out.js'

/** GetLogEvents requests per second in most regions. */
export const DEFAULT_GET_LOG_EVENTS_PER_SECOND = 25

/** Regions whose GetLogEvents quota differs from the default (docs/limits.md). */
const GET_LOG_EVENTS_PER_SECOND: Readonly<Record<string, number>> = {
  'us-west-2': 10,
  'eu-west-1': 10,
  'eu-central-1': 10,
  'ap-northeast-3': 10,
  'ap-southeast-3': 10,
  'ca-west-1': 10,
  'il-central-1': 10,
  'eu-west-3': 30
}

/** The account's GetLogEvents quota in `region`, requests per second. */
export function getLogEventsQuota(region: string): number {
  return GET_LOG_EVENTS_PER_SECOND[region] ?? DEFAULT_GET_LOG_EVENTS_PER_SECOND
}

/**
 * The part of the fan-out's share its turns fill: four fifths, the last fifth room for what the
 * ticks cannot rule out (docs/limits.md, "Reading logs on a share").
 */
export const TURN_FILL = 0.8

/**
 * One task's share of GetLogEvents: ticks `1000 / (quota × fraction × TURN_FILL)` ms apart on the
 * wall clock, task slot `s` of N owning the ticks `k ≡ s (mod N)` (docs/limits.md, "Reading logs
 * on a share").
 */
export interface LogsShare {
  /** This task's reads per second at most: `quota × fraction × TURN_FILL / N`. */
  perSecond: number
  /** Milliseconds between two ticks of the fan-out (any task's). */
  tickMs: number
  /** N: the tasks that take turns. */
  width: number
  /** This task's turn among them, 0 to N-1. */
  slot: number
}

/** The share of a task in slot `slot` (default the job's first) of a fan-out, in `region`. */
export function logsShareOf(
  region: string,
  fanOut: Pick<FanOut, 'width' | 'firstSlot'>,
  options: { slot?: number; fraction?: number } = {}
): LogsShare {
  const quota = getLogEventsQuota(region)
  const width = Math.max(1, Math.floor(fanOut.width))
  // The fan-out's turns per second: its share of the quota, times TURN_FILL.
  const turnsPerSecond = shareOf(quota * TURN_FILL, { width: 1 }, options.fraction)
  return {
    perSecond: turnsPerSecond / width,
    tickMs: 1000 / turnsPerSecond,
    width,
    slot: (((options.slot ?? fanOut.firstSlot) % width) + width) % width
  }
}

/** The share of a task alone in its region (no fan-out known): every tick is its own. */
export function aloneShare(region: string): LogsShare {
  return logsShareOf(region, { width: 1, firstSlot: 0 })
}
