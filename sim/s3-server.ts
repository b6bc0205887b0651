/**
 * A real S3 protocol server on loopback (s3rver), for tests, the simulator, the demo and the
 * benchmark. s3rver predates S3's conditional writes (2024), so this adds them in front of its
 * router: `If-None-Match: *` and `If-Match: <etag>` on PutObject answer 412 PreconditionFailed
 * as S3 does, checked and written under a per-key lock so racing writers are serialised; and a
 * conditional PutObject that arrives while another write of the same key is in progress answers
 * 409 ConditionalRequestConflict, which S3 may answer then too (its PutObject reference: "If a
 * conflicting operation occurs during the upload S3 returns a 409 ConditionalRequestConflict
 * response"; docs/limits.md, "S3 conditional writes"), so callers must handle both.
 * GetObject takes the same lock as a reader (reads of a key run together, never during a write
 * of it) and buffers the body under it: s3rver rewrites an object's file in place, so a read
 * streamed during a write would see a torn object (S3 reads are atomic).
 * It also counts requests by operation, for the benchmark's "S3 reads" figures.
 * ListObjectsV2 is answered here, from s3rver's store: s3rver signs its continuation tokens
 * with DES, which OpenSSL 3 no longer offers, so any listing of more than one page failed there.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'

export interface S3ServerOptions {
  /** Buckets to create at start. */
  buckets: string[]
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number
  /** Real milliseconds each PutObject takes before it is stored (default 0). */
  putLatencyMs?: number
  /** PutObject of keys this matches answers 403 AccessDenied (a role without the grant). */
  denyPut?: (key: string) => boolean
  /**
   * PutObjects a second a bucket takes (over the last second); more answer 503 SlowDown, as S3
   * does above 3,500 PUTs a second per partitioned prefix (docs/limits.md). Default: no limit.
   */
  putsPerSecond?: number
}

export interface S3ServerStats {
  /** Requests by operation: GetObject, HeadObject, PutObject, ListObjectsV2, other. */
  byOperation: Record<string, number>
  /** GetObject answered 404 (the waiter's "not yet"). */
  notFound: number
  /** PutObject answered 503 SlowDown (putsPerSecond). */
  throttled: number
  /** The most PutObjects that arrived within one second. */
  peakPutsPerSecond: number
}

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string
  /** A real S3 client pointed at this server (path-style, dummy credentials). */
  client(region?: string): S3Client
  stats(): S3ServerStats
  resetStats(): void
  close(): Promise<void>
}

/** Path-style bucket and key of a request path `/bucket/key...`. */
function splitPath(path: string): { bucket: string; key: string } {
  const [, bucket = '', ...rest] = path.split('/')
  return { bucket, key: decodeURIComponent(rest.join('/')) }
}

function operationOf(method: string, key: string, query: Record<string, unknown>): string {
  if (method === 'GET' && key === '') return 'list-type' in query ? 'ListObjectsV2' : 'ListObjects'
  if (method === 'GET') return 'GetObject'
  if (method === 'HEAD') return 'HeadObject'
  if (method === 'PUT' && key !== '') return 'PutObject'
  if (method === 'DELETE') return 'DeleteObject'
  return 'other'
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function xmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A continuation token: the last key of the page, base64. */
const tokenOf = (key: string): string => Buffer.from(key, 'utf8').toString('base64')
const keyOfToken = (token: string): string => Buffer.from(token, 'base64').toString('utf8')

/** ListObjectsV2 from s3rver's store, paged as S3 pages it (at most 1,000 keys a page). */
async function listObjectsV2(
  store: S3rver['store'],
  bucket: string,
  query: Record<string, string | string[] | undefined>
): Promise<string> {
  const q = (name: string): string | undefined => header(query[name])
  const prefix = q('prefix') ?? ''
  const delimiter = q('delimiter')
  const maxKeys = Math.min(1000, Number(q('max-keys') ?? 1000))
  const token = q('continuation-token')
  const startAfter = token !== undefined ? keyOfToken(token) : q('start-after')
  const result = await store.listObjects(bucket, {
    prefix,
    maxKeys,
    ...(startAfter !== undefined ? { startAfter } : {}),
    ...(delimiter !== undefined ? { delimiter } : {})
  })
  const last = result.objects[result.objects.length - 1]
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
    `<Name>${xmlText(bucket)}</Name><Prefix>${xmlText(prefix)}</Prefix>`,
    `<MaxKeys>${maxKeys}</MaxKeys><KeyCount>${result.objects.length}</KeyCount>`,
    `<IsTruncated>${result.isTruncated}</IsTruncated>`,
    token !== undefined ? `<ContinuationToken>${xmlText(token)}</ContinuationToken>` : '',
    result.isTruncated && last !== undefined
      ? `<NextContinuationToken>${tokenOf(last.key)}</NextContinuationToken>`
      : '',
    delimiter !== undefined ? `<Delimiter>${xmlText(delimiter)}</Delimiter>` : '',
    ...result.objects.map(
      (o) =>
        `<Contents><Key>${xmlText(o.key)}</Key>` +
        `<LastModified>${o.lastModifiedDate.toISOString()}</LastModified>` +
        `<ETag>${xmlText(o.metadata.etag ?? '')}</ETag><Size>${o.size}</Size>` +
        '<StorageClass>STANDARD</StorageClass></Contents>'
    ),
    ...result.commonPrefixes.map(
      (p) => `<CommonPrefixes><Prefix>${xmlText(p)}</Prefix></CommonPrefixes>`
    ),
    '</ListBucketResult>'
  ]
  return parts.join('')
}

/**
 * Per key: writes one at a time, each after the reads that arrived before it; reads together,
 * each after the writes that arrived before it.
 */
class KeyLocks {
  private readonly keys = new Map<string, { tail: Promise<void>; readers: Set<Promise<void>> }>()

  async acquire(key: string, mode: 'read' | 'write'): Promise<() => void> {
    let state = this.keys.get(key)
    if (!state) {
      state = { tail: Promise.resolve(), readers: new Set() }
      this.keys.set(key, state)
    }
    const k = state
    let release = (): void => {}
    const done = new Promise<void>((resolve) => (release = resolve))
    if (mode === 'read') {
      // Counted at arrival, so a write that arrives later waits for this read.
      k.readers.add(done)
      await k.tail
      return () => {
        k.readers.delete(done)
        release()
      }
    }
    const previous = k.tail
    const readers = [...k.readers]
    k.tail = done
    await previous
    await Promise.all(readers)
    return release
  }
}

export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'))
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    resetOnClose: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name }))
  })
  let stats: S3ServerStats = { byOperation: {}, notFound: 0, throttled: 0, peakPutsPerSecond: 0 }
  /** Arrival times (ms) of the PutObjects of the last second. */
  const recentPuts: number[] = []
  const locks = new KeyLocks()
  /** PutObjects of each key from arrival to answer. */
  const writing = new Map<string, number>()

  const conditional = async (
    ctx: Parameters<S3rver['use']>[0] extends (c: infer C, n: infer _N) => unknown ? C : never,
    next: () => Promise<void>
  ): Promise<void> => {
    const { bucket, key } = splitPath(ctx.path)
    const op = operationOf(ctx.method, key, ctx.query)
    stats.byOperation[op] = (stats.byOperation[op] ?? 0) + 1
    const ifNoneMatch = header(ctx.headers['if-none-match'])
    const ifMatch = header(ctx.headers['if-match'])
    if (op === 'ListObjectsV2' && options.buckets.includes(bucket)) {
      ctx.status = 200
      ctx.type = 'application/xml'
      ctx.body = await listObjectsV2(server.store, bucket, ctx.query)
      return
    }
    if (op !== 'PutObject' && op !== 'GetObject') return next()
    if (op === 'PutObject') {
      const now = performance.now()
      while (recentPuts.length > 0 && (recentPuts[0] as number) <= now - 1000) recentPuts.shift()
      recentPuts.push(now)
      stats.peakPutsPerSecond = Math.max(stats.peakPutsPerSecond, recentPuts.length)
      if (options.putsPerSecond !== undefined && recentPuts.length > options.putsPerSecond) {
        stats.throttled++
        ctx.status = 503
        ctx.type = 'application/xml'
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
          '<Message>Please reduce your request rate.</Message></Error>'
        return
      }
    }
    if (op === 'PutObject' && options.denyPut?.(key)) {
      ctx.status = 403
      ctx.type = 'application/xml'
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>' +
        '<Message>Access Denied</Message></Error>'
      return
    }
    const lockKey = `${bucket}/${key}`
    const isConditional = ifNoneMatch !== undefined || ifMatch !== undefined
    if (op === 'PutObject' && isConditional && (writing.get(lockKey) ?? 0) > 0) {
      ctx.status = 409
      ctx.type = 'application/xml'
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ConditionalRequestConflict</Code>' +
        '<Message>A conflicting operation occurred. If using PutObject you can retry the ' +
        'request.</Message></Error>'
      return
    }
    if (op === 'PutObject') writing.set(lockKey, (writing.get(lockKey) ?? 0) + 1)
    const release = await locks.acquire(lockKey, op === 'PutObject' ? 'write' : 'read')
    try {
      if (op === 'PutObject' && options.putLatencyMs) {
        await new Promise((resolve) => setTimeout(resolve, options.putLatencyMs))
      }
      const conditional = op === 'PutObject' && isConditional
      const exists = conditional && (await server.store.existsObject(bucket, key))
      const etag = exists ? (await server.store.getMetadata(bucket, key)).etag : undefined
      const failed =
        conditional &&
        ((ifNoneMatch === '*' && exists) ||
          (ifMatch !== undefined && (!exists || etag !== ifMatch)))
      if (failed) {
        ctx.status = 412
        ctx.type = 'application/xml'
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code>' +
          '<Message>At least one of the pre-conditions you specified did not hold</Message>' +
          `<Condition>${ifNoneMatch !== undefined ? 'If-None-Match' : 'If-Match'}</Condition></Error>`
        return
      }
      try {
        await next()
      } catch (error) {
        // s3rver throws its S3 errors for Koa to render; a 404 GET is the waiter's "not yet".
        if (op === 'GetObject' && (error as { status?: number }).status === 404) stats.notFound++
        throw error
      }
      if (op === 'GetObject' && ctx.body instanceof Readable) {
        const chunks: Buffer[] = []
        for await (const chunk of ctx.body) chunks.push(chunk as Buffer)
        ctx.body = Buffer.concat(chunks)
      }
    } finally {
      if (op === 'PutObject') {
        const left = (writing.get(lockKey) ?? 1) - 1
        if (left > 0) writing.set(lockKey, left)
        else writing.delete(lockKey)
      }
      release()
    }
  }
  // Run before s3rver's router, which answers without calling next().
  server.middleware.unshift(conditional)

  const address = await server.run()
  const endpoint = `http://127.0.0.1:${address.port}`
  const clients: S3Client[] = []
  return {
    endpoint,
    client(region = 'us-east-1') {
      const client = new S3Client({
        region,
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
      })
      clients.push(client)
      return client
    },
    stats: () => ({ ...stats, byOperation: { ...stats.byOperation } }),
    resetStats() {
      stats = { byOperation: {}, notFound: 0, throttled: 0, peakPutsPerSecond: 0 }
      recentPuts.length = 0
    },
    async close() {
      for (const c of clients) c.destroy()
      await server.close()
      rmSync(directory, { recursive: true, force: true })
    }
  }
}
