/**
 * The sentences of the wait that need more than a line to build: how a set is waited on, what
 * to grant when S3 answers 403, what to check when notifications do not arrive. Pure; the
 * engine (engine.ts) decides when each is said.
 */
import { escapeLogText } from '../util/safe-text.js'
import { prefixKey, s3BucketArn, s3ObjectArn, s3Url } from '../aws/s3.js'
import { taskIdOf } from '../model/task-state.js'
import type { NotificationPrefix, TaskSnapshot } from '../model/task.js'
import { NOTIFIER_WRITE_GRACE_MS } from './end-rules.js'

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
  const where = s3Url(prefix.bucket, prefixKey(prefix.prefix, ''))
  return (
    `Waiting through S3 notifications under ${where}` +
    `${prefix.region ? ` (${prefix.region})` : ''}` +
    `${prefix.source ? `, from ${prefix.source}` : ''}.`
  )
}

/**
 * The IAM statement that makes S3 answer 404 for a missing notification, as the
 * `MissingNotificationsReadAs404` statement of docs/iam/action-policy.json words it.
 */
export function listBucketStatement(prefix: NotificationPrefix): string {
  const statement: Record<string, unknown> = {
    Sid: 'MissingNotificationsReadAs404',
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: s3BucketArn(prefix.region, prefix.bucket)
  }
  if (prefix.prefix !== '') {
    statement.Condition = { StringLike: { 's3:prefix': prefixKey(prefix.prefix, '*') } }
  }
  return JSON.stringify(statement)
}

/** `arn:<partition>:s3:::<bucket>/<prefix>/*`: every notification object. */
export function notificationsResource(prefix: NotificationPrefix): string {
  return s3ObjectArn(prefix.region, prefix.bucket, prefixKey(prefix.prefix, '*'))
}

/**
 * The IAM statement that lets the action read the notifications, as the `ReadNotifications`
 * statement of docs/iam/action-policy.json words it.
 */
export function getObjectStatement(prefix: NotificationPrefix): string {
  return JSON.stringify({
    Sid: 'ReadNotifications',
    Effect: 'Allow',
    Action: 's3:GetObject',
    Resource: notificationsResource(prefix)
  })
}

/**
 * A GET answered 403, read as "not written yet"; said once. S3 answers 403 for a missing key
 * read without s3:ListBucket, and for any key read without s3:GetObject (docs/limits.md, "S3
 * 403 versus 404"): one answer, two causes, so both fixes are given.
 */
export function deniedMessage(prefix: NotificationPrefix, key: string): string {
  return (
    `Reading ${s3Url(prefix.bucket, key)} answered 403 AccessDenied, which has two possible ` +
    `causes: the object is not written yet and the action's role lacks s3:ListBucket (S3 then ` +
    `answers 403 instead of 404), or the role lacks s3:GetObject on ` +
    `${notificationsResource(prefix)}. It is read as "not written yet" for now. For the first, ` +
    `add to the action's role ${listBucketStatement(prefix)} (a missing key then answers 404, ` +
    `and the action may list the prefix, which is cheaper for many tasks); for the second, add ` +
    `${getObjectStatement(prefix)}.`
  )
}

/**
 * ECS reports tasks started or stopped while their started.json or stopped.json still answers
 * 403 after NOTIFIER_WRITE_GRACE_MS: s3:GetObject is the likely cause; said once.
 */
export function getObjectDeniedMessage(prefix: NotificationPrefix, taskIds: string[]): string {
  return (
    `ECS reports ${taskIds.length} task(s) started or stopped whose started.json or ` +
    `stopped.json still answered 403 AccessDenied more than ${NOTIFIER_WRITE_GRACE_MS / 1000} s ` +
    `later (${nameSome(taskIds)}): the action's role is most likely denied s3:GetObject on ` +
    `${notificationsResource(prefix)}, so each stop is learnt only from DescribeTasks, once per ` +
    `verify-interval. Add to the action's role: ${getObjectStatement(prefix)}`
  )
}

/**
 * A LIST showed the object, so it exists and s3:ListBucket works, yet its GET answered 403:
 * s3:GetObject is denied; said once.
 */
export function listedButDeniedMessage(prefix: NotificationPrefix, url: string): string {
  return (
    `Listing the prefix shows ${url}, yet reading it answered 403 AccessDenied: the action's ` +
    `role is denied s3:GetObject on ${notificationsResource(prefix)}, so each stop is learnt ` +
    `only from DescribeTasks, once per verify-interval. Add to the action's role: ` +
    `${getObjectStatement(prefix)}`
  )
}

/** Listing the prefix answered 403: GETs instead; said once. */
export function listDeniedMessage(prefix: NotificationPrefix, listUrl: string): string {
  return (
    `Listing ${listUrl} answered 403 AccessDenied; reading each task's stopped.json instead, ` +
    `which costs more requests with many tasks. To let the action list, add to its role: ` +
    `${listBucketStatement(prefix)}`
  )
}

/** What to check when notifications do not arrive. */
export function notifierChecklist(prefix: NotificationPrefix, cluster: string): string {
  return (
    `Check that the EventBridge rule for "ECS Task State Change" events matches cluster ` +
    `'${cluster}', that the notifier Lambda shows no errors in its logs and may s3:PutObject ` +
    `on ${notificationsResource(prefix)}, and that it writes to ` +
    `${s3Url(prefix.bucket, prefixKey(prefix.prefix, ''))} (the prefix this action reads).`
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
  const instance = task.containerInstanceArn
  const zone = task.availabilityZone
  return (
    `Task ${escapeLogText(taskIdOf(task.taskArn))} started${t ? ` at ${t.toISOString()}` : ''}` +
    `${instance ? ` on container instance ${escapeLogText(instance)}` : ''}` +
    `${zone ? ` in ${escapeLogText(zone)}` : ''}`
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
