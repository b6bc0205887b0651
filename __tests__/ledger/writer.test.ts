/**
 * The ledger writer with aws-sdk-client-mock: the exact keys and bodies it PUTs, one write at a
 * time per key, at most 16 in flight, SlowDown retried with full-jitter backoff, and the first
 * AccessDenied turning it off with one warning.
 */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { ledgerPlace, type LedgerPlace } from '../../src/ledger/records.js'
import {
  LEDGER_CONCURRENCY,
  LEDGER_WRITE_TRIES,
  LedgerWriter,
  ledgerOffWarning
} from '../../src/ledger/writer.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'

const s3Mock = mockClient(S3Client)
const START = Date.parse('2026-12-07T10:00:00Z')
const ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(`${name} message`), {
    name,
    $metadata: { httpStatusCode: status }
  })
}

const env = {
  GITHUB_RUN_ID: '7001',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_JOB: 'migrate',
  GITHUB_ACTION: 'oneshot'
}

function place(prefix = 'oneshot'): LedgerPlace {
  const p = ledgerPlace({ bucket: 'notes', prefix, env, jobIndex: 3, jobTotal: 8 })
  if (p === undefined) throw new Error('no place')
  return p
}

interface Setup {
  writer: LedgerWriter
  clock: FakeClock
  logger: MemoryLogger
}

function setup(options: { region?: string; prefix?: string } = {}): Setup {
  const clock = new FakeClock(START)
  const logger = memoryLogger()
  const writer = new LedgerWriter(
    { s3: new S3Client({ region: 'ap-northeast-1' }), clock, random: () => 0.5, logger },
    {
      place: place(options.prefix),
      runAttempt: 2,
      tasks: 4,
      cluster: 'batch',
      region: options.region ?? 'ap-northeast-1'
    }
  )
  return { writer, clock, logger }
}

function puts(): { key: string; body: Record<string, unknown> }[] {
  return s3Mock.commandCalls(PutObjectCommand).map((c) => ({
    key: c.args[0].input.Key ?? '',
    body: JSON.parse(c.args[0].input.Body as string) as Record<string, unknown>
  }))
}

beforeEach(() => {
  s3Mock.reset()
  s3Mock.on(PutObjectCommand).resolves({})
})

describe('LedgerWriter', () => {
  it('writes the intent, then each task started and ended, at their exact keys and bodies', async () => {
    const { writer, clock } = setup()
    const entries = writer.intent([
      { index: 0, spec: 'aaaa', taskAttempt: 1 },
      { index: 2, spec: 'cccc', taskAttempt: 3 }
    ])
    expect(entries.map((e) => e.clientToken)).toEqual([
      writer.clientToken(0, 1),
      writer.clientToken(2, 3)
    ])
    expect(entries[0]?.clientToken).toMatch(/^[0-9a-f]{32}$/)
    await writer.flush()
    await clock.advance(5000)
    writer.started({ index: 2, taskAttempt: 3, spec: 'cccc', taskArn: ARN })
    await writer.flush()
    await clock.advance(60_000)
    writer.ended({
      index: 2,
      taskAttempt: 3,
      status: 'failed',
      exitCode: 2,
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited\n::warning::x',
      startedAt: new Date(START + 6000),
      stoppedAt: new Date(START + 64_000),
      logsUrl: 'https://logs.example/stream'
    })
    const stats = await writer.flush()
    expect(stats).toEqual({ puts: 3, retried: 0, written: 3, lost: 0, off: false })
    const written = puts()
    expect(written.map((p) => p.key)).toEqual([
      'oneshot/runs/7001/migrate.m3.oneshot/attempts/2.json',
      'oneshot/runs/7001/migrate.m3.oneshot/tasks/2/2-3.json',
      'oneshot/runs/7001/migrate.m3.oneshot/tasks/2/2-3.json'
    ])
    expect(written[0]?.body).toEqual({
      version: 2,
      kind: 'job',
      job: 'migrate',
      step: 'oneshot',
      matrixIndex: 3,
      jobTotal: 8,
      runAttempt: 2,
      tasks: 4,
      writtenAt: '2026-12-07T10:00:00.000Z',
      indexes: [
        { index: 0, spec: 'aaaa', taskAttempt: 1, clientToken: writer.clientToken(0, 1) },
        { index: 2, spec: 'cccc', taskAttempt: 3, clientToken: writer.clientToken(2, 3) }
      ]
    })
    const started = {
      version: 2,
      kind: 'task',
      job: 'migrate',
      step: 'oneshot',
      matrixIndex: 3,
      jobTotal: 8,
      index: 2,
      tasks: 4,
      runAttempt: 2,
      taskAttempt: 3,
      spec: 'cccc',
      clientToken: writer.clientToken(2, 3),
      status: 'unfinished',
      adopted: false,
      taskArn: ARN,
      cluster: 'batch',
      region: 'ap-northeast-1',
      exitCode: null,
      stopCode: null,
      stoppedReason: null,
      stopRequest: null,
      startedAt: null,
      stoppedAt: null,
      logsUrl: null,
      recordedAt: '2026-12-07T10:00:05.000Z'
    }
    expect(written[1]?.body).toEqual(started)
    expect(written[2]?.body).toEqual({
      ...started,
      status: 'failed',
      exitCode: 2,
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited\\n::warning::x',
      startedAt: '2026-12-07T10:00:06.000Z',
      stoppedAt: '2026-12-07T10:01:04.000Z',
      logsUrl: 'https://logs.example/stream',
      recordedAt: '2026-12-07T10:01:05.000Z'
    })
  })

  it('writes a stop request as one PUT, and never an env value', async () => {
    const { writer } = setup()
    writer.started({ index: 1, taskAttempt: 1, spec: 'bbbb', taskArn: ARN })
    await writer.flush()
    writer.stopRequested(1, 1, 'timeout')
    await writer.flush()
    const written = puts()
    expect(written).toHaveLength(2)
    expect(written[1]?.body).toMatchObject({ status: 'unfinished', stopRequest: 'timeout' })
    expect(Object.keys(written[1]?.body ?? {})).not.toContain('env')
  })

  it('sends one key at a time: an end given while its start is in flight follows it', async () => {
    const order: string[] = []
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Body: string }) => {
      order.push((JSON.parse(input.Body) as { status: string }).status)
      await Promise.resolve()
      return {}
    })
    const { writer } = setup()
    writer.started({ index: 0, taskAttempt: 1, spec: 'aaaa', taskArn: ARN })
    writer.ended({ index: 0, taskAttempt: 1, status: 'succeeded', exitCode: 0 })
    await writer.flush()
    expect(order).toEqual(['unfinished', 'succeeded'])
  })

  it('coalesces writes of one key still queued: one PUT for the newest', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    s3Mock.on(PutObjectCommand).callsFake(async () => {
      await gate
      return {}
    })
    const { writer } = setup()
    for (let i = 0; i < LEDGER_CONCURRENCY; i++) {
      writer.started({ index: i, taskAttempt: 1, spec: 's', taskArn: ARN })
    }
    // The 17th key waits in the queue; its end replaces its start there.
    writer.started({ index: 16, taskAttempt: 1, spec: 's', taskArn: ARN })
    writer.ended({ index: 16, taskAttempt: 1, status: 'succeeded', exitCode: 0 })
    await Promise.resolve()
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(LEDGER_CONCURRENCY)
    release()
    const stats = await writer.flush()
    expect(stats.puts).toBe(17)
    const last = puts().find((p) => p.key.endsWith('/tasks/16/2-1.json'))
    expect(last?.body.status).toBe('succeeded')
  })

  it('keeps at most 16 writes in flight for 200 records', async () => {
    let inFlight = 0
    let most = 0
    s3Mock.on(PutObjectCommand).callsFake(async () => {
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise((resolve) => setImmediate(resolve))
      inFlight--
      return {}
    })
    const { writer } = setup()
    for (let i = 0; i < 200; i++) {
      writer.started({ index: i, taskAttempt: 1, spec: 's', taskArn: ARN })
    }
    const stats = await writer.flush()
    expect(stats.written).toBe(200)
    expect(most).toBe(LEDGER_CONCURRENCY)
  })

  it('retries SlowDown and 503 with full-jitter backoff, then stores the record', async () => {
    s3Mock
      .on(PutObjectCommand)
      .rejectsOnce(s3Error('SlowDown', 503))
      .rejectsOnce(s3Error('InternalError', 500))
      .resolves({})
    const { writer, clock, logger } = setup()
    writer.started({ index: 0, taskAttempt: 1, spec: 'aaaa', taskArn: ARN })
    const flushed = writer.flush()
    await clock.advance(100)
    await clock.advance(200)
    const stats = await flushed
    // The flush deadline; then, with random 0.5, half of 200 ms and half of 400 ms.
    expect(clock.sleeps).toEqual([30_000, 100, 200])
    expect(stats).toEqual({ puts: 3, retried: 2, written: 1, lost: 0, off: false })
    expect(logger.of('warning')).toEqual([])
  })

  it('gives a record up after 8 tries and says so once at flush', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error('SlowDown', 503))
    const { writer, clock, logger } = setup()
    writer.started({ index: 0, taskAttempt: 1, spec: 'aaaa', taskArn: ARN })
    const flushed = writer.flush(600_000)
    for (let i = 0; i < LEDGER_WRITE_TRIES; i++) await clock.advance(10_000)
    const stats = await flushed
    expect(stats).toEqual({ puts: 8, retried: 8, written: 0, lost: 1, off: false })
    expect(logger.of('warning')).toEqual([
      '1 ledger record(s) under s3://notes/oneshot/runs/7001/migrate.m3.oneshot/ could not be ' +
        'written after 8 tries (SlowDown message): a re-run may start those tasks again, and ' +
        'mode: summary may count them as not run'
    ])
  })

  it('turns off at the first AccessDenied with one warning naming the permission', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403))
    const { writer, logger } = setup()
    writer.intent([{ index: 0, spec: 'aaaa', taskAttempt: 1 }])
    writer.started({ index: 0, taskAttempt: 1, spec: 'aaaa', taskArn: ARN })
    await writer.flush()
    writer.ended({ index: 0, taskAttempt: 1, status: 'succeeded', exitCode: 0 })
    writer.stopRequested(0, 1, 'cancel')
    const stats = await writer.flush()
    expect(stats.off).toBe(true)
    // The intent and the start went out together; nothing after the writer turned off.
    expect(stats.puts).toBe(2)
    expect(logger.of('warning')).toEqual([
      'Could not write the ledger under s3://notes/oneshot/runs/7001/ (AccessDenied message): ' +
        'grant s3:PutObject on arn:aws:s3:::notes/oneshot/runs/*. The ledger is off for this ' +
        'step: a re-run of this workflow run starts every task of this job again, and ' +
        'mode: summary sees these tasks as not run.'
    ])
  })

  it.each([
    ['cn-north-1', 'arn:aws-cn:s3:::notes/runs/*'],
    ['us-gov-west-1', 'arn:aws-us-gov:s3:::notes/runs/*'],
    ['eu-west-1', 'arn:aws:s3:::notes/runs/*']
  ])('names the ARN of the %s partition', (region, arn) => {
    const text = ledgerOffWarning(s3Error('AccessDenied', 403), { place: place(''), region })
    expect(text).toContain(`grant s3:PutObject on ${arn}.`)
  })

  it('says the bucket is missing on NoSuchBucket', () => {
    expect(ledgerOffWarning(s3Error('NoSuchBucket', 404), { place: place(), region: 'x' })).toBe(
      "Could not write the ledger under s3://notes/oneshot/runs/7001/: the bucket 'notes' does " +
        'not exist (NoSuchBucket); check the notification prefix. The ledger is off for this ' +
        'step: a re-run of this workflow run starts every task of this job again, and ' +
        'mode: summary sees these tasks as not run.'
    )
  })

  it('writes the intent once per run attempt', async () => {
    const { writer } = setup()
    writer.intent([{ index: 0, spec: 'a', taskAttempt: 1 }])
    writer.intent([{ index: 0, spec: 'a', taskAttempt: 1 }])
    await writer.flush()
    expect(puts()).toHaveLength(1)
  })

  it('records an adopted task that had already ended with one PUT', async () => {
    const { writer } = setup()
    writer.ended({
      index: 3,
      taskAttempt: 1,
      status: 'succeeded',
      exitCode: 0,
      spec: 'dddd',
      taskArn: ARN,
      adopted: true,
      clientToken: 'token-of-attempt-1'
    })
    await writer.flush()
    const written = puts()
    expect(written.map((p) => p.key)).toEqual([
      'oneshot/runs/7001/migrate.m3.oneshot/tasks/3/2-1.json'
    ])
    expect(written[0]?.body).toMatchObject({
      status: 'succeeded',
      adopted: true,
      clientToken: 'token-of-attempt-1',
      runAttempt: 2
    })
  })

  it('warns when writes are still pending at the flush deadline', async () => {
    s3Mock.on(PutObjectCommand).callsFake(() => new Promise(() => {}))
    const { writer, clock, logger } = setup()
    writer.started({ index: 0, taskAttempt: 1, spec: 'a', taskArn: ARN })
    const flushed = writer.flush(2000)
    await clock.advance(2000)
    await flushed
    expect(logger.of('warning')).toEqual([
      '1 ledger write(s) under s3://notes/oneshot/runs/7001/migrate.m3.oneshot/ were still ' +
        'pending after 2s and are left behind: a re-run may start those tasks again'
    ])
  })
})
