/**
 * "ECS Task State Change" events as EventBridge delivers them (docs/ecs-events.md, "Event envelope"): the envelope,
 * and a `detail` shaped like a DescribeTasks task with ISO timestamps and `version`.
 */

/** The `detail` of a task state change; more fields may be present, as in AWS. */
export interface TaskStateDetail {
  taskArn: string
  clusterArn: string
  lastStatus: string
  desiredStatus: string
  version: number
  containers: Record<string, unknown>[]
  [field: string]: unknown
}

/** The EventBridge envelope. */
export interface TaskStateEvent {
  version: '0'
  id: string
  'detail-type': 'ECS Task State Change'
  source: 'aws.ecs'
  account: string
  /** When the change happened, ISO 8601 to the second, as EventBridge writes it. */
  time: string
  region: string
  resources: string[]
  detail: TaskStateDetail
}

/** Fields of a wire task that hold timestamps (epoch seconds in DescribeTasks). */
const TIMESTAMP_FIELDS = new Set([
  'createdAt',
  'pullStartedAt',
  'pullStoppedAt',
  'startedAt',
  'stoppingAt',
  'stoppedAt',
  'executionStoppedAt',
  'connectivityAt',
  'updatedAt'
])

/** Epoch seconds (the JSON protocol's timestamps) to an ISO string with milliseconds. */
export function isoFromEpochSeconds(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString()
}

/**
 * Builds the event for a task as DescribeTasks would show it (`wireTask`, epoch-second
 * timestamps): the same fields, timestamps as ISO strings, plus `updatedAt`.
 */
export function taskStateEvent(input: {
  wireTask: Record<string, unknown>
  id: string
  account: string
  region: string
  /** Epoch milliseconds of the change. */
  at: number
}): TaskStateEvent {
  const detail: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input.wireTask)) {
    detail[key] =
      TIMESTAMP_FIELDS.has(key) && typeof value === 'number' ? isoFromEpochSeconds(value) : value
  }
  detail.updatedAt = new Date(input.at).toISOString()
  const taskArn = String(input.wireTask.taskArn)
  return {
    version: '0',
    id: input.id,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: input.account,
    time: new Date(Math.floor(input.at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region: input.region,
    resources: [taskArn],
    detail: detail as TaskStateDetail
  }
}
