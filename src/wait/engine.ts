/**
 * Waiting on many tasks at once with few requests.
 *
 * With a notification prefix there are two ways to look for stopped.json objects, and each tick
 * takes the cheaper by count:
 * - a GET of `<prefix>/<task ARN>/stopped.json` per pending task, each on its own age-grown,
 *   jittered schedule (src/wait/schedule.ts);
 * - one LIST of `<prefix>/arn:aws:ecs:<region>:<account>:task/<cluster>/` (1,000 keys a page),
 *   then a GET of only the stopped.json objects that appeared or whose ETag changed (a newer
 *   event). A LIST costs about 12.5 GETs (REFERENCE.md §3), so it wins once more than about a
 *   dozen young tasks are pending.
 * Both obey the one-task rules of src/wait: objects are size-bounded and validated, the newest
 * `detail.version` wins, a STOPPED state without the app container's exit code or reason is
 * re-read for INCOMPLETE_STOP_GRACE_MS before it is settled on. The verify rule applies per task,
 * batched: after verify-interval seconds without stopped.json, one DescribeTasks call covers up
 * to 100 such tasks. Every tick is jittered so many jobs never list in lockstep, and no task is
 * read more than once a second.
 *
 * Without a prefix (or when the bucket cannot be read), DescribeTasks is polled for every
 * pending task, 100 tasks a call, with hako's throttling backoff.
 */
import { DescribeTasksCommand, type ECSClient } from '@aws-sdk/client-ecs'
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import type { Clock, Random } from '../util/clock.js'
import { UserError, errorMessage, errorName } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { isThrottling, isTransient } from '../ecs/errors.js'
import {
  isDenied,
  isRetryableS3,
  isUnreachable,
  readNotification,
  type NotificationRead
} from './notification.js'
import { notificationKey, s3Url } from './prefix.js'
import { NOTIFIER_LAG_MS } from './rules.js'
import { snapshotFromDescribe, taskIdOf } from './result.js'
import {
  BROKEN_READS_BEFORE_FALLBACK,
  INCOMPLETE_STOP_GRACE_MS,
  deniedMessage,
  fallbackMessage,
  graceOver,
  isLost,
  listBucketStatement,
  nameSome,
  notifierChecklist,
  readsStartedNext,
  startedLine,
  stopVerdict,
  stoppedByVerifyLine,
  unreachableMessage,
  verifyBatch,
  verifyVerdict
} from './rules.js'
import {
  NO_BACKOFF,
  afterSuccess,
  afterThrottle,
  describeDelayMs,
  meanIntervalMs,
  s3ReadDelayMs,
  type DescribeBackoff
} from './schedule.js'
import type { NotificationPrefix, TaskSnapshot } from './types.js'

/** What one LIST request costs in GETs (S3 pricing, REFERENCE.md §3). */
export const LIST_COST_IN_GETS = 12.5
/** ListObjectsV2 answers at most 1,000 keys a page. */
export const LIST_PAGE_KEYS = 1000
/** DescribeTasks takes at most 100 tasks a call. */
export const DESCRIBE_BATCH = 100
/** No task is read more often than this, whatever the poll interval. */
export const MIN_READ_GAP_MS = 1000
/** GETs in flight at once. */
const GET_CONCURRENCY = 16

/** How a watched task ended. */
export type TaskEnd =
  | { kind: 'stopped'; task: TaskSnapshot }
  /** DescribeTasks never found the task (wrong cluster or region, or it vanished). */
  | { kind: 'lost'; taskArn: string; reason: string }

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
  /** Called at most once per task, when it is first seen started (RUNNING, or started.json). */
  onStart?: (task: TaskSnapshot) => void
}

/** A DescribeTasks answer by ARN, and the ARNs ECS did not find with its reason. */
interface DescribeAnswer {
  found: Map<string, TaskSnapshot>
  missing: Map<string, string>
}

/** How the next tick looks for stopped tasks. */
export type ReadMode = 'get' | 'list' | 'describe'

/** The inputs of the LIST-versus-GET choice. */
export interface ModeInputs {
  /** Ages (ms since the wait on them began) of the pending tasks that have no final state. */
  ages: number[]
  baseSeconds: number
  /** LIST pages the prefix took last time (1 before the first LIST). */
  pages: number
}

/** The choice, its costs in GET-equivalents per second, and the sentence for the debug log. */
export interface ModeChoice {
  mode: 'get' | 'list'
  getsPerSecond: number
  listPerSecond: number
  reason: string
}

/** The gap between reads of a task `ageMs` old: the age-grown mean, never under a second. */
function meanGapMs(baseSeconds: number, ageMs: number): number {
  return Math.max(MIN_READ_GAP_MS, meanIntervalMs(baseSeconds, ageMs))
}

/**
 * LIST or GET, by cost (pure). A GET per task costs one request per task per read interval
 * (the interval grows with each task's age); a LIST tick serves every task at the youngest
 * task's interval and costs LIST_COST_IN_GETS per page.
 */
export function chooseReadMode(input: ModeInputs): ModeChoice {
  const { ages, baseSeconds } = input
  const pages = Math.max(1, input.pages)
  let getsPerSecond = 0
  for (const age of ages) getsPerSecond += 1000 / meanGapMs(baseSeconds, age)
  const youngest = ages.length === 0 ? 0 : Math.min(...ages)
  const listGapMs = meanGapMs(baseSeconds, youngest)
  const listPerSecond = (LIST_COST_IN_GETS * pages * 1000) / listGapMs
  const mode = ages.length > 0 && listPerSecond < getsPerSecond ? 'list' : 'get'
  const costs =
    `a GET per task costs about ${getsPerSecond.toFixed(1)} GETs/s for ${ages.length} pending ` +
    `task(s); a LIST of ${pages} page(s) every ${(listGapMs / 1000).toFixed(1)} s costs about ` +
    `${listPerSecond.toFixed(1)} GET-equivalents/s (a LIST costs about ${LIST_COST_IN_GETS} GETs)`
  return {
    mode,
    getsPerSecond,
    listPerSecond,
    reason:
      mode === 'list'
        ? `Listing the prefix instead of reading each task's stopped.json: ${costs}`
        : `Reading each task's stopped.json: ${costs}`
  }
}

/**
 * The LIST prefix for a task: the notification prefix and the task ARN up to its cluster,
 * `<prefix>/arn:aws:ecs:<region>:<account>:task/<cluster>/`.
 */
export function listPrefixOf(prefix: string, taskArn: string): string {
  const upToCluster = taskArn.slice(0, taskArn.lastIndexOf('/') + 1)
  return `${prefix === '' ? '' : `${prefix}/`}${upToCluster}`
}

interface Watched {
  arn: string
  id: string
  startedKey: string
  stoppedKey: string
  listPrefix: string
  addedAt: number
  /** GET mode: when this task's stopped.json is read next. */
  nextReadAt: number
  nextVerifyAt: number
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
  /** The last state DescribeTasks gave. */
  last?: TaskSnapshot
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Watches many tasks. `add` a task the moment RunTask returns it; `run` reads until its signal
 * aborts, calling `onEnd` once per task as its end becomes known. A task can be added while
 * `run` is going.
 */
export class WaitEngine {
  private readonly watched = new Map<string, Watched>()
  /** stopped.json and started.json keys of the watched tasks. */
  private readonly byKey = new Map<string, { w: Watched; name: 'started' | 'stopped' }>()
  private readonly warned = new Set<string>()
  private mode: ReadMode
  private lastLoggedMode: string | undefined
  private pages = 1
  private nextListAt = Infinity
  private nextPollAt = Infinity
  private backoff: DescribeBackoff = NO_BACKOFF
  private s3Errors = 0
  private broken = 0
  /** Why listing was given up (denied, or failing while GETs may work); undefined: it works. */
  private listOff: string | undefined
  private listErrors = 0
  /** Some S3 request was answered (so S3 can be reached). */
  private s3Answered = false
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
  }

  /** Tasks watched whose end is not known yet. */
  get pending(): number {
    return this.watched.size
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
      id: taskIdOf(taskArn),
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
    this.nextListAt = Math.min(this.nextListAt, first)
    this.nextPollAt = Math.min(this.nextPollAt, first)
    if (first < this.wakeAt) this.wake.abort()
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
        consecutiveErrors: this.s3Errors + this.broken,
        random: this.deps.random
      })
    )
  }

  private nextWakeAt(): number {
    let at = Infinity
    if (this.mode === 'describe') at = this.nextPollAt
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

  private warnOnce(tag: string, message: string): void {
    if (this.warned.has(tag)) return
    this.warned.add(tag)
    this.deps.logger.warning(message)
  }

  private end(w: Watched, end: TaskEnd): void {
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
        pages: this.pages
      })
      const mode = this.listOff !== undefined ? 'get' : choice.mode
      if (mode !== this.mode || this.lastLoggedMode === undefined) {
        this.deps.logger.debug(
          this.listOff !== undefined
            ? `Reading each task's stopped.json: ${this.listOff}`
            : choice.reason
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
      if (now >= this.nextPollAt) await this.pollDescribe(signal)
      return
    }
    if (this.mode === 'list') {
      if (now >= this.nextListAt) await this.listTick(signal)
    } else {
      await this.getTick(signal)
    }
    if (signal.aborted || (this.mode as ReadMode) === 'describe') return
    await this.verifyAndSettle(signal)
  }

  // ---- S3 ---------------------------------------------------------------------------------

  private get prefix(): NotificationPrefix {
    return this.options.prefix as NotificationPrefix
  }

  private get s3(): Pick<S3Client, 'send'> {
    return this.deps.s3 as Pick<S3Client, 'send'>
  }

  /** A GET of each task whose read is due: its stopped.json, or now and then its started.json. */
  private async getTick(signal: AbortSignal): Promise<void> {
    const now = this.deps.clock.now()
    const due = [...this.watched.values()].filter((w) => w.nextReadAt <= now)
    await pool(due, GET_CONCURRENCY, async (w) => {
      if (signal.aborted || !this.watched.has(w.arn)) return
      const name = readsStartedNext(w.reads, w.startedSeen || w.stopped !== undefined)
        ? 'started'
        : 'stopped'
      w.reads++
      const read = await this.get(w, name, signal)
      if (signal.aborted) return
      this.accept(w, read, name)
      const t = this.deps.clock.now()
      w.nextReadAt = t + this.readDelay(t - w.addedAt, w.incompleteSince !== undefined)
    })
  }

  private async get(
    w: Watched,
    name: 'started' | 'stopped',
    signal: AbortSignal
  ): Promise<NotificationRead> {
    this.requests.get++
    const key = name === 'started' ? w.startedKey : w.stoppedKey
    const read = await readNotification(this.s3, {
      bucket: this.prefix.bucket,
      key,
      taskArn: w.arn,
      name,
      signal
    })
    if (read.kind === 'denied') this.warnOnce('access-denied', deniedMessage(this.prefix, key))
    return read
  }

  /** The first sign that a task runs: logged once, and told to `onStart`. */
  private started(w: Watched, task: TaskSnapshot | undefined): void {
    if (w.startedSeen) return
    w.startedSeen = true
    if (task === undefined) {
      this.deps.logger.debug(`started.json of task ${w.id} appeared`)
      return
    }
    this.deps.logger.info(startedLine(task))
    this.options.onStart?.(task)
  }

  /** Applies one read of a task's stopped.json (or started.json). */
  private accept(
    w: Watched,
    read: NotificationRead,
    name: 'started' | 'stopped' = 'stopped'
  ): void {
    const { logger, clock } = this.deps
    this.s3Errors = read.kind === 'retry' ? this.s3Errors + 1 : 0
    this.broken = read.kind === 'broken' ? this.broken + 1 : 0
    if (read.kind !== 'retry' && read.kind !== 'broken') this.s3Answered = true
    const key = name === 'started' ? w.startedKey : w.stoppedKey
    const url = s3Url(this.prefix.bucket, key)
    switch (read.kind) {
      case 'absent':
      case 'denied':
        return
      case 'retry':
        this.onRetry(key, read.error)
        return
      case 'broken':
        this.onBroken(
          `Reading ${url} failed: ${errorName(read.error)}: ${errorMessage(read.error)}.`
        )
        return
      case 'ignored':
        if (read.etag !== undefined && name === 'stopped') w.etag = read.etag
        this.warnOnce(`${key}@${read.etag ?? ''}`, `Ignoring ${url}: ${read.why}`)
        return
      case 'event': {
        if (name === 'started') {
          this.started(w, read.task)
          return
        }
        if (read.etag !== undefined) w.etag = read.etag
        const task = read.task
        const verdict = stopVerdict(w.stopped, task)
        if (verdict === 'ignore') return
        w.stopped = task
        if (verdict === 'end') {
          logger.debug(`stopped.json of task ${w.id}: ${task.stopCode ?? 'STOPPED'}`)
          this.end(w, { kind: 'stopped', task })
          return
        }
        if (w.incompleteSince === undefined) {
          w.incompleteSince = clock.now()
          logger.info(
            `stopped.json for task ${w.id} has no exit code or reason for the app container yet ` +
              `(EssentialContainerExited); re-reading it for up to ` +
              `${INCOMPLETE_STOP_GRACE_MS / 1000} s for a newer event`
          )
        }
      }
    }
  }

  /** A SlowDown, 5xx or network error: back off; said once per run of errors. */
  private onRetry(key: string, error: unknown): void {
    const { logger } = this.deps
    logger.debug(`S3 request for ${key} failed (${errorMessage(error)}); backing off`)
    if (this.s3Errors !== 1) return
    if (!this.s3Answered && isUnreachable(error)) {
      logger.warning(unreachableMessage(this.prefix, this.deps.s3Endpoint, error))
    } else {
      logger.info(`S3 answered ${errorName(error) || 'an error'}; backing off`)
    }
  }

  private onBroken(message: string): void {
    if (this.broken < BROKEN_READS_BEFORE_FALLBACK) {
      this.deps.logger.debug(message)
      return
    }
    this.deps.logger.warning(fallbackMessage(this.prefix, message))
    this.mode = 'describe'
    this.nextPollAt = this.deps.clock.now()
  }

  /** One LIST of every cluster prefix the pending tasks sit under, then the GETs it calls for. */
  private async listTick(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.deps
    const prefixes = [...new Set([...this.watched.values()].map((w) => w.listPrefix))]
    const toGet: Watched[] = []
    let pages = 0
    let keys = 0
    for (const listPrefix of prefixes) {
      let token: string | undefined
      do {
        this.requests.list++
        pages++
        let out
        try {
          out = await this.s3.send(
            new ListObjectsV2Command({
              Bucket: this.prefix.bucket,
              Prefix: listPrefix,
              MaxKeys: LIST_PAGE_KEYS,
              ...(token === undefined ? {} : { ContinuationToken: token })
            }),
            { abortSignal: signal }
          )
        } catch (error) {
          if (signal.aborted) return
          this.onListError(error, listPrefix)
          this.nextListAt = clock.now() + this.listDelay()
          return
        }
        for (const object of out.Contents ?? []) {
          keys++
          const hit = object.Key === undefined ? undefined : this.byKey.get(object.Key)
          if (hit === undefined) continue
          if (hit.name === 'started') {
            this.started(hit.w, undefined)
          } else if (object.ETag === undefined || object.ETag !== hit.w.etag) {
            toGet.push(hit.w)
          }
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined
      } while (token !== undefined && !signal.aborted)
    }
    this.s3Errors = 0
    this.broken = 0
    this.listErrors = 0
    this.s3Answered = true
    this.pages = Math.max(1, pages)
    logger.debug(
      `LIST of ${prefixes.length} prefix(es): ${keys} keys in ${pages} page(s); ` +
        `${toGet.length} stopped.json to read`
    )
    await pool(toGet, GET_CONCURRENCY, async (w) => {
      if (signal.aborted || !this.watched.has(w.arn)) return
      this.accept(w, await this.get(w, 'stopped', signal))
    })
    this.nextListAt = clock.now() + this.listDelay()
  }

  private listDelay(): number {
    let youngest = Infinity
    let incomplete = false
    const now = this.deps.clock.now()
    for (const w of this.watched.values()) {
      youngest = Math.min(youngest, now - w.addedAt)
      if (w.incompleteSince !== undefined) incomplete = true
    }
    return this.readDelay(youngest === Infinity ? 0 : youngest, incomplete)
  }

  private onListError(error: unknown, listPrefix: string): void {
    const url = s3Url(this.prefix.bucket, listPrefix)
    if (isDenied(error)) {
      this.listOff = 'listing the prefix was denied'
      this.mode = 'get'
      this.deps.logger.warning(
        `Listing ${url} answered 403 AccessDenied; reading each task's stopped.json instead, ` +
          `which costs more requests with many tasks. To let the action list, add to its role: ` +
          `${listBucketStatement(this.prefix)}`
      )
      return
    }
    this.listErrors++
    if (this.listErrors >= BROKEN_READS_BEFORE_FALLBACK) {
      // GETs of single keys may still work where listing does not.
      this.listOff = `listing the prefix failed ${this.listErrors} times in a row`
      this.mode = 'get'
      this.deps.logger.warning(
        `Listing ${url} failed ${this.listErrors} times in a row (last: ${errorName(error) || 'error'}: ` +
          `${errorMessage(error)}); reading each task's stopped.json instead.`
      )
      return
    }
    if (isRetryableS3(error)) {
      this.s3Errors++
      this.onRetry(listPrefix, error)
      return
    }
    this.deps.logger.debug(`Listing ${url} failed: ${errorName(error)}: ${errorMessage(error)}`)
  }

  // ---- DescribeTasks ----------------------------------------------------------------------

  /** DescribeTasks for up to 100 tasks a call; answers by ARN, and the ARNs ECS did not find. */
  private async describe(arns: string[], signal: AbortSignal): Promise<DescribeAnswer> {
    const found = new Map<string, TaskSnapshot>()
    const missing = new Map<string, string>()
    for (const chunk of chunks(arns, DESCRIBE_BATCH)) {
      this.requests.describe++
      const out = await this.deps.ecs.send(
        new DescribeTasksCommand({ cluster: this.options.cluster, tasks: chunk }),
        { abortSignal: signal }
      )
      for (const task of out.tasks ?? []) {
        if (task.taskArn !== undefined) found.set(task.taskArn, snapshotFromDescribe(task))
      }
      for (const failure of out.failures ?? []) {
        if (failure.arn !== undefined) missing.set(failure.arn, failure.reason ?? 'no task')
      }
      for (const arn of chunk) {
        if (!found.has(arn) && !missing.has(arn)) missing.set(arn, 'no task')
      }
    }
    return { found, missing }
  }

  /**
   * The verify rule, batched: when a task has gone verify-interval without stopped.json, one
   * DescribeTasks call covers it and every other task at least half-way to its own check (so the
   * checks of tasks launched seconds apart share calls); and the settling of stops whose grace
   * ran out.
   */
  private async verifyAndSettle(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.deps
    const now = clock.now()
    const verifyMs = this.verifyMs
    const pending = [...this.watched.values()]
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
        this.end(w, { kind: 'stopped', task: w.stopped as TaskSnapshot })
      }
      return
    }
    let answer: DescribeAnswer | undefined
    try {
      answer = await this.describe(
        [...settle, ...verify].map((w) => w.arn),
        signal
      )
    } catch (error) {
      if (signal.aborted) return
      if (isThrottling(error)) {
        logger.info(
          `DescribeTasks is throttled; checking again in ${this.options.verifyIntervalSeconds} s`
        )
      } else {
        this.warnOnce(
          `verify:${errorName(error)}`,
          `Could not check tasks with DescribeTasks (${errorName(error) || 'error'}: ` +
            `${errorMessage(error)}); the wait goes on through S3. Grant ecs:DescribeTasks to ` +
            `the action's role, or set verify-interval: 0 to never check.`
        )
      }
    }
    for (const w of settle) {
      const task = answer?.found.get(w.arn)
      if (task?.lastStatus === 'STOPPED' && stopVerdict(undefined, task) === 'end') {
        logger.info(`DescribeTasks completes the stop of task ${w.id} that stopped.json left open`)
        this.end(w, { kind: 'stopped', task })
      } else {
        logger.info(`Settling on stopped.json of task ${w.id}: no exit code or reason for app`)
        this.end(w, { kind: 'stopped', task: w.stopped as TaskSnapshot })
      }
    }
    const t = clock.now()
    for (const w of verify) w.nextVerifyAt = t + verifyMs
    if (answer !== undefined) this.applyVerify(verify, answer, t)
  }

  /** What one verify call found about tasks without stopped.json. */
  private applyVerify(verify: Watched[], answer: DescribeAnswer, now: number): void {
    const { logger } = this.deps
    const missing: string[] = []
    const silent: string[] = []
    let late = 0
    for (const w of verify) {
      const task = answer.found.get(w.arn)
      const verdict = verifyVerdict(task, w.startedSeen, now)
      if (task === undefined) {
        missing.push(`${w.arn} (${answer.missing.get(w.arn) ?? 'no task'})`)
        continue
      }
      w.last = task
      if (verdict === 'stopped' || verdict === 'stopped-late') {
        if (verdict === 'stopped-late') late++
        logger.info(stoppedByVerifyLine(task, s3Url(this.prefix.bucket, w.stoppedKey)))
        this.end(w, { kind: 'stopped', task })
      } else if (verdict === 'silent') {
        silent.push(w.arn)
      } else {
        logger.debug(`ECS reports task ${w.id} ${task.lastStatus}; still waiting for stopped.json`)
      }
    }
    const every = this.options.verifyIntervalSeconds
    // Without a single S3 answer the notifier is not to blame: S3 itself was not reached.
    const checklist = notifierChecklist(this.prefix, this.options.cluster)
    if (late > 0 && this.s3Answered) {
      logger.warning(
        `ECS reports ${late} task(s) stopped more than ${NOTIFIER_LAG_MS / 1000} s ago whose ` +
          `stopped.json has not appeared: the notifier missed the events. ${checklist}`
      )
    }
    if (silent.length > 0 && this.s3Answered) {
      this.warnOnce(
        'not-arriving',
        `ECS reports ${silent.length} task(s) RUNNING whose started.json has not appeared after ` +
          `${every} s: notifications are not arriving (${nameSome(silent)}). ${checklist} ` +
          `Still waiting; ECS is checked again every ${every} s.`
      )
    }
    if (missing.length > 0) {
      logger.warning(
        `DescribeTasks does not find ${missing.length} task(s) in cluster ` +
          `'${this.options.cluster}': ${nameSome(missing)}; still waiting for their stopped.json`
      )
    }
  }

  /** Describe mode: one DescribeTasks call per 100 pending tasks per tick. */
  private async pollDescribe(signal: AbortSignal): Promise<void> {
    const { clock, logger, random } = this.deps
    const base = this.options.pollIntervalSeconds
    try {
      const arns = [...this.watched.keys()]
      const { found, missing } = await this.describe(arns, signal)
      this.backoff = afterSuccess(this.backoff, base)
      const now = clock.now()
      for (const arn of arns) {
        const w = this.watched.get(arn)
        if (w !== undefined) this.applyDescribed(w, found.get(arn), missing.get(arn), now)
      }
    } catch (error) {
      if (signal.aborted) return
      if (isThrottling(error) || isTransient(error)) {
        this.backoff = afterThrottle(this.backoff, base)
        const message =
          `DescribeTasks ${isThrottling(error) ? 'is throttled' : `failed (${errorMessage(error)})`}; ` +
          `next call in about ${Math.round(this.backoff.throttleMs / 1000)} s`
        if (isThrottling(error)) logger.info(message)
        else logger.warning(message)
      } else {
        throw new UserError(
          `Could not describe tasks in cluster '${this.options.cluster}': ${errorName(error)}: ` +
            `${errorMessage(error)}. The action's role needs ecs:DescribeTasks on the tasks ` +
            `(or set a notification prefix to wait through S3 instead).`
        )
      }
    }
    const now = clock.now()
    let youngest = Infinity
    let incomplete = false
    for (const w of this.watched.values()) {
      youngest = Math.min(youngest, now - w.addedAt)
      if (w.incompleteSince !== undefined) incomplete = true
    }
    const delay = describeDelayMs({
      baseSeconds: base,
      ageMs: incomplete || youngest === Infinity ? 0 : youngest,
      backoff: this.backoff,
      random
    })
    this.nextPollAt = now + Math.max(MIN_READ_GAP_MS, delay)
  }

  /** Describe mode: what one DescribeTasks answer says of one task. */
  private applyDescribed(
    w: Watched,
    task: TaskSnapshot | undefined,
    missing: string | undefined,
    now: number
  ): void {
    if (task === undefined) {
      if (isLost(w.lastFoundAt, now)) {
        this.end(w, {
          kind: 'lost',
          taskArn: w.arn,
          reason:
            `DescribeTasks has not found the task in cluster '${this.options.cluster}' for ` +
            `${Math.round((now - w.lastFoundAt) / 1000)} s (${missing ?? 'no task'}). Check ` +
            `that the cluster and region are the ones the task was started in.`
        })
      }
      return
    }
    w.last = task
    w.lastFoundAt = now
    if (task.lastStatus === 'RUNNING' || task.startedAt !== undefined) this.started(w, task)
    if (task.lastStatus !== 'STOPPED') return
    if (stopVerdict(undefined, task) === 'end') {
      this.end(w, { kind: 'stopped', task })
      return
    }
    w.incompleteSince ??= now
    if (graceOver(w.incompleteSince, now)) {
      this.deps.logger.info(
        `Task ${w.id} stopped (EssentialContainerExited) without an exit code or reason ` +
          `for the app container after ${INCOMPLETE_STOP_GRACE_MS / 1000} s of re-reading`
      )
      this.end(w, { kind: 'stopped', task })
    }
  }
}
