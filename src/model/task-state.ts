/**
 * A task's state, normalised from an ECS task state event or a DescribeTasks answer, and the
 * rules that turn it into a result: hako's exit code rule and the incomplete-stop rule.
 */
import type { Task } from '@aws-sdk/client-ecs'
import { z } from 'zod'
import { compact } from '../util/objects.js'
import type { ContainerOutcome, TaskSnapshot } from './task.js'

/** The container whose exit code is the task's (hako's rule, docs/hako.md, "Exit code"). */
export const APP_CONTAINER = 'app'

/** Exit code when `app` stopped without one (hako's rule, docs/hako.md, "Exit code"). */
export const MISSING_EXIT_CODE = 127

// Events carry timestamps as ISO strings (docs/ecs-events.md, "Detail"); unknown fields are dropped.
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s))
const optionalString = z.string().nullish()

const containerSchema = z.object({
  name: z.string(),
  lastStatus: optionalString,
  exitCode: z.number().int().nullish(),
  reason: optionalString
})

const detailSchema = z.object({
  taskArn: z.string().startsWith('arn:'),
  clusterArn: optionalString,
  taskDefinitionArn: optionalString,
  lastStatus: z.string(),
  desiredStatus: optionalString,
  stopCode: optionalString,
  stoppedReason: optionalString,
  createdAt: isoDate.nullish(),
  startedAt: isoDate.nullish(),
  stoppingAt: isoDate.nullish(),
  stoppedAt: isoDate.nullish(),
  executionStoppedAt: isoDate.nullish(),
  containers: z.array(containerSchema).default([]),
  containerInstanceArn: optionalString,
  availabilityZone: optionalString,
  launchType: optionalString,
  version: z.number().int().nullish()
})

function container(c: {
  name?: string | null
  lastStatus?: string | null
  exitCode?: number | null
  reason?: string | null
}): ContainerOutcome {
  return compact({
    name: c.name ?? '',
    lastStatus: c.lastStatus ?? undefined,
    exitCode: c.exitCode ?? undefined,
    reason: c.reason ?? undefined
  })
}

/**
 * The snapshot in an ECS task state event's `detail` (docs/ecs-events.md, "Detail").
 * @throws Error naming the first field that does not fit, when `detail` is not a task event.
 */
export function snapshotFromEvent(detail: unknown): TaskSnapshot {
  const parsed = detailSchema.safeParse(detail)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = ['detail', ...(issue?.path ?? [])].join('.')
    throw new Error(`${path}: ${issue?.message ?? 'invalid'}`)
  }
  // The schema keeps only its own fields, so the parsed detail is the snapshot as it stands.
  return compact({
    ...parsed.data,
    containers: parsed.data.containers.map(container),
    source: 's3' as const
  })
}

/** The snapshot in one task of a DescribeTasks answer (timestamps already Dates). */
export function snapshotFromDescribe(task: Task): TaskSnapshot {
  return compact({
    taskArn: task.taskArn ?? '',
    clusterArn: task.clusterArn,
    taskDefinitionArn: task.taskDefinitionArn,
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    desiredStatus: task.desiredStatus,
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    createdAt: task.createdAt,
    startedAt: task.startedAt,
    stoppingAt: task.stoppingAt,
    stoppedAt: task.stoppedAt,
    executionStoppedAt: task.executionStoppedAt,
    containers: (task.containers ?? []).map(container),
    containerInstanceArn: task.containerInstanceArn,
    availabilityZone: task.availabilityZone,
    launchType: task.launchType,
    source: 'describe-tasks' as const
  })
}

/** The `app` container of a snapshot, if the task has one. */
export function appContainer(snapshot: TaskSnapshot): ContainerOutcome | undefined {
  return snapshot.containers.find((c) => c.name === APP_CONTAINER)
}

/**
 * How long a task ran: from its start (or creation) to its stop by its own timestamps, else from
 * RunTask's answer to when its end was seen; undefined when neither is known.
 */
export function runTimeMs(
  task: TaskSnapshot | undefined,
  seen: { launchedAt?: number; endedAt?: number } = {}
): number | undefined {
  const start = task?.startedAt ?? task?.createdAt
  if (start && task?.stoppedAt) return task.stoppedAt.getTime() - start.getTime()
  const { launchedAt, endedAt } = seen
  return launchedAt !== undefined && endedAt !== undefined ? endedAt - launchedAt : undefined
}

/** One log line per container: name, exit code (or its absence) and reason. */
export function describeContainers(snapshot: TaskSnapshot): string[] {
  return snapshot.containers.map((c) => {
    const code = c.exitCode === undefined ? 'no exit code' : `exit code ${c.exitCode}`
    const status = c.lastStatus === undefined ? '' : ` (${c.lastStatus})`
    const reason = c.reason === undefined ? '' : `: ${c.reason}`
    return `${c.name}${status}: ${code}${reason}`
  })
}

/** The last segment of a task ARN (`arn:aws:ecs:<region>:<account>:task/<cluster>/<id>`). */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1)
}

/** The region field of an ARN, or undefined when it is not an ARN. */
export function regionOfArn(arn: string): string | undefined {
  const parts = arn.split(':')
  return parts[0] === 'arn' && parts[3] ? parts[3] : undefined
}
