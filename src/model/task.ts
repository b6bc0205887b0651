/** How one container of a stopped task ended. */
export interface ContainerOutcome {
  name: string
  lastStatus?: string
  exitCode?: number
  reason?: string
}

/**
 * A task as last seen, from a stopped.json/started.json event's `detail` or a DescribeTasks
 * answer, normalised (timestamps as Date).
 */
export interface TaskSnapshot {
  taskArn: string
  clusterArn?: string
  taskDefinitionArn?: string
  lastStatus: string
  desiredStatus?: string
  stopCode?: string
  stoppedReason?: string
  createdAt?: Date
  startedAt?: Date
  stoppingAt?: Date
  stoppedAt?: Date
  /**
   * When the task's containers had exited (ECS's `executionStoppedAt`): the awslogs driver has
   * sent a container's last lines by then, earlier than `stoppedAt` by the task's teardown.
   */
  executionStoppedAt?: Date
  containers: ContainerOutcome[]
  /** The container instance the task runs on (EC2 launch type). */
  containerInstanceArn?: string
  /** The availability zone the task was placed in, when reported. */
  availabilityZone?: string
  /** EC2, FARGATE or EXTERNAL, when reported. */
  launchType?: string
  /** detail.version of the event; undefined for a DescribeTasks answer. */
  version?: number
  /** Where this snapshot came from. */
  source: 's3' | 'describe-tasks'
}

/** How a watched task ended. */
export type TaskEnd =
  | { kind: 'stopped'; task: TaskSnapshot }
  /** DescribeTasks never found the task (wrong cluster or region, or it vanished). */
  | { kind: 'lost'; taskArn: string; reason: string }

/** The end of one task, as reported in outputs and the summary. */
export interface TaskResult {
  task: TaskSnapshot
  /** The app container's exit code; 127 when it stopped without one (hako's rule). */
  exitCode: number
}

/**
 * Where a hako notifier writes task state events (scheduler.oneshot_notification_prefix or the
 * `notification-prefix` input), parsed by `parseNotificationPrefix`.
 */
export interface NotificationPrefix {
  /** The bucket: the URL's host. */
  bucket: string
  /** Key prefix without leading or trailing `/`; '' when the objects sit at the bucket's root. */
  prefix: string
  /** `?region=` of the URL, else the scheduler's region; undefined when neither is known. */
  region?: string
  /** Where the value came from, for messages (`input notification-prefix`, ...). */
  source?: string
}

/**
 * The task-level fields of RunTask's `overrides` (API `TaskOverride`) the action sets: none of
 * them registers a revision (docs/run-overrides.md). Each is set only when given.
 */
export interface TaskLevelOverrides {
  /** The task role for this run (`task-role-arn`). */
  taskRoleArn?: string
  /** The execution role for this run (`execution-role-arn`). */
  executionRoleArn?: string
  /** Task-level CPU units, as ECS takes them: text of a whole number (`cpu`). */
  cpu?: string
  /** Task-level memory in MiB, as ECS takes it: text of a whole number (`memory`). */
  memory?: string
  /** Ephemeral storage in GiB, 21 to 200 (`ephemeral-storage`). */
  ephemeralStorageGiB?: number
}

/** One task of a fan-out (`tasks`/`count`): overrides merged over the step's command and env. */
export interface TaskSpec {
  /** Command override for the app container; undefined keeps the step's `command`. */
  command?: string[]
  /** Env added over the step's `env` for this task. */
  env: Record<string, string>
  /** This task's own task-level overrides, each over the step's; undefined: the step's. */
  overrides?: TaskLevelOverrides
}
