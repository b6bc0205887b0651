/**
 * The verify check, batched for every task of a set: a task that has gone verify-interval
 * without stopped.json is checked with DescribeTasks (with every task half-way to its own check,
 * 100 a call); ECS's answer finishes a stop the notifier missed, or says that notifications are
 * not arriving. Stops left open by an incomplete stopped.json are settled here after the grace.
 */
import { isThrottling } from '../ecs/errors.js'
import { escapeLogText } from '../util/safe-text.js'
import type { Clock } from '../util/clock.js'
import { errorName, foreignErrorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { s3Url } from './prefix.js'
import {
  INCOMPLETE_STOP_GRACE_MS,
  NOTIFIER_LAG_MS,
  STOP_VERIFY_MS,
  graceOver,
  nameSome,
  notifierChecklist,
  stopVerdict,
  stoppedByVerifyLine,
  verifyBatch,
  verifyVerdict
} from './rules.js'
import type { NotificationPrefix, TaskSnapshot } from '../model/task.js'
import type { DescribeAnswer, TaskEnd, Watched } from './watched.js'

/** What the verify check needs of the engine that owns the watched tasks. */
export interface VerifyHost {
  readonly deps: { clock: Clock; logger: Logger }
  readonly options: { cluster: string; verifyIntervalSeconds: number }
  readonly watched: ReadonlyMap<string, Watched>
  readonly prefix: NotificationPrefix
  readonly verifyMs: number
  /** Some S3 request was answered: only then can the notifier be blamed. */
  readonly s3Answered: boolean
  describe(arns: string[], signal: AbortSignal): Promise<DescribeAnswer>
  end(w: Watched, end: TaskEnd): void
  warnOnce(tag: string, message: string): void
}

/**
 * The verify rule, batched: when a task has gone verify-interval without stopped.json, one
 * DescribeTasks call covers it and every other task at least half-way to its own check (so the
 * checks of tasks launched seconds apart share calls); and the settling of stops whose grace
 * ran out.
 */
export async function verifyAndSettle(host: VerifyHost, signal: AbortSignal): Promise<void> {
  const { clock, logger } = host.deps
  const now = clock.now()
  const verifyMs = host.verifyMs
  const pending = [...host.watched.values()]
  const settle = pending.filter((w) => graceOver(w.incompleteSince, now))
  const verify = verifyBatch(
    pending.filter((w) => w.incompleteSince === undefined && w.stopped === undefined),
    verifyMs,
    now
  )
  if (settle.length === 0 && verify.length === 0) return
  if (verifyMs === 0) {
    for (const w of settle) {
      logger.info(
        `stopped.json of task ${w.id} still has no exit code or reason for the app container ` +
          `after ${INCOMPLETE_STOP_GRACE_MS / 1000} s; settling on it (verify-interval is 0, ` +
          `so ECS is not asked)`
      )
      host.end(w, { kind: 'stopped', task: w.stopped as TaskSnapshot })
    }
    return
  }
  let answer: DescribeAnswer | undefined
  try {
    answer = await host.describe(
      [...settle, ...verify].map((w) => w.arn),
      signal
    )
  } catch (error) {
    if (signal.aborted) return
    if (isThrottling(error)) {
      logger.info(
        `DescribeTasks is throttled; checking again in ${host.options.verifyIntervalSeconds} s`
      )
    } else {
      host.warnOnce(
        `verify:${errorName(error)}`,
        `Could not check tasks with DescribeTasks (${escapeLogText(errorName(error)) || 'error'}: ` +
          `${foreignErrorMessage(error)}); the wait goes on through S3. Grant ecs:DescribeTasks to ` +
          `the action's role, or set verify-interval: 0 to never check.`
      )
    }
  }
  for (const w of settle) {
    const task = answer?.found.get(w.arn)
    if (task?.lastStatus === 'STOPPED' && stopVerdict(undefined, task) === 'end') {
      logger.info(`DescribeTasks completes the stop of task ${w.id} that stopped.json left open`)
      host.end(w, { kind: 'stopped', task })
    } else {
      logger.info(`Settling on stopped.json of task ${w.id}: no exit code or reason for app`)
      host.end(w, { kind: 'stopped', task: w.stopped as TaskSnapshot })
    }
  }
  const t = clock.now()
  for (const w of verify) {
    w.nextVerifyAt = t + (w.stopRequested ? Math.min(verifyMs, STOP_VERIFY_MS) : verifyMs)
  }
  if (answer !== undefined) applyVerify(host, verify, answer, t)
}

/** What one verify call found about tasks without stopped.json. */
function applyVerify(
  host: VerifyHost,
  verify: Watched[],
  answer: DescribeAnswer,
  now: number
): void {
  const { logger } = host.deps
  const missing: string[] = []
  const silent: string[] = []
  let late = 0
  for (const w of verify) {
    const task = answer.found.get(w.arn)
    const verdict = verifyVerdict(task, w.startedSeen, now)
    if (task === undefined) {
      missing.push(`${escapeLogText(w.arn)} (${answer.missing.get(w.arn) ?? 'no task'})`)
      continue
    }
    if (verdict === 'stopped' || verdict === 'stopped-late') {
      if (verdict === 'stopped-late') late++
      logger.info(stoppedByVerifyLine(task, s3Url(host.prefix.bucket, w.stoppedKey)))
      host.end(w, { kind: 'stopped', task })
    } else if (verdict === 'silent') {
      silent.push(escapeLogText(w.arn))
    } else {
      logger.debug(
        `ECS reports task ${w.id} ${escapeLogText(task.lastStatus)}; still waiting for stopped.json`
      )
    }
  }
  const every = host.options.verifyIntervalSeconds
  // Without a single S3 answer the notifier is not to blame: S3 itself was not reached.
  const checklist = notifierChecklist(host.prefix, host.options.cluster)
  if (late > 0 && host.s3Answered) {
    logger.warning(
      `ECS reports ${late} task(s) stopped more than ${NOTIFIER_LAG_MS / 1000} s ago whose ` +
        `stopped.json has not appeared: the notifier missed the events. ${checklist}`
    )
  }
  if (silent.length > 0 && host.s3Answered) {
    host.warnOnce(
      'not-arriving',
      `ECS reports ${silent.length} task(s) RUNNING whose started.json has not appeared after ` +
        `${every} s: notifications are not arriving (${nameSome(silent)}). ${checklist} ` +
        `Still waiting; ECS is checked again every ${every} s.`
    )
  }
  if (missing.length > 0) {
    logger.warning(
      `DescribeTasks does not find ${missing.length} task(s) in cluster ` +
        `'${host.options.cluster}': ${nameSome(missing)}; still waiting for their stopped.json`
    )
  }
}
