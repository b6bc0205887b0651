import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { DescribeTasksCommand, ECSClient, type Task } from '@aws-sdk/client-ecs'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'
import { WaitEngine, type TaskEnd } from '../../src/wait/engine.js'
import { chooseReadMode, listPrefixOf } from '../../src/wait/read-mode.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger } from '../doubles/logger.js'
import { drive } from '../wait/drive.js'
import {
  BUCKET,
  s3Error,
  CLUSTER,
  LIST_PREFIX,
  PREFIX,
  REGION,
  arn,
  fakeBucket,
  startedKey,
  stateEvent,
  stoppedKey,
  type FakeBucket
} from '../tasks/fakes.js'

// random 0: no jitter, so every gap is the mean (schedule.ts: jitter only lengthens a gap).
const noJitter = (): number => 0
const ecsMock = mockClient(ECSClient)
const ecs = new ECSClient({ region: REGION })
afterEach(() => {
  ecsMock.reset()
})
afterAll(() => ecsMock.restore())

interface Run {
  ends: string[]
  /** `<ms> <task ARN>` per onStart call. */
  starts: string[]
  clock: FakeClock
  bucket: FakeBucket
  logger: ReturnType<typeof memoryLogger>
  describeCalls: [number, string[]][]
  failure?: unknown
}

/**
 * Watches `initial` tasks from time 0 (more at `later`), runs the `at` actions at their fake
 * times, and stops at `until`.
 */
async function watch(options: {
  initial: string[]
  later?: { at: number; arns: string[] }
  at?: { at: number; action: (bucket: FakeBucket) => void }[]
  until: number
  verify?: number
  prefix?: boolean
  describe?: (arns: string[], now: number) => Task[]
  describeError?: Error
  expectFailure?: boolean
  /** Calls on the engine at fake times. */
  calls?: { at: number; call: (engine: WaitEngine) => void }[]
}): Promise<Run> {
  const clock = new FakeClock(0)
  const bucket = fakeBucket(clock)
  const logger = memoryLogger()
  const ends: string[] = []
  const starts: string[] = []
  const describeCalls: [number, string[]][] = []
  ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => {
    describeCalls.push([clock.now(), input.tasks])
    if (options.describeError) throw options.describeError
    return { tasks: options.describe?.(input.tasks, clock.now()) ?? [], failures: [] }
  })
  const waiter = new WaitEngine(
    {
      ecs,
      s3: bucket.client,
      clock,
      random: noJitter,
      logger,
      s3Endpoint: 'https://s3.us-east-1.amazonaws.com'
    },
    {
      cluster: CLUSTER,
      prefix:
        options.prefix === false ? undefined : { bucket: BUCKET, prefix: PREFIX, region: REGION },
      pollIntervalSeconds: 1,
      verifyIntervalSeconds: options.verify ?? 300,
      onStart: (taskArn) => starts.push(`${clock.now()} ${taskArn}`),
      onEnd: (end: TaskEnd) =>
        ends.push(
          end.kind === 'lost'
            ? `${clock.now()} lost ${end.taskArn}`
            : `${clock.now()} ${end.task.taskArn} ${end.task.source} exit ${end.task.containers[0]?.exitCode ?? '-'}`
        )
    }
  )
  for (const a of options.initial) waiter.add(a)
  const stop = new AbortController()
  if (options.later) {
    const later = options.later
    void clock.sleep(later.at).then(() => later.arns.forEach((a) => waiter.add(a)))
  }
  for (const item of options.at ?? []) {
    void clock.sleep(item.at).then(() => item.action(bucket))
  }
  for (const item of options.calls ?? []) {
    void clock.sleep(item.at).then(() => item.call(waiter))
  }
  void clock.sleep(options.until).then(() => stop.abort())
  let failure: unknown
  await clock.run(waiter.run(stop.signal)).catch((error: unknown) => (failure = error))
  bucket.restore()
  if (failure !== undefined && !options.expectFailure) throw failure as Error
  return { ends, starts, clock, bucket, logger, describeCalls, failure }
}

const running = (arns: string[]): Task[] =>
  arns.map((taskArn) => ({ taskArn, lastStatus: 'RUNNING', containers: [{ name: 'app' }] }))

describe('chooseReadMode (a LIST costs about 12.5 GETs, docs/limits.md, "S3 pricing")', () => {
  it.each([
    { ages: [], pages: 1, mode: 'get' },
    { ages: Array.from({ length: 12 }, () => 0), pages: 1, mode: 'get' },
    { ages: Array.from({ length: 13 }, () => 0), pages: 1, mode: 'list' },
    { ages: Array.from({ length: 25 }, () => 0), pages: 2, mode: 'get' },
    { ages: Array.from({ length: 26 }, () => 0), pages: 2, mode: 'list' },
    // Old tasks are read rarely (2 % of their age, at most every 20 s): 5 of them cost 0.25
    // GETs/s, a LIST at their pace 0.625; 200 of them cost 10 GETs/s.
    { ages: Array.from({ length: 5 }, () => 3_600_000), pages: 1, mode: 'get' },
    { ages: Array.from({ length: 200 }, () => 3_600_000), pages: 1, mode: 'list' },
    // One young task sets the LIST's pace for all.
    { ages: [...Array.from({ length: 200 }, () => 3_600_000), 0], pages: 1, mode: 'get' },
    { ages: [...Array.from({ length: 300 }, () => 3_600_000), 0], pages: 1, mode: 'list' }
  ])('$ages.length tasks, $pages page(s): $mode', ({ ages, pages, mode }) => {
    expect(chooseReadMode({ ages, baseSeconds: 1, pages }).mode).toBe(mode)
  })

  it('says why in one sentence', () => {
    expect(
      chooseReadMode({ ages: Array.from({ length: 20 }, () => 5000), baseSeconds: 1, pages: 1 })
        .reason
    ).toBe(
      "Listing the prefix instead of reading each task's stopped.json: a GET per task costs " +
        'about 20.0 GETs/s for 20 pending task(s); a LIST of 1 page(s) every 1.0 s costs about ' +
        '12.5 GET-equivalents/s (a LIST costs about 12.5 GETs)'
    )
  })
})

describe('listPrefixOf', () => {
  it('is the prefix and the task ARN up to its cluster', () => {
    expect(listPrefixOf('oneshot', arn(1))).toBe(
      'oneshot/arn:aws:ecs:us-east-1:123456789012:task/batch/'
    )
    expect(listPrefixOf('', arn(1))).toBe('arn:aws:ecs:us-east-1:123456789012:task/batch/')
  })
})

describe('WaitEngine over S3', () => {
  it('reads each stopped.json with a GET when a handful of tasks are pending', async () => {
    const { bucket, ends, logger } = await watch({
      initial: [arn(0), arn(1), arn(2)],
      at: [{ at: 1500, action: (b) => b.put(stoppedKey(arn(1)), stateEvent(arn(1))) }],
      until: 2500
    })
    expect(bucket.requests).toEqual([
      `1000 GET ${stoppedKey(arn(0))}`,
      `1000 GET ${stoppedKey(arn(1))}`,
      `1000 GET ${stoppedKey(arn(2))}`,
      `2000 GET ${stoppedKey(arn(0))}`,
      `2000 GET ${stoppedKey(arn(1))}`,
      `2000 GET ${stoppedKey(arn(2))}`
    ])
    expect(ends).toEqual([`2000 ${arn(1)} s3 exit 0`])
    expect(logger.of('debug')[0]).toBe(
      "Reading each task's stopped.json: a GET per task costs about 3.0 GETs/s for 3 pending " +
        'task(s); a LIST of 1 page(s) every 1.0 s costs about 12.5 GET-equivalents/s (a LIST ' +
        'costs about 12.5 GETs)'
    )
  })

  it('lists the prefix when many are pending, and GETs only stopped.json objects that appeared or changed', async () => {
    const tasks = Array.from({ length: 20 }, (_, i) => arn(i))
    const { bucket, ends, logger } = await watch({
      initial: tasks,
      at: [
        {
          at: 1500,
          action: (b) => {
            for (const t of tasks) b.put(startedKey(t), stateEvent(t, { lastStatus: 'RUNNING' }))
            // An incomplete stop (docs/ecs-events.md, "STOPPED without exit codes"): re-read only once a newer event replaces it.
            b.put(stoppedKey(arn(3)), stateEvent(arn(3), { incomplete: true, version: 3 }))
            b.put(stoppedKey(arn(5)), stateEvent(arn(5), { exitCode: 2 }))
          }
        },
        {
          at: 3500,
          action: (b) => b.put(stoppedKey(arn(3)), stateEvent(arn(3), { exitCode: 0, version: 4 }))
        }
      ],
      until: 4500
    })
    expect(bucket.requests).toEqual([
      `1000 LIST ${LIST_PREFIX}`,
      `2000 LIST ${LIST_PREFIX}`,
      `2000 GET ${stoppedKey(arn(3))}`,
      `2000 GET ${stoppedKey(arn(5))}`,
      `3000 LIST ${LIST_PREFIX}`,
      `4000 LIST ${LIST_PREFIX}`,
      `4000 GET ${stoppedKey(arn(3))}`
    ])
    expect(ends).toEqual([`2000 ${arn(5)} s3 exit 2`, `4000 ${arn(3)} s3 exit 0`])
    expect(logger.of('debug')[0]).toMatch(/^Listing the prefix instead/)
    expect(logger.of('info')).toEqual([
      `stopped.json for task t3 has no exit code or reason for the app container yet (EssentialContainerExited); re-reading it for up to 10 s for a newer event`
    ])
  })

  it('follows LIST pages (1,000 keys a page) and goes back to GETs when the pages cost more', async () => {
    const tasks = Array.from({ length: 20 }, (_, i) => arn(i))
    const clock = new FakeClock(0)
    const b = fakeBucket(clock)
    // Objects of 1,005 older tasks of the same cluster share the prefix.
    for (let i = 0; i < 1005; i++) b.put(stoppedKey(arn(`old${String(i).padStart(4, '0')}`)), '{}')
    const logger = memoryLogger()
    const waiter = new WaitEngine(
      { ecs, s3: b.client, clock, random: noJitter, logger },
      {
        cluster: CLUSTER,
        prefix: { bucket: BUCKET, prefix: PREFIX },
        pollIntervalSeconds: 1,
        verifyIntervalSeconds: 0,
        onEnd: () => {}
      }
    )
    for (const t of tasks) waiter.add(t)
    const stop = new AbortController()
    void clock.sleep(2500).then(() => stop.abort())
    await clock.run(waiter.run(stop.signal))
    b.restore()
    const lastOfPage1 = stoppedKey(arn('old0999'))
    expect(b.requests.slice(0, 3)).toEqual([
      `1000 LIST ${LIST_PREFIX}`,
      `1000 LIST ${LIST_PREFIX} after ${lastOfPage1}`,
      `2000 GET ${stoppedKey(arn(0))}`
    ])
    expect(b.requests.filter((r) => r.startsWith('2000 GET'))).toHaveLength(20)
    expect(logger.of('debug')).toContain(
      "Reading each task's stopped.json: a GET per task costs about 20.0 GETs/s for 20 pending " +
        'task(s); a LIST of 2 page(s) every 1.0 s costs about 25.0 GET-equivalents/s (a LIST ' +
        'costs about 12.5 GETs)'
    )
  })

  it('verifies silent tasks in DescribeTasks calls of 100, with the tasks noJitter-way to their own check', async () => {
    const first = Array.from({ length: 150 }, (_, i) => arn(i))
    const second = Array.from({ length: 50 }, (_, i) => arn(150 + i))
    const { describeCalls, ends, logger } = await watch({
      initial: first,
      later: { at: 4000, arns: second },
      verify: 10,
      until: 20_500,
      describe: (arns) =>
        arns.map((taskArn) =>
          taskArn === arn(7)
            ? {
                taskArn,
                lastStatus: 'STOPPED',
                stopCode: 'EssentialContainerExited',
                stoppedAt: new Date(-5000),
                containers: [{ name: 'app', exitCode: 1 }]
              }
            : (running([taskArn])[0] as Task)
        )
    })
    expect(describeCalls.map(([t, arns]) => [t, arns.length])).toEqual([
      [10_000, 100],
      [10_000, 100],
      [20_000, 100],
      [20_000, 99]
    ])
    expect(new Set(describeCalls.slice(0, 2).flatMap(([, a]) => a))).toEqual(
      new Set([...first, ...second])
    )
    expect(ends).toEqual([`10000 ${arn(7)} describe-tasks exit 1`])
    expect(logger.of('warning')[0]).toMatch(
      /^ECS reports 199 task\(s\) RUNNING whose started.json has not appeared after 10 s: notifications are not arriving/
    )
  })

  it('settles an incomplete stop after the 10 s grace with one DescribeTasks call', async () => {
    const { ends, describeCalls } = await watch({
      initial: [arn(1)],
      at: [
        {
          at: 500,
          action: (b) => b.put(stoppedKey(arn(1)), stateEvent(arn(1), { incomplete: true }))
        }
      ],
      verify: 300,
      until: 15_000,
      describe: (arns) =>
        arns.map((taskArn) => ({
          taskArn,
          lastStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          containers: [{ name: 'app', exitCode: 7 }]
        }))
    })
    expect(describeCalls.map(([t, a]) => [t, a])).toEqual([[11_000, [arn(1)]]])
    expect(ends).toEqual([`11000 ${arn(1)} describe-tasks exit 7`])
  })
})

describe('WaitEngine when listing fails', () => {
  it('reads each stopped.json after 3 failed LISTs in a row, and says so', async () => {
    const tasks = Array.from({ length: 20 }, (_, i) => arn(i))
    const { bucket, logger } = await watch({
      initial: tasks,
      at: [{ at: 0, action: (b) => (b.listError = 'InternalError') }],
      until: 8000
    })
    const lists = bucket.requests.filter((r) => r.includes(' LIST '))
    expect(lists.map((r) => r.split(' ')[0])).toEqual(['1000', '3000', '7000'])
    expect(bucket.requests.filter((r) => r.includes(' GET '))).toHaveLength(20)
    expect(logger.of('warning')).toEqual([
      `Listing s3://notes/${LIST_PREFIX} failed 3 times in a row (last: InternalError: ` +
        `InternalError); reading each task's stopped.json instead.`
    ])
  })
})

describe('WaitEngine without a prefix', () => {
  it('polls DescribeTasks for every pending task, 100 tasks a call', async () => {
    const tasks = Array.from({ length: 250 }, (_, i) => arn(i))
    const { describeCalls, ends, bucket } = await watch({
      initial: tasks,
      prefix: false,
      until: 2500,
      describe: (arns, now) =>
        arns.map((taskArn) =>
          taskArn === arn(1) && now >= 2000
            ? { taskArn, lastStatus: 'STOPPED', containers: [{ name: 'app', exitCode: 0 }] }
            : (running([taskArn])[0] as Task)
        )
    })
    expect(describeCalls.map(([t, a]) => [t, a.length])).toEqual([
      [1000, 100],
      [1000, 100],
      [1000, 50],
      [2000, 100],
      [2000, 100],
      [2000, 50]
    ])
    expect(ends).toEqual([`2000 ${arn(1)} describe-tasks exit 0`])
    expect(bucket.requests).toEqual([])
  })
})

describe('WaitEngine against s3rver (real S3 protocol: keys with colons, LIST ETags equal GET ETags)', () => {
  let server: S3Server
  let s3: S3Client
  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] })
    s3 = server.client(REGION)
  })
  afterAll(async () => {
    await server.close()
  })

  it('finds a stopped.json through a LIST and reads it once', async () => {
    const clock = new FakeClock(0)
    const tasks = Array.from({ length: 15 }, (_, i) => arn(`real${i}`))
    const ends: string[] = []
    const stop = new AbortController()
    const waiter = new WaitEngine(
      { ecs, s3, clock, random: noJitter, logger: memoryLogger() },
      {
        cluster: CLUSTER,
        prefix: { bucket: BUCKET, prefix: PREFIX, region: REGION },
        pollIntervalSeconds: 1,
        verifyIntervalSeconds: 0,
        onEnd: (end) => {
          if (end.kind === 'stopped')
            ends.push(`${end.task.taskArn} ${end.task.containers[0]?.exitCode}`)
          if (ends.length === 1) stop.abort()
        }
      }
    )
    for (const t of tasks) waiter.add(t)
    server.resetStats()
    const put = (key: string, body: string) => async (): Promise<void> => {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
    }
    await drive(clock, waiter.run(stop.signal), [
      {
        at: 1200,
        action: put(
          startedKey(tasks[4] as string),
          stateEvent(tasks[4] as string, { lastStatus: 'RUNNING' })
        )
      },
      {
        at: 2200,
        action: put(stoppedKey(tasks[4] as string), stateEvent(tasks[4] as string, { exitCode: 9 }))
      }
    ])
    expect(ends).toEqual([`${tasks[4]} 9`])
    expect(server.stats().byOperation).toEqual({ PutObject: 2, ListObjectsV2: 3, GetObject: 1 })
  })
})

describe('WaitEngine, the rules of every task (one task here)', () => {
  const one = arn(0)
  const url = (key: string): string => `s3://${BUCKET}/${key}`

  it('reads started.json every third read until seen, says when the task started, and tells onStart once', async () => {
    const { bucket, ends, starts, logger } = await watch({
      initial: [one],
      at: [
        {
          at: 500,
          action: (b) => b.put(startedKey(one), stateEvent(one, { lastStatus: 'RUNNING' }))
        },
        { at: 6500, action: (b) => b.put(stoppedKey(one), stateEvent(one, { exitCode: 3 })) }
      ],
      until: 9000
    })
    expect(bucket.requests).toEqual([
      `1000 GET ${stoppedKey(one)}`,
      `2000 GET ${stoppedKey(one)}`,
      `3000 GET ${startedKey(one)}`,
      `4000 GET ${stoppedKey(one)}`,
      `5000 GET ${stoppedKey(one)}`,
      `6000 GET ${stoppedKey(one)}`,
      `7000 GET ${stoppedKey(one)}`
    ])
    expect(starts).toEqual([`3000 ${one}`])
    expect(logger.of('info')).toContain('Task t0 started at 2026-11-28T10:00:05.000Z')
    expect(ends).toEqual([`7000 ${one} s3 exit 3`])
  })

  const listBucket =
    '{"Sid":"MissingNotificationsReadAs404","Effect":"Allow","Action":"s3:ListBucket",' +
    '"Resource":"arn:aws:s3:::notes","Condition":{"StringLike":{"s3:prefix":"oneshot/*"}}}'
  const getObject =
    '{"Sid":"ReadNotifications","Effect":"Allow","Action":"s3:GetObject",' +
    '"Resource":"arn:aws:s3:::notes/oneshot/*"}'
  const denied403 = (key: string): string =>
    `Reading ${url(key)} answered 403 AccessDenied, which has two possible causes: the object ` +
    "is not written yet and the action's role lacks s3:ListBucket (S3 then answers 403 instead " +
    'of 404), or the role lacks s3:GetObject on arn:aws:s3:::notes/oneshot/*. It is read as ' +
    `"not written yet" for now. For the first, add to the action's role ${listBucket} (a ` +
    'missing key then answers 404, and the action may list the prefix, which is cheaper for ' +
    `many tasks); for the second, add ${getObject}.`

  it('reads 403 AccessDenied as "not written yet" and warns once with both causes and both fixes', async () => {
    const { ends, logger } = await watch({
      initial: [one],
      at: [
        {
          at: 0,
          action: (b) =>
            (b.getError = (k) => (b.objects.has(k) ? undefined : s3Error('AccessDenied', 403)))
        },
        { at: 4500, action: (b) => b.put(stoppedKey(one), stateEvent(one)) }
      ],
      until: 6000
    })
    expect(ends).toEqual([`5000 ${one} s3 exit 0`])
    expect(logger.of('warning')).toEqual([denied403(stoppedKey(one))])
  })

  const deniedEverywhere = (b: FakeBucket): void => {
    b.getError = () => s3Error('AccessDenied', 403)
  }
  const getObjectDenied =
    'ECS reports 1 task(s) started or stopped whose started.json or stopped.json still ' +
    "answered 403 AccessDenied more than 10 s later (t0): the action's role is most likely " +
    'denied s3:GetObject on arn:aws:s3:::notes/oneshot/*, so each stop is learnt only from ' +
    `DescribeTasks, once per verify-interval. Add to the action's role: ${getObject}`

  it('names s3:GetObject, once, when ECS shows the task running while started.json still answers 403 after the grace', async () => {
    const { ends, logger, describeCalls } = await watch({
      initial: [one],
      verify: 30,
      at: [{ at: 0, action: deniedEverywhere }],
      until: 70_000,
      describe: (arns, now) =>
        arns.map((taskArn) =>
          now >= 60_000
            ? {
                taskArn,
                lastStatus: 'STOPPED',
                startedAt: new Date(2000),
                stoppedAt: new Date(55_000),
                containers: [{ name: 'app', exitCode: 5 }]
              }
            : {
                taskArn,
                lastStatus: 'RUNNING',
                startedAt: new Date(2000),
                containers: [{ name: 'app' }]
              }
        )
    })
    expect(describeCalls.map(([t]) => t)).toEqual([30_000, 60_000])
    expect(ends).toEqual([`60000 ${one} describe-tasks exit 5`])
    // The 403 warning, then the GetObject one at the first verify; neither the "not arriving"
    // warning nor a second GetObject warning at the second.
    expect(logger.of('warning')).toEqual([denied403(stoppedKey(one)), getObjectDenied])
  })

  it('names s3:GetObject when ECS shows the task stopped while stopped.json still answers 403 after the grace', async () => {
    const { ends, logger } = await watch({
      initial: [one],
      verify: 30,
      at: [{ at: 0, action: deniedEverywhere }],
      until: 35_000,
      // No startedAt: only the stop is known; stopped.json read 403 at 29 s, 14 s after it.
      describe: (arns) =>
        arns.map((taskArn) => ({
          taskArn,
          lastStatus: 'STOPPED',
          stoppedAt: new Date(15_000),
          containers: [{ name: 'app', exitCode: 1 }]
        }))
    })
    expect(ends).toEqual([`30000 ${one} describe-tasks exit 1`])
    expect(logger.of('warning')).toEqual([denied403(stoppedKey(one)), getObjectDenied])
  })

  it('names s3:GetObject at once, and once, when a LIST shows a stopped.json whose GET answers 403', async () => {
    const tasks = Array.from({ length: 20 }, (_, i) => arn(i))
    const { logger, ends } = await watch({
      initial: tasks,
      at: [
        {
          at: 0,
          action: (b) =>
            (b.getError = (k) =>
              k === stoppedKey(arn(5)) ? s3Error('AccessDenied', 403) : undefined)
        },
        { at: 1500, action: (b) => b.put(stoppedKey(arn(5)), stateEvent(arn(5))) }
      ],
      until: 4500
    })
    expect(ends).toEqual([])
    expect(logger.of('warning')).toEqual([
      denied403(stoppedKey(arn(5))),
      `Listing the prefix shows ${url(stoppedKey(arn(5)))}, yet reading it answered 403 ` +
        "AccessDenied: the action's role is denied s3:GetObject on arn:aws:s3:::notes/oneshot/*, " +
        'so each stop is learnt only from DescribeTasks, once per verify-interval. Add to the ' +
        `action's role: ${getObject}`
    ])
  })

  it('within the grace after the start ECS reports, a 403 started.json blames neither s3:GetObject nor anything new', async () => {
    const { logger } = await watch({
      initial: [one],
      verify: 30,
      at: [{ at: 0, action: deniedEverywhere }],
      until: 31_000,
      // Started at 21 s: the last read of started.json, at 30 s just before the check, is
      // within 10 s of it.
      describe: (arns) =>
        arns.map((taskArn) => ({
          taskArn,
          lastStatus: 'RUNNING',
          startedAt: new Date(21_000),
          containers: [{ name: 'app' }]
        }))
    })
    expect(logger.of('warning')).toEqual([
      denied403(stoppedKey(one)),
      expect.stringMatching(
        /^ECS reports 1 task\(s\) RUNNING whose started.json has not appeared after 30 s: notifications are not arriving/
      ) as unknown as string
    ])
  })

  it('falls back to DescribeTasks after three reads that cannot succeed (NoSuchBucket)', async () => {
    const { ends, logger, describeCalls } = await watch({
      initial: [one],
      at: [{ at: 0, action: (b) => (b.getError = () => s3Error('NoSuchBucket', 404)) }],
      until: 20_000,
      describe: (arns, now) =>
        now >= 10_000
          ? arns.map((taskArn) => ({
              taskArn,
              lastStatus: 'STOPPED',
              containers: [{ name: 'app', exitCode: 6 }]
            }))
          : running(arns)
    })
    expect(logger.of('warning')).toEqual([
      `Reading ${url(startedKey(one))} failed: NoSuchBucket: NoSuchBucket. Waiting through ` +
        `DescribeTasks instead. Check that the bucket 'notes' exists in us-east-1 (a '?region=' ` +
        "on the prefix names another region) and that the action's role may read it."
    ])
    expect(describeCalls.length).toBeGreaterThan(0)
    expect(ends).toEqual([expect.stringMatching(new RegExp(`^\\d+ ${one} describe-tasks exit 6$`))])
  })

  it('says S3 is unreachable, naming endpoint and region, and does not blame the notifier at verify time', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED'
    })
    const { ends, logger } = await watch({
      initial: [one],
      verify: 5,
      at: [{ at: 0, action: (b) => (b.getError = () => refused) }],
      until: 8000,
      describe: (arns) => running(arns)
    })
    expect(ends).toEqual([])
    expect(logger.of('warning')).toEqual([
      'S3 is unreachable: no request to https://s3.us-east-1.amazonaws.com (region us-east-1) ' +
        "for bucket 'notes' has been answered (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9). " +
        "Check the runner's network, proxy and DNS, and the region of the notification prefix; " +
        'still trying, and ECS is checked after verify-interval.'
    ])
    expect(logger.of('info').join('\n')).not.toMatch(/S3 answered/)
  })

  it('finishes from DescribeTasks naming the stopped.json that did not appear', async () => {
    const stoppedAt = new Date()
    const { ends, logger } = await watch({
      initial: [one],
      verify: 3,
      until: 5000,
      describe: (arns) =>
        arns.map((taskArn) => ({
          taskArn,
          lastStatus: 'STOPPED',
          stoppedAt,
          containers: [{ name: 'app', exitCode: 4 }]
        }))
    })
    expect(ends).toEqual([`3000 ${one} describe-tasks exit 4`])
    expect(logger.of('info')).toContain(
      `ECS reports task t0 STOPPED at ${stoppedAt.toISOString()}, but ${url(stoppedKey(one))} ` +
        'has not appeared; finishing from the DescribeTasks answer.'
    )
  })

  it('without a prefix, gives a task up as lost after 60 s unseen, and fails when DescribeTasks is denied', async () => {
    const lost = await watch({ initial: [one], prefix: false, until: 70_000, describe: () => [] })
    expect(lost.ends).toEqual([expect.stringMatching(new RegExp(`^6\\d{4} lost ${one}$`))])
    const denied = await watch({
      initial: [one],
      prefix: false,
      until: 5000,
      describeError: Object.assign(new Error('not allowed'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 }
      }),
      expectFailure: true
    })
    expect(String(denied.failure)).toBe(
      "UserError: Could not describe tasks in cluster 'batch': AccessDeniedException: not " +
        "allowed. The action's role needs ecs:DescribeTasks on the tasks (or set a " +
        'notification prefix to wait through S3 instead).'
    )
  })

  it('without a prefix, tells onStart when DescribeTasks first shows the task RUNNING', async () => {
    const { starts, logger } = await watch({
      initial: [one],
      prefix: false,
      until: 3500,
      describe: (arns, now) =>
        now >= 2000
          ? arns.map((taskArn) => ({
              taskArn,
              lastStatus: 'RUNNING',
              startedAt: new Date('2026-11-28T10:00:05Z'),
              containers: [{ name: 'app' }]
            }))
          : arns.map((taskArn) => ({ taskArn, lastStatus: 'PENDING', containers: [] }))
    })
    expect(starts).toEqual([`2000 ${one}`])
    expect(logger.of('info')).toEqual(['Task t0 started at 2026-11-28T10:00:05.000Z'])
  })

  it('after StopTask, asks ECS within 5 s and every 5 s while stopped.json does not come', async () => {
    const { ends, describeCalls } = await watch({
      initial: [one],
      until: 20_000,
      calls: [{ at: 2000, call: (engine) => engine.expectStop(one) }],
      describe: (arns, now) =>
        now >= 12_000
          ? arns.map((taskArn) => ({
              taskArn,
              lastStatus: 'STOPPED',
              stopCode: 'UserInitiated',
              stoppedAt: new Date(),
              containers: [{ name: 'app', exitCode: 143 }]
            }))
          : running(arns)
    })
    expect(describeCalls.map(([t]) => t)).toEqual([7000, 12_000])
    expect(ends).toEqual([`12000 ${one} describe-tasks exit 143`])
  })
})
