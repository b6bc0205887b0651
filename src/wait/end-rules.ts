/**
 * Every rule of waiting for a task, once, as small pure functions: the wait engine
 * (engine.ts) applies them to each task it watches, whatever the size of the set and whichever
 * way it reads (GET, LIST, DescribeTasks). The lines it logs are built in messages.ts.
 */
import { APP_RULE, isIncompleteStop, type ResultRule } from '../model/result.js'
import type { TaskSnapshot } from '../model/task.js'

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
 * rather than missed by the notifier. A delivery through the notifier Lambda that succeeds at
 * once takes seconds; a failed one is retried with backoff for up to 24 hours
 * (docs/ecs-events.md, "EventBridge to S3"), so a minute of silence means it did not succeed
 * at once, which is worth a warning.
 */
export const NOTIFIER_LAG_MS = 60_000

/**
 * How long after the time ECS gives for a task's start (or stop) its started.json (or
 * stopped.json) must still answer 403 before s3:GetObject is blamed. The notifier writes the
 * object when the event reaches it: seconds after the change when its first delivery succeeds
 * (docs/ecs-events.md, "EventBridge to S3"). Ten seconds cover that, a Lambda cold start and a
 * few seconds of clock difference between the runner and AWS; a slower notifier only delays
 * the warning, it never causes a wrong one, since a read must answer 403 after the grace.
 */
export const NOTIFIER_WRITE_GRACE_MS = 10_000

/**
 * After a StopTask call, how soon ECS is asked about the task when its stopped.json does not
 * come, and again at this pace while the confirm window lasts (src/tasks/start-and-stop-rules.ts).
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
export function stopVerdict(
  current: TaskSnapshot | undefined,
  read: TaskSnapshot,
  rule: ResultRule = APP_RULE
): StopVerdict {
  if (current !== undefined && read.source === 's3') {
    if ((read.version ?? -1) <= (current.version ?? -1)) return 'ignore'
  }
  return isIncompleteStop(read, rule) ? 'incomplete' : 'end'
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

/** When the last GETs of a task's objects answered 403; unset once a GET answers otherwise. */
export interface DeniedReads {
  startedDeniedAt?: number
  stoppedDeniedAt?: number
}

/**
 * True when ECS shows that an object should exist while its GET still answers 403: started.json
 * read 403 more than NOTIFIER_WRITE_GRACE_MS after the `startedAt` ECS reports, or stopped.json
 * read 403 that long after `stoppedAt`. A 403 alone may be a key not written yet read without
 * s3:ListBucket (docs/limits.md, "S3 403 versus 404"); this makes s3:GetObject the likely cause.
 */
export function deniedAfterKnownState(reads: DeniedReads, task: TaskSnapshot): boolean {
  const after = (deniedAt: number | undefined, at: Date | undefined): boolean =>
    deniedAt !== undefined && at !== undefined && deniedAt >= at.getTime() + NOTIFIER_WRITE_GRACE_MS
  const stoppedAt = task.lastStatus === 'STOPPED' ? task.stoppedAt : undefined
  return after(reads.startedDeniedAt, task.startedAt) || after(reads.stoppedDeniedAt, stoppedAt)
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

/** The next verify check of a task just checked: verify-interval on, or sooner after StopTask. */
export function nextVerifyAt(stopRequested: boolean, verifyMs: number, now: number): number {
  return now + (stopRequested ? Math.min(verifyMs, STOP_VERIFY_MS) : verifyMs)
}
