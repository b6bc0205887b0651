/**
 * The run plan: everything a task set needs to start, watch and stop its tasks, decided before
 * the task definition is resolved (src/plan.ts builds it from the inputs, the rendered
 * definition and the GitHub context; main puts the resolved ARN in `baseRequest`). Plain data,
 * with the Auto Scaling group it may scale out (ScaleOut) beside it.
 */
import type { RunTaskCommandInput } from '@aws-sdk/client-ecs'
import type { FanOut } from '../model/fan-out.js'
import type { ResultRule } from '../model/result.js'
import type { NotificationPrefix } from '../model/task.js'
import type { AppCommandEnv } from './batch.js'
import type { TaskResources } from '../ecs/scale-out.js'

export interface RunPlan {
  /**
   * What every task's RunTask request shares: cluster, task definition, startedBy, group,
   * tags, launch settings and the containers' resources. Task `i`'s request is this with
   * `apps[i]` put in (requestFor, src/tasks/batch.ts), the one place its command and env go.
   */
  baseRequest: RunTaskCommandInput
  /** The app container's command and environment of each task, in task order. */
  apps: AppCommandEnv[]
  /** Most tasks running at once; undefined: all. */
  maxParallel?: number
  /**
   * The `launch-rate` input: at most this many RunTask calls per second; the job takes its
   * share of the fan-out's (src/tasks/pace.ts) when that is less. Undefined: the share.
   */
  launchRate?: number
  failFast: boolean
  /** false: start the tasks and leave them running (`wait: false`); true when unset. */
  wait?: boolean
  /** Where the notifier writes; 'none' or undefined (none set) waits through DescribeTasks. */
  prefix: NotificationPrefix | 'none' | undefined
  pollIntervalSeconds: number
  verifyIntervalSeconds: number
  /** The `timeout` input; undefined: none. */
  timeoutSeconds?: number
  /**
   * `max-run-time` when it decides the deadline tag: each RunTask sets the tag to its own
   * launch + this (src/ecs/deadline.ts, withAttemptDeadline); undefined: the tag in
   * `baseRequest` stands for every task.
   */
  attemptDeadlineSeconds?: number
  stopOnCancel: boolean
  /** Whose exit code is the task's (`exit-code-container`); default the app container's. */
  rule?: ResultRule
  /** At `timeout`: stop the tasks, or leave them running and end the step (`detach`). */
  onTimeout?: 'stop' | 'detach'
  /** The workflow run's URL, for StopTask reasons. */
  runUrl: string
  scaleOut?: ScaleOut
  /** The fan-out this job belongs to, logged when it is wider than one task. */
  fanOut?: FanOut
}

/** scheduler.autoscaling_group_for_oneshot and its topic, with what one task needs. */
export interface ScaleOut {
  group?: string
  topic?: string
  taskResources?: TaskResources
}
