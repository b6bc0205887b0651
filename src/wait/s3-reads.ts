/**
 * The wait engine's S3 reads: a GET of each due task's stopped.json (now and then its
 * started.json), or one LIST of the prefix and a GET of only the objects that appeared or
 * changed; and what S3's answers mean (403 as "not yet", backing off on SlowDown and 5xx, S3
 * unreachable, a broken prefix falling back to DescribeTasks, listing given up).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { escapeLogText } from '../util/safe-text.js'
import type { Clock } from '../util/clock.js'
import { errorName, foreignErrorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import {
  isDenied,
  isRetryableS3,
  isUnreachable,
  readNotification,
  type NotificationRead
} from './notification.js'
import { s3Url } from './prefix.js'
import { LIST_PAGE_KEYS, type ReadMode } from './read-mode.js'
import {
  BROKEN_READS_BEFORE_FALLBACK,
  INCOMPLETE_STOP_GRACE_MS,
  deniedMessage,
  fallbackMessage,
  listBucketStatement,
  readsStartedNext,
  stopVerdict,
  unreachableMessage
} from './rules.js'
import type { NotificationPrefix, TaskSnapshot } from '../model/task.js'
import { paceAgeMs, pool, type TaskEnd, type Watched } from './watched.js'

/** GETs in flight at once. */
const GET_CONCURRENCY = 16

/** What the S3 reads need of the engine that owns the watched tasks. */
export interface ReadHost {
  readonly watched: ReadonlyMap<string, Watched>
  /** stopped.json and started.json keys of the watched tasks. */
  readonly byKey: ReadonlyMap<string, { w: Watched; name: 'started' | 'stopped' }>
  readonly requests: { get: number; list: number; describe: number }
  readDelay(ageMs: number, incomplete: boolean): number
  started(w: Watched, task: TaskSnapshot | undefined): void
  end(w: Watched, end: TaskEnd): void
  warnOnce(tag: string, message: string): void
  setMode(mode: ReadMode): void
}

export class S3Reads {
  /** Retryable errors (SlowDown, 5xx, network) in a row. */
  s3Errors = 0
  /** Reads in a row that cannot succeed (NoSuchBucket, wrong region ...). */
  broken = 0
  /** Why listing was given up (denied, or failing while GETs may work); undefined: it works. */
  listOff: string | undefined
  private listErrors = 0
  /** Some S3 request was answered (so S3 can be reached). */
  s3Answered = false
  /** LIST pages the prefix took last time. */
  pages = 1
  nextListAt = Infinity

  constructor(
    private readonly host: ReadHost,
    private readonly deps: { clock: Clock; logger: Logger; s3Endpoint?: string },
    private readonly options: { s3: Pick<S3Client, 'send'>; prefix: NotificationPrefix }
  ) {}

  /** Errors in a row, for the read backoff. */
  get errors(): number {
    return this.s3Errors + this.broken
  }

  private get prefix(): NotificationPrefix {
    return this.options.prefix
  }

  private get s3(): Pick<S3Client, 'send'> {
    return this.options.s3
  }

  /** A GET of each task whose read is due: its stopped.json, or now and then its started.json. */
  async getTick(signal: AbortSignal): Promise<void> {
    const now = this.deps.clock.now()
    const due = [...this.host.watched.values()].filter((w) => w.nextReadAt <= now)
    await pool(due, GET_CONCURRENCY, async (w) => {
      if (signal.aborted || !this.host.watched.has(w.arn)) return
      const name = readsStartedNext(w.reads, w.startedSeen || w.stopped !== undefined)
        ? 'started'
        : 'stopped'
      w.reads++
      const read = await this.get(w, name, signal)
      if (signal.aborted) return
      this.accept(w, read, name)
      const t = this.deps.clock.now()
      w.nextReadAt = t + this.host.readDelay(t - w.addedAt, w.incompleteSince !== undefined)
    })
  }

  private async get(
    w: Watched,
    name: 'started' | 'stopped',
    signal: AbortSignal
  ): Promise<NotificationRead> {
    this.host.requests.get++
    const key = name === 'started' ? w.startedKey : w.stoppedKey
    const read = await readNotification(this.s3, {
      bucket: this.prefix.bucket,
      key,
      taskArn: w.arn,
      name,
      signal
    })
    if (read.kind === 'denied') this.host.warnOnce('access-denied', deniedMessage(this.prefix, key))
    return read
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
          `Reading ${url} failed: ${escapeLogText(errorName(read.error))}: ${foreignErrorMessage(read.error)}.`
        )
        return
      case 'ignored':
        if (read.etag !== undefined && name === 'stopped') w.etag = read.etag
        this.host.warnOnce(`${key}@${read.etag ?? ''}`, `Ignoring ${url}: ${read.why}`)
        return
      case 'event': {
        if (name === 'started') {
          this.host.started(w, read.task)
          return
        }
        if (read.etag !== undefined) w.etag = read.etag
        const task = read.task
        const verdict = stopVerdict(w.stopped, task)
        if (verdict === 'ignore') return
        w.stopped = task
        if (verdict === 'end') {
          logger.debug(`stopped.json of task ${w.id}: ${escapeLogText(task.stopCode ?? 'STOPPED')}`)
          this.host.end(w, { kind: 'stopped', task })
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
    logger.debug(`S3 request for ${key} failed (${foreignErrorMessage(error)}); backing off`)
    if (this.s3Errors !== 1) return
    if (!this.s3Answered && isUnreachable(error)) {
      logger.warning(unreachableMessage(this.prefix, this.deps.s3Endpoint, error))
    } else {
      logger.info(`S3 answered ${escapeLogText(errorName(error)) || 'an error'}; backing off`)
    }
  }

  private onBroken(message: string): void {
    if (this.broken < BROKEN_READS_BEFORE_FALLBACK) {
      this.deps.logger.debug(message)
      return
    }
    this.deps.logger.warning(fallbackMessage(this.prefix, message))
    this.host.setMode('describe')
  }

  /** One LIST of every cluster prefix the pending tasks sit under, then the GETs it calls for. */
  async listTick(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.deps
    const prefixes = [...new Set([...this.host.watched.values()].map((w) => w.listPrefix))]
    const toGet: Watched[] = []
    let pages = 0
    let keys = 0
    for (const listPrefix of prefixes) {
      let token: string | undefined
      do {
        this.host.requests.list++
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
          const hit = object.Key === undefined ? undefined : this.host.byKey.get(object.Key)
          if (hit === undefined) continue
          if (hit.name === 'started') {
            this.host.started(hit.w, undefined)
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
      if (signal.aborted || !this.host.watched.has(w.arn)) return
      this.accept(w, await this.get(w, 'stopped', signal))
    })
    this.nextListAt = clock.now() + this.listDelay()
  }

  listDelay(): number {
    const ageMs = paceAgeMs(this.host.watched.values(), this.deps.clock.now())
    return this.host.readDelay(ageMs, false)
  }

  private onListError(error: unknown, listPrefix: string): void {
    const url = s3Url(this.prefix.bucket, listPrefix)
    if (isDenied(error)) {
      this.listOff = 'listing the prefix was denied'
      this.host.setMode('get')
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
      this.host.setMode('get')
      this.deps.logger.warning(
        `Listing ${url} failed ${this.listErrors} times in a row (last: ${escapeLogText(errorName(error)) || 'error'}: ` +
          `${foreignErrorMessage(error)}); reading each task's stopped.json instead.`
      )
      return
    }
    if (isRetryableS3(error)) {
      this.s3Errors++
      this.onRetry(listPrefix, error)
      return
    }
    this.deps.logger.debug(
      `Listing ${url} failed: ${escapeLogText(errorName(error))}: ${foreignErrorMessage(error)}`
    )
  }
}
