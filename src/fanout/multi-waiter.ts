/**
 * Waiting on many tasks at once with few requests.
 *
 * With a notification prefix there are two ways to look for stopped.json objects, and each tick
 * takes the cheaper by count:
 * - a GET of `<prefix>/<task ARN>/stopped.json` per pending task, each on its own age-grown,
 *   jittered schedule (src/wait/schedule.ts);
 * - one LIST of `<prefix>/arn:aws:ecs:<region>:<account>:task/<cluster>/` (1,000 keys a page),
 *   then a GET of only the stopped.json objects that appeared or whose ETag changed (a newer
 *   event). A LIST costs about 12.5 GETs (docs/limits.md, "S3 pricing"), so it wins once more than about a
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
import { INCOMPLETE_STOP_GRACE_MS, VISIBILITY_TIMEOUT_MS } from '../wait/describe-waiter.js'
import { notificationKey, s3Url } from '../wait/prefix.js'
import { isIncompleteStop, snapshotFromDescribe, taskIdOf } from '../wait/result.js'
import {
  BROKEN_READS_BEFORE_FALLBACK,
  NOTIFIER_LAG_MS,
  listBucketStatement
} from '../wait/s3-waiter.js'
import {
  NO_BACKOFF,
  afterSuccess,
  afterThrottle,
  describeDelayMs,
  meanIntervalMs,
  s3ReadDelayMs,
  type DescribeBackoff
} from '../wait/schedule.js'
import type { NotificationPrefix, TaskSnapshot } from '../wait/types.js'
import {
  isDenied,
  isRetryableS3,
  readNotification,
  type NotificationRead
} from '../wait/notification.js'

/** What one LIST request costs in GETs (docs/limits.md, "S3 pricing"). */
export const LIST_COST_IN_GETS = 12.5
/** ListObjectsV2 answers at most 1,000 keys a page. */
export const LIST_PAGE_KEYS = 1000
/** DescribeTasks takes at most 100 tasks a call. */
export const DESCRIBE_BATCH = 100
/** No task is read more often than this, whatever the poll interval. */
export const MIN_READ_GAP_MS = 1000
/** GETs in flight at once. */
const GET_CONCURRENCY = 16
/** ARNs named in a warning about many tasks. */
const NAMED = 5

/** How a watched task ended. */
export type TaskEnd =
  | { kind: 'stopped'; task: TaskSnapshot }
  /** DescribeTasks never found the task (wrong cluster or region, or it vanished). */
  | { kind: 'lost'; taskArn: string; reason: string }

export interface MultiWaiterDeps {
  ecs: Pick<ECSClient, 'send'>
  /** For the notification objects; required with a prefix. */
  s3?: Pick<S3Client, 'send'>
  clock: Clock
  random: Random
  logger: Logger
}

export interface MultiWaiterOptions {
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
  /** started.json was seen in a LIST. */
  startedSeen: boolean
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

/** `a, b, c and 4 more` */
function nameSome(items: string[]): string {
  const shown = items.slice(0, NAMED).join(', ')
  return items.length > NAMED ? `${shown} and ${items.length - NAMED} more` : shown
}

/**
 * Watches many tasks. `add` a task the moment RunTask returns it; `run` reads until its signal
 * aborts, calling `onEnd` once per task as its end becomes known. A task can be added while
 * `run` is going.
 */
export class MultiWaiter {
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
  private wake: AbortController = new AbortController()
  private wakeAt = Infinity
  /** Requests made, by kind, for the debug log and the benchmark. */
  readonly requests = { get: 0, list: 0, describe: 0 }

  constructor(
    private readonly deps: MultiWaiterDeps,
    private readonly options: MultiWaiterOptions
  ) {
    if (options.prefix !== undefined && deps.s3 === undefined) {
      throw new Error('MultiWaiter: a notification prefix needs an S3 client')
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

  /** A GET of each task whose read is due. */
  private async getTick(signal: AbortSignal): Promise<void> {
    const now = this.deps.clock.now()
    const due = [...this.watched.values()].filter((w) => w.nextReadAt <= now)
    await pool(due, GET_CONCURRENCY, async (w) => {
      if (signal.aborted || !this.watched.has(w.arn)) return
      const read = await this.get(w, signal)
      if (signal.aborted) return
      this.accept(w, read)
      const t = this.deps.clock.now()
      w.nextReadAt = t + this.readDelay(t - w.addedAt, w.incompleteSince !== undefined)
    })
  }

  private async get(w: Watched, signal: AbortSignal): Promise<NotificationRead> {
    this.requests.get++
    const read = await readNotification(this.s3, {
      bucket: this.prefix.bucket,
      key: w.stoppedKey,
      taskArn: w.arn,
      name: 'stopped',
      signal
    })
    if (read.kind === 'denied') {
      this.warnOnce(
        'access-denied',
        `Reading ${s3Url(this.prefix.bucket, w.stoppedKey)} answered 403 AccessDenied. S3 ` +
          `answers 403 instead of 404 for a missing key when the role lacks s3:ListBucket, so ` +
          `this is read as "not written yet"; to make it a 404 (and let the action list the ` +
          `prefix, which is cheaper for many tasks), add to the action's role: ` +
          `${listBucketStatement(this.prefix)}`
      )
    }
    return read
  }

  /** Applies one read of a task's stopped.json. */
  private accept(w: Watched, read: NotificationRead): void {
    const { logger, clock } = this.deps
    this.s3Errors = read.kind === 'retry' ? this.s3Errors + 1 : 0
    this.broken = read.kind === 'broken' ? this.broken + 1 : 0
    const url = s3Url(this.prefix.bucket, w.stoppedKey)
    switch (read.kind) {
      case 'absent':
      case 'denied':
        return
      case 'retry':
        logger.debug(`S3 read of ${w.stoppedKey} failed (${errorMessage(read.error)}); backing off`)
        if (this.s3Errors === 1) {
          logger.info(`S3 answered ${errorName(read.error) || 'an error'}; backing off`)
        }
        return
      case 'broken':
        this.onBroken(
          `Reading ${url} failed: ${errorName(read.error)}: ${errorMessage(read.error)}.`
        )
        return
      case 'ignored':
        if (read.etag !== undefined) w.etag = read.etag
        this.warnOnce(`${w.stoppedKey}@${read.etag ?? ''}`, `Ignoring ${url}: ${read.why}`)
        return
      case 'event': {
        if (read.etag !== undefined) w.etag = read.etag
        const task = read.task
        // Newest detail.version wins; duplicates and older events change nothing (docs/ecs-events.md, "Delivery").
        if (w.stopped !== undefined && (task.version ?? -1) <= (w.stopped.version ?? -1)) return
        w.stopped = task
        if (!isIncompleteStop(task)) {
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

  private onBroken(message: string): void {
    if (this.broken < BROKEN_READS_BEFORE_FALLBACK) {
      this.deps.logger.debug(message)
      return
    }
    this.deps.logger.warning(
      `${message} Waiting through DescribeTasks instead. Check that the bucket ` +
        `'${this.prefix.bucket}' exists${this.prefix.region ? ` in ${this.prefix.region}` : ''} ` +
        `(a '?region=' on the prefix names another region) and that the action's role may read it.`
    )
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
            if (!hit.w.startedSeen) logger.debug(`started.json of task ${hit.w.id} appeared`)
            hit.w.startedSeen = true
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
    this.pages = Math.max(1, pages)
    logger.debug(
      `LIST of ${prefixes.length} prefix(es): ${keys} keys in ${pages} page(s); ` +
        `${toGet.length} stopped.json to read`
    )
    await pool(toGet, GET_CONCURRENCY, async (w) => {
      if (signal.aborted || !this.watched.has(w.arn)) return
      this.accept(w, await this.get(w, signal))
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
      this.deps.logger.debug(`LIST of ${url} failed (${errorMessage(error)}); backing off`)
      if (this.s3Errors === 1) {
        this.deps.logger.info(`S3 answered ${errorName(error) || 'an error'}; backing off`)
      }
      return
    }
    this.deps.logger.debug(`Listing ${url} failed: ${errorName(error)}: ${errorMessage(error)}`)
  }

  // ---- DescribeTasks ----------------------------------------------------------------------

  /** DescribeTasks for up to 100 tasks a call; answers by ARN, and the ARNs ECS did not find. */
  private async describe(
    arns: string[],
    signal: AbortSignal
  ): Promise<{ found: Map<string, TaskSnapshot>; missing: Map<string, string> }> {
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
    const settle: Watched[] = []
    const verify: Watched[] = []
    let due = false
    for (const w of this.watched.values()) {
      if (w.incompleteSince !== undefined) {
        if (now - w.incompleteSince >= INCOMPLETE_STOP_GRACE_MS) settle.push(w)
      } else if (w.stopped === undefined && verifyMs > 0) {
        if (w.nextVerifyAt <= now) due = true
        if (w.nextVerifyAt - verifyMs / 2 <= now) verify.push(w)
      }
    }
    if (!due) verify.length = 0
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
    let answer: Awaited<ReturnType<MultiWaiter['describe']>> | undefined
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
    const t = clock.now()
    for (const w of settle) {
      const task = answer?.found.get(w.arn)
      if (task?.lastStatus === 'STOPPED' && !isIncompleteStop(task)) {
        logger.info(`DescribeTasks completes the stop of task ${w.id} that stopped.json left open`)
        this.end(w, { kind: 'stopped', task })
      } else {
        logger.info(`Settling on stopped.json of task ${w.id}: no exit code or reason for app`)
        this.end(w, { kind: 'stopped', task: w.stopped as TaskSnapshot })
      }
    }
    if (answer === undefined) {
      for (const w of verify) w.nextVerifyAt = t + verifyMs
      return
    }
    const missing: string[] = []
    const silent: string[] = []
    let late = 0
    for (const w of verify) {
      w.nextVerifyAt = t + verifyMs
      const task = answer.found.get(w.arn)
      if (task === undefined) {
        missing.push(`${w.arn} (${answer.missing.get(w.arn) ?? 'no task'})`)
        continue
      }
      w.last = task
      if (task.lastStatus === 'STOPPED') {
        const sinceStop = task.stoppedAt ? t - task.stoppedAt.getTime() : Infinity
        if (sinceStop >= NOTIFIER_LAG_MS) late++
        logger.info(
          `ECS reports task ${w.id} STOPPED${task.stoppedAt ? ` at ${task.stoppedAt.toISOString()}` : ''}, ` +
            `but its stopped.json has not appeared; finishing from the DescribeTasks answer`
        )
        this.end(w, { kind: 'stopped', task })
      } else if (task.lastStatus === 'RUNNING' && this.mode === 'list' && !w.startedSeen) {
        silent.push(w.arn)
      }
    }
    const checklist = this.notifierChecklist()
    if (late > 0) {
      logger.warning(
        `ECS reports ${late} task(s) stopped more than ${NOTIFIER_LAG_MS / 1000} s ago whose ` +
          `stopped.json has not appeared: the notifier missed the events. ${checklist}`
      )
    }
    if (silent.length > 0) {
      this.warnOnce(
        'not-arriving',
        `ECS reports ${silent.length} task(s) RUNNING whose started.json has not appeared after ` +
          `${this.options.verifyIntervalSeconds} s: notifications are not arriving ` +
          `(${nameSome(silent)}). ${checklist} Still waiting; ECS is checked again every ` +
          `${this.options.verifyIntervalSeconds} s.`
      )
    }
    if (missing.length > 0) {
      logger.warning(
        `DescribeTasks does not find ${missing.length} task(s) in cluster ` +
          `'${this.options.cluster}': ${nameSome(missing)}; still waiting for their stopped.json`
      )
    }
  }

  private notifierChecklist(): string {
    const p = this.prefix
    const under = p.prefix === '' ? '' : `${p.prefix}/`
    return (
      `Check that the EventBridge rule for "ECS Task State Change" events matches cluster ` +
      `'${this.options.cluster}', that the notifier Lambda shows no errors in its logs and may ` +
      `s3:PutObject on arn:aws:s3:::${p.bucket}/${under}*, and that it writes to ` +
      `${s3Url(p.bucket, under)} (the prefix this action reads).`
    )
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
        if (w === undefined) continue
        const task = found.get(arn)
        if (task === undefined) {
          const invisibleMs = now - w.lastFoundAt
          if (invisibleMs >= VISIBILITY_TIMEOUT_MS) {
            this.end(w, {
              kind: 'lost',
              taskArn: arn,
              reason:
                `DescribeTasks has not found the task in cluster '${this.options.cluster}' for ` +
                `${Math.round(invisibleMs / 1000)} s (${missing.get(arn) ?? 'no task'})`
            })
          }
          continue
        }
        w.last = task
        w.lastFoundAt = now
        if (task.lastStatus !== 'STOPPED') continue
        if (!isIncompleteStop(task)) {
          this.end(w, { kind: 'stopped', task })
          continue
        }
        w.incompleteSince ??= now
        if (now - w.incompleteSince >= INCOMPLETE_STOP_GRACE_MS) {
          logger.info(
            `Task ${w.id} stopped (EssentialContainerExited) without an exit code or reason ` +
              `for the app container after ${INCOMPLETE_STOP_GRACE_MS / 1000} s of re-reading`
          )
          this.end(w, { kind: 'stopped', task })
        }
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
}
