/**
 * One read of a task's notification object, validated: at most MAX_OBJECT_BYTES, JSON, an ECS
 * task state event for this task, and for stopped.json a STOPPED state.
 *
 * Two shapes are read alike, since only the `detail` fields of TaskSnapshot are taken: the
 * reduced event this project's notifier writes (notifier/handler.ts keeps no `overrides`), and
 * the whole event that hako's example Lambda and its ports write.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { escapeLogText } from '../util/safe-text.js'
import { foreignErrorMessage } from '../util/errors.js'
import { isAccessDenied, isNotFound, isRetryableS3 } from '../aws/errors.js'
import { snapshotFromEvent } from '../model/task-state.js'
import type { TaskSnapshot } from '../model/task.js'

/**
 * The largest notification read. An ECS task state event is a few KiB even with ten containers
 * and many attachments; anything far larger is not what the notifier writes.
 */
export const MAX_OBJECT_BYTES = 256 * 1024

/** What one GET found. */
export type NotificationRead =
  /** 404 NoSuchKey. */
  | { kind: 'absent' }
  /** 403 AccessDenied: a missing key read without s3:ListBucket (or a real denial). */
  | { kind: 'denied' }
  /** Present but unusable; `why` says what is wrong with it. */
  | { kind: 'ignored'; why: string; etag?: string }
  /** SlowDown, 5xx, network: back off and read again. */
  | { kind: 'retry'; error: unknown }
  /** Anything else: the bucket or the prefix is wrong. */
  | { kind: 'broken'; error: unknown }
  | { kind: 'event'; task: TaskSnapshot; etag?: string }

/** GETs `key` and validates it as the notification `name` of `taskArn`. */
export async function readNotification(
  s3: Pick<S3Client, 'send'>,
  options: {
    bucket: string
    key: string
    taskArn: string
    name: 'started' | 'stopped'
    signal?: AbortSignal
  }
): Promise<NotificationRead> {
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: options.key }), {
      abortSignal: options.signal
    })
    const etag = got.ETag
    const ignore = (why: string): NotificationRead => ({ kind: 'ignored', why, etag })
    if (got.ContentLength !== undefined && got.ContentLength > MAX_OBJECT_BYTES) {
      ;(got.Body as { destroy?: () => void } | undefined)?.destroy?.()
      return ignore(
        `it is ${got.ContentLength} bytes, more than the ${MAX_OBJECT_BYTES} an ECS task state event can be`
      )
    }
    const text = (await got.Body?.transformToString()) ?? ''
    if (Buffer.byteLength(text) > MAX_OBJECT_BYTES) {
      return ignore(`it is more than ${MAX_OBJECT_BYTES} bytes`)
    }
    let event: unknown
    try {
      event = JSON.parse(text)
    } catch {
      return ignore('it is not JSON')
    }
    let task: TaskSnapshot
    try {
      const detail =
        typeof event === 'object' && event !== null && 'detail' in event ? event.detail : undefined
      task = snapshotFromEvent(detail)
    } catch (error) {
      return ignore(`it is not an ECS task state event (${foreignErrorMessage(error)})`)
    }
    if (task.taskArn !== options.taskArn) {
      return ignore(`it holds an event for another task, ${escapeLogText(task.taskArn)}`)
    }
    if (options.name === 'stopped' && task.lastStatus !== 'STOPPED') {
      return ignore(`its detail.lastStatus is ${escapeLogText(task.lastStatus)}, not STOPPED`)
    }
    return { kind: 'event', task, etag }
  } catch (error) {
    if (isNotFound(error)) return { kind: 'absent' }
    if (isAccessDenied(error)) return { kind: 'denied' }
    if (isRetryableS3(error)) return { kind: 'retry', error }
    return { kind: 'broken', error }
  }
}
