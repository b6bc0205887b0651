import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { mockClient } from 'aws-sdk-client-mock'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger } from '../doubles/logger.js'
import { CloudWatchLogsServiceException } from '@aws-sdk/client-cloudwatch-logs'
import { fanOutOf } from '../../src/model/fan-out.js'
import {
  FailedTaskTails,
  MAX_FAILED_TAILS,
  tailTurns,
  taskSetLogMode
} from '../../src/logs/task-set-logs.js'

const logsMock = mockClient(CloudWatchLogsClient)
const logs = new CloudWatchLogsClient({ region: 'ap-northeast-1' })
afterAll(() => {
  logsMock.restore()
})
beforeEach(() => {
  logsMock.reset()
})

const T0 = Date.parse('2026-12-01T10:00:00Z')
const arn = (i: number): string =>
  `arn:aws:ecs:ap-northeast-1:123456789012:task/batch/${String(i).padStart(32, '0')}`
const awslogs = {
  logDriver: 'awslogs',
  options: { 'awslogs-group': '/ecs/batch', 'awslogs-stream-prefix': 'ecs' }
}

describe('taskSetLogMode', () => {
  it.each([
    [1, 'follow'],
    [2, 'failed-tails'],
    [1000, 'failed-tails']
  ])('%d tasks: %s', (count, mode) => {
    expect(taskSetLogMode(count)).toBe(mode)
  })
})

describe('FailedTaskTails', () => {
  function setup(logLines = 2): {
    clock: FakeClock
    logger: ReturnType<typeof memoryLogger>
    tails: FailedTaskTails
  } {
    const clock = new FakeClock(T0)
    const logger = memoryLogger()
    const tails = new FailedTaskTails(
      { logs, clock, random: () => 0, logger },
      { region: 'ap-northeast-1', logConfiguration: awslogs, logLines }
    )
    return { clock, logger, tails }
  }

  it('prints each failed attempt of a retried task under its own header', async () => {
    logsMock.on(GetLogEventsCommand).callsFake((input: { logStreamName: string }) => ({
      events: [{ timestamp: T0, message: `SIGTERM in ${input.logStreamName.slice(-2)}` }],
      nextBackwardToken: 'b/0'
    }))
    const { clock, logger, tails } = setup()
    await clock.run(
      tails.ended({ index: 4, taskArn: arn(41), exitCode: 143, failed: true, attempt: 1 })
    )
    const at = new Date(T0).toISOString()
    expect(logger.lines).toEqual([
      `info: Last 1 log lines of task #4 attempt 1 (exit code 143), ecs/app/${String(41).padStart(32, '0')}:`,
      `info: ${at} SIGTERM in 41`
    ])
  })

  it('prints the tail of each failed task as it ends, two a second at most, and nothing for the others', async () => {
    logsMock.on(GetLogEventsCommand).callsFake((input: { logStreamName: string }) => ({
      events: [{ timestamp: T0, message: `boom in ${input.logStreamName.slice(-2)}` }],
      nextBackwardToken: 'b/0'
    }))
    const { clock, logger, tails } = setup()
    const ended = Promise.all([
      tails.ended({ index: 0, taskArn: arn(0), exitCode: 0, failed: false }),
      tails.ended({ index: 1, taskArn: arn(1), exitCode: 1, failed: true }),
      tails.ended({ index: 2, taskArn: arn(2), failed: true }),
      tails.ended({ index: 3, taskArn: arn(3), exitCode: 3, failed: true })
    ])
    await clock.run(ended)
    // Alone in a 25/s region every 100 ms tick is the job's; no two calls closer than 500 ms.
    expect(clock.now()).toBe(T0 + 1000)
    expect(clock.sleeps).toEqual([500, 500])
    expect(logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual(
      [1, 2, 3].map((i) => ({
        logGroupName: '/ecs/batch',
        logStreamName: `ecs/app/${String(i).padStart(32, '0')}`,
        startFromHead: false,
        limit: 2
      }))
    )
    const at = new Date(T0).toISOString()
    expect(logger.lines).toEqual([
      `info: Last 1 log lines of task #1 (exit code 1), ecs/app/${String(1).padStart(32, '0')}:`,
      `info: ${at} boom in 01`,
      `info: Last 1 log lines of task #2 (exit code none), ecs/app/${String(2).padStart(32, '0')}:`,
      `info: ${at} boom in 02`,
      `info: Last 1 log lines of task #3 (exit code 3), ecs/app/${String(3).padStart(32, '0')}:`,
      `info: ${at} boom in 03`
    ])
  })

  it(`stops at ${MAX_FAILED_TAILS} tails and says so once`, async () => {
    logsMock.on(GetLogEventsCommand).resolves({ events: [], nextBackwardToken: 'b/0' })
    const { clock, logger, tails } = setup()
    const all = Array.from({ length: 25 }, (_, i) =>
      tails.ended({ index: i, taskArn: arn(i), exitCode: 1, failed: true })
    )
    await clock.run(Promise.all(all))
    // Empty pages: 2 calls each, for the first 20 tasks to end and none after.
    const streams = logsMock
      .commandCalls(GetLogEventsCommand)
      .map((c) => c.args[0].input.logStreamName)
    expect(streams).toHaveLength(40)
    expect(new Set(streams)).toEqual(
      new Set(Array.from({ length: 20 }, (_, i) => `ecs/app/${String(i).padStart(32, '0')}`))
    )
    expect(logger.of('info').filter((l) => l.startsWith('More than'))).toEqual([
      'More than 20 tasks failed: the logs of the others are linked in the job summary'
    ])
  })

  it('makes no call with log-lines: 0 or without an awslogs stream', async () => {
    const { clock, tails } = setup(0)
    await clock.run(tails.ended({ index: 0, taskArn: arn(0), exitCode: 1, failed: true }))
    const noStream = new FailedTaskTails(
      { logs, clock, random: () => 0, logger: memoryLogger() },
      { region: 'ap-northeast-1', logConfiguration: undefined, logLines: 5 }
    )
    await clock.run(noStream.ended({ index: 0, taskArn: arn(0), exitCode: 1, failed: true }))
    expect(logsMock.commandCalls(GetLogEventsCommand)).toHaveLength(0)
  })

  it("paces the calls, retries included, within the job's share of a wide fan-out", async () => {
    const throttled = new CloudWatchLogsServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded'
    })
    logsMock
      .on(GetLogEventsCommand)
      .rejectsOnce(throttled)
      .callsFake((input: { logStreamName: string }) => ({
        events: [{ timestamp: T0, message: `boom in ${input.logStreamName.slice(-2)}` }],
        nextBackwardToken: 'b/0'
      }))
    // 60 jobs of 2 tasks at once in eu-west-1: 4 reads/s for 120 tasks (ticks 250 ms apart), this
    // job's two slots 6 and 7 of 120: the ticks at 1.5 s and 1.75 s of every 30 s.
    const fanOut = fanOutOf({ jobIndex: 3, jobTotal: 60, tasks: 2 })
    expect(tailTurns('eu-west-1', fanOut)).toEqual({
      turns: { perSecond: 4 / 120, tickMs: 250, width: 120, slot: 6, slots: 2 },
      minGapMs: 0
    })
    const clock = new FakeClock(T0)
    const logger = memoryLogger()
    const tails = new FailedTaskTails(
      { logs, clock, random: () => 0, logger },
      { region: 'eu-west-1', logConfiguration: awslogs, logLines: 2, fanOut }
    )
    const arnIn = (i: number): string => arn(i).replace('ap-northeast-1', 'eu-west-1')
    await clock.run(
      Promise.all([
        tails.ended({ index: 0, taskArn: arnIn(0), exitCode: 1, failed: true }),
        tails.ended({ index: 1, taskArn: arnIn(1), exitCode: 1, failed: true })
      ])
    )
    // The first call on the turn at 1.5 s, throttled; the backoff (twice the job's 15 s between
    // turns, at most 16 s, half of it waited with r = 0) puts the retry on the turn at 31.5 s; the
    // next task's tail on the following turn, at 31.75 s.
    expect(clock.sleeps).toEqual([1500, 30_000, 250])
    expect(logsMock.commandCalls(GetLogEventsCommand)).toHaveLength(3)
    expect(logger.of('info').filter((l) => l.startsWith('Last'))).toHaveLength(2)
    expect(logger.of('warning')).toEqual([])
  })

  it('takes TAILS_PER_SECOND at most, and without a fan-out', () => {
    // Alone in a 25/s region: every tick (100 ms) is the job's, so the cap decides.
    expect(tailTurns('ap-northeast-1', undefined)).toEqual({
      turns: { perSecond: 10, tickMs: 100, width: 1, slot: 0, slots: 1 },
      minGapMs: 500
    })
    expect(tailTurns('ap-northeast-1', fanOutOf({ tasks: 10 })).minGapMs).toBe(500)
    // Ten jobs of one task in us-west-2: a turn every 2.5 s each, under the cap.
    expect(tailTurns('us-west-2', fanOutOf({ jobIndex: 4, jobTotal: 10, tasks: 1 }))).toEqual({
      turns: { perSecond: 0.4, tickMs: 250, width: 10, slot: 4, slots: 1 },
      minGapMs: 0
    })
  })
})
