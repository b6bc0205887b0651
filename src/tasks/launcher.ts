/**
 * The one launcher of a task set: a RunTask call (with its own retries) for tasks whose
 * overrides are identical, retrying capacity failures until the start deadline and scaling an
 * Auto Scaling group out when the definition names one; account quotas are waited out with
 * retries spread over the fan-out, and the job says once which quota it waits for.
 */
import { withAttemptDeadline } from '../ecs/deadline.js'
import type { AccountQuota } from '../ecs/errors.js'
import { newClientToken } from '../ecs/run-task-fields.js'
import { runTask, type RunTaskDeps } from '../ecs/run-task.js'
import { MAX_RUN_TASK_COUNT, requestFor } from './batch.js'
import type { RunPlan } from './plan.js'
import { startDeadline } from './start-and-stop-rules.js'

/** What the run plan gives the launcher, and when the set began (the start deadline rule). */
export interface LauncherOptions extends Pick<
  RunPlan,
  'baseRequest' | 'apps' | 'timeoutSeconds' | 'scaleOut' | 'attemptDeadlineSeconds'
> {
  startedAt: number
  /** Called the moment a RunTask call returns tasks, with their ARNs and their indexes. */
  onStarted(arns: string[], indexes: number[]): void
  /** The fan-out's width N: retries under an account quota are spread by it (default 1). */
  fanOutWidth?: number
  /** Called when tasks started after waiting for room under an account quota. */
  onRoomWaited?(indexes: number[], waitedMs: number, quota: AccountQuota): void
  /**
   * The clientToken of the RunTask call for the tasks at `indexes` (the ledger's, the same on a
   * re-run); default a random one.
   */
  clientTokenOf?(indexes: number[]): string
}

/**
 * A launch function for the work queue: one RunTask call for the tasks at `indexes` (equal
 * overrides), resolving with the ARNs it started, at most one per index, in order.
 */
export function launcher(
  deps: RunTaskDeps,
  options: LauncherOptions
): (indexes: number[], signal: AbortSignal) => Promise<string[]> {
  const { clock, logger } = deps
  // One line per job for each quota it meets, whatever the number of calls and retries.
  const announcedQuotas = new Set<AccountQuota['kind']>()
  return async (indexes, signal) => {
    const app = options.apps[indexes[0] as number] ?? {}
    const count = Math.min(indexes.length, MAX_RUN_TASK_COUNT)
    logger.debug(`RunTask for task #${indexes.join(', #')} (count ${count})`)
    const tasks = await runTask(deps, {
      request: withAttemptDeadline(
        requestFor(options.baseRequest, app, count),
        clock.now(),
        options.attemptDeadlineSeconds
      ),
      clientToken: options.clientTokenOf?.(indexes.slice(0, count)) ?? newClientToken(),
      deadline: startDeadline(clock.now(), options),
      signal,
      autoscalingGroup: options.scaleOut?.group,
      autoscalingTopic: options.scaleOut?.topic,
      taskResources: options.scaleOut?.taskResources,
      onStarted: (started) => {
        const arns = started.flatMap((t) => t.taskArn ?? []).slice(0, count)
        options.onStarted(arns, indexes.slice(0, arns.length))
      },
      fanOutWidth: options.fanOutWidth ?? 1,
      announcedQuotas,
      onRoomWaited: (ms, quota) => options.onRoomWaited?.(indexes.slice(0, count), ms, quota)
    })
    return tasks.flatMap((t) => (t.taskArn ? [t.taskArn] : [])).slice(0, indexes.length)
  }
}
