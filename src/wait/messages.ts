/**
 * The sentences of the wait that need more than a line to build: how a set is waited on, what
 * to grant when S3 answers 403, what to check when notifications do not arrive. Pure; the
 * engine (engine.ts) decides when each is said.
 */
import { escapeLogText } from '../util/safe-text.js'
import { s3Url } from './prefix.js'
import { taskIdOf } from '../model/task-state.js'
import type { NotificationPrefix, TaskSnapshot } from '../model/task.js'

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

/** 403 on a GET is read as "not written yet" (docs/limits.md, "S3 403 versus 404"); said once. */
export function deniedMessage(prefix: NotificationPrefix, key: string): string {
  return (
    `Reading ${s3Url(prefix.bucket, key)} answered 403 AccessDenied. S3 answers 403 instead of ` +
    `404 for a missing key when the role lacks s3:ListBucket, so this is read as "not written ` +
    `yet"; to make it a 404 (and let the action list the prefix, which is cheaper for many ` +
    `tasks), add to the action's role: ${listBucketStatement(prefix)}`
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
