import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3Client as S3ClientType
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'
import { processEvent, type NotifierDeps } from '../../notifier/handler.js'
import { runningEvent, stoppedEvent, TASK_ARN, withDetail, type TaskEvent } from './events.js'

const BUCKET = 'notes'
const PREFIX = 'hako-oneshot'
// The task ARN verbatim in the key, colons and slashes included (docs/hako.md, "S3 notifications").
const STARTED_KEY = `${PREFIX}/${TASK_ARN}/started.json`
const STOPPED_KEY = `${PREFIX}/${TASK_ARN}/stopped.json`

describe('processEvent against a real S3 server', () => {
  let server: S3Server
  let s3: S3ClientType
  let lines: string[]
  let prefix: string
  const deps = (): NotifierDeps => ({ s3, bucket: BUCKET, prefix, log: (l) => lines.push(l) })

  /** The stored object: its parsed event, content type and ETag; undefined when absent. */
  async function stored(
    key: string
  ): Promise<
    { event: TaskEvent; contentType: string | undefined; etag: string | undefined } | undefined
  > {
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
      const body = (await got.Body?.transformToString()) ?? ''
      return { event: JSON.parse(body) as TaskEvent, contentType: got.ContentType, etag: got.ETag }
    } catch (e) {
      if ((e as Error).name === 'NoSuchKey') return undefined
      throw e
    }
  }
  async function keysUnder(p: string): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: p }))
    return (listed.Contents ?? []).map((c) => c.Key ?? '').sort()
  }
  const stoppedV = (version: number, extra: Partial<TaskEvent['detail']> = {}): TaskEvent =>
    withDetail(stoppedEvent(), { version, ...extra })
  const runningV = (version: number): TaskEvent => withDetail(runningEvent(), { version })

  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] })
    s3 = server.client()
  })
  afterAll(async () => {
    await server.close()
  })
  beforeEach(() => {
    // A fresh prefix per test, so each starts with no notifications.
    prefix = `${PREFIX}/${expect.getState().currentTestName?.replace(/[^a-z0-9]+/gi, '-')}`
    lines = []
    server.resetStats()
  })
  const key = (file: 'started' | 'stopped'): string => `${prefix}/${TASK_ARN}/${file}.json`

  it('writes a RUNNING event whose containers all run to started.json, whole, as JSON', async () => {
    const event = runningEvent()
    await expect(processEvent(event, deps())).resolves.toEqual({
      action: 'written',
      key: key('started'),
      reason: 'version 3'
    })
    // The first event for a key is one conditional PUT and no read.
    expect(server.stats().byOperation).toEqual({ PutObject: 1 })
    const got = await stored(key('started'))
    expect(got?.event).toEqual(event)
    expect(got?.contentType).toBe('application/json')
    expect(await keysUnder(prefix)).toEqual([key('started')])
    expect(lines).toEqual([`written s3://${BUCKET}/${key('started')}: version 3`])
  })

  it('writes a STOPPED event to stopped.json', async () => {
    const event = stoppedEvent()
    await expect(processEvent(event, deps())).resolves.toEqual({
      action: 'written',
      key: key('stopped'),
      reason: 'version 6'
    })
    expect((await stored(key('stopped')))?.event).toEqual(event)
    expect(await keysUnder(prefix)).toEqual([key('stopped')])
  })

  it('uses the key layout hako reads: <prefix>/<task ARN>/<file>.json (docs/hako.md, "S3 notifications")', () => {
    expect(STARTED_KEY).toBe(
      'hako-oneshot/arn:aws:ecs:ap-northeast-1:123456789012:task/batch/4f0c0d8e7a2b4c1e9d3a5b6c7d8e9f01/started.json'
    )
    expect(STOPPED_KEY).toBe(STARTED_KEY.replace(/started\.json$/, 'stopped.json'))
  })

  it("puts the task ARN at the bucket's root when the prefix is empty", async () => {
    const arn = 'arn:aws:ecs:us-east-1:123456789012:task/root/0a1b2c3d4e5f'
    const event = withDetail(stoppedEvent(), { taskArn: arn })
    const outcome = await processEvent(event, { ...deps(), prefix: '' })
    expect(outcome).toEqual({ action: 'written', key: `${arn}/stopped.json`, reason: 'version 6' })
    expect(await keysUnder(arn)).toEqual([`${arn}/stopped.json`])
  })

  it.each<[string, Partial<TaskEvent['detail']>, string]>([
    ['PROVISIONING', { lastStatus: 'PROVISIONING' }, 'PROVISIONING'],
    ['PENDING', { lastStatus: 'PENDING' }, 'PENDING'],
    ['ACTIVATING', { lastStatus: 'ACTIVATING' }, 'ACTIVATING'],
    ['DEACTIVATING', { lastStatus: 'DEACTIVATING' }, 'DEACTIVATING'],
    ['STOPPING', { lastStatus: 'STOPPING' }, 'STOPPING'],
    [
      'RUNNING while a container is still PENDING',
      {
        containers: [
          { name: 'app', lastStatus: 'RUNNING' },
          { name: 'fluentd', lastStatus: 'PENDING' }
        ]
      },
      'RUNNING'
    ],
    ['RUNNING without a containers list', { containers: undefined }, 'RUNNING']
  ])('skips %s without touching S3', async (_name, detail, status) => {
    const event = withDetail(runningEvent(), detail)
    const reason = `${TASK_ARN} is ${status}, not every container RUNNING`
    await expect(processEvent(event, deps())).resolves.toEqual({ action: 'skipped', reason })
    expect(lines).toEqual([`skipped: ${reason}`])
    expect(server.stats().byOperation).toEqual({})
  })

  it.each<[string, unknown, string]>([
    ['null', null, 'not an aws.ecs event'],
    ['a string', 'ECS Task State Change', 'not an aws.ecs event'],
    ['a number', 42, 'not an aws.ecs event'],
    ['an array', [stoppedEvent()], 'not an aws.ecs event'],
    ['an empty object', {}, 'not an aws.ecs event'],
    ['another source', { ...stoppedEvent(), source: 'aws.batch' }, 'not an aws.ecs event'],
    [
      'another detail-type',
      { ...stoppedEvent(), 'detail-type': 'ECS Container Instance State Change' },
      'not an ECS Task State Change'
    ],
    ['no detail', { ...stoppedEvent(), detail: undefined }, 'no detail'],
    ['a string detail', { ...stoppedEvent(), detail: 'STOPPED' }, 'no detail'],
    ['no taskArn', withDetail(stoppedEvent(), { taskArn: undefined }), 'no detail.taskArn'],
    ['a numeric taskArn', withDetail(stoppedEvent(), { taskArn: 7 as never }), 'no detail.taskArn'],
    ['a taskArn not an ARN', withDetail(stoppedEvent(), { taskArn: '../x' }), 'no detail.taskArn'],
    [
      'no version',
      withDetail(stoppedEvent(), { version: undefined }),
      `no integer detail.version for ${TASK_ARN}`
    ],
    [
      'a string version',
      withDetail(stoppedEvent(), { version: '6' as never }),
      `no integer detail.version for ${TASK_ARN}`
    ]
  ])('logs and skips a malformed event (%s), never throwing', async (_name, event, reason) => {
    await expect(processEvent(event, deps())).resolves.toEqual({ action: 'skipped', reason })
    expect(lines).toEqual([`skipped: ${reason}`])
    expect(server.stats().byOperation).toEqual({})
  })

  // Delivery is at least once (docs/ecs-events.md, "Delivery"): duplicates share detail.version.
  it.each([
    ['stopped', stoppedEvent, 6],
    ['started', runningEvent, 3]
  ] as const)('skips a duplicate of the stored %s event', async (file, make, version) => {
    await processEvent(make(), deps())
    const before = await stored(key(file))
    lines = []
    server.resetStats()
    await expect(processEvent(make(), deps())).resolves.toEqual({
      action: 'skipped',
      key: key(file),
      reason: `holds version ${version}, event has ${version}`
    })
    expect(lines).toEqual([
      `skipped s3://${BUCKET}/${key(file)}: holds version ${version}, event has ${version}`
    ])
    // One PUT refused by If-None-Match: *, one GET to compare; nothing written.
    expect(server.stats().byOperation).toEqual({ PutObject: 1, GetObject: 1 })
    expect((await stored(key(file)))?.etag).toBe(before?.etag)
  })

  it('keeps stopped.json when a RUNNING event arrives after STOPPED (out of order, §2)', async () => {
    const stopped = stoppedV(6)
    await processEvent(stopped, deps())
    const late = runningV(3)
    await expect(processEvent(late, deps())).resolves.toEqual({
      action: 'written',
      key: key('started'),
      reason: 'version 3'
    })
    expect((await stored(key('stopped')))?.event).toEqual(stopped)
    expect((await stored(key('started')))?.event).toEqual(late)
  })

  it('keeps a higher STOPPED version when a lower one arrives after it', async () => {
    const newer = stoppedV(7)
    await processEvent(newer, deps())
    await expect(processEvent(stoppedV(6), deps())).resolves.toEqual({
      action: 'skipped',
      key: key('stopped'),
      reason: 'holds version 7, event has 6'
    })
    expect((await stored(key('stopped')))?.event).toEqual(newer)
  })

  // A STOPPED event may come before its containers' exit codes are known, then a newer one
  // with them (docs/ecs-events.md, "STOPPED without exit codes", amazon-ecs-agent PR #1171): the newer one must replace it.
  it('replaces a STOPPED event with a higher version that arrives after it', async () => {
    const incomplete = stoppedV(6, {
      containers: [
        { name: 'app', lastStatus: 'STOPPED' },
        { name: 'fluentd', lastStatus: 'STOPPED' }
      ]
    })
    const complete = stoppedV(7)
    await processEvent(incomplete, deps())
    lines = []
    server.resetStats()
    await expect(processEvent(complete, deps())).resolves.toEqual({
      action: 'written',
      key: key('stopped'),
      reason: 'version 7'
    })
    // The create is refused, the read compares, the If-Match write replaces.
    expect(server.stats().byOperation).toEqual({ PutObject: 2, GetObject: 1 })
    expect((await stored(key('stopped')))?.event).toEqual(complete)
    expect(lines).toEqual([`written s3://${BUCKET}/${key('stopped')}: version 7`])
  })

  it('keeps the newest RUNNING event in started.json', async () => {
    await processEvent(runningV(4), deps())
    await expect(processEvent(runningV(3), deps())).resolves.toMatchObject({ action: 'skipped' })
    await expect(processEvent(runningV(5), deps())).resolves.toMatchObject({ action: 'written' })
    expect((await stored(key('started')))?.event.detail.version).toBe(5)
  })

  it('replaces a stored object it cannot read a version from', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key('stopped'), Body: 'not json' }))
    await expect(processEvent(stoppedV(6), deps())).resolves.toMatchObject({ action: 'written' })
    expect((await stored(key('stopped')))?.event.detail.version).toBe(6)
  })

  it.each([
    ['STOPPED', stoppedV, 'stopped'],
    ['RUNNING', runningV, 'started']
  ] as const)(
    'leaves the highest version when %s invocations race on one key',
    async (_status, make, file) => {
      const versions = [4, 9, 2, 7, 11, 5, 3, 10, 8, 6]
      const outcomes = await Promise.all(versions.map((v) => processEvent(make(v), deps())))
      expect((await stored(key(file)))?.event).toEqual(make(11))
      expect(outcomes[versions.indexOf(11)]).toEqual({
        action: 'written',
        key: key(file),
        reason: 'version 11'
      })
      expect(outcomes.every((o) => o.key === key(file))).toBe(true)
    }
  )

  it('throws S3 errors other than a lost race, so the invocation fails visibly', async () => {
    await expect(
      processEvent(stoppedEvent(), { ...deps(), bucket: 'no-such-bucket' })
    ).rejects.toMatchObject({ name: 'NoSuchBucket' })
  })
})

describe('processEvent retries', () => {
  const s3 = new S3Client({ region: 'us-east-1' })
  const mock = mockClient(s3)
  const deps: NotifierDeps = { s3, bucket: BUCKET, prefix: PREFIX, log: () => {} }
  const refused = (name: string): Error => Object.assign(new Error(name), { name })
  const body = (version: number) => ({
    transformToString: () => Promise.resolve(JSON.stringify(stoppedV(version)))
  })
  const stoppedV = (version: number): TaskEvent => withDetail(stoppedEvent(), { version })
  beforeEach(() => {
    mock.reset()
  })

  it('re-reads after 409 ConditionalRequestConflict and writes with If-Match on the new ETag', async () => {
    mock
      .on(PutObjectCommand)
      .rejectsOnce(refused('ConditionalRequestConflict'))
      .rejectsOnce(refused('PreconditionFailed'))
      .resolves({})
    mock
      .on(GetObjectCommand)
      .resolvesOnce({ ETag: '"one"', Body: body(5) as never })
      .resolves({ ETag: '"two"', Body: body(5) as never })
    await expect(processEvent(stoppedV(6), deps)).resolves.toEqual({
      action: 'written',
      key: STOPPED_KEY,
      reason: 'version 6'
    })
    const puts = mock.commandCalls(PutObjectCommand).map((c) => {
      const { IfMatch, IfNoneMatch, Key, ContentType } = c.args[0].input
      return { IfMatch, IfNoneMatch, Key, ContentType }
    })
    const common = { Key: STOPPED_KEY, ContentType: 'application/json' }
    expect(puts).toEqual([
      { ...common, IfMatch: undefined, IfNoneMatch: '*' },
      { ...common, IfMatch: '"one"', IfNoneMatch: undefined },
      { ...common, IfMatch: '"two"', IfNoneMatch: undefined }
    ])
  })

  it('creates the object again when it vanished between the refused write and the read', async () => {
    mock.on(PutObjectCommand).rejectsOnce(refused('PreconditionFailed')).resolves({})
    mock.on(GetObjectCommand).rejects(refused('NoSuchKey'))
    await expect(processEvent(stoppedV(6), deps)).resolves.toMatchObject({ action: 'written' })
    const puts = mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.IfNoneMatch)
    expect(puts).toEqual(['*', '*'])
  })

  it('gives up after 10 conditional writes that all lost a race', async () => {
    mock.on(PutObjectCommand).rejects(refused('PreconditionFailed'))
    mock.on(GetObjectCommand).resolves({ ETag: '"x"', Body: body(5) as never })
    await expect(processEvent(stoppedV(6), deps)).rejects.toThrow(
      `s3://${BUCKET}/${STOPPED_KEY}: still changing after 10 conditional writes`
    )
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(10)
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(9)
  })

  it.each(['AccessDenied', 'SlowDown'])('throws %s from the read', async (name) => {
    mock.on(PutObjectCommand).rejects(refused('PreconditionFailed'))
    mock.on(GetObjectCommand).rejects(refused(name))
    await expect(processEvent(stoppedV(6), deps)).rejects.toMatchObject({ name })
  })

  it('throws AccessDenied from the write', async () => {
    mock.on(PutObjectCommand).rejects(refused('AccessDenied'))
    await expect(processEvent(stoppedV(6), deps)).rejects.toMatchObject({ name: 'AccessDenied' })
    expect(mock.commandCalls(GetObjectCommand)).toHaveLength(0)
  })
})
