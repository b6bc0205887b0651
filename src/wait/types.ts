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
  containers: ContainerOutcome[]
  /** detail.version of the event; undefined for a DescribeTasks answer. */
  version?: number
  /** Where this snapshot came from. */
  source: 's3' | 'describe-tasks'
}

/** The end of one task, as reported in outputs and the summary. */
export interface TaskResult {
  task: TaskSnapshot
  /** The app container's exit code; 127 when it stopped without one (hako's rule). */
  exitCode: number
}
