/**
 * The S3 reader: a GET of one notification object, or one ListObjectsV2 round over every
 * cluster prefix the pending tasks sit under (1,000 keys a page); and the bucket's health
 * (s3-health.ts), which its answers change. It returns what it saw as observations and lines
 * to log; the engine (engine.ts) applies them to its task records.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import type { NotificationPrefix } from '../model/task.js'
import { listedButDeniedMessage } from './messages.js'
import { readNotification, type NotificationRead } from './notification.js'
import type { LogLine, Observation } from './observations.js'
import { s3Url } from '../aws/s3.js'
import { LIST_PAGE_KEYS } from './read-mode.js'
import {
  FRESH_HEALTH,
  afterGet,
  afterList,
  afterListError,
  type HealthChange,
  type HealthContext,
  type S3Health
} from './s3-health.js'
import type { NotificationName } from './watched-task.js'

/** What a read says: of the task (if anything), the lines to log, a switch of read mode. */
export interface ReadResult {
  observation?: Observation
  logs: LogLine[]
  mode?: 'describe' | 'get'
}

/** What one LIST round found for the watched keys. */
export interface ListResult extends Omit<ReadResult, 'observation'> {
  /** started.json objects seen, in the order listed. */
  started: Observation[]
  /** Tasks whose stopped.json appeared or changed: GET them (empty after a failure). */
  toGet: string[]
  /** The round failed part-way. */
  failed: boolean
}

/** One watched key, as the LIST matches it. */
export interface KeyOwner {
  arn: string
  name: NotificationName
  /** The ETag of the stopped.json last read, to GET only one that changed. */
  etag?: string
}

/** Reads the notification bucket and keeps its health; counts its requests through `count`. */
export class S3Reader {
  private state: S3Health = FRESH_HEALTH
  private readonly ctx: HealthContext

  constructor(
    private readonly s3: Pick<S3Client, 'send'>,
    prefix: NotificationPrefix,
    private readonly count: (kind: 'get' | 'list', n: number) => void,
    endpoint?: string
  ) {
    this.ctx = { prefix, endpoint }
  }

  /** How the bucket has been answering (s3-health.ts), as its answers left it. */
  get health(): S3Health {
    return this.state
  }

  /** GETs `key`, the `name` object of task `arn` (`listed`: a LIST just showed it). */
  async read(
    task: { arn: string; key: string; name: NotificationName; listed?: boolean },
    signal: AbortSignal
  ): Promise<ReadResult> {
    this.count('get', 1)
    const read = await readNotification(this.s3, {
      bucket: this.ctx.prefix.bucket,
      key: task.key,
      taskArn: task.arn,
      name: task.name,
      signal
    })
    const failed = read.kind === 'retry' || read.kind === 'broken'
    const change = afterGet(
      this.state,
      failed ? { kind: read.kind, error: read.error, key: task.key } : { kind: 'answered' },
      this.ctx
    )
    const observation = observationOf(task.arn, task.name, read)
    const result = this.take(change)
    if (read.kind === 'denied' && task.listed === true) {
      // The object exists (listed) and ListBucket works: only s3:GetObject can deny the GET.
      const url = s3Url(this.ctx.prefix.bucket, task.key)
      const message = listedButDeniedMessage(this.ctx.prefix, url)
      result.logs = [...result.logs, { level: 'warning', message, once: 'get-object-denied' }]
    }
    return { ...result, observation }
  }

  /** One LIST of `prefixes`, matched against the watched keys. */
  async list(
    prefixes: readonly string[],
    owners: (key: string) => KeyOwner | undefined,
    signal: AbortSignal
  ): Promise<ListResult> {
    const round = await listNotifications(this.s3, {
      bucket: this.ctx.prefix.bucket,
      prefixes,
      signal
    })
    this.count('list', round.pages)
    const started: Observation[] = []
    const toGet: string[] = []
    for (const object of round.objects) {
      const owner = owners(object.key)
      if (owner === undefined) continue
      if (owner.name === 'started') started.push({ kind: 'started', arn: owner.arn })
      else if (object.etag === undefined || object.etag !== owner.etag) toGet.push(owner.arn)
    }
    if (round.failure !== undefined) {
      if (signal.aborted) return { started, toGet: [], failed: true, logs: [] }
      const change = afterListError(this.state, round.failure, this.ctx)
      return { started, toGet: [], failed: true, ...this.take(change) }
    }
    this.state = afterList(this.state, round.pages)
    const line: LogLine = {
      level: 'debug',
      message:
        `LIST of ${prefixes.length} prefix(es): ${round.keys} keys in ${round.pages} page(s); ` +
        `${toGet.length} stopped.json to read`
    }
    return { started, toGet, failed: false, logs: [line] }
  }

  private take(change: HealthChange): Omit<ReadResult, 'observation'> {
    this.state = change.health
    return { logs: change.logs, mode: change.mode }
  }
}

/** What a GET's answer says of the task; undefined for errors, which only the health counts. */
export function observationOf(
  arn: string,
  name: NotificationName,
  read: NotificationRead
): Observation | undefined {
  switch (read.kind) {
    case 'absent':
    case 'denied':
      return { kind: read.kind, arn, name }
    case 'ignored':
      return { kind: 'unusable', arn, name, why: read.why, etag: read.etag }
    case 'event':
      if (name === 'started') return { kind: 'started', arn, task: read.task }
      return { kind: 'stopped', arn, task: read.task, etag: read.etag }
    case 'retry':
    case 'broken':
      return undefined
  }
}

/** What one LIST round saw. */
export interface ListRound {
  /** Every object seen, in the order S3 listed them (also those seen before a failure). */
  objects: { key: string; etag?: string }[]
  /** LIST requests sent (pages asked for). */
  pages: number
  /** Keys listed in all. */
  keys: number
  /** The request that failed, when one did; the round stops there. */
  failure?: { error: unknown; listPrefix: string }
}

/** Lists each of `prefixes` of `bucket`, following continuation tokens. */
export async function listNotifications(
  s3: Pick<S3Client, 'send'>,
  options: { bucket: string; prefixes: readonly string[]; signal: AbortSignal }
): Promise<ListRound> {
  const round: ListRound = { objects: [], pages: 0, keys: 0 }
  for (const listPrefix of options.prefixes) {
    let token: string | undefined
    do {
      round.pages++
      let out
      try {
        out = await s3.send(
          new ListObjectsV2Command({
            Bucket: options.bucket,
            Prefix: listPrefix,
            MaxKeys: LIST_PAGE_KEYS,
            ...(token === undefined ? {} : { ContinuationToken: token })
          }),
          { abortSignal: options.signal }
        )
      } catch (error) {
        return { ...round, failure: { error, listPrefix } }
      }
      for (const object of out.Contents ?? []) {
        round.keys++
        if (object.Key === undefined) continue
        round.objects.push({ key: object.Key, etag: object.ETag })
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined
    } while (token !== undefined && !options.signal.aborted)
  }
  return round
}
