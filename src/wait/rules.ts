/**
 * Every rule of waiting for a task, once, as small pure functions: the wait engine
 * (engine.ts) applies them to each task it watches, whatever the size of the set and whichever
 * way it reads (GET, LIST, DescribeTasks).
 */
import { escapeLogText } from '../util/safe-text.js'
import { s3Url } from './prefix.js'
import { isIncompleteStop, taskIdOf } from '../model/task-state.js'
import type { NotificationPrefix, TaskSnapshot } from '../model/task.js'

/**
 * How long a STOPPED state without the app container's exit code or reason is re-read for a
 * completion before it is settled on: the ECS agent has sent such an event before the exit
 * codes were known, followed by a complete one (docs/ecs-events.md, "STOPPED without exit
 * codes").
 */
export const INCOMPLETE_STOP_GRACE_MS = 10_000

/**
 * How long a task may stay invisible to DescribeTasks after RunTask before it is given up as
 * lost: the ECS API is eventually consistent, but only for seconds (docs/limits.md, "Eventual
 * consistency").
 */
export const VISIBILITY_TIMEOUT_MS = 60_000

/**
 * How long after the stop ECS reports a missing stopped.json is still thought to be in flight
 * rather than missed by the notifier (EventBridge delivers in seconds, docs/ecs-events.md).
 */
export const NOTIFIER_LAG_MS = 60_000

/**
 * After a StopTask call, how soon ECS is asked about the task when its stopped.json does not
 * come, and again at this pace while the confirm window lasts (policy.ts).
 */
export const STOP_VERIFY_MS = 5_000

/** Non-retryable S3 errors in a row (NoSuchBucket, wrong region ...) before DescribeTasks. */
export const BROKEN_READS_BEFORE_FALLBACK = 3

/** While a task's started.json is unseen, every this-many-th GET of it is of started.json. */
export const STARTED_READ_EVERY = 3

/** What to do with a STOPPED state read for a task. */
export type StopVerdict =
  /** A duplicate or an older event: nothing changes. */
  | 'ignore'
  /** The end: the app container's exit code or reason is known. */
  | 'end'
  /** STOPPED without the app's exit code or reason: re-read for the grace, then settle. */
  | 'incomplete'

/**
 * The newest `detail.version` wins: duplicates and older events change nothing
 * (docs/ecs-events.md, "Delivery"). A DescribeTasks answer has no version and is taken as new.
 */
export function stopVerdict(current: TaskSnapshot | undefined, read: TaskSnapshot): StopVerdict {
  if (current !== undefined && read.source === 's3') {
    if ((read.version ?? -1) <= (current.version ?? -1)) return 'ignore'
  }
  return isIncompleteStop(read) ? 'incomplete' : 'end'
}

/** True once an incomplete stop has been re-read for the whole grace. */
export function graceOver(incompleteSince: number | undefined, now: number): boolean {
  return incompleteSince !== undefined && now - incompleteSince >= INCOMPLETE_STOP_GRACE_MS
}

/** True when the next GET of a task whose started.json is unseen reads started.json. */
export function readsStartedNext(reads: number, startedSeen: boolean): boolean {
  return !startedSeen && reads % STARTED_READ_EVERY === 2
}

/** True when a task unseen by DescribeTasks since `lastFoundAt` is lost. */
export function isLost(lastFoundAt: number, now: number): boolean {
  return now - lastFoundAt >= VISIBILITY_TIMEOUT_MS
}

/** What a verify check's DescribeTasks answer about a silent task means. */
export type VerifyVerdict =
  /** ECS does not find the task: warn, keep waiting for stopped.json. */
  | 'missing'
  /** STOPPED within the notifier-lag window: finish from ECS, as information. */
  | 'stopped'
  /** STOPPED longer ago than the notifier lag: finish from ECS, and blame the notifier. */
  | 'stopped-late'
  /** RUNNING and started.json never seen: notifications are not arriving. */
  | 'silent'
  | 'pending'

export function verifyVerdict(
  task: TaskSnapshot | undefined,
  startedSeen: boolean,
  now: number
): VerifyVerdict {
  if (task === undefined) return 'missing'
  if (task.lastStatus === 'STOPPED') {
    const sinceStop = task.stoppedAt ? now - task.stoppedAt.getTime() : Infinity
    return sinceStop >= NOTIFIER_LAG_MS ? 'stopped-late' : 'stopped'
  }
  return task.lastStatus === 'RUNNING' && !startedSeen ? 'silent' : 'pending'
}

/**
 * Which tasks one verify call covers: none until some task has gone `verifyMs` without
 * stopped.json; then that task and every other at least half-way to its own check, so the
 * checks of tasks launched seconds apart share a call.
 */
export function verifyBatch<T extends { nextVerifyAt: number }>(
  candidates: readonly T[],
  verifyMs: number,
  now: number
): T[] {
  if (verifyMs <= 0 || !candidates.some((c) => c.nextVerifyAt <= now)) return []
  return candidates.filter((c) => c.nextVerifyAt - verifyMs / 2 <= now)
}

// ---- Messages ------------------------------------------------------------------------------

/** How the set is waited on, and why. */
export function waitingThrough(prefix: NotificationPrefix | 'none' | undefined): string {
  if (prefix === undefined) {
    return (
      'Waiting through DescribeTasks: no notification prefix is set. Every call spends the ' +
      "account's shared ECS API budget; set scheduler.oneshot_notification_prefix or the " +
      'notification-prefix input (with the notifier deployed) to wait through S3 instead.'
    )
  }
  if (prefix === 'none') return "Waiting through DescribeTasks: the notification prefix is 'none'."
  const where = s3Url(prefix.bucket, prefix.prefix === '' ? '' : `${prefix.prefix}/`)
  return (
    `Waiting through S3 notifications under ${where}` +
    `${prefix.region ? ` (${prefix.region})` : ''}` +
    `${prefix.source ? `, from ${prefix.source}` : ''}.`
  )
}

/** The IAM statement that makes S3 answer 404 for a missing notification. */
export function listBucketStatement(prefix: NotificationPrefix): string {
  const statement: Record<string, unknown> = {
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: `arn:aws:s3:::${prefix.bucket}`
  }
  if (prefix.prefix !== '') {
    statement.Condition = { StringLike: { 's3:prefix': `${prefix.prefix}/*` } }
  }
  return JSON.stringify(statement)
}

/** 403 on a GET is read as "not written yet" (docs/limits.md, "S3: 403 or 404"); said once. */
export function deniedMessage(prefix: NotificationPrefix, key: string): string {
  return (
    `Reading ${s3Url(prefix.bucket, key)} answered 403 AccessDenied. S3 answers 403 instead of ` +
    `404 for a missing key when the role lacks s3:ListBucket, so this is read as "not written ` +
    `yet"; to make it a 404 (and let the action list the prefix, which is cheaper for many ` +
    `tasks), add to the action's role: ${listBucketStatement(prefix)}`
  )
}

/** What to check when notifications do not arrive. */
export function notifierChecklist(prefix: NotificationPrefix, cluster: string): string {
  const under = prefix.prefix === '' ? '' : `${prefix.prefix}/`
  return (
    `Check that the EventBridge rule for "ECS Task State Change" events matches cluster ` +
    `'${cluster}', that the notifier Lambda shows no errors in its logs and may s3:PutObject ` +
    `on arn:aws:s3:::${prefix.bucket}/${under}*, and that it writes to ` +
    `${s3Url(prefix.bucket, under)} (the prefix this action reads).`
  )
}

/** The fall-back to DescribeTasks after BROKEN_READS_BEFORE_FALLBACK broken reads. */
export function fallbackMessage(prefix: NotificationPrefix, failure: string): string {
  return (
    `${failure} Waiting through DescribeTasks instead. Check that the bucket ` +
    `'${prefix.bucket}' exists${prefix.region ? ` in ${prefix.region}` : ''} (a '?region=' on ` +
    `the prefix names another region) and that the action's role may read it.`
  )
}

/**
 * S3 could not be reached at all (no read has ever been answered): say so, with the endpoint
 * and region, instead of "S3 answered Error".
 */
export function unreachableMessage(
  prefix: NotificationPrefix,
  endpoint: string | undefined,
  error: unknown
): string {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : ''
  const what = escapeLogText(
    error instanceof Error ? `${code || error.name}: ${error.message}` : String(error)
  )
  return (
    `S3 is unreachable: no request to ${endpoint ?? 'the S3 endpoint'}` +
    `${prefix.region ? ` (region ${prefix.region})` : ''} for bucket '${prefix.bucket}' has been ` +
    `answered (${what}). Check the runner's network, proxy and DNS, and the region of the ` +
    `notification prefix; still trying, and ECS is checked after verify-interval.`
  )
}

/** `Task <id> started at <t> on container instance <arn> in <az>`. */
export function startedLine(task: TaskSnapshot): string {
  const t = task.startedAt ?? task.createdAt
  const where = [
    task.containerInstanceArn
      ? `on container instance ${escapeLogText(task.containerInstanceArn)}`
      : '',
    task.availabilityZone ? `in ${escapeLogText(task.availabilityZone)}` : ''
  ]
    .filter((s) => s !== '')
    .join(' ')
  return (
    `Task ${escapeLogText(taskIdOf(task.taskArn))} started${t ? ` at ${t.toISOString()}` : ''}` +
    `${where ? ` ${where}` : ''}`
  )
}

/** The verify check found a stop that stopped.json did not bring. */
export function stoppedByVerifyLine(task: TaskSnapshot, stoppedUrl: string): string {
  return (
    `ECS reports task ${escapeLogText(taskIdOf(task.taskArn))} STOPPED` +
    `${task.stoppedAt ? ` at ${task.stoppedAt.toISOString()}` : ''}, but ${stoppedUrl} has ` +
    `not appeared; finishing from the DescribeTasks answer.`
  )
}

/** `a, b, c and 4 more` */
export function nameSome(items: readonly string[], named = 5): string {
  const shown = items.slice(0, named).join(', ')
  return items.length > named ? `${shown} and ${items.length - named} more` : shown
}
