/**
 * The ledger readers: round trips through a real S3 protocol server (sim/s3-server.ts) written by
 * LedgerWriter, version 1 records read beside version 2 ones, records not trusted, and the exact
 * LIST and GET requests (aws-sdk-client-mock) for paging and failures.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'
import { ledgerPlace, type LedgerPlace } from '../../src/ledger/records.js'
import { readJobLedger, readRunLedger } from '../../src/ledger/reader.js'
import { LedgerWriter } from '../../src/ledger/writer.js'
import { systemClock } from '../../src/util/clock.js'
import { memoryLogger } from '../doubles/logger.js'
import { TASK_RECORD } from './fixtures.js'

const ARN = (n: number): string => `arn:aws:ecs:ap-northeast-1:123456789012:task/batch/${n}`

function placeOf(env: Record<string, string>, jobIndex = 0, jobTotal = 1): LedgerPlace {
  const place = ledgerPlace({ bucket: 'notes', prefix: 'oneshot', env, jobIndex, jobTotal })
  if (place === undefined) throw new Error('no place')
  return place
}

describe('on the S3 server', () => {
  let server: S3Server
  let s3: S3Client
  beforeAll(async () => {
    server = await startS3Server({ buckets: ['notes'] })
    s3 = server.client()
  })
  afterAll(async () => {
    await server.close()
  })

  const put = (key: string, body: string): Promise<unknown> =>
    s3.send(new PutObjectCommand({ Bucket: 'notes', Key: key, Body: body }))

  function writer(place: LedgerPlace, runAttempt: number): LedgerWriter {
    return new LedgerWriter(
      { s3, clock: systemClock, random: Math.random, logger: memoryLogger() },
      { place, runAttempt, tasks: 3, cluster: 'batch', region: 'ap-northeast-1' }
    )
  }

  it('reads back the newest attempt of each index, its intent, and version 1 records', async () => {
    const env = { GITHUB_RUN_ID: '500', GITHUB_JOB: 'batch' }
    const place = placeOf(env)
    // Run attempt 1: index 0 failed, index 1 started and was never seen to end.
    const first = writer(place, 1)
    first.intent([0, 1, 2].map((index) => ({ index, spec: 's', taskAttempt: 1 })))
    first.started({ index: 0, taskAttempt: 1, spec: 's', taskArn: ARN(0) })
    first.ended({ index: 0, taskAttempt: 1, status: 'failed', exitCode: 3 })
    first.started({ index: 1, taskAttempt: 1, spec: 's', taskArn: ARN(1) })
    await first.flush()
    // Run attempt 2: index 0 runs again (task attempt 2) and succeeds.
    const second = writer(place, 2)
    second.intent([{ index: 0, spec: 's', taskAttempt: 2 }])
    second.ended({
      index: 0,
      taskAttempt: 2,
      status: 'succeeded',
      exitCode: 0,
      spec: 's',
      taskArn: ARN(10)
    })
    expect((await second.flush()).written).toBe(2)
    // A version 1 record of index 2 from before the ledger.
    await put(
      `${place.keyPrefix}2.json`,
      JSON.stringify({
        version: 1,
        index: 2,
        runAttempt: 1,
        status: 'succeeded',
        exitCode: 0,
        taskArn: ARN(2),
        stopCode: null,
        stoppedReason: null,
        attempts: 1,
        startedAt: null,
        stoppedAt: null,
        tasks: 3,
        spec: 's'
      })
    )
    server.resetStats()
    const logger = memoryLogger()
    const job = await readJobLedger({ s3, logger }, place)
    expect(logger.lines).toEqual([])
    expect(job.listed).toBe(true)
    expect(job.intent?.runAttempt).toBe(2)
    expect(job.intent?.indexes.map((i) => [i.index, i.taskAttempt])).toEqual([[0, 2]])
    const tasks = [...job.tasks.values()].map((t) => [
      t.index,
      t.version,
      t.runAttempt,
      t.taskAttempt,
      t.status,
      t.taskArn
    ])
    expect(tasks).toEqual([
      [0, 2, 2, 2, 'succeeded', ARN(10)],
      [1, 2, 1, 1, 'unfinished', ARN(1)],
      [2, 1, 1, 1, 'succeeded', ARN(2)]
    ])
    // One LIST, one GET per index and one for the newest intent.
    expect(server.stats().byOperation).toEqual({ ListObjectsV2: 1, GetObject: 4 })
  })

  it('reads every job of the run, or only the jobs asked for, and leaves untrusted records out', async () => {
    const runId = '501'
    for (const leg of [0, 1]) {
      const place = placeOf({ GITHUB_RUN_ID: runId, GITHUB_JOB: 'shard' }, leg, 2)
      const w = writer(place, 1)
      w.started({ index: 0, taskAttempt: 1, spec: 's', taskArn: ARN(leg) })
      await w.flush()
    }
    const other = placeOf({ GITHUB_RUN_ID: runId, GITHUB_JOB: 'migrate' })
    await put(`${other.keyPrefix}tasks/0/1-1.json`, JSON.stringify({ ...TASK_RECORD, version: 9 }))
    await put(`${other.keyPrefix}tasks/1/1-1.json`, '{not json')
    await put(`${other.keyPrefix}tasks/2/1-2.json`, JSON.stringify({ ...TASK_RECORD, index: 2 }))
    await put(`${other.keyPrefix}tasks/3/1-1.json`, JSON.stringify(TASK_RECORD))
    const logger = memoryLogger()
    const run = await readRunLedger({ s3, logger }, { bucket: 'notes', prefix: 'oneshot', runId })
    expect(run.jobs.map((j) => [j.jobSegment, j.job, j.matrixIndex, [...j.tasks.keys()]])).toEqual([
      ['migrate', 'migrate', null, [2]],
      ['shard.m0', 'shard', 0, [0]],
      ['shard.m1', 'shard', 1, [0]]
    ])
    expect(run.ignored).toBe(3)
    expect(logger.of('warning')).toEqual([
      '3 ledger record(s) under s3://notes/oneshot/runs/501/ were not trusted and are left out ' +
        '(malformed, of an unknown version, or unreadable); the first: ' +
        'oneshot/runs/501/migrate/tasks/0/1-1.json: version 9 is unknown'
    ])
    const only = await readRunLedger(
      { s3, logger: memoryLogger() },
      { bucket: 'notes', prefix: 'oneshot', runId, jobs: ['shard'] }
    )
    expect(only.jobs.map((j) => j.jobSegment)).toEqual(['shard.m0', 'shard.m1'])
    expect(only.gets).toBe(2)
  })
})

describe('requests', () => {
  // Mocks every S3Client, so only inside this block, after the server's tests.
  const mockS3 = () => mockClient(S3Client)
  let s3Mock: ReturnType<typeof mockS3>
  beforeAll(() => {
    s3Mock = mockS3()
  })
  afterAll(() => {
    s3Mock.restore()
  })
  beforeEach(() => {
    s3Mock.reset()
  })

  it('pages the LIST 1,000 keys at a time with the continuation token', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({
        IsTruncated: true,
        NextContinuationToken: 't1',
        Contents: [{ Key: 'p/runs/1/b/tasks/0/1-1.json' }]
      })
      .resolvesOnce({ Contents: [{ Key: 'p/runs/1/b/tasks/0/1-2.json' }] })
    const text = JSON.stringify({ ...TASK_RECORD, index: 0, taskAttempt: 2 })
    s3Mock.on(GetObjectCommand).callsFake(() => ({
      Body: { transformToString: () => Promise.resolve(text) }
    }))
    const run = await readRunLedger(
      { s3: new S3Client({ region: 'ap-northeast-1' }), logger: memoryLogger() },
      { bucket: 'notes', prefix: 'p', runId: '1' }
    )
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'notes', Prefix: 'p/runs/1/', MaxKeys: 1000 },
      { Bucket: 'notes', Prefix: 'p/runs/1/', MaxKeys: 1000, ContinuationToken: 't1' }
    ])
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'notes', Key: 'p/runs/1/b/tasks/0/1-2.json' }
    ])
    expect(run.listPages).toBe(2)
    expect(run.jobs[0]?.tasks.get(0)?.taskAttempt).toBe(2)
  })

  it('reads a ledger it cannot list as unknown, with one warning', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(
      Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 }
      })
    )
    const logger = memoryLogger()
    const run = await readRunLedger(
      { s3: new S3Client({ region: 'ap-northeast-1' }), logger },
      { bucket: 'notes', prefix: 'p', runId: '1' }
    )
    expect(run).toEqual({ jobs: [], listed: false, listPages: 0, gets: 0, ignored: 0 })
    expect(logger.of('warning')).toEqual([
      'Could not list the ledger under s3://notes/p/runs/1/, so it reads as unknown: ' +
        'Access Denied; grant s3:ListBucket on arn:aws:s3:::notes for the prefix p/runs/1/'
    ])
  })
})
