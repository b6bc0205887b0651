/**
 * The verify check, batched for every task of a set (pure): a task that has gone
 * verify-interval without stopped.json is checked with DescribeTasks (with every task half-way
 * to its own check, 100 a call); ECS's answer finishes a stop the notifier missed, says that
 * notifications are not arriving, or that s3:GetObject is denied. Stops left open by an
 * incomplete stopped.json are settled here after the grace. The engine (engine.ts) makes the
 * call and applies what these return.
 */
import { escapeLogText } from '../util/safe-text.js'
import type { NotificationPrefix, TaskSnapshot } from '../model/task.js'
import {
  INCOMPLETE_STOP_GRACE_MS,
  NOTIFIER_LAG_MS,
  deniedAfterKnownState,
  graceOver,
  stopVerdict,
  verifyBatch,
  verifyVerdict
} from './end-rules.js'
import { APP_RULE, type ResultRule } from '../model/result.js'
import {
  getObjectDeniedMessage,
  nameSome,
  notifierChecklist,
  stoppedByVerifyLine
} from './messages.js'
import type { Applied, LogLine } from './observations.js'
import { s3Url } from '../aws/s3.js'
import type { DescribeAnswer } from './describe-tasks.js'
import type { WatchedTask } from './watched-task.js'

/** Which tasks one verify round covers. */
export interface VerifyPlan {
  /** Incomplete stops whose grace is over. */
  settle: WatchedTask[]
  /** Tasks without stopped.json due (or half-way) to their check. */
  verify: WatchedTask[]
}

export function planVerify(tasks: WatchedTask[], verifyMs: number, now: number): VerifyPlan {
  return {
    settle: tasks.filter((w) => graceOver(w.incompleteSince, now)),
    verify: verifyBatch(
      tasks.filter((w) => w.incompleteSince === undefined && w.stopped === undefined),
      verifyMs,
      now
    )
  }
}

/** The end of a task at `task`, said at info level. */
function endsAt(task: TaskSnapshot, message: string): Applied {
  return { patch: {}, end: { kind: 'stopped', task }, logs: [{ level: 'info', message }] }
}

/**
 * An incomplete stop whose grace is over: DescribeTasks' complete STOPPED state when it has
 * one (`answer` is undefined when ECS was not asked or did not answer), else stopped.json's.
 */
export function settleStop(
  w: WatchedTask,
  answer: DescribeAnswer | undefined,
  ecsAsked: boolean,
  rule: ResultRule = APP_RULE
): Applied {
  const stopped = w.stopped as TaskSnapshot
  if (!ecsAsked) {
    return endsAt(
      stopped,
      `stopped.json of task ${w.id} still has no exit code or reason for the app container ` +
        `after ${INCOMPLETE_STOP_GRACE_MS / 1000} s; settling on it (verify-interval is 0, ` +
        `so ECS is not asked)`
    )
  }
  const task = answer?.found.get(w.arn)
  if (task?.lastStatus === 'STOPPED' && stopVerdict(undefined, task, rule) === 'end') {
    return endsAt(
      task,
      `DescribeTasks completes the stop of task ${w.id} that stopped.json left open`
    )
  }
  return endsAt(stopped, `Settling on stopped.json of task ${w.id}: no exit code or reason for app`)
}

/** What the verify round learnt: per task in order, then the lines about them all. */
export interface Judged {
  tasks: { w: WatchedTask; applied: Applied }[]
  logs: LogLine[]
}

/** What one verify call's answer means for the tasks without stopped.json (pure). */
export function judgeVerify(
  verify: WatchedTask[],
  answer: DescribeAnswer,
  ctx: {
    now: number
    prefix: NotificationPrefix
    cluster: string
    verifyIntervalSeconds: number
    /** Some S3 request was answered: only then can the notifier be blamed. */
    s3Answered: boolean
  }
): Judged {
  const tasks: Judged['tasks'] = []
  const missing: string[] = []
  const silent: string[] = []
  const denied: string[] = []
  let late = 0
  for (const w of verify) {
    const task = answer.found.get(w.arn)
    const verdict = verifyVerdict(task, w.startedSeen, ctx.now)
    if (task === undefined) {
      missing.push(`${escapeLogText(w.arn)} (${answer.missing.get(w.arn) ?? 'no task'})`)
      continue
    }
    // Its objects answer 403 although ECS says they are written: s3:GetObject, not the notifier.
    const deniedRead = deniedAfterKnownState(w, task)
    if (deniedRead) denied.push(w.id)
    if (verdict === 'stopped' || verdict === 'stopped-late') {
      if (verdict === 'stopped-late' && !deniedRead) late++
      const message = stoppedByVerifyLine(task, s3Url(ctx.prefix.bucket, w.stoppedKey))
      tasks.push({ w, applied: endsAt(task, message) })
    } else if (verdict === 'silent') {
      if (!deniedRead) silent.push(escapeLogText(w.arn))
    } else {
      const message = `ECS reports task ${w.id} ${escapeLogText(task.lastStatus)}; still waiting for stopped.json`
      tasks.push({ w, applied: { patch: {}, logs: [{ level: 'debug', message }] } })
    }
  }
  return { tasks, logs: verifyLines(ctx, { late, silent, missing, denied }) }
}

function verifyLines(
  ctx: Parameters<typeof judgeVerify>[2],
  found: { late: number; silent: string[]; missing: string[]; denied: string[] }
): LogLine[] {
  const logs: LogLine[] = []
  const every = ctx.verifyIntervalSeconds
  // Without a single S3 answer the notifier is not to blame: S3 itself was not reached.
  const checklist = notifierChecklist(ctx.prefix, ctx.cluster)
  if (found.late > 0 && ctx.s3Answered) {
    logs.push({
      level: 'warning',
      message:
        `ECS reports ${found.late} task(s) stopped more than ${NOTIFIER_LAG_MS / 1000} s ago whose ` +
        `stopped.json has not appeared: the notifier missed the events. ${checklist}`
    })
  }
  if (found.silent.length > 0 && ctx.s3Answered) {
    logs.push({
      level: 'warning',
      once: 'not-arriving',
      message:
        `ECS reports ${found.silent.length} task(s) RUNNING whose started.json has not appeared after ` +
        `${every} s: notifications are not arriving (${nameSome(found.silent)}). ${checklist} ` +
        `Still waiting; ECS is checked again every ${every} s.`
    })
  }
  if (found.denied.length > 0) {
    logs.push({
      level: 'warning',
      once: 'get-object-denied',
      message: getObjectDeniedMessage(ctx.prefix, found.denied)
    })
  }
  if (found.missing.length > 0) {
    logs.push({
      level: 'warning',
      message:
        `DescribeTasks does not find ${found.missing.length} task(s) in cluster ` +
        `'${ctx.cluster}': ${nameSome(found.missing)}; still waiting for their stopped.json`
    })
  }
  return logs
}
