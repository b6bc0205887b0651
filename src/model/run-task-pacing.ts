/**
 * How a fan-out of N tasks shares RunTask's account-wide bucket (pure): the bucket that applies
 * to a request, how long each task slot's first RunTask waits so N first calls spread over the
 * time the refill needs for them, how far apart a job's retries under an account quota come, and
 * the launch rate that is this job's share. The arithmetic:
 * docs/limits.md, "Spreading RunTask over a fan-out".
 */
import type { CapacityProviderStrategyItem } from '@aws-sdk/client-ecs'
import type { Random } from '../util/clock.js'
import { DEFAULT_BUDGET_FRACTION, type FanOut } from './fan-out.js'

/** One of RunTask's token buckets: how many calls at once, and how many a second after. */
export interface RunTaskBudget {
  burst: number
  refillPerSecond: number
  /** Which bucket, for the job log. */
  name: string
}

/**
 * RunTask, StartTask and StopTask: 100 at once, 40 a second, per account and region
 * (docs/limits.md, "Token buckets").
 */
export const RUN_TASK_BUDGET: RunTaskBudget = {
  burst: 100,
  refillPerSecond: 40,
  name: "RunTask's bucket (100 burst, 40 a second)"
}

/**
 * RunTask calls that launch on Fargate: 20 a second, burst and sustained (docs/limits.md,
 * "Fargate"), below the shared bucket, so it is the one that binds.
 */
export const FARGATE_RUN_TASK_BUDGET: RunTaskBudget = {
  burst: 20,
  refillPerSecond: 20,
  name: "Fargate's RunTask rate (20 a second)"
}

/** Capacity retries back off from 2 s to 30 s, as RESOURCE:* failures do (src/ecs/run-task.ts). */
export const QUOTA_RETRY_BASE_MS = 2000
export const QUOTA_RETRY_CAP_MS = 30000

/** The bucket that binds a RunTask request: Fargate's when it launches on Fargate. */
export function runTaskBudgetOf(request: {
  launchType?: string
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
}): RunTaskBudget {
  const providers = request.capacityProviderStrategy ?? []
  const fargate =
    request.launchType === 'FARGATE' ||
    (providers.length > 0 &&
      providers.every(
        (p) => p.capacityProvider === 'FARGATE' || p.capacityProvider === 'FARGATE_SPOT'
      ))
  return fargate ? FARGATE_RUN_TASK_BUDGET : RUN_TASK_BUDGET
}

/** Calls a second the whole fan-out may spend: f·R. */
export function fanOutRate(budget: RunTaskBudget, fraction = DEFAULT_BUDGET_FRACTION): number {
  return budget.refillPerSecond * fraction
}

/**
 * Milliseconds from `now` (clock ms) this job waits before its first RunTask: 0 while N ≤ f·B,
 * else until its first slot's next place on the wall clock, jittered within the slot.
 */
export function firstLaunchDelayMs(
  fanOut: Pick<FanOut, 'width' | 'firstSlot'>,
  budget: RunTaskBudget,
  random: Random,
  now: number,
  fraction = DEFAULT_BUDGET_FRACTION
): number {
  if (fanOut.width <= budget.burst * fraction) return 0
  const slotMs = 1000 / fanOutRate(budget, fraction)
  const periodMs = slotMs * fanOut.width
  const offset = fanOut.firstSlot * slotMs
  const place = offset + Math.ceil((now - offset) / periodMs) * periodMs
  return Math.max(0, Math.floor(place - now + random() * slotMs))
}

/**
 * Milliseconds to wait before retry `round` (from 0) of a RunTask that an account quota refused:
 * equal jitter over [m, 2m] (docs/limits.md, as above), never past `untilDeadlineMs`.
 */
export function quotaRetryDelayMs(options: {
  round: number
  fanOut: Pick<FanOut, 'width'>
  budget: RunTaskBudget
  random: Random
  untilDeadlineMs: number
  fraction?: number
}): number {
  const { round, fanOut, budget, random } = options
  const spacingMs = (Math.max(1, fanOut.width) * 1000) / fanOutRate(budget, options.fraction)
  const backoffMs = Math.min(QUOTA_RETRY_CAP_MS, QUOTA_RETRY_BASE_MS * 2 ** Math.max(0, round))
  const floorMs = Math.max(spacingMs, backoffMs / 2)
  const delay = Math.floor(floorMs + random() * floorMs)
  return Math.max(0, Math.min(delay, options.untilDeadlineMs))
}

/**
 * This job's share of the fan-out's RunTask rate: f·R × (its tasks at once) / N, and at most
 * `bound` (the `launch-rate` input) when one is given.
 */
export function jobLaunchRate(
  fanOut: Pick<FanOut, 'width' | 'tasksAtOnce'>,
  budget: RunTaskBudget,
  bound?: number,
  fraction = DEFAULT_BUDGET_FRACTION
): number {
  const share =
    (fanOutRate(budget, fraction) * Math.min(fanOut.tasksAtOnce, fanOut.width)) /
    Math.max(1, fanOut.width)
  return bound === undefined ? share : Math.min(bound, share)
}
