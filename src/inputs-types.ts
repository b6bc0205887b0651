import type { RunOverrides } from './definition/run-overrides.js'
import type { FanOut } from './model/fan-out.js'
import type { TaskSpec } from './model/task.js'
import type { RetryRule } from './tasks/retry.js'

/** The action's inputs after validation. `src/inputs.ts` is the only module that builds this. */
export type Mode = 'run' | 'register' | 'dry-run' | 'wait' | 'summary'

export interface ActionInputs {
  /** Path of the hako definition (.yml, .yaml or .json), relative to the working directory. */
  definition: string
  /**
   * What to do: run (register if changed, run, wait), register only, render only, wait on
   * tasks started elsewhere, or summary (read this workflow run's ledger and write one summary
   * of the whole fan-out).
   */
  mode: Mode
  /**
   * `mode: wait`: the tasks to wait on (the `task-arn` or `task-arns` output of a run); empty:
   * every task of this workflow run the ledger shows started and not ended.
   */
  taskArns: string[]
  /** App container command override; undefined when the input is empty. */
  command?: string[]
  /** Env added to the app container through RunTask overrides, in input order. */
  env: Record<string, string>
  /** App image tag (hako --tag); undefined when empty. */
  tag?: string
  /** Extra sidecars to start with app (hako -c). */
  containers: string[]
  /** App container cpu override (hako --app-cpu). */
  appCpu?: number
  /** App container memory override (hako --app-memory). */
  appMemory?: number
  /** App container memoryReservation override (hako --app-memory-reservation). */
  appMemoryReservation?: number
  /** Overrides scheduler.cluster. */
  cluster?: string
  /**
   * The run's choices beyond the definition, RunTask only (never a new revision): roles, task
   * cpu and memory, ephemeral storage, launch type or capacity provider strategy, the network
   * (given or a service's), ECS Exec. Each is unset unless its input was given.
   */
  runOverrides: RunOverrides
  /** Overrides scheduler.region. */
  region?: string
  /** Run this task definition (ARN or family:revision) instead of registering one. */
  taskDefinition?: string
  /**
   * Coordinate registration through `<prefix>/task-definitions/` in the notification bucket
   * (one registration however many jobs race, and a hit costs no ECS call); false: each job
   * describes again after a random delay before registering.
   */
  taskDefinitionCache: boolean
  /**
   * Overrides scheduler.oneshot_notification_prefix: an `s3://bucket/prefix` URL, or 'none' to
   * force the DescribeTasks waiter. Undefined when the input is empty.
   */
  notificationPrefix?: string
  /** false: start the task, set the known outputs, return. */
  wait: boolean
  /** Longest wait in seconds; undefined means no limit of the action's own. */
  timeoutSeconds?: number
  /**
   * Longest the task may run when nothing else stops it, seconds; its deadline tag comes from
   * it when `timeout` is not set (src/ecs/deadline.ts). Undefined when the input is empty.
   */
  maxRunTimeSeconds?: number
  /** Call StopTask when the job is cancelled or the timeout hits. */
  stopOnCancel: boolean
  /** Base seconds between S3 reads. */
  pollIntervalSeconds: number
  /** Seconds of S3 silence after which one DescribeTasks call checks the task; 0 never. */
  verifyIntervalSeconds: number
  /** Last lines of the app container's awslogs stream to print; 0 off. */
  logLines: number
  /**
   * Print the app container's log lines while the task runs, then drain the stream at the stop
   * so every line appears once (the tail of `logLines` is then not printed again).
   */
  followLogs: boolean
  /** RunTask startedBy; undefined means derived from the workflow run. */
  startedBy?: string
  /** RunTask group; undefined means none. */
  group?: string
  /** User task tags, in input order. */
  tags: Record<string, string>
  /** Fail the step when a task's exit code is not 0. */
  failOnError: boolean
  /** The tasks to run: one element (no overrides) unless `count` or `tasks` was given. */
  tasks: TaskSpec[]
  /** At most this many tasks running at once; undefined means all at once. */
  maxParallel?: number
  /**
   * At most this many RunTask calls per second (`launch-rate`); undefined: the job's share of
   * the fan-out's (src/tasks/pace.ts).
   */
  launchRate?: number
  /** On the first failed task, stop the others and start no more. */
  failFast: boolean
  /** Attempts per task in all (1 to 10); 1 turns retries off. */
  attempts: number
  /** The `retry-on` rules, first match wins (the default set when the input is `defaults`). */
  retryOn: RetryRule[]
  /**
   * On a re-run of the workflow run: `failed` starts only the tasks that did not succeed in an
   * earlier attempt, `all` starts every task that ended; a task still running is adopted under
   * either. Default: `failed` for a matrix or a set, `all` for a lone task.
   */
  rerun: 'failed' | 'all'
  /**
   * Whose exit code is the task's: a container's name, `all-essential`, or undefined for the
   * app container (hako's rule). Checked against the definition's containers by the plan.
   */
  exitCodeContainer?: string
  /** At `timeout`: stop the tasks (`stop`) or leave them running and end the step (`detach`). */
  onTimeout: 'stop' | 'detach'
  /**
   * Job ids (GITHUB_JOB) whose ledger `mode: summary` reads; undefined: every job of the
   * workflow run.
   */
  jobs?: string[]
  /**
   * The fan-out this job belongs to (`job-index`, `job-total`, `job-max-parallel` from the
   * strategy context, `fan-out-width`, and this job's own tasks): its width divides every
   * shared budget.
   */
  fanOut: FanOut
}
