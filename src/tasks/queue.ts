/**
 * The work queue of a task set: at most `maxParallel` tasks running at once, the next starting
 * when one stops (like a matrix's max-parallel), in spec order; RunTask calls paced by the
 * client-side token bucket; fail-fast; cancel and timeout stopping every task this job started,
 * in StopTask calls paced by a bucket of their own (`stopBucket`; the set gives it STOP_RATE,
 * src/tasks/start-and-stop-rules.ts), since RunTask and StopTask draw on one account bucket
 * (docs/limits.md, "Token buckets"). Whether a task succeeded is the result model's rule
 * (src/model/result.ts).
 *
 * The queue does no I/O of its own: launching, stopping and watching come in as functions, and
 * the waiter reports each task's end through `onEnd`.
 */
import { setMaxListeners } from 'node:events'
import { escapeLogText } from '../util/safe-text.js'
import { UserError, shownErrorMessage } from '../util/errors.js'
import { compact } from '../util/objects.js'
import type { Runtime } from '../util/runtime.js'
import { taskIdOf } from '../model/task-state.js'
import { APP_RULE, succeeded, taskExitCode, type ResultRule } from '../model/result.js'
import { stoppedByAction } from '../model/ledger.js'
import { classifyEnd, type EndClass } from '../model/task-end-kind.js'
import { nextBatch } from './batch.js'
import type { TaskEnd } from '../wait/engine.js'
import type { TaskSnapshot } from '../model/task.js'
import { confirmWindowMs } from './start-and-stop-rules.js'
import {
  attemptsOf,
  type HaltReason,
  type QueueOutcome,
  type StoppingHalt,
  type TaskRecord
} from '../model/outcome.js'
import type { RetryPolicy } from './retry.js'
import type { TokenBucket } from './token-bucket.js'

export interface QueueDeps extends Pick<Runtime, 'clock' | 'logger'> {
  /** Paces RunTask calls (and StopTask calls when no `stopBucket` is given, as in unit tests). */
  bucket: TokenBucket
  /** Paces the StopTask calls of a halt (cancel, timeout, fail-fast). */
  stopBucket?: TokenBucket
  /**
   * One RunTask call (with its own retries under one clientToken) for the tasks at `indexes`
   * (identical overrides); resolves with the ARNs it started, at most one per index, in order.
   * `signal` aborts the retries when the queue halts.
   */
  launch(indexes: number[], signal: AbortSignal): Promise<string[]>
  /** Starts watching a task; absent when the tasks are left running (`wait: false`). */
  watch?(taskArn: string): void
  /** Told of each task StopTask stopped (so the wait can look for its end sooner). */
  stopped?(taskArn: string): void
  /** One StopTask call (with its own retries); resolves false when it failed. Never throws. */
  stop(taskArn: string, reason: string): Promise<boolean>
  /** Told of each task adopted from an earlier run attempt, as `launch` would have started it. */
  adopted?(index: number, taskArn: string): void
}

export interface QueueOptions {
  /** Override keys by spec index (overrideKey): equal keys may share a RunTask call. */
  keys: string[]
  /** Most tasks launching or running at once; undefined: all. */
  maxParallel?: number
  failFast: boolean
  /** Stop the started tasks on cancel (`stop-on-cancel`), and on timeout unless told below. */
  stopOnCancel: boolean
  /** Stop the started tasks on timeout (`on-timeout: stop`); default `stopOnCancel`. */
  stopOnTimeout?: boolean
  /** Aborted when the job is cancelled. */
  signal: AbortSignal
  /** Epoch ms when the `timeout` runs out; undefined: none. */
  deadline?: number
  /** StopTask reasons (ECS shows them as stoppedReason). */
  stopReasons: Record<StoppingHalt, string>
  /**
   * Decides whether an ended attempt runs again (`attempts`, `retry-on`); absent: never. A
   * retried task goes back to the front of the queue for a fresh RunTask call (a new client
   * token), within the same launch bucket, `timeout` and slots; a halt starts no attempt.
   */
  retry?: RetryPolicy
  /** Spec indexes to run, in order (a re-run skips those done before); absent: all. */
  only?: readonly number[]
  /** Whose exit code is the task's (default the app container's). */
  rule?: ResultRule
  /**
   * Tasks an earlier run attempt started and never saw end, by index: waited on as if this
   * queue had started them, in their place in the order, with no RunTask call and no token.
   */
  adopt?: ReadonlyMap<number, { taskArn: string }>
  /** false: an adopted task with no result of its own is reported, not run again (mode: wait). */
  rerunAdopted?: boolean
}

export class WorkQueue {
  private readonly records: TaskRecord[]
  private readonly byArn = new Map<string, TaskRecord>()
  /** Spec indexes waiting to launch, in order. */
  private queue: number[]
  /** Tasks launching or running: the slots in use. */
  private active = 0
  private halted: HaltReason | undefined
  private haltError: unknown
  private readonly halt = new AbortController()
  private waiters: (() => void)[] = []
  private readonly stopping: Promise<void>[] = []
  private readonly stopFailures: string[] = []
  private readonly storms: string[] = []
  /** When the last StopTask call of a cancel or timeout was made. */
  private stopsDoneAt: number | undefined
  /** Adoptions not yet taken up, by index. */
  private readonly toAdopt: Map<number, { taskArn: string }>

  constructor(
    private readonly deps: QueueDeps,
    private readonly options: QueueOptions
  ) {
    this.records = options.keys.map((_, index) => ({
      index,
      state: 'not-started',
      stopRequested: false
    }))
    this.queue = options.only !== undefined ? [...options.only] : options.keys.map((_, i) => i)
    this.toAdopt = new Map(options.adopt)
    // Every launch in flight and every wait for a token listens on it; hundreds are normal.
    setMaxListeners(0, this.halt.signal)
  }

  /** The task's place in the set (0-based), once RunTask has returned it. */
  indexOf(taskArn: string): number | undefined {
    return this.byArn.get(taskArn)?.index
  }

  /**
   * Which attempt of its task `taskArn` is (1-based), and whether that attempt was retried.
   * Undefined for a task this queue did not start.
   */
  attemptOf(taskArn: string): { attempt: number; retried: boolean } | undefined {
    const record = this.byArn.get(taskArn)
    if (record === undefined) return undefined
    const earlier = record.attempts?.find((a) => a.taskArn === taskArn)
    if (earlier !== undefined) return { attempt: earlier.attempt, retried: true }
    return { attempt: attemptsOf(record), retried: false }
  }

  /** The record of task `index` as it stands. */
  recordOf(index: number): Readonly<TaskRecord> | undefined {
    return this.records[index]
  }

  /**
   * Which attempt (1-based, in this run) task `index` is on: the one being launched, or the one
   * RunTask returned or a re-run adopted, until it ends and runs again.
   */
  currentAttemptOf(index: number): number {
    return (this.records[index]?.attempts?.length ?? 0) + 1
  }

  /** Why the queue halted, if it did. */
  get haltReason(): HaltReason | undefined {
    return this.halted
  }

  /** The wait's report that a task was seen started, with the state read (if any). */
  onStart(taskArn: string, task: TaskSnapshot | undefined): void {
    const record = this.byArn.get(taskArn)
    if (record !== undefined && task !== undefined) record.seen = task
  }

  /** The waiter's report of a task's end. */
  onEnd(end: TaskEnd): void {
    const arn = end.kind === 'stopped' ? end.task.taskArn : end.taskArn
    const record = this.byArn.get(arn)
    // An earlier attempt's end, seen again, changes nothing.
    if (record === undefined || record.state !== 'running' || record.taskArn !== arn) return
    record.state = 'ended'
    record.end = end
    record.endedAt = this.deps.clock.now()
    this.active--
    const { logger } = this.deps
    const id = escapeLogText(taskIdOf(arn))
    const which = this.records.length > 1 ? ` (#${record.index})` : ''
    if (end.kind === 'lost') {
      logger.warning(`Task ${id}${which} is lost: ${end.reason}`)
    } else {
      const code = taskExitCode(end.task, this.options.rule ?? APP_RULE)
      const t = end.task.stoppedAt ? ` at ${end.task.stoppedAt.toISOString()}` : ''
      // Stop code and stopped reason are foreign text (a StopTask caller sets the reason).
      const how = [end.task.stopCode, end.task.stoppedReason]
        .filter((x) => x)
        .map((x) => escapeLogText(x as string))
        .join(': ')
      logger.info(`Task ${id} stopped${t} with exit code ${code}${how ? ` (${how})` : ''}${which}`)
    }
    const failed = !succeeded(end, this.options.rule ?? APP_RULE)
    if (failed && !this.retried(record, end) && !record.stopRequested && this.options.failFast) {
      this.stop('fail-fast')
    }
    this.notify()
  }

  /**
   * Asks the retry rules about a failed attempt; when they say retry (and the set is not
   * halting), keeps the attempt and puts the task back at the front of the queue.
   */
  private retried(record: TaskRecord, end: TaskEnd): boolean {
    const attempt = attemptsOf(record)
    const rerunAdopted = this.options.rerunAdopted ?? true
    const live = this.halted === undefined
    if (rerunAdopted && record.adopted === true && !record.stopRequested && live) {
      // An adopted task that the action ended (an earlier attempt's cancel, timeout or post
      // step, or the sweeper) or that nobody can find has no result of its own: it runs again.
      const unknown = end.kind === 'lost'
      const byAction =
        end.kind === 'stopped' &&
        stoppedByAction({ stoppedReason: end.task.stoppedReason ?? null, stopRequest: null })
      if (unknown || byAction) {
        const why = unknown
          ? 'its end could not be read, so it runs again'
          : 'an earlier run attempt or the sweeper stopped it, so it runs again'
        this.requeue(record, end, attempt, classifyEnd(end), why)
        this.deps.logger.info(
          `${this.records.length > 1 ? `Task #${record.index}` : 'The task'} was adopted from ` +
            `an earlier run attempt and ${why}`
        )
        return true
      }
    }
    const policy = this.options.retry
    if (policy === undefined) return false
    const decision = policy.decide({
      index: record.index,
      attempt,
      end,
      stopRequested: record.stopRequested
    })
    const { logger } = this.deps
    if (decision.storm !== undefined) {
      logger.warning(decision.storm)
      this.storms.push(decision.storm)
    }
    const which = this.records.length > 1 ? `Task #${record.index}` : 'The task'
    const how = `${decision.class.kind} (${decision.class.cause})`
    if (!decision.retry || this.halted !== undefined) {
      const why = decision.retry ? 'the task set was stopping' : decision.why
      record.retry = { endClass: decision.class, why }
      if (!decision.retry && (attempt > 1 || decision.class.kind !== 'app-exit')) {
        logger.info(`${which} ended by ${how} on attempt ${attempt}; not retried: ${decision.why}`)
      }
      return false
    }
    this.requeue(record, end, attempt, decision.class, decision.why)
    logger.info(
      `${which} ended by ${how} on attempt ${attempt} of ${policy.attempts}: ` +
        `starting attempt ${attempt + 1} (${escapeLogText(decision.why)})`
    )
    return true
  }

  /** Keeps an ended attempt and puts its task back at the front of the queue. */
  private requeue(
    record: TaskRecord,
    end: TaskEnd,
    attempt: number,
    endClass: EndClass,
    why: string
  ): void {
    // The attempt keeps what is known of it; the record starts again from not-started.
    const { taskArn, launchedAt, endedAt, seen } = record
    const ended = { attempt, taskArn: taskArn as string, launchedAt, endedAt, end, seen }
    record.attempts = [...(record.attempts ?? []), compact({ ...ended, endClass, why })]
    for (const key of ['taskArn', 'launchedAt', 'endedAt', 'end', 'seen', 'adopted'] as const)
      delete record[key]
    record.state = 'not-started'
    this.queue = [record.index, ...this.queue]
  }

  /** The waiter failed for good: stop what runs (nothing can see it end) and finish. */
  fail(error: unknown): void {
    this.haltError ??= error
    this.stop('wait-error')
  }

  /** Runs the queue until every started task has ended, or a halt's confirm window is over. */
  async run(): Promise<QueueOutcome> {
    const { clock } = this.deps
    const timer = new AbortController()
    const onCancel = (): void => this.stop('cancelled')
    if (this.options.signal.aborted) onCancel()
    else this.options.signal.addEventListener('abort', onCancel, { once: true })
    if (this.options.deadline !== undefined) {
      const deadline = this.options.deadline
      void clock.sleep(Math.max(0, deadline - clock.now()), timer.signal).then(() => {
        if (!timer.signal.aborted) this.stop('timed-out')
      })
    }
    try {
      await this.launchAll()
      await this.waitForEnds()
    } finally {
      timer.abort()
      this.options.signal.removeEventListener('abort', onCancel)
    }
    await Promise.all(this.stopping)
    const outcome: QueueOutcome = {
      records: this.records.map((r) => ({ ...r })),
      stopFailures: [...this.stopFailures]
    }
    if (this.halted !== undefined) outcome.halt = this.halted
    if (this.haltError !== undefined) outcome.error = this.haltError
    if (this.storms.length > 0) outcome.storms = [...this.storms]
    return outcome
  }

  private get maxParallel(): number {
    return this.options.maxParallel ?? Infinity
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
  }

  /** Launches in spec order while slots are free, each RunTask call after a token. */
  private async launchAll(): Promise<void> {
    const { bucket } = this.deps
    while (this.halted === undefined) {
      if (this.queue.length === 0) {
        // A retry, or an adopted task with no result, may put a task back while others run.
        if (this.active <= 0 || !this.mayRequeue() || !this.deps.watch) break
        await this.changed()
        continue
      }
      const free = this.maxParallel - this.active
      if (free <= 0) {
        await this.changed()
        continue
      }
      const head = this.queue[0] as number
      const adoption = this.toAdopt.get(head)
      if (adoption !== undefined) {
        // Already started by an earlier run attempt: no RunTask, so no token.
        this.queue.shift()
        this.toAdopt.delete(head)
        this.adoptTask(head, adoption.taskArn)
        continue
      }
      // The token first, then the batch: tasks put back meanwhile go first, and slots freed
      // meanwhile are used.
      if (!(await bucket.take(this.halt.signal))) break
      if (this.halted !== undefined || this.queue.length === 0) break
      const batch = nextBatch(this.queue, this.options.keys, this.maxParallel - this.active)
      const chosen = new Set(batch)
      this.queue = this.queue.filter((i) => !chosen.has(i))
      this.active += batch.length
      void this.launch(batch)
    }
  }

  /** True while an ended task may still go back to the queue. */
  private mayRequeue(): boolean {
    if (this.options.retry !== undefined) return true
    if (this.options.rerunAdopted === false) return false
    return this.records.some((r) => r.adopted === true && r.state === 'running')
  }

  /** Watches a task an earlier run attempt started, in the slot it would have launched in. */
  private adoptTask(index: number, taskArn: string): void {
    const record = this.records[index] as TaskRecord
    record.state = 'running'
    record.taskArn = taskArn
    record.launchedAt = this.deps.clock.now()
    record.adopted = true
    this.byArn.set(taskArn, record)
    this.deps.adopted?.(index, taskArn)
    if (this.deps.watch !== undefined) {
      this.active++
      this.deps.watch(taskArn)
    }
    this.deps.logger.info(
      `${this.records.length > 1 ? `Task #${index}` : 'The task'} was started by an earlier run ` +
        `attempt and its end was not recorded: waiting on ${escapeLogText(taskArn)}`
    )
  }

  private async launch(batch: number[]): Promise<void> {
    const { clock, logger } = this.deps
    let arns: string[]
    try {
      arns = await this.deps.launch(batch, this.halt.signal)
    } catch (error) {
      this.active -= batch.length
      if (this.halt.signal.aborted && !(error instanceof UserError)) {
        // Cancelled between attempts: these never started.
        this.notify()
        return
      }
      for (const index of batch) {
        const record = this.records[index] as TaskRecord
        record.state = 'start-failed'
        record.error = shownErrorMessage(error)
      }
      logger.error(`Task #${batch.join(', #')} could not start: ${shownErrorMessage(error)}`)
      if (this.options.failFast) {
        this.stop('fail-fast')
      } else if (error instanceof UserError && this.halted === undefined) {
        // The request itself is wrong, or no capacity came before the deadline: every further
        // call would fail the same way. Tasks already running go on to their end.
        this.haltError = error
        this.halted = 'start-error'
        this.halt.abort()
      }
      this.notify()
      return
    }
    const now = clock.now()
    const started: string[] = []
    batch.forEach((index, i) => {
      const arn = arns[i]
      const record = this.records[index] as TaskRecord
      if (arn === undefined) return
      record.state = 'running'
      record.taskArn = arn
      record.launchedAt = now
      this.byArn.set(arn, record)
      this.deps.watch?.(arn)
      started.push(arn)
    })
    // Nothing watches them: their slots are free at once, and they stay 'running'.
    if (this.deps.watch === undefined) this.active -= started.length
    const missing = batch.slice(arns.length)
    if (missing.length > 0) {
      this.active -= missing.length
      // ECS started fewer than asked: the rest go back to the front of the queue, for a new
      // call with a new client token (the old token would only return the same tasks).
      if (this.halted === undefined) this.queue = [...missing, ...this.queue]
    }
    // A launch that returns after a halt started tasks nobody wants any more.
    if (this.halted !== undefined && this.shouldStop(this.halted)) {
      this.stopEach(
        started.map((arn) => this.byArn.get(arn) as TaskRecord),
        this.reasonFor(this.halted)
      )
    }
    this.notify()
  }

  private shouldStop(halt: HaltReason): boolean {
    if (halt === 'start-error') return false
    if (halt === 'fail-fast' || halt === 'wait-error') return true
    if (halt === 'timed-out') return this.options.stopOnTimeout ?? this.options.stopOnCancel
    return this.options.stopOnCancel
  }

  private reasonFor(halt: HaltReason): string {
    return halt === 'start-error' ? '' : this.options.stopReasons[halt]
  }

  /** Halts: no more launches; stops what runs when the halt calls for it. */
  private stop(halt: StoppingHalt): void {
    if (this.halted !== undefined && this.halted !== 'start-error') return
    const first = this.halted === undefined
    this.halted = halt
    if (first) this.halt.abort()
    const { logger } = this.deps
    const running = this.records.filter((r) => r.state === 'running' && !r.stopRequested)
    const queued = this.queue.length
    const stopping = this.shouldStop(halt)
    const detached = halt === 'timed-out' && this.options.stopOnTimeout === false
    const leftBy = detached ? 'on-timeout is detach' : undefined
    const set = { running, queued, stopping, total: this.records.length }
    const message = haltMessage(halt, leftBy !== undefined ? { ...set, leftBy } : set)
    if (detached) logger.notice(message)
    else logger.warning(message)
    if (stopping) this.stopEach(running, this.reasonFor(halt))
    else this.stopsDoneAt = this.deps.clock.now()
    this.notify()
  }

  /** StopTask for each task, paced by the bucket; the calls themselves run in parallel. */
  private stopEach(records: TaskRecord[], reason: string): void {
    for (const r of records) r.stopRequested = true
    const done = (async () => {
      const calls: Promise<void>[] = []
      for (const record of records) {
        await (this.deps.stopBucket ?? this.deps.bucket).take()
        const arn = record.taskArn as string
        calls.push(
          this.deps.stop(arn, reason).then((ok) => {
            if (ok) this.deps.stopped?.(arn)
            else this.stopFailures.push(arn)
          })
        )
      }
      this.stopsDoneAt = this.deps.clock.now()
      this.notify()
      await Promise.all(calls)
    })()
    this.stopping.push(done)
  }

  /**
   * Waits until no task is launching or running; after a cancel or timeout, only until the
   * confirm window after the last StopTask call is over.
   */
  private async waitForEnds(): Promise<void> {
    const { clock } = this.deps
    for (;;) {
      if (this.active <= 0) return
      const halt = this.halted
      let until = Infinity
      if (halt !== undefined && this.stopsDoneAt !== undefined) {
        until = this.stopsDoneAt + confirmWindowMs(halt, this.shouldStop(halt))
        if (clock.now() >= until) return
      }
      if (until === Infinity) {
        await this.changed()
      } else {
        const wake = new AbortController()
        await Promise.race([
          this.changed().then(() => wake.abort()),
          clock.sleep(until - clock.now(), wake.signal)
        ])
        wake.abort()
      }
    }
  }
}

/** The warning of a halt: why, and what becomes of the running and queued tasks. */
export function haltMessage(
  halt: StoppingHalt,
  set: {
    running: TaskRecord[]
    queued: number
    stopping: boolean
    total: number
    /** The setting that leaves them running (default `stop-on-cancel is false`). */
    leftBy?: string
  }
): string {
  const leftBy = set.leftBy ?? 'stop-on-cancel is false'
  const why = {
    'fail-fast': 'a task failed and fail-fast is set',
    cancelled: 'the workflow run was cancelled',
    'timed-out': 'the timeout was reached',
    'wait-error': 'the wait failed'
  }[halt]
  if (set.total === 1) {
    const arn = set.running[0]?.taskArn ?? 'the task'
    return set.stopping
      ? `Stopping ${arn}: ${why}.`
      : `${why[0]?.toUpperCase()}${why.slice(1)}: ${leftBy}, so ${arn} is left running.`
  }
  const fate = set.stopping
    ? `Stopping ${set.running.length} running task(s)`
    : `${leftBy}, so ${set.running.length} running task(s) are left running`
  return `Stopping the fan-out: ${why}. ${fate}; ${set.queued} queued task(s) will not start.`
}
