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
import {
  processEvent,
  requireConditionalHeaders,
  type NotifierDeps
} from '../../notifier/handler.js'
import {
  runningEvent,
  stoppedEvent,
  storedRunning,
  storedStopped,
  TASK_ARN,
  withDetail,
  type TaskEvent
} from './events.js'

const BUCKET = 'notes'
const PREFIX = 'hako-oneshot'
// The task ARN verbatim in the key, colons and slashes included (docs/hako.md).
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
  /** What the notifier stores for stoppedV(version) and runningV(version). */
  const storedStoppedV = (version: number): TaskEvent => withDetail(storedStopped(), { version })
  const storedRunningV = (version: number): TaskEvent => withDetail(storedRunning(), { version })

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

  it('writes a RUNNING event whose containers all run to started.json, reduced, as JSON', async () => {
    const event = runningEvent()
    await expect(processEvent(event, deps())).resolves.toEqual({
      action: 'written',
      key: key('started'),
      reason: 'version 3'
    })
    // The first event for a key is one conditional PUT and no read.
    expect(server.stats().byOperation).toEqual({ PutObject: 1 })
    const got = await stored(key('started'))
    expect(got?.event).toEqual(storedRunning())
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
    expect((await stored(key('stopped')))?.event).toEqual(storedStopped())
    expect(await keysUnder(prefix)).toEqual([key('stopped')])
  })

  // RunTask overrides travel in every task state event; a secret passed through the action's
  // `env` input must not reach the bucket, nor must anything ECS may add to the event later.
  it('stores no override, nor any field outside the allowlist, of any event it writes', async () => {
    const SECRET = 'hunter2-3f9a7c'
    const withSecrets = (event: TaskEvent): TaskEvent => {
      const copy = structuredClone(event)
      copy.detail.overrides = {
        containerOverrides: [
          {
            name: 'app',
            command: ['rake', `batch:run[${SECRET}]`],
            environment: [{ name: 'DB_PASSWORD', value: SECRET }]
          }
        ],
        taskRoleArn: `arn:aws:iam::123456789012:role/${SECRET}`
      }
      copy.detail.attachments = [{ details: [{ name: 'token', value: SECRET }] }]
      copy.detail.someFutureField = SECRET
      copy.detail.containers = copy.detail.containers.map((c) => ({ ...c, environment: SECRET }))
      return copy
    }
    const events = [
      withSecrets(runningV(3)),
      withSecrets(stoppedV(6)),
      withSecrets(stoppedV(7)),
      withSecrets(runningV(4))
    ]
    expect(JSON.stringify(events)).toContain(SECRET)
    for (const event of events) await processEvent(event, deps())
    const keys = await keysUnder(prefix)
    expect(keys).toEqual([key('started'), key('stopped')])
    for (const k of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: k }))
      expect(await got.Body?.transformToString()).not.toContain(SECRET)
    }
    // What is kept is exactly the stored form of the newest events.
    expect((await stored(key('started')))?.event).toEqual(storedRunningV(4))
    expect((await stored(key('stopped')))?.event).toEqual(storedStoppedV(7))
  })

  it('keeps what hako reads: started.json containerInstanceArn and startedAt, stopped.json the task and its containers, and when they exited', () => {
    const started = storedRunning().detail
    expect(started.containerInstanceArn).toBe(runningEvent().detail.containerInstanceArn)
    expect(started.startedAt).toBe(runningEvent().detail.startedAt)
    const full = stoppedEvent().detail
    const kept = storedStopped().detail
    for (const field of [
      'stoppedAt',
      'executionStoppedAt',
      'stoppedReason',
      'stopCode',
      'version',
      'lastStatus'
    ])
      expect([field, kept[field]]).toEqual([field, full[field]])
    expect(kept.containers).toEqual(
      full.containers.map((c) => ({
        taskArn: (c as { taskArn?: string }).taskArn,
        lastStatus: c.lastStatus,
        name: c.name,
        exitCode: c.exitCode
      }))
    )
    expect(kept).not.toHaveProperty('overrides')
  })

  it('uses the key layout hako reads: <prefix>/<task ARN>/<file>.json (docs/hako.md)', () => {
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

  // Delivery is at least once (docs/ecs-events.md): duplicates share detail.version.
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

  it('keeps stopped.json when a RUNNING event arrives after STOPPED (out of order)', async () => {
    const stopped = stoppedV(6)
    await processEvent(stopped, deps())
    const late = runningV(3)
    await expect(processEvent(late, deps())).resolves.toEqual({
      action: 'written',
      key: key('started'),
      reason: 'version 3'
    })
    expect((await stored(key('stopped')))?.event).toEqual(storedStoppedV(6))
    expect((await stored(key('started')))?.event).toEqual(storedRunningV(3))
  })

  it('keeps a higher STOPPED version when a lower one arrives after it', async () => {
    const newer = stoppedV(7)
    await processEvent(newer, deps())
    await expect(processEvent(stoppedV(6), deps())).resolves.toEqual({
      action: 'skipped',
      key: key('stopped'),
      reason: 'holds version 7, event has 6'
    })
    expect((await stored(key('stopped')))?.event).toEqual(storedStoppedV(7))
  })

  // A STOPPED event may come before its containers' exit codes are known, then a newer one
  // with them (docs/ecs-events.md, amazon-ecs-agent PR #1178): the newer one must replace it.
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
    expect((await stored(key('stopped')))?.event).toEqual(storedStoppedV(7))
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
    ['STOPPED', stoppedV, storedStoppedV, 'stopped'],
    ['RUNNING', runningV, storedRunningV, 'started']
  ] as const)(
    'leaves the highest version when %s invocations race on one key',
    async (_status, make, storedAs, file) => {
      const versions = [4, 9, 2, 7, 11, 5, 3, 10, 8, 6]
      const outcomes = await Promise.all(versions.map((v) => processEvent(make(v), deps())))
      expect((await stored(key(file)))?.event).toEqual(storedAs(11))
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

/**
 * A client-s3 older than 3.700.0 (or 3.635.0) serializes PutObject without the If-Match
 * (If-None-Match) header and says nothing (docs/limits.md, "S3 conditional writes in the SDK"); this
 * middleware does the same to today's client.
 */
function likeAnOldClient(s3: S3ClientType, headers: string[]): S3ClientType {
  s3.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers: Record<string, string> }
      for (const h of headers) delete request.headers[h]
      return next(args)
    },
    { step: 'build', name: 'likeAnOldClient' }
  )
  return s3
}

describe('requireConditionalHeaders against a real S3 server', () => {
  let server: S3Server
  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] })
  })
  afterAll(async () => {
    await server.close()
  })
  const MESSAGE =
    "This runtime's @aws-sdk/client-s3 is older than 3.700.0: it drops If-Match, so no write"
  const stoppedV = (version: number): TaskEvent => withDetail(stoppedEvent(), { version })
  const deps = (s3: S3ClientType, prefix: string): NotifierDeps => ({
    s3,
    bucket: BUCKET,
    prefix,
    log: () => {}
  })
  const storedVersion = async (prefix: string): Promise<unknown> => {
    const got = await server
      .client()
      .send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${TASK_ARN}/stopped.json` }))
    return (JSON.parse((await got.Body?.transformToString()) ?? '') as TaskEvent).detail.version
  }

  it('lets conditional writes through when the client sends their headers', async () => {
    const s3 = requireConditionalHeaders(server.client())
    await expect(processEvent(stoppedV(6), deps(s3, 'current'))).resolves.toMatchObject({
      action: 'written'
    })
    await expect(processEvent(stoppedV(7), deps(s3, 'current'))).resolves.toMatchObject({
      action: 'written'
    })
    await expect(processEvent(stoppedV(5), deps(s3, 'current'))).resolves.toMatchObject({
      action: 'skipped'
    })
    expect(await storedVersion('current')).toBe(7)
  })

  /** Makes `s3` run `between` right after each GetObject answer, before the caller sees it. */
  function afterEachRead(s3: S3ClientType, between: () => Promise<unknown>): S3ClientType {
    s3.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args)
        if (context.commandName === 'GetObjectCommand') await between()
        return out
      },
      { step: 'initialize', name: 'afterEachRead' }
    )
    return s3
  }

  // Version 5 is stored; invocation A (event 6) is refused the create and reads version 5; then
  // invocation B writes version 7; then A replaces what it read, with If-Match on its ETag.
  const race = (s3: S3ClientType, prefix: string): Promise<unknown> =>
    processEvent(
      stoppedV(6),
      deps(
        afterEachRead(s3, () => processEvent(stoppedV(7), deps(server.client(), prefix))),
        prefix
      )
    )

  it('with a client that drops If-Match and no check, an older event overwrites a newer one', async () => {
    await processEvent(stoppedV(5), deps(server.client(), 'unguarded'))
    await expect(
      race(likeAnOldClient(server.client(), ['if-match']), 'unguarded')
    ).resolves.toEqual(expect.objectContaining({ action: 'written', reason: 'version 6' }))
    // The hazard: version 7 lost to version 6.
    expect(await storedVersion('unguarded')).toBe(6)
  })

  it('with the check, the same race fails loudly and the newer event stays', async () => {
    await processEvent(stoppedV(5), deps(server.client(), 'guarded'))
    const s3 = requireConditionalHeaders(likeAnOldClient(server.client(), ['if-match']))
    await expect(race(s3, 'guarded')).rejects.toThrow(MESSAGE)
    expect(await storedVersion('guarded')).toBe(7)
  })

  it('with a current client and the check, the race ends with the newer event', async () => {
    await processEvent(stoppedV(5), deps(server.client(), 'current-race'))
    // A's If-Match write is refused (412), it reads version 7 and skips.
    await expect(race(requireConditionalHeaders(server.client()), 'current-race')).resolves.toEqual(
      expect.objectContaining({ action: 'skipped', reason: 'holds version 7, event has 6' })
    )
    expect(await storedVersion('current-race')).toBe(7)
  })

  it('refuses the first write when the client drops If-None-Match too', async () => {
    const s3 = requireConditionalHeaders(
      likeAnOldClient(server.client(), ['if-match', 'if-none-match'])
    )
    await expect(processEvent(stoppedV(6), deps(s3, 'neither'))).rejects.toThrow(MESSAGE)
    await expect(storedVersion('neither')).rejects.toMatchObject({ name: 'NoSuchKey' })
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
