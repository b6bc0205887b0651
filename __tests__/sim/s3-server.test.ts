import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
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
    expect(server.stats()).toEqual({ byOperation: { GetObject: 1 }, notFound: 1 })
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
})
