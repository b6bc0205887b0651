/**
 * The launch pace of a task set (pure): its share of RunTask's bucket and when its first call
 * may go, as TokenBucket options, and the job-log line that says why the first call waits
 * (src/model/run-task-pacing.ts; docs/limits.md, "Spreading RunTask over a fan-out").
 */
import { fanOutOf } from '../model/fan-out.js'
import {
  fanOutRate,
  firstLaunchDelayMs,
  jobLaunchRate,
  runTaskBudgetOf
} from '../model/run-task-pacing.js'
import type { Random } from '../util/clock.js'
import type { RunPlan } from './plan.js'
import type { TokenBucketOptions } from './token-bucket.js'

/** What a set's pace comes from (`apps` and `maxParallel` when `fanOut` is not given). */
export type PaceInputs = Pick<
  RunPlan,
  'baseRequest' | 'launchRate' | 'fanOut' | 'apps' | 'maxParallel'
>

/** The set's bucket (`firstAt`: its first RunTask), and why it is what it is. */
export interface LaunchPace extends Required<TokenBucketOptions> {
  /** The fan-out's width N. */
  width: number
  /** Why the first call waits, when it does. */
  note?: string
}

/** The pace of a set that begins at `startedAt` (clock ms). */
export function launchPace(inputs: PaceInputs, random: Random, startedAt: number): LaunchPace {
  const fanOut =
    inputs.fanOut ?? fanOutOf({ tasks: inputs.apps.length, maxParallel: inputs.maxParallel })
  const budget = runTaskBudgetOf(inputs.baseRequest)
  const ratePerSecond = jobLaunchRate(fanOut, budget, inputs.launchRate)
  const delayMs = firstLaunchDelayMs(fanOut, budget, random, startedAt)
  const pace: LaunchPace = {
    ratePerSecond,
    burst: Math.max(1, Math.floor(ratePerSecond)),
    firstAt: startedAt + delayMs,
    width: fanOut.width
  }
  if (delayMs > 0) {
    pace.note =
      `The fan-out's ${fanOut.width} tasks start their first RunTask spread over ` +
      `${(fanOut.width / fanOutRate(budget)).toFixed(1)} s (half of ${budget.name}): this job's ` +
      `first call waits ${(delayMs / 1000).toFixed(1)} s (slot ${fanOut.firstSlot + 1} of ${fanOut.width}).`
  }
  return pace
}
