/**
 * Waiting on many tasks at once with few requests.
 *
 * With a notification prefix there are two ways to look for stopped.json objects, and each tick
 * takes the cheaper by count:
 * - a GET of `<prefix>/<task ARN>/stopped.json` per pending task, each on its own age-grown,
 *   jittered schedule (src/wait/schedule.ts);
 * - one LIST of `<prefix>/arn:aws:ecs:<region>:<account>:task/<cluster>/` (1,000 keys a page),
 *   then a GET of only the stopped.json objects that appeared or whose ETag changed (a newer
 *   event). A LIST costs about 12.5 GETs (read-mode.ts), so it wins once more than about a
 *   dozen young tasks are pending.
 * Both apply the rules of rules.ts to every task, one task or a thousand (s3-reads.ts). The
 * verify check applies per task, batched (verify-check.ts): after verify-interval seconds
 * without stopped.json, one DescribeTasks call covers up to 100 such tasks. Every tick is
 * jittered so many jobs never list in lockstep, and no task is read more than once a second.
 *
 * Without a prefix (or when the bucket cannot be read), DescribeTasks is polled for every
 * pending task, 100 tasks a call, with hako's throttling backoff (describe-polling.ts).
 */
import type { ECSClient } from '@aws-sdk/client-ecs'
import type { S3Client } from '@aws-sdk/client-s3'
import { escapeLogText } from '../util/safe-text.js'
import type { Clock, Random } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { DescribePolling, type PollHost } from './describe-polling.js'
import { notificationKey } from './prefix.js'
import { MIN_READ_GAP_MS, chooseReadMode, listPrefixOf, type ReadMode } from './read-mode.js'
import { taskIdOf } from '../model/task-state.js'
import { INCOMPLETE_STOP_GRACE_MS, STOP_VERIFY_MS, startedLine } from './rules.js'
import { S3Reads, type ReadHost } from './s3-reads.js'
import { s3ReadDelayMs } from './schedule.js'
import type { NotificationPrefix, TaskSnapshot } from '../model/task.js'
import { verifyAndSettle, type VerifyHost } from './verify-check.js'
import { describeTasks, type DescribeAnswer, type TaskEnd, type Watched } from './watched.js'

export type { TaskEnd } from './watched.js'

export interface WaitEngineDeps {
  ecs: Pick<ECSClient, 'send'>
  /** For the notification objects; required with a prefix. */
  s3?: Pick<S3Client, 'send'>
  clock: Clock
  random: Random
  logger: Logger
  /** The S3 endpoint the client talks to, for the message when it cannot be reached. */
  s3Endpoint?: string
}

export interface WaitEngineOptions {
  /** The cluster every task runs in (name or ARN), for DescribeTasks. */
  cluster: string
  /** Where the notifier writes; undefined waits through DescribeTasks. */
  prefix?: NotificationPrefix
  /** Base seconds between reads (the `poll-interval` input). */
  pollIntervalSeconds: number
  /** Seconds without stopped.json after which DescribeTasks checks a task; 0 never. */
  verifyIntervalSeconds: number
  /** Called once per task, as soon as its end is known. */
  onEnd: (end: TaskEnd) => void
  /**
   * Called at most once per task, when it is first seen started (started.json, or RUNNING in
   * DescribeTasks); `task` is the state read, undefined when a LIST only showed the object.
   */
  onStart?: (taskArn: string, task: TaskSnapshot | undefined) => void
}

/**
 * Watches many tasks. `add` a task the moment RunTask returns it; `run` reads until its signal
 * aborts, calling `onEnd` once per task as its end becomes known. A task can be added while
 * `run` is going.
 */
export class WaitEngine implements ReadHost, PollHost, VerifyHost {
  readonly watched = new Map<string, Watched>()
  /** stopped.json and started.json keys of the watched tasks. */
  readonly byKey = new Map<string, { w: Watched; name: 'started' | 'stopped' }>()
  private readonly warned = new Set<string>()
  private mode: ReadMode
  private lastLoggedMode: string | undefined
  /** DescribeTasks polling, when there is no prefix or after a fall-back. */
  private readonly polling: DescribePolling
  /** The S3 reads; undefined without a prefix. */
  private readonly reads: S3Reads | undefined
  private wake: AbortController = new AbortController()
  private wakeAt = Infinity
  /** Requests made, by kind, for the debug log and the benchmark. */
  readonly requests = { get: 0, list: 0, describe: 0 }

  constructor(
    readonly deps: WaitEngineDeps,
    readonly options: WaitEngineOptions
  ) {
    if (options.prefix !== undefined && deps.s3 === undefined) {
      throw new Error('WaitEngine: a notification prefix needs an S3 client')
    }
    this.mode = options.prefix === undefined ? 'describe' : 'get'
    this.polling = new DescribePolling(this, deps, options)
    this.reads =
      options.prefix === undefined || deps.s3 === undefined
        ? undefined
        : new S3Reads(this, deps, { s3: deps.s3, prefix: options.prefix })
  }

  /** Switches how the next tick reads; DescribeTasks at once. */
  setMode(mode: ReadMode): void {
    this.mode = mode
    if (mode === 'describe') this.polling.nextPollAt = this.deps.clock.now()
  }

  /** Starts watching a task. */
  add(taskArn: string): void {
    if (this.watched.has(taskArn)) return
    const now = this.deps.clock.now()
    const first = now + this.readDelay(0, false)
    const prefix = this.options.prefix?.prefix ?? ''
    const verifyMs = this.options.verifyIntervalSeconds * 1000
    const w: Watched = {
      arn: taskArn,
      // Shown in log lines only; the ARN is RunTask's answer (escapeLogText).
      id: escapeLogText(taskIdOf(taskArn)),
      startedKey: notificationKey(prefix, taskArn, 'started'),
      stoppedKey: notificationKey(prefix, taskArn, 'stopped'),
      listPrefix: listPrefixOf(prefix, taskArn),
      addedAt: now,
      nextReadAt: first,
      nextVerifyAt: verifyMs > 0 ? now + verifyMs : Infinity,
      startedSeen: false,
      reads: 0,
      lastFoundAt: now
    }
    this.watched.set(taskArn, w)
    this.byKey.set(w.stoppedKey, { w, name: 'stopped' })
    this.byKey.set(w.startedKey, { w, name: 'started' })
    // A young task is read at the base rate: bring the shared ticks forward for it.
    if (this.reads) this.reads.nextListAt = Math.min(this.reads.nextListAt, first)
    this.polling.nextPollAt = Math.min(this.polling.nextPollAt, first)
    if (first < this.wakeAt) this.wake.abort()
  }

  /**
   * StopTask was called for a task: unless its stopped.json comes first, ask ECS about it within
   * STOP_VERIFY_MS and at that pace after (never more often than verify-interval allows).
   */
  expectStop(taskArn: string): void {
    const w = this.watched.get(taskArn)
    if (w === undefined || this.verifyMs === 0 || this.mode === 'describe') return
    w.stopRequested = true
    w.nextVerifyAt = Math.min(w.nextVerifyAt, this.deps.clock.now() + STOP_VERIFY_MS)
    if (w.nextVerifyAt < this.wakeAt) this.wake.abort()
  }

  /** Reads until `signal` aborts. Rejects only with a UserError when DescribeTasks is denied. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock } = this.deps
    // One listener for the whole run (not one per sleep): an abort ends the current sleep.
    const onAbort = (): void => this.wake.abort()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      while (!signal.aborted) {
        if (this.watched.size > 0) {
          await this.tick(signal)
          if (signal.aborted) break
        }
        const wakeAt = this.watched.size > 0 ? this.nextWakeAt() : Infinity
        this.wake = new AbortController()
        this.wakeAt = wakeAt
        const sleep = this.wake.signal
        if (signal.aborted) break
        if (wakeAt === Infinity) {
          // Nothing to read until a task is added.
          await new Promise<void>((resolve) => {
            sleep.addEventListener('abort', () => resolve(), { once: true })
          })
        } else {
          await clock.sleep(Math.max(0, wakeAt - clock.now()), sleep)
        }
        this.wakeAt = Infinity
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  get prefix(): NotificationPrefix {
    return this.options.prefix as NotificationPrefix
  }

  get s3Answered(): boolean {
    return this.reads?.s3Answered ?? false
  }

  get verifyMs(): number {
    return this.options.verifyIntervalSeconds * 1000
  }

  readDelay(ageMs: number, incomplete: boolean): number {
    return Math.max(
      MIN_READ_GAP_MS,
      s3ReadDelayMs({
        baseSeconds: this.options.pollIntervalSeconds,
        // The incomplete-stop grace is short: re-read at the base rate, not the age-grown one.
        ageMs: incomplete ? 0 : ageMs,
        consecutiveErrors: this.reads?.errors ?? 0,
        random: this.deps.random
      })
    )
  }

  private nextWakeAt(): number {
    let at = Infinity
    if (this.mode === 'describe') at = this.polling.nextPollAt
    else if (this.mode === 'list') at = this.reads?.nextListAt ?? Infinity
    for (const w of this.watched.values()) {
      if (this.mode === 'get') at = Math.min(at, w.nextReadAt)
      if (this.mode !== 'describe') {
        if (w.incompleteSince !== undefined) {
          at = Math.min(at, w.incompleteSince + INCOMPLETE_STOP_GRACE_MS)
        } else if (w.stopped === undefined) {
          at = Math.min(at, w.nextVerifyAt)
        }
      }
    }
    return at
  }

  warnOnce(tag: string, message: string): void {
    if (this.warned.has(tag)) return
    this.warned.add(tag)
    this.deps.logger.warning(message)
  }

  end(w: Watched, end: TaskEnd): void {
    if (!this.watched.delete(w.arn)) return
    this.byKey.delete(w.stoppedKey)
    this.byKey.delete(w.startedKey)
    this.options.onEnd(end)
  }

  private async tick(signal: AbortSignal): Promise<void> {
    const now = this.deps.clock.now()
    if (this.mode !== 'describe') {
      const ages = [...this.watched.values()]
        .filter((w) => w.incompleteSince === undefined)
        .map((w) => now - w.addedAt)
      const choice = chooseReadMode({
        ages,
        baseSeconds: this.options.pollIntervalSeconds,
        pages: this.reads?.pages ?? 1
      })
      const listOff = this.reads?.listOff
      const mode = listOff !== undefined ? 'get' : choice.mode
      if (mode !== this.mode || this.lastLoggedMode === undefined) {
        this.deps.logger.debug(
          listOff !== undefined ? `Reading each task's stopped.json: ${listOff}` : choice.reason
        )
        this.lastLoggedMode = mode
      }
      if (mode === 'get' && this.mode === 'list') {
        // Spread the first GETs after a LIST phase over one base interval.
        for (const w of this.watched.values()) {
          w.nextReadAt = Math.max(w.nextReadAt, now + this.readDelay(0, false) - MIN_READ_GAP_MS)
        }
      }
      this.mode = mode
    }
    if (this.mode === 'describe') {
      if (now >= this.polling.nextPollAt) await this.polling.poll(signal)
      return
    }
    const reads = this.reads as S3Reads
    if (this.mode === 'list') {
      if (now >= reads.nextListAt) await reads.listTick(signal)
    } else {
      await reads.getTick(signal)
    }
    if (signal.aborted || (this.mode as ReadMode) === 'describe') return
    await verifyAndSettle(this, signal)
  }

  /** The first sign that a task runs: logged once, and told to `onStart`. */
  started(w: Watched, task: TaskSnapshot | undefined): void {
    if (w.startedSeen) return
    w.startedSeen = true
    // A LIST shows only that started.json appeared, not what it says.
    if (task === undefined) this.deps.logger.debug(`started.json of task ${w.id} appeared`)
    else this.deps.logger.info(startedLine(task))
    this.options.onStart?.(w.arn, task)
  }

  // ---- DescribeTasks ----------------------------------------------------------------------

  /** DescribeTasks for up to 100 tasks a call, counted. */
  describe(arns: string[], signal: AbortSignal): Promise<DescribeAnswer> {
    return describeTasks(this.deps.ecs, {
      cluster: this.options.cluster,
      arns,
      signal,
      onCall: () => this.requests.describe++
    })
  }
}
