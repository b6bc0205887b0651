import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'

describe('startS3Server', () => {
  let server: S3Server
  let s3: S3Client
  // A task ARN verbatim in the key, colons and slashes included (docs/hako.md, "S3 notifications").
  const key = 'oneshot/arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123abcd/stopped.json'

  beforeAll(async () => {
    server = await startS3Server({ buckets: ['notes'] })
    s3 = server.client()
  })
  afterAll(async () => {
    await server.close()
  })

  it('stores and returns objects whose keys hold a task ARN', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'notes', Key: key, Body: '{"a":1}' }))
    const got = await s3.send(new GetObjectCommand({ Bucket: 'notes', Key: key }))
    expect(await got.Body?.transformToString()).toBe('{"a":1}')
  })

  it('answers 404 NoSuchKey for a missing key and counts it', async () => {
    server.resetStats()
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'notes', Key: 'oneshot/missing/stopped.json' }))
    ).rejects.toMatchObject({ name: 'NoSuchKey' })
    expect(server.stats()).toEqual({
      byOperation: { GetObject: 1 },
      notFound: 1,
      throttled: 0,
      peakPutsPerSecond: 0
    })
  })

  it('implements If-None-Match: * and If-Match as S3 conditional writes', async () => {
    const k = 'cond/object.json'
    const first = await s3.send(
      new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'one', IfNoneMatch: '*' })
    )
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'two', IfNoneMatch: '*' }))
    ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } })
    await expect(
      s3.send(new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'two', IfMatch: '"nope"' }))
    ).rejects.toMatchObject({ name: 'PreconditionFailed' })
    await s3.send(
      new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'two', IfMatch: first.ETag })
    )
    const got = await s3.send(new GetObjectCommand({ Bucket: 'notes', Key: k }))
    expect(await got.Body?.transformToString()).toBe('two')
  })

  it('lets exactly one of many racing If-None-Match writers win', async () => {
    const k = 'race/object.json'
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        s3.send(new PutObjectCommand({ Bucket: 'notes', Key: k, Body: `w${i}`, IfNoneMatch: '*' }))
      )
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
  })

  it('answers 409 ConditionalRequestConflict to a conditional write while another write of the key is in progress', async () => {
    const slow = await startS3Server({ buckets: ['notes'], putLatencyMs: 100 })
    try {
      const client = slow.client()
      const k = 'conflict/object.json'
      const first = client.send(
        new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'one', IfNoneMatch: '*' })
      )
      await new Promise((resolve) => setTimeout(resolve, 30))
      const second = client.send(
        new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'two', IfNoneMatch: '*' })
      )
      const [a, b] = await Promise.allSettled([first, second])
      expect(a.status).toBe('fulfilled')
      expect(b).toMatchObject({
        status: 'rejected',
        reason: { name: 'ConditionalRequestConflict', $metadata: { httpStatusCode: 409 } }
      })
      // Once the first write is done, the same request answers 412 as usual.
      await expect(
        client.send(
          new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'two', IfNoneMatch: '*' })
        )
      ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } })
      const got = await client.send(new GetObjectCommand({ Bucket: 'notes', Key: k }))
      expect(await got.Body?.transformToString()).toBe('one')
    } finally {
      await slow.close()
    }
  })

  it('lets exactly one writer win among racing If-None-Match and If-Match writers; the others get 412 or 409', async () => {
    const k = 'race2/object.json'
    const created = await s3.send(
      new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'claim', IfNoneMatch: '*' })
    )
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        s3.send(
          new PutObjectCommand({ Bucket: 'notes', Key: k, Body: `t${i}`, IfMatch: created.ETag })
        )
      )
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    for (const r of results) {
      if (r.status === 'rejected') {
        expect([412, 409]).toContain(
          (r.reason as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode
        )
      }
    }
  })

  it('serves a read that arrives during a write of the key after the write, whole', async () => {
    const slow = await startS3Server({ buckets: ['notes'], putLatencyMs: 100 })
    try {
      const client = slow.client()
      const k = 'rw/object.json'
      await client.send(new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'v1' }))
      const write = client.send(new PutObjectCommand({ Bucket: 'notes', Key: k, Body: 'v2' }))
      await new Promise((resolve) => setTimeout(resolve, 30))
      const reads = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const got = await client.send(new GetObjectCommand({ Bucket: 'notes', Key: k }))
          return got.Body?.transformToString()
        })
      )
      await write
      expect(reads).toEqual(Array(5).fill('v2'))
    } finally {
      await slow.close()
    }
  })
})

describe('startS3Server with putsPerSecond', () => {
  it('answers 503 SlowDown to PUTs above the rate of the last second, and counts them', async () => {
    const server = await startS3Server({ buckets: ['notes'], putsPerSecond: 3 })
    try {
      // One attempt each, so the SDK's own retries do not blur the count.
      const s3 = new S3Client({
        endpoint: server.endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        maxAttempts: 1
      })
      const results = await Promise.allSettled(
        [0, 1, 2, 3, 4].map((i) =>
          s3.send(new PutObjectCommand({ Bucket: 'notes', Key: `k/${i}`, Body: 'x' }))
        )
      )
      const refused = results.filter((r) => r.status === 'rejected')
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3)
      expect(refused.map((r) => (r.reason as Error).name)).toEqual(['SlowDown', 'SlowDown'])
      expect(server.stats().throttled).toBe(2)
      expect(server.stats().peakPutsPerSecond).toBe(5)
      s3.destroy()
    } finally {
      await server.close()
    }
  })
})

describe('startS3Server listing', () => {
  it('pages ListObjectsV2 1,000 keys at a time with continuation tokens, and keeps delimiters', async () => {
    const server = await startS3Server({ buckets: ['notes'] })
    try {
      const s3 = server.client()
      const keys = Array.from({ length: 1005 }, (_, i) => `p/${String(i).padStart(4, '0')}.json`)
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(
          keys
            .slice(i, i + 50)
            .map((Key) => s3.send(new PutObjectCommand({ Bucket: 'notes', Key, Body: 'x' })))
        )
      }
      await s3.send(new PutObjectCommand({ Bucket: 'notes', Key: 'p/sub/a&b.json', Body: 'x' }))
      const first = await s3.send(new ListObjectsV2Command({ Bucket: 'notes', Prefix: 'p/' }))
      expect(first.Contents).toHaveLength(1000)
      expect(first.IsTruncated).toBe(true)
      const second = await s3.send(
        new ListObjectsV2Command({
          Bucket: 'notes',
          Prefix: 'p/',
          ContinuationToken: first.NextContinuationToken
        })
      )
      expect(second.Contents?.map((o) => o.Key)).toEqual([...keys.slice(1000), 'p/sub/a&b.json'])
      expect(second.IsTruncated).toBe(false)
      expect(second.Contents?.[0]?.ETag).toBe('"9dd4e461268c8034f5c8564e155c67a6"')
      const folders = await s3.send(
        new ListObjectsV2Command({ Bucket: 'notes', Prefix: 'p/sub', Delimiter: '/' })
      )
      expect(folders.CommonPrefixes?.map((c) => c.Prefix)).toEqual(['p/sub/'])
      expect(folders.Contents ?? []).toEqual([])
    } finally {
      await server.close()
    }
  })
})
