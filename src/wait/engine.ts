/**
 * Waiting on many tasks at once with few requests (docs/waiting.md, "Reading the notification
 * objects"): each tick reads the pending tasks' stopped.json by GET or by LIST, whichever costs
 * less (read-mode.ts), verifies silent tasks with DescribeTasks (verify-check.ts), or polls
 * DescribeTasks without a prefix (describe-tasks.ts). The engine alone holds the task records
 * (watched-task.ts); its readers return what they saw, the pure steps (observations.ts,
 * verify-check.ts, over end-rules.ts) say what that changes, and the engine applies it,
 * schedules the next reads, calls onStart and onEnd, and logs.
 */
import type { ECSClient } from '@aws-sdk/client-ecs'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Runtime } from '../util/runtime.js'
import { pool } from '../util/pool.js'
import type { NotificationPrefix, TaskEnd, TaskSnapshot } from '../model/task.js'
import { DescribePoller, describeTasks, verifyCall, type DescribeAnswer } from './describe-tasks.js'
import {
  INCOMPLETE_STOP_GRACE_MS,
  STOP_VERIFY_MS,
  nextVerifyAt,
  readsStartedNext
} from './end-rules.js'
import { applyObservation, type Applied, type LogLine, type Observation } from './observations.js'
import { MIN_READ_GAP_MS, chooseReadMode, type ReadMode } from './read-mode.js'
import { S3Reader, type KeyOwner, type ListResult, type ReadResult } from './s3-reader.js'
import { errorsInARow } from './s3-health.js'
import { s3ReadDelayMs } from './schedule.js'
import { judgeVerify, planVerify, settleStop } from './verify-check.js'
import type { ResultRule } from '../model/result.js'
import {
  keyOf,
  paceAgeMs,
  watchTask,
  type NotificationName,
  type WatchedTask
} from './watched-task.js'

export type { TaskEnd } from '../model/task.js'

const GET_CONCURRENCY = 16

export interface WaitEngineDeps extends Runtime {
  ecs: Pick<ECSClient, 'send'>
  /** For the notification objects; required with a prefix. */
  s3?: Pick<S3Client, 'send'>
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
  /** Whose exit code is the task's, for the incomplete-stop rule (default the app's). */
  rule?: ResultRule
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
export class WaitEngine {
  private readonly watched = new Map<string, WatchedTask>()
  /** stopped.json and started.json keys of the watched tasks. */
  private readonly byKey = new Map<string, { arn: string; name: NotificationName }>()
  private readonly warned = new Set<string>()
  /** The S3 reads and the bucket's health; undefined without a prefix. */
  private readonly reader: S3Reader | undefined
  /** DescribeTasks polling, when there is no prefix or after a fall-back. */
  private readonly poller: DescribePoller
  private mode: ReadMode
  private lastLoggedMode: string | undefined
  private nextListAt = Infinity
  private wake: AbortController = new AbortController()
  private wakeAt = Infinity
  /** Requests made, by kind, for the debug log and the benchmark. */
  readonly requests = { get: 0, list: 0, describe: 0 }

  constructor(
    private readonly deps: WaitEngineDeps,
    private readonly options: WaitEngineOptions
  ) {
    if (options.prefix !== undefined && deps.s3 === undefined) {
      throw new Error('WaitEngine: a notification prefix needs an S3 client')
    }
    this.mode = options.prefix === undefined ? 'describe' : 'get'
    const prefix = options.prefix
    this.poller = new DescribePoller(this.describe, { ...options, random: deps.random })
    const count = (kind: 'get' | 'list', n: number): number => (this.requests[kind] += n)
    this.reader =
      prefix === undefined || deps.s3 === undefined
        ? undefined
        : new S3Reader(deps.s3, prefix, count, deps.s3Endpoint)
  }

  add(taskArn: string): void {
    if (this.watched.has(taskArn)) return
    const now = this.deps.clock.now()
    const first = now + this.readDelay(0, false)
    const prefix = this.options.prefix?.prefix ?? ''
    const w = watchTask({ arn: taskArn, prefix, now, firstReadAt: first, verifyMs: this.verifyMs })
    this.watched.set(taskArn, w)
    this.byKey.set(w.stoppedKey, { arn: taskArn, name: 'stopped' })
    this.byKey.set(w.startedKey, { arn: taskArn, name: 'started' })
    // A young task is read at the base rate: bring the shared ticks forward for it.
    if (this.reader) this.nextListAt = Math.min(this.nextListAt, first)
    this.poller.nextPollAt = Math.min(this.poller.nextPollAt, first)
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
        if (this.watched.size > 0) await this.tick(signal)
        const wakeAt = this.watched.size > 0 ? this.nextWakeAt() : Infinity
        this.wake = new AbortController()
        this.wakeAt = wakeAt
        const sleep = this.wake.signal
        // Aborted during the tick: the new wake-up would miss it.
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

  private get verifyMs(): number {
    return this.options.verifyIntervalSeconds * 1000
  }

  private readDelay(ageMs: number, incomplete: boolean): number {
    return Math.max(
      MIN_READ_GAP_MS,
      s3ReadDelayMs({
        baseSeconds: this.options.pollIntervalSeconds,
        // The incomplete-stop grace is short: re-read at the base rate, not the age-grown one.
        ageMs: incomplete ? 0 : ageMs,
        consecutiveErrors: this.reader ? errorsInARow(this.reader.health) : 0,
        random: this.deps.random
      })
    )
  }

  private nextWakeAt(): number {
    let at = Infinity
    if (this.mode === 'describe') at = this.poller.nextPollAt
    else if (this.mode === 'list') at = this.nextListAt
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

  private async tick(signal: AbortSignal): Promise<void> {
    const now = this.deps.clock.now()
    const reader = this.reader
    if (this.mode !== 'describe' && reader !== undefined) this.chooseMode(reader, now)
    if (this.mode === 'describe' || reader === undefined) {
      if (now >= this.poller.nextPollAt) await this.pollRound(signal)
      return
    }
    if (this.mode === 'list') {
      if (now >= this.nextListAt) await this.listRound(reader, signal)
    } else {
      await this.getRound(reader, signal)
    }
    if (signal.aborted || (this.mode as ReadMode) === 'describe') return
    await this.verifyRound(reader, signal)
  }

  /** LIST or GET for this tick, by cost (read-mode.ts), unless listing was given up. */
  private chooseMode(reader: S3Reader, now: number): void {
    const ages = [...this.watched.values()]
      .filter((w) => w.incompleteSince === undefined)
      .map((w) => now - w.addedAt)
    const baseSeconds = this.options.pollIntervalSeconds
    const { listOff, pages } = reader.health
    const { mode, reason } = chooseReadMode({ ages, baseSeconds, pages, listOff })
    if (mode !== this.mode || this.lastLoggedMode === undefined) {
      this.deps.logger.debug(reason)
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

  /** A GET of each task whose read is due: its stopped.json, or now and then its started.json. */
  private async getRound(reader: S3Reader, signal: AbortSignal): Promise<void> {
    const { clock } = this.deps
    const now = clock.now()
    const due = [...this.watched.values()].filter((w) => w.nextReadAt <= now)
    await pool(due, GET_CONCURRENCY, async (w) => {
      if (signal.aborted || !this.watched.has(w.arn)) return
      const name = readsStartedNext(w.reads, w.startedSeen || w.stopped !== undefined)
        ? 'started'
        : 'stopped'
      w.reads++
      const read = await reader.read({ arn: w.arn, key: keyOf(w, name), name }, signal)
      if (signal.aborted) return
      this.applyRead(read)
      const t = clock.now()
      w.nextReadAt = t + this.readDelay(t - w.addedAt, w.incompleteSince !== undefined)
    })
  }

  /** One LIST of every cluster prefix the pending tasks sit under, then the GETs it calls for. */
  private async listRound(reader: S3Reader, signal: AbortSignal): Promise<void> {
    const { clock } = this.deps
    const prefixes = [...new Set([...this.watched.values()].map((w) => w.listPrefix))]
    const owners = (key: string): KeyOwner | undefined => {
      const hit = this.byKey.get(key)
      const w = hit === undefined ? undefined : this.watched.get(hit.arn)
      if (hit === undefined || w === undefined) return undefined
      return w.etag === undefined ? hit : { ...hit, etag: w.etag }
    }
    const round = await reader.list(prefixes, owners, signal)
    for (const obs of round.started) this.observe(obs, clock.now())
    this.applyRead(round)
    if (round.failed && signal.aborted) return
    await pool(round.toGet, GET_CONCURRENCY, async (arn) => {
      const w = this.watched.get(arn)
      if (signal.aborted || w === undefined) return
      this.applyRead(
        await reader.read({ arn, key: w.stoppedKey, name: 'stopped', listed: true }, signal)
      )
    })
    const ageMs = paceAgeMs(this.watched.values(), clock.now())
    this.nextListAt = clock.now() + this.readDelay(ageMs, false)
  }

  /** What a read says: what it saw of its task, then its lines and a change of read mode. */
  private applyRead(read: ReadResult | ListResult): void {
    if ('observation' in read && read.observation !== undefined) {
      this.observe(read.observation, this.deps.clock.now())
    }
    for (const line of read.logs) this.log(line)
    if (read.mode === undefined) return
    // The next tick reads the new way; DescribeTasks at once.
    this.mode = read.mode
    if (read.mode === 'describe') this.poller.nextPollAt = this.deps.clock.now()
  }

  /** DescribeTasks for up to 100 tasks a call, counted. */
  private readonly describe = (arns: string[], signal: AbortSignal): Promise<DescribeAnswer> =>
    describeTasks(this.deps.ecs, {
      cluster: this.options.cluster,
      arns,
      signal,
      onCall: () => this.requests.describe++
    })

  /** Describe mode: one DescribeTasks call per 100 pending tasks per round. */
  private async pollRound(signal: AbortSignal): Promise<void> {
    const { clock } = this.deps
    const round = await this.poller.poll([...this.watched.keys()], signal)
    if (round === undefined) return
    const now = clock.now()
    for (const obs of round.observations) this.observe(obs, now)
    if (round.line !== undefined) this.log(round.line)
    const t = clock.now()
    this.poller.schedule(t, paceAgeMs(this.watched.values(), t))
  }

  /** The verify round and the settling of incomplete stops (verify-check.ts). */
  private async verifyRound(reader: S3Reader, signal: AbortSignal): Promise<void> {
    const { clock } = this.deps
    const verifyMs = this.verifyMs
    const plan = planVerify([...this.watched.values()], verifyMs, clock.now())
    if (plan.settle.length === 0 && plan.verify.length === 0) return
    if (verifyMs === 0) {
      for (const w of plan.settle)
        this.commit(w, settleStop(w, undefined, false, this.options.rule))
      return
    }
    const arns = [...plan.settle, ...plan.verify].map((w) => w.arn)
    const { verifyIntervalSeconds, cluster } = this.options
    const call = await verifyCall(this.describe, arns, { signal, verifyIntervalSeconds })
    if (call === undefined) return
    if (call.line !== undefined) this.log(call.line)
    const answer = call.answer
    for (const w of plan.settle) this.commit(w, settleStop(w, answer, true, this.options.rule))
    const t = clock.now()
    for (const w of plan.verify)
      w.nextVerifyAt = nextVerifyAt(w.stopRequested === true, verifyMs, t)
    if (answer === undefined) return
    const prefix = this.options.prefix as NotificationPrefix
    const s3Answered = reader.health.answered
    const ctx = { now: t, prefix, cluster, verifyIntervalSeconds, s3Answered }
    const judged = judgeVerify(plan.verify, answer, ctx)
    for (const { w, applied } of judged.tasks) this.commit(w, applied)
    for (const line of judged.logs) this.log(line)
  }

  private observe(obs: Observation, now: number): void {
    const w = this.watched.get(obs.arn)
    if (w === undefined) return
    const { cluster, prefix, rule } = this.options
    const ctx = { now, cluster, prefix, ...(rule !== undefined ? { rule } : {}) }
    this.commit(w, applyObservation(w, obs, ctx))
  }

  /** Applies a change to a task: its record, the lines, onStart, and its end. */
  private commit(w: WatchedTask, applied: Applied): void {
    Object.assign(w, applied.patch)
    for (const line of applied.logs) this.log(line)
    if (applied.start !== undefined) this.options.onStart?.(w.arn, applied.start.task)
    if (applied.end !== undefined) this.end(w, applied.end)
  }

  private end(w: WatchedTask, end: TaskEnd): void {
    if (!this.watched.delete(w.arn)) return
    this.byKey.delete(w.stoppedKey)
    this.byKey.delete(w.startedKey)
    this.options.onEnd(end)
  }

  private log(line: LogLine): void {
    if (line.once !== undefined) {
      if (this.warned.has(line.once)) return
      this.warned.add(line.once)
    }
    this.deps.logger[line.level](line.message)
  }
}
