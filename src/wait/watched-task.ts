/**
 * One watched task's record: where its notification objects are, what has been read of it, and
 * when it is read next. Only the wait engine (engine.ts) holds and changes these records; the
 * readers see them, and the apply step (observations.ts) returns what changes.
 */
import { escapeLogText } from '../util/safe-text.js'
import { taskIdOf } from '../model/task-state.js'
import type { TaskSnapshot } from '../model/task.js'
import { notificationKey } from './prefix.js'
import type { DeniedReads } from './end-rules.js'
import { listPrefixOf } from './read-mode.js'

/** Which notification object of a task: `started.json` or `stopped.json`. */
export type NotificationName = 'started' | 'stopped'

/** One watched task: where its objects are, what was read of it, and when to read next. */
export interface WatchedTask extends DeniedReads {
  readonly arn: string
  /** The task id, escaped: shown in log lines only (the ARN is RunTask's answer). */
  readonly id: string
  readonly startedKey: string
  readonly stoppedKey: string
  /** The LIST prefix that holds its objects (the task ARN up to its cluster). */
  readonly listPrefix: string
  readonly addedAt: number
  /** GET mode: when this task's stopped.json is read next. */
  nextReadAt: number
  nextVerifyAt: number
  /** StopTask was called for it: verify every STOP_VERIFY_MS (at most verify-interval). */
  stopRequested?: boolean
  /** ETag of the stopped.json last read (or found unusable). */
  etag?: string
  /** started.json was seen (or DescribeTasks showed the task RUNNING). */
  startedSeen: boolean
  /** GETs of this task's objects so far (every third is of started.json until it is seen). */
  reads: number
  /** The newest STOPPED state read from stopped.json. */
  stopped?: TaskSnapshot
  /** When a STOPPED state without the app's exit code or reason was first seen. */
  incompleteSince?: number
  /** Describe mode: when DescribeTasks last found the task. */
  lastFoundAt: number
}

/** The record of a task the wait begins on at `now`. */
export function watchTask(options: {
  arn: string
  /** The notification key prefix; '' without one. */
  prefix: string
  now: number
  firstReadAt: number
  verifyMs: number
}): WatchedTask {
  const { arn, prefix, now } = options
  return {
    arn,
    id: escapeLogText(taskIdOf(arn)),
    startedKey: notificationKey(prefix, arn, 'started'),
    stoppedKey: notificationKey(prefix, arn, 'stopped'),
    listPrefix: listPrefixOf(prefix, arn),
    addedAt: now,
    nextReadAt: options.firstReadAt,
    nextVerifyAt: options.verifyMs > 0 ? now + options.verifyMs : Infinity,
    startedSeen: false,
    reads: 0,
    lastFoundAt: now
  }
}

/** The key of a task's `name` object. */
export function keyOf(w: WatchedTask, name: NotificationName): string {
  return name === 'started' ? w.startedKey : w.stoppedKey
}

/**
 * The age that paces a shared read (a LIST, a DescribeTasks round): the youngest pending
 * task's, or 0 while any task is in its incomplete-stop grace (re-read at the base rate).
 */
export function paceAgeMs(tasks: Iterable<WatchedTask>, now: number): number {
  let youngest = Infinity
  for (const w of tasks) {
    if (w.incompleteSince !== undefined) return 0
    youngest = Math.min(youngest, now - w.addedAt)
  }
  return youngest === Infinity ? 0 : youngest
}
