/**
 * The S3 waiter: reads the notifier's `started.json` and `stopped.json` for the task
 * (docs/hako.md, "S3 notifications") on a jittered, age-grown schedule (schedule.ts), spending no ECS API calls
 * while S3 answers, and one DescribeTasks per verify interval of silence so a broken notifier is
 * caught and reported instead of waited on forever.
 */
import { errorMessage, errorName } from '../util/errors.js'
import {
  INCOMPLETE_STOP_GRACE_MS,
  describeTask,
  waitForStop as waitThroughDescribeTasks
} from './describe-waiter.js'
import { isThrottling } from '../ecs/errors.js'
import { readNotification } from './notification.js'
import { notificationKey, s3Url } from './prefix.js'
import { isIncompleteStop, taskIdOf } from './result.js'
import { s3ReadDelayMs } from './schedule.js'
import type {
  NotificationPrefix,
  TaskSnapshot,
  WaitDeps,
  WaitOptions,
  WaitOutcome
} from './types.js'

/** Consecutive non-retryable S3 errors (NoSuchBucket, wrong region ...) before falling back. */
export const BROKEN_READS_BEFORE_FALLBACK = 3

/**
 * How long after the stop ECS reports a missing stopped.json is still thought to be in flight
 * rather than missed by the notifier (EventBridge delivers in seconds).
 */
export const NOTIFIER_LAG_MS = 60_000

/** While started.json is unseen, every this-many-th read is of started.json. */
const STARTED_READ_EVERY = 3

type Read =
  /** 404 NoSuchKey, or 403 AccessDenied (a missing key without s3:ListBucket). */
  | { kind: 'absent' }
  /** Present but unusable: oversized, not JSON, another task's, not STOPPED (warned once). */
  | { kind: 'ignored' }
  /** SlowDown, 5xx, network: back off and go on. */
  | { kind: 'retry'; error: unknown }
  /** Anything else: the prefix itself is wrong. */
  | { kind: 'broken'; error: unknown }
  | { kind: 'event'; task: TaskSnapshot }

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

/** What to check when notifications do not arrive. */
function notifierChecklist(prefix: NotificationPrefix, cluster: string): string {
  const where = s3Url(prefix.bucket, prefix.prefix === '' ? '' : `${prefix.prefix}/`)
  const objects = `arn:aws:s3:::${prefix.bucket}/${prefix.prefix === '' ? '' : `${prefix.prefix}/`}*`
  return (
    `Check that the EventBridge rule for "ECS Task State Change" events matches cluster ` +
    `'${cluster}', that the notifier Lambda shows no errors in its logs and may s3:PutObject ` +
    `on ${objects}, and that it writes to ${where} (the prefix this action reads).`
  )
}

/** Waits for the task to stop through its S3 notifications. */
export async function waitForStop(deps: WaitDeps, options: WaitOptions): Promise<WaitOutcome> {
  const { clock, logger, random } = deps
  const { taskArn, cluster, signal } = options
  const prefix = options.prefix
  const s3 = deps.s3
  if (prefix === undefined || s3 === undefined) {
    throw new Error('The S3 waiter needs a notification prefix and an S3 client')
  }
  const id = taskIdOf(taskArn)
  const keys = {
    started: notificationKey(prefix.prefix, taskArn, 'started'),
    stopped: notificationKey(prefix.prefix, taskArn, 'stopped')
  }
  const verifyMs = options.verifyIntervalSeconds * 1000
  const start = clock.now()
  const warned = new Set<string>()
  const warnOnce = (tag: string, message: string): void => {
    if (warned.has(tag)) return
    warned.add(tag)
    logger.warning(message)
  }

  let started: TaskSnapshot | undefined
  let stopped: TaskSnapshot | undefined
  let last: TaskSnapshot | undefined
  let incompleteSince: number | undefined
  let nextVerifyAt = verifyMs > 0 ? start + verifyMs : Infinity
  let reads = 0
  let errors = 0
  let broken = 0

  const aborted = (): WaitOutcome =>
    last === undefined ? { kind: 'aborted' } : { kind: 'aborted', last }

  const read = async (name: 'started' | 'stopped'): Promise<Read> => {
    const key = keys[name]
    const url = s3Url(prefix.bucket, key)
    const got = await readNotification(s3, {
      bucket: prefix.bucket,
      key,
      taskArn,
      name,
      signal
    })
    switch (got.kind) {
      case 'event':
        return { kind: 'event', task: got.task }
      case 'ignored':
        warnOnce(`${key}@${got.etag ?? ''}`, `Ignoring ${url}: ${got.why}`)
        return { kind: 'ignored' }
      case 'absent':
        return { kind: 'absent' }
      case 'denied':
        warnOnce(
          'access-denied',
          `Reading ${url} answered 403 AccessDenied. S3 answers 403 instead of 404 for a ` +
            `missing key when the role lacks s3:ListBucket, so this is read as "not written ` +
            `yet"; to make it a 404 and rule out a real denial, add to the action's role: ` +
            `${listBucketStatement(prefix)} (with s3:GetObject on arn:aws:s3:::${prefix.bucket}/` +
            `${prefix.prefix === '' ? '' : `${prefix.prefix}/`}*).`
        )
        return { kind: 'absent' }
      case 'retry':
        return { kind: 'retry', error: got.error }
      case 'broken':
        return { kind: 'broken', error: got.error }
    }
  }

  /** One DescribeTasks after verify-interval of silence; an outcome ends the wait. */
  const verify = async (): Promise<WaitOutcome | undefined> => {
    const silentS = Math.round((clock.now() - start) / 1000)
    try {
      const answer = await describeTask(deps.ecs, { cluster, taskArn, signal })
      if (answer.kind === 'missing') {
        logger.warning(
          `DescribeTasks does not find task ${taskArn} in cluster '${cluster}' ` +
            `(${answer.reason}) after ${silentS} s; still waiting for ${s3Url(prefix.bucket, keys.stopped)}`
        )
        return undefined
      }
      const task = answer.task
      last = task
      if (task.lastStatus === 'STOPPED') {
        const sinceStop = task.stoppedAt ? clock.now() - task.stoppedAt.getTime() : Infinity
        const message =
          `ECS reports task ${id} STOPPED${task.stoppedAt ? ` at ${task.stoppedAt.toISOString()}` : ''}, ` +
          `but ${s3Url(prefix.bucket, keys.stopped)} has not appeared; finishing from the ` +
          `DescribeTasks answer.`
        if (sinceStop < NOTIFIER_LAG_MS) logger.info(message)
        else
          logger.warning(
            `${message} The notifier missed the event. ${notifierChecklist(prefix, cluster)}`
          )
        return { kind: 'stopped', task }
      }
      if (started === undefined && task.lastStatus === 'RUNNING' && !warned.has('not-arriving')) {
        warnOnce(
          'not-arriving',
          `ECS reports task ${id} RUNNING${task.startedAt ? ` since ${task.startedAt.toISOString()}` : ''}, ` +
            `but ${s3Url(prefix.bucket, keys.started)} has not appeared after ${silentS} s: ` +
            `notifications are not arriving. ${notifierChecklist(prefix, cluster)} Still waiting; ` +
            `ECS is checked again every ${options.verifyIntervalSeconds} s.`
        )
      } else {
        logger.info(`ECS reports task ${id} ${task.lastStatus}; still waiting for stopped.json`)
      }
    } catch (error) {
      if (signal.aborted) return aborted()
      if (isThrottling(error)) {
        logger.info(
          `DescribeTasks is throttled; checking again in ${options.verifyIntervalSeconds} s`
        )
      } else {
        warnOnce(
          `verify:${errorName(error)}`,
          `Could not check task ${id} with DescribeTasks (${errorName(error) || 'error'}: ` +
            `${errorMessage(error)}); the wait goes on through S3. Grant ecs:DescribeTasks to ` +
            `the action's role, or set verify-interval: 0 to never check.`
        )
      }
    }
    return undefined
  }

  /** The end of the grace for a stopped.json without app's exit code or reason. */
  const settle = async (task: TaskSnapshot): Promise<WaitOutcome> => {
    const graceS = INCOMPLETE_STOP_GRACE_MS / 1000
    if (verifyMs === 0) {
      logger.info(
        `stopped.json still has no exit code or reason for the app container after ${graceS} s; ` +
          `settling on it (verify-interval is 0, so ECS is not asked)`
      )
      return { kind: 'stopped', task }
    }
    try {
      const answer = await describeTask(deps.ecs, { cluster, taskArn, signal })
      if (answer.kind === 'found' && answer.task.lastStatus === 'STOPPED') {
        if (!isIncompleteStop(answer.task)) {
          logger.info(`DescribeTasks completes the stop of task ${id} that stopped.json left open`)
          return { kind: 'stopped', task: answer.task }
        }
      }
      logger.info(`DescribeTasks confirms no exit code or reason for the app container of ${id}`)
    } catch (error) {
      if (signal.aborted) return aborted()
      logger.warning(
        `Could not confirm the stop of task ${id} with DescribeTasks (${errorMessage(error)}); ` +
          `settling on stopped.json`
      )
    }
    return { kind: 'stopped', task }
  }

  for (;;) {
    if (signal.aborted) return aborted()
    const readStarted =
      started === undefined && stopped === undefined && reads % STARTED_READ_EVERY === 2
    reads++
    const name = readStarted ? 'started' : 'stopped'
    const result = await read(name)
    if (signal.aborted) return aborted()

    errors = result.kind === 'retry' ? errors + 1 : 0
    broken = result.kind === 'broken' ? broken + 1 : 0
    if (result.kind === 'retry') {
      logger.debug(`S3 read of ${keys[name]} failed (${errorMessage(result.error)}); backing off`)
      if (errors === 1) {
        logger.info(`S3 answered ${errorName(result.error) || 'an error'}; backing off`)
      }
    } else if (result.kind === 'broken') {
      const message =
        `Reading ${s3Url(prefix.bucket, keys[name])} failed: ${errorName(result.error)}: ` +
        `${errorMessage(result.error)}.`
      if (broken < BROKEN_READS_BEFORE_FALLBACK) {
        logger.debug(message)
      } else {
        logger.warning(
          `${message} Waiting through DescribeTasks instead. Check that the bucket ` +
            `'${prefix.bucket}' exists${prefix.region ? ` in ${prefix.region}` : ''} (a ` +
            `'?region=' on the prefix names another region) and that the action's role may read it.`
        )
        return waitThroughDescribeTasks(deps, options)
      }
    } else if (result.kind === 'event' && name === 'started') {
      started = result.task
      last ??= started
      const t = started.startedAt ?? started.createdAt
      const where = [
        started.containerInstanceArn ? `on container instance ${started.containerInstanceArn}` : '',
        started.availabilityZone ? `in ${started.availabilityZone}` : ''
      ]
        .filter((s) => s !== '')
        .join(' ')
      logger.info(
        `Task ${id} started${t ? ` at ${t.toISOString()}` : ''}${where ? ` ${where}` : ''}`
      )
    } else if (result.kind === 'event') {
      const task = result.task
      // Newest detail.version wins; duplicates and older events change nothing (docs/ecs-events.md, "Delivery").
      if (stopped === undefined || (task.version ?? -1) > (stopped.version ?? -1)) {
        stopped = task
        last = task
        if (!isIncompleteStop(task)) {
          logger.info(
            `Task ${id} stopped${task.stoppedAt ? ` at ${task.stoppedAt.toISOString()}` : ''}` +
              `${task.stopCode ? `: ${task.stopCode}` : ''}` +
              `${task.stoppedReason ? `: ${task.stoppedReason}` : ''}`
          )
          return { kind: 'stopped', task }
        }
        if (incompleteSince === undefined) {
          incompleteSince = clock.now()
          logger.info(
            `stopped.json for task ${id} has no exit code or reason for the app container yet ` +
              `(EssentialContainerExited); re-reading it for up to ` +
              `${INCOMPLETE_STOP_GRACE_MS / 1000} s for a newer event`
          )
        }
      }
    }

    const now = clock.now()
    if (stopped !== undefined && incompleteSince !== undefined) {
      if (now - incompleteSince >= INCOMPLETE_STOP_GRACE_MS) return settle(stopped)
    } else if (now >= nextVerifyAt) {
      const outcome = await verify()
      if (outcome) return outcome
      nextVerifyAt = clock.now() + verifyMs
    }

    const delay = s3ReadDelayMs({
      baseSeconds: options.pollIntervalSeconds,
      // The grace is short: re-read at the base rate, not the age-grown one.
      ageMs: incompleteSince === undefined ? now - start : 0,
      consecutiveErrors: errors + broken,
      random
    })
    await clock.sleep(delay, signal)
  }
}
