/**
 * What the readers saw of one task, and the pure step that turns it into the change of the
 * task's record, its end, its start, and the lines to log. The readers (s3-reader.ts,
 * describe-tasks.ts) only observe; the engine (engine.ts) applies what this
 * returns: it alone changes records, calls onStart and onEnd, and logs.
 */
import { escapeLogText } from '../util/safe-text.js'
import type { NotificationPrefix, TaskEnd, TaskSnapshot } from '../model/task.js'
import { INCOMPLETE_STOP_GRACE_MS, graceOver, isLost, stopVerdict } from './end-rules.js'
import { APP_RULE, type ResultRule } from '../model/result.js'
import { deniedMessage, startedLine } from './messages.js'
import { s3Url } from '../aws/s3.js'
import { keyOf, type NotificationName, type WatchedTask } from './watched-task.js'

/** One thing a reader saw of the task `arn`. */
export type Observation =
  /** stopped.json holds a STOPPED state. */
  | { kind: 'stopped'; arn: string; task: TaskSnapshot; etag?: string }
  /** started.json holds a started state (`task`), or a LIST showed it (no `task`). */
  | { kind: 'started'; arn: string; task?: TaskSnapshot }
  /** 404: not written yet. */
  | { kind: 'absent'; arn: string; name: NotificationName }
  /** 403: not written yet without s3:ListBucket, or s3:GetObject denied. */
  | { kind: 'denied'; arn: string; name: NotificationName }
  /** The object is there but cannot be used; `why` says what is wrong with it. */
  | { kind: 'unusable'; arn: string; name: NotificationName; why: string; etag?: string }
  /** DescribeTasks (polled without a prefix) found the task in this state. */
  | { kind: 'described'; arn: string; task: TaskSnapshot }
  /** DescribeTasks (polled without a prefix) did not find the task; ECS's reason. */
  | { kind: 'missing'; arn: string; reason: string }

/** A line to log; a warning with `once` is said once per run of the engine for that tag. */
export interface LogLine {
  level: 'debug' | 'info' | 'warning'
  message: string
  once?: string
}

/** What one observation changes. */
export interface Applied {
  /** The fields of the task's record that change. */
  patch: Partial<WatchedTask>
  /** The first sign that the task runs (for onStart); `task` is undefined after a LIST. */
  start?: { task: TaskSnapshot | undefined }
  /** The task's end, when this observation decides it. */
  end?: TaskEnd
  logs: LogLine[]
}

/** What the apply step needs besides the task and the observation. */
export interface ApplyContext {
  now: number
  cluster: string
  /** The notification prefix; undefined when the wait runs through DescribeTasks alone. */
  prefix?: NotificationPrefix
  /** Whose exit code is the task's, for the incomplete-stop rule (default the app's). */
  rule?: ResultRule
}

/** The change that `obs` makes to the task `w` (pure). */
export function applyObservation(w: WatchedTask, obs: Observation, ctx: ApplyContext): Applied {
  switch (obs.kind) {
    case 'stopped':
      return applyStoppedJson(w, obs.task, obs.etag, ctx.now, ctx.rule ?? APP_RULE)
    case 'started':
      return applyStarted(w, obs.task, {})
    case 'absent':
      return { patch: clearDenied(w, obs.name), logs: [] }
    case 'denied': {
      const patch: Partial<WatchedTask> =
        obs.name === 'started' ? { startedDeniedAt: ctx.now } : { stoppedDeniedAt: ctx.now }
      if (ctx.prefix === undefined) return { patch, logs: [] }
      const message = deniedMessage(ctx.prefix, keyOf(w, obs.name))
      return { patch, logs: [{ level: 'warning', message, once: 'access-denied' }] }
    }
    case 'unusable': {
      const key = keyOf(w, obs.name)
      const patch = clearDenied(w, obs.name)
      if (obs.etag !== undefined && obs.name === 'stopped') patch.etag = obs.etag
      const url = s3Url(ctx.prefix?.bucket ?? '', key)
      const once = `${key}@${obs.etag ?? ''}`
      return { patch, logs: [{ level: 'warning', message: `Ignoring ${url}: ${obs.why}`, once }] }
    }
    case 'described':
      return applyDescribed(w, obs.task, ctx.now, ctx.rule ?? APP_RULE)
    case 'missing': {
      if (!isLost(w.lastFoundAt, ctx.now)) return { patch: {}, logs: [] }
      const reason =
        `DescribeTasks has not found the task in cluster '${ctx.cluster}' for ` +
        `${Math.round((ctx.now - w.lastFoundAt) / 1000)} s (${obs.reason}). Check ` +
        `that the cluster and region are the ones the task was started in.`
      return { patch: {}, end: { kind: 'lost', taskArn: w.arn, reason }, logs: [] }
    }
  }
}

function clearDenied(w: WatchedTask, name: NotificationName): Partial<WatchedTask> {
  if (name === 'started')
    return w.startedDeniedAt === undefined ? {} : { startedDeniedAt: undefined }
  return w.stoppedDeniedAt === undefined ? {} : { stoppedDeniedAt: undefined }
}

/** started.json seen (or the task RUNNING in DescribeTasks): the first time only. */
function applyStarted(
  w: WatchedTask,
  task: TaskSnapshot | undefined,
  before: Partial<WatchedTask>
): Applied {
  const patch: Partial<WatchedTask> = { ...before, ...clearDenied(w, 'started') }
  if (w.startedSeen) return { patch, logs: [] }
  patch.startedSeen = true
  // A LIST shows only that started.json appeared, not what it says.
  const line: LogLine =
    task === undefined
      ? { level: 'debug', message: `started.json of task ${w.id} appeared` }
      : { level: 'info', message: startedLine(task) }
  return { patch, start: { task }, logs: [line] }
}

/** A STOPPED state read from stopped.json: the newest wins; an incomplete one waits. */
function applyStoppedJson(
  w: WatchedTask,
  task: TaskSnapshot,
  etag: string | undefined,
  now: number,
  rule: ResultRule
): Applied {
  const patch = clearDenied(w, 'stopped')
  if (etag !== undefined) patch.etag = etag
  const verdict = stopVerdict(w.stopped, task, rule)
  if (verdict === 'ignore') return { patch, logs: [] }
  patch.stopped = task
  if (verdict === 'end') {
    const message = `stopped.json of task ${w.id}: ${escapeLogText(task.stopCode ?? 'STOPPED')}`
    return { patch, end: { kind: 'stopped', task }, logs: [{ level: 'debug', message }] }
  }
  if (w.incompleteSince !== undefined) return { patch, logs: [] }
  patch.incompleteSince = now
  const message =
    `stopped.json for task ${w.id} has no exit code or reason for the app container yet ` +
    `(EssentialContainerExited); re-reading it for up to ` +
    `${INCOMPLETE_STOP_GRACE_MS / 1000} s for a newer event`
  return { patch, logs: [{ level: 'info', message }] }
}

/** Describe mode: what one DescribeTasks answer says of one task. */
function applyDescribed(
  w: WatchedTask,
  task: TaskSnapshot,
  now: number,
  rule: ResultRule
): Applied {
  const seen: Applied =
    task.lastStatus === 'RUNNING' || task.startedAt !== undefined
      ? applyStarted(w, task, { lastFoundAt: now })
      : { patch: { lastFoundAt: now }, logs: [] }
  if (task.lastStatus !== 'STOPPED') return seen
  if (stopVerdict(undefined, task, rule) === 'end') {
    return { ...seen, end: { kind: 'stopped', task } }
  }
  const incompleteSince = w.incompleteSince ?? now
  const patch = { ...seen.patch, incompleteSince }
  if (!graceOver(incompleteSince, now)) return { ...seen, patch }
  const message =
    `Task ${w.id} stopped (EssentialContainerExited) without an exit code or reason ` +
    `for the app container after ${INCOMPLETE_STOP_GRACE_MS / 1000} s of re-reading`
  return {
    ...seen,
    patch,
    end: { kind: 'stopped', task },
    logs: [...seen.logs, { level: 'info', message }]
  }
}
