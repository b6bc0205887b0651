import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  DescribeTasksCommand,
  ECSClient,
  type DescribeTasksCommandOutput,
  type Task
} from '@aws-sdk/client-ecs'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'
import { exitCodeOf, snapshotFromEvent } from '../../src/wait/result.js'
import { listBucketStatement, waitForStop } from '../../src/wait/s3-waiter.js'
import { s3ReadDelayMs } from '../../src/wait/schedule.js'
import type { NotificationPrefix, WaitOutcome } from '../../src/wait/types.js'
import { drive, type Scheduled } from './drive.js'
import { TASK_ARN, fixture, fixtureText, type FixtureName } from './fixtures.js'

const BUCKET = 'notes'
const PREFIX: NotificationPrefix = { bucket: BUCKET, prefix: 'oneshot', region: 'us-east-1' }
const STARTED_KEY = `oneshot/${TASK_ARN}/started.json`
const STOPPED_KEY = `oneshot/${TASK_ARN}/stopped.json`
const STOPPED_URL = `s3://notes/${STOPPED_KEY}`
// random 0: no jitter, so every gap is the mean (schedule.ts: jitter only lengthens a gap).
const noJitter = (): number => 0
/** Fake "now" when a wait begins: 20 minutes after the fixtures' task stopped. */
const T0 = Date.parse('2026-11-28T16:32:33.250Z')

let server: S3Server
let s3: S3Client
const ecsMock = mockClient(ECSClient)
const ecs = new ECSClient({ region: 'us-east-1' })

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] })
  s3 = server.client()
})
afterAll(async () => {
  await server.close()
  ecsMock.restore()
})

interface Harness {
  clock: FakeClock
  logger: MemoryLogger
  /** Every S3 GET as `<fake ms> <started|stopped>`. */
  gets: string[]
  /** Fake times of every DescribeTasks call. */
  ecsCalls: number[]
  controller: AbortController
  run(options?: { verify?: number; poll?: number; scheduled?: Scheduled[] }): Promise<WaitOutcome>
}

function harness(client: S3Client = s3): Harness {
  const clock = new FakeClock(T0)
  const logger = memoryLogger()
  const gets: string[] = []
  const ecsCalls: number[] = []
  const controller = new AbortController()
  // One recorder per client: a tag on the middleware keeps it from stacking across tests.
  client.middlewareStack.remove('recordGets')
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: string }).Key ?? ''
      if (context.commandName === 'GetObjectCommand') {
        recordGet(`${key.endsWith('started.json') ? 'started' : 'stopped'}`)
      }
      return next(args)
    },
    { step: 'initialize', name: 'recordGets' }
  )
  let recordGet = (_: string): void => {}
  const h: Harness = {
    clock,
    logger,
    gets,
    ecsCalls,
    controller,
    run: async ({ verify = 300, poll = 1, scheduled = [] } = {}) => {
      recordGet = (name) => gets.push(`${clock.now() - T0} ${name}`)
      // What is there before the wait begins.
      for (const s of scheduled.filter((s) => s.at <= 0)) await s.action()
      return drive(
        clock,
        waitForStop(
          { ecs, s3: client, clock, random: noJitter, logger },
          {
            taskArn: TASK_ARN,
            cluster: 'batch',
            prefix: PREFIX,
            pollIntervalSeconds: poll,
            verifyIntervalSeconds: verify,
            signal: controller.signal
          }
        ),
        scheduled.filter((s) => s.at > 0)
      )
    }
  }
  return h
}

async function put(key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
}
const putEvent = (key: string, name: FixtureName) => () => put(key, fixtureText(name))
const withDetail = (name: FixtureName, patch: Record<string, unknown>): string => {
  const e = fixture(name)
  return JSON.stringify({ ...e, detail: { ...e.detail, ...patch } })
}

/** A DescribeTasks answer for the task, recording the call's fake time. */
function answerWith(h: Harness, task: Task | undefined): void {
  ecsMock.on(DescribeTasksCommand).callsFake((): DescribeTasksCommandOutput => {
    h.ecsCalls.push(h.clock.now() - T0)
    return task
      ? { tasks: [task], failures: [], $metadata: {} }
      : { tasks: [], failures: [{ arn: TASK_ARN, reason: 'MISSING' }], $metadata: {} }
  })
}

const running: Task = {
  taskArn: TASK_ARN,
  lastStatus: 'RUNNING',
  startedAt: new Date('2026-11-28T16:10:05.330Z'),
  containers: [{ name: 'app', lastStatus: 'RUNNING' }]
}

beforeEach(async () => {
  ecsMock.reset()
  for (const Key of [STARTED_KEY, STOPPED_KEY]) {
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key }))
  }
})

describe('S3 waiter against s3rver', () => {
  it('reads stopped.json every second, started.json every third read until seen, and ends on STOPPED', async () => {
    const h = harness()
    const outcome = await h.run({
      scheduled: [
        { at: 2500, action: putEvent(STARTED_KEY, 'running') },
        { at: 7200, action: putEvent(STOPPED_KEY, 'stopped-oom') }
      ]
    })
    expect(outcome).toEqual({
      kind: 'stopped',
      task: snapshotFromEvent(fixture('stopped-oom').detail)
    })
    // random 0: every gap is the mean, 1 s for a young task (schedule.ts).
    expect(h.gets).toEqual([
      '0 stopped',
      '1000 stopped',
      '2000 started',
      '3000 stopped',
      '4000 stopped',
      '5000 started',
      '6000 stopped',
      '7000 stopped',
      '8000 stopped'
    ])
    expect(h.ecsCalls).toEqual([])
    expect(h.logger.of('info')).toEqual([
      'Task 0123456789abcdef0123456789abcdef started at 2026-11-28T16:10:05.330Z on container instance arn:aws:ecs:ap-northeast-1:123456789012:container-instance/batch/5f0e6c1d2b3a49a8b7c6d5e4f3a2b1c0 in ap-northeast-1a',
      'Task 0123456789abcdef0123456789abcdef stopped at 2026-11-28T16:12:33.250Z: EssentialContainerExited: Essential container in task exited'
    ])
    expect(h.logger.of('warning')).toEqual([])
    if (outcome.kind === 'stopped') expect(exitCodeOf(outcome.task)).toBe(137)
  })

  it('grows the read interval with the task age and makes no ECS call with verify-interval 0', async () => {
    const h = harness()
    const outcome = await h.run({
      verify: 0,
      scheduled: [{ at: 1_200_000, action: () => h.controller.abort() }]
    })
    expect(outcome).toEqual({ kind: 'aborted' })
    const expected: number[] = []
    for (
      let t = 0;
      t < 1_200_000;
      t += s3ReadDelayMs({ baseSeconds: 1, ageMs: t, random: noJitter })
    ) {
      expected.push(t)
    }
    expect(h.gets.map((g) => Number(g.split(' ')[0]))).toEqual(expected)
    // About 50 + 50 ln(1200 / 50) reads in 20 minutes (schedule.ts), against 1200 at one a second.
    expect(expected.length).toBe(212)
    expect(h.ecsCalls).toEqual([])
  })

  it('calls DescribeTasks once per verify interval of silence and warns once that notifications are not arriving', async () => {
    const h = harness()
    answerWith(h, running)
    const outcome = await h.run({
      verify: 10,
      scheduled: [{ at: 35_000, action: () => h.controller.abort() }]
    })
    expect(h.ecsCalls).toEqual([10_000, 20_000, 30_000])
    // The abort at 35 s falls in the sleep before the read at 35 s.
    expect(h.gets).toHaveLength(35)
    expect(outcome).toEqual({
      kind: 'aborted',
      last: {
        taskArn: TASK_ARN,
        lastStatus: 'RUNNING',
        startedAt: new Date('2026-11-28T16:10:05.330Z'),
        containers: [{ name: 'app', lastStatus: 'RUNNING' }],
        source: 'describe-tasks'
      }
    })
    expect(h.logger.of('warning')).toEqual([
      `ECS reports task 0123456789abcdef0123456789abcdef RUNNING since 2026-11-28T16:10:05.330Z, but s3://notes/${STARTED_KEY} has not appeared after 10 s: notifications are not arriving. Check that the EventBridge rule for "ECS Task State Change" events matches cluster 'batch', that the notifier Lambda shows no errors in its logs and may s3:PutObject on arn:aws:s3:::notes/oneshot/*, and that it writes to s3://notes/oneshot/ (the prefix this action reads). Still waiting; ECS is checked again every 10 s.`
    ])
    expect(h.logger.of('info')).toEqual([
      'ECS reports task 0123456789abcdef0123456789abcdef RUNNING; still waiting for stopped.json',
      'ECS reports task 0123456789abcdef0123456789abcdef RUNNING; still waiting for stopped.json'
    ])
  })

  it('does not warn about notifications once started.json has arrived', async () => {
    const h = harness()
    answerWith(h, running)
    await h.run({
      verify: 10,
      scheduled: [
        { at: 0, action: putEvent(STARTED_KEY, 'running') },
        { at: 12_000, action: () => h.controller.abort() }
      ]
    })
    expect(h.ecsCalls).toEqual([10_000])
    expect(h.logger.of('warning')).toEqual([])
  })

  it('finishes from DescribeTasks and warns that the notifier missed the event when ECS says STOPPED', async () => {
    const h = harness()
    // T0 is 20 minutes after this stop: long past any notifier lag.
    const stopped: Task = {
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedAt: new Date('2026-11-28T16:12:33.250Z'),
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 2 }]
    }
    answerWith(h, stopped)
    const outcome = await h.run({ verify: 5 })
    expect(h.ecsCalls).toEqual([5000])
    expect(outcome.kind === 'stopped' && outcome.task.source).toBe('describe-tasks')
    expect(outcome.kind === 'stopped' && exitCodeOf(outcome.task)).toBe(2)
    expect(h.logger.of('warning')).toEqual([
      `ECS reports task 0123456789abcdef0123456789abcdef STOPPED at 2026-11-28T16:12:33.250Z, but ${STOPPED_URL} has not appeared; finishing from the DescribeTasks answer. The notifier missed the event. Check that the EventBridge rule for "ECS Task State Change" events matches cluster 'batch', that the notifier Lambda shows no errors in its logs and may s3:PutObject on arn:aws:s3:::notes/oneshot/*, and that it writes to s3://notes/oneshot/ (the prefix this action reads).`
    ])
  })

  it('ignores oversized, non-JSON, foreign-task and non-STOPPED objects, warning once per object', async () => {
    const h = harness()
    const foreign = withDetail('stopped-success', {
      taskArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/ffffffffffffffffffffffffffffffff'
    })
    const outcome = await h.run({
      scheduled: [
        { at: 0, action: () => put(STOPPED_KEY, 'x'.repeat(256 * 1024 + 1)) },
        { at: 2500, action: () => put(STOPPED_KEY, '<html>not json</html>') },
        { at: 4500, action: () => put(STOPPED_KEY, foreign) },
        { at: 6500, action: putEvent(STOPPED_KEY, 'running') },
        { at: 8500, action: () => put(STOPPED_KEY, JSON.stringify({ detail: { hello: 1 } })) },
        { at: 10_500, action: putEvent(STOPPED_KEY, 'stopped-success') }
      ]
    })
    expect(outcome.kind === 'stopped' && exitCodeOf(outcome.task)).toBe(0)
    expect(h.gets).toEqual([
      '0 stopped',
      '1000 stopped',
      '2000 started',
      '3000 stopped',
      '4000 stopped',
      '5000 started',
      '6000 stopped',
      '7000 stopped',
      '8000 started',
      '9000 stopped',
      '10000 stopped',
      '11000 started',
      '12000 stopped'
    ])
    expect(h.logger.of('warning')).toEqual([
      `Ignoring ${STOPPED_URL}: it is 262145 bytes, more than the 262144 an ECS task state event can be`,
      `Ignoring ${STOPPED_URL}: it is not JSON`,
      `Ignoring ${STOPPED_URL}: it holds an event for another task, arn:aws:ecs:ap-northeast-1:123456789012:task/batch/ffffffffffffffffffffffffffffffff`,
      `Ignoring ${STOPPED_URL}: its detail.lastStatus is RUNNING, not STOPPED`,
      `Ignoring ${STOPPED_URL}: it is not an ECS task state event (detail.taskArn: Invalid input: expected string, received undefined)`
    ])
  })

  it('lets a newer stopped.json complete an incomplete one within the grace, with no ECS call (docs/ecs-events.md, "STOPPED without exit codes")', async () => {
    const h = harness()
    answerWith(h, running)
    const outcome = await h.run({
      scheduled: [
        { at: 0, action: putEvent(STOPPED_KEY, 'stopped-incomplete') },
        // An older duplicate changes nothing; the newer version (6) wins.
        {
          at: 1500,
          action: () => put(STOPPED_KEY, withDetail('stopped-incomplete', { version: 4 }))
        },
        { at: 3500, action: putEvent(STOPPED_KEY, 'stopped-failure') }
      ]
    })
    expect(h.gets).toEqual([
      '0 stopped',
      '1000 stopped',
      '2000 stopped',
      '3000 stopped',
      '4000 stopped'
    ])
    expect(outcome).toEqual({
      kind: 'stopped',
      task: snapshotFromEvent(fixture('stopped-failure').detail)
    })
    expect(h.ecsCalls).toEqual([])
    expect(h.logger.of('info')[0]).toBe(
      'stopped.json for task 0123456789abcdef0123456789abcdef has no exit code or reason for the app container yet (EssentialContainerExited); re-reading it for up to 10 s for a newer event'
    )
  })

  it('settles an incomplete stop after the grace with one DescribeTasks that completes it', async () => {
    const h = harness()
    const complete: Task = {
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 1 }]
    }
    answerWith(h, complete)
    const outcome = await h.run({
      scheduled: [{ at: 3000, action: putEvent(STOPPED_KEY, 'stopped-incomplete') }]
    })
    // First seen at 3 s; re-read each second; the read at 13 s ends the 10 s grace.
    expect(h.gets.slice(-3)).toEqual(['11000 stopped', '12000 stopped', '13000 stopped'])
    expect(h.ecsCalls).toEqual([13_000])
    expect(outcome.kind === 'stopped' && outcome.task.source).toBe('describe-tasks')
    expect(outcome.kind === 'stopped' && exitCodeOf(outcome.task)).toBe(1)
  })

  it('settles on 127 when DescribeTasks confirms no exit code, and without ECS when verify-interval is 0', async () => {
    const confirmed = harness()
    answerWith(confirmed, {
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'app', lastStatus: 'STOPPED' }]
    })
    const one = await confirmed.run({
      scheduled: [{ at: 0, action: putEvent(STOPPED_KEY, 'stopped-incomplete') }]
    })
    expect(confirmed.ecsCalls).toEqual([10_000])
    expect(one.kind === 'stopped' && one.task.source).toBe('s3')
    expect(one.kind === 'stopped' && exitCodeOf(one.task)).toBe(127)

    const never = harness()
    answerWith(never, running)
    const two = await never.run({ verify: 0 })
    expect(never.ecsCalls).toEqual([])
    expect(two.kind === 'stopped' && exitCodeOf(two.task)).toBe(127)
    expect(never.logger.of('info').at(-1)).toBe(
      'stopped.json still has no exit code or reason for the app container after 10 s; settling on it (verify-interval is 0, so ECS is not asked)'
    )
  })

  it('returns promptly with what it last saw when aborted', async () => {
    const h = harness()
    const outcome = await h.run({
      scheduled: [
        { at: 0, action: putEvent(STARTED_KEY, 'running') },
        { at: 4200, action: () => h.controller.abort() }
      ]
    })
    expect(outcome).toEqual({ kind: 'aborted', last: snapshotFromEvent(fixture('running').detail) })
    expect(h.clock.now() - T0).toBe(4000)
  })
})

describe('S3 waiter error handling (mocked S3 client)', () => {
  // A client of its own: mocking the S3Client class would also mock the s3rver client.
  const client = new S3Client({ region: 'us-east-1' })
  const s3Mock = mockClient(client)
  afterAll(() => s3Mock.restore())
  beforeEach(() => {
    s3Mock.reset()
  })
  const error = (name: string, status: number | undefined): S3ServiceException =>
    new S3ServiceException({
      name,
      $fault: status !== undefined && status < 500 ? 'client' : 'server',
      $metadata: status === undefined ? {} : { httpStatusCode: status },
      message: name
    })
  const body = (name: FixtureName): { Body: never; ContentLength: number; ETag: string } => {
    const text = fixtureText(name)
    return {
      Body: { transformToString: () => Promise.resolve(text) } as never,
      ContentLength: Buffer.byteLength(text),
      ETag: `"${name}"`
    }
  }
  const run = (h: Harness, client: S3Client, verify = 300): Promise<WaitOutcome> =>
    drive(
      h.clock,
      waitForStop(
        { ecs, s3: client, clock: h.clock, random: noJitter, logger: h.logger },
        {
          taskArn: TASK_ARN,
          cluster: 'batch',
          prefix: PREFIX,
          pollIntervalSeconds: 1,
          verifyIntervalSeconds: verify,
          signal: h.controller.signal
        }
      )
    )

  it('reads 403 AccessDenied as "not yet" and warns once with the exact policy fix (docs/limits.md, "S3 403 versus 404")', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejectsOnce(error('AccessDenied', 403))
      .rejectsOnce(error('AccessDenied', 403))
      .rejectsOnce(error('AccessDenied', 403))
      .resolves(body('stopped-success'))
    const h = harness(client)
    const outcome = await run(h, client)
    expect(outcome.kind).toBe('stopped')
    expect(h.clock.sleeps).toEqual([1000, 1000, 1000])
    expect(h.logger.of('warning')).toEqual([
      `Reading ${STOPPED_URL} answered 403 AccessDenied. S3 answers 403 instead of 404 for a missing key when the role lacks s3:ListBucket, so this is read as "not written yet"; to make it a 404 and rule out a real denial, add to the action's role: {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::notes","Condition":{"StringLike":{"s3:prefix":"oneshot/*"}}} (with s3:GetObject on arn:aws:s3:::notes/oneshot/*).`
    ])
  })

  it('backs off on SlowDown, 5xx and network errors and goes on', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejectsOnce(error('SlowDown', 503))
      .rejectsOnce(error('SlowDown', 503))
      .rejectsOnce(error('InternalError', 500))
      .rejectsOnce(error('TimeoutError', undefined))
      .rejectsOnce(error('NoSuchKey', 404))
      .resolves(body('stopped-success'))
    const h = harness(client)
    const outcome = await run(h, client)
    expect(outcome.kind).toBe('stopped')
    // Each error in a row doubles the mean gap (random 0 gives the mean); a 404 resets it.
    // The sixth read is of started.json (every third read until seen), the seventh ends it.
    expect(h.clock.sleeps).toEqual([2000, 4000, 8000, 16_000, 1000, 1000])
    expect(h.logger.of('info')).toContain('S3 answered SlowDown; backing off')
    expect(h.logger.of('warning')).toEqual([])
  })

  it('falls back to DescribeTasks after three reads that cannot succeed (NoSuchBucket)', async () => {
    s3Mock.on(GetObjectCommand).rejects(error('NoSuchBucket', 404))
    const h = harness(client)
    answerWith(h, {
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'app', exitCode: 0 }]
    })
    const outcome = await run(h, client)
    expect(outcome.kind === 'stopped' && outcome.task.source).toBe('describe-tasks')
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(3)
    expect(h.ecsCalls).toEqual([6000])
    expect(h.logger.of('warning')).toEqual([
      `Reading s3://notes/${STARTED_KEY} failed: NoSuchBucket: NoSuchBucket. Waiting through DescribeTasks instead. Check that the bucket 'notes' exists in us-east-1 (a '?region=' on the prefix names another region) and that the action's role may read it.`
    ])
  })
})

describe('listBucketStatement', () => {
  it('omits the condition for a prefix at the bucket root', () => {
    expect(listBucketStatement({ bucket: 'b', prefix: '' })).toBe(
      '{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}'
    )
  })
})
