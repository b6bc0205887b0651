import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  GetLogEventsCommand
} from '@aws-sdk/client-cloudwatch-logs'
import { mockClient } from 'aws-sdk-client-mock'
import { FakeClock, LateClock } from '../doubles/clock.js'
import { memoryLogger } from '../doubles/logger.js'
import { drainMsFor, followAppLogs, followLogs, type FollowOptions } from '../../src/logs/follow.js'
import { logsShareOf } from '../../src/logs/logs-quota.js'
import { fanOutOf } from '../../src/model/fan-out.js'

const T0 = Date.parse('2026-12-01T10:00:00Z')
const GROUP = '/ecs/batch'
const STREAM = 'app/app/0123'
const URL = 'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home#logs'

const logsMock = mockClient(CloudWatchLogsClient)
const logs = new CloudWatchLogsClient({ region: 'ap-northeast-1' })
afterAll(() => {
  logsMock.restore()
})
beforeEach(() => {
  logsMock.reset()
})

const options: FollowOptions = {
  group: GROUP,
  stream: STREAM,
  region: 'ap-northeast-1',
  url: URL,
  taskId: '0123',
  startedAt: T0,
  keepLines: 2
}

function awsError(name: string, message: string): CloudWatchLogsServiceException {
  return new CloudWatchLogsServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message
  })
}

const notFound = (): CloudWatchLogsServiceException =>
  awsError('ResourceNotFoundException', 'The specified log stream does not exist.')
const throttled = (): CloudWatchLogsServiceException =>
  awsError('ThrottlingException', 'Rate exceeded')

/** The input of each GetLogEvents call so far. */
function requests(): Record<string, unknown>[] {
  return logsMock.commandCalls(GetLogEventsCommand).map((c) => ({ ...c.args[0].input }))
}

const head = { logGroupName: GROUP, logStreamName: STREAM, startFromHead: true }
const at = (ms: number): string => new Date(T0 + ms).toISOString()

function setup(): { clock: FakeClock; logger: ReturnType<typeof memoryLogger> } {
  return { clock: new FakeClock(T0), logger: memoryLogger() }
}

/** Every GetLogEvents answers the head of an empty stream. */
function emptyStream(): void {
  logsMock
    .on(GetLogEventsCommand)
    .resolves({ events: [], nextForwardToken: 'f/0', nextBackwardToken: 'b/0' })
}

/** A follower in eu-west-1 (10/s) with slot 7 of 60 jobs: its turns are 1.75 s past every 15 s. */
function slot7Of60(
  clock: FakeClock,
  logger: ReturnType<typeof memoryLogger>
): ReturnType<typeof followLogs> {
  const share = logsShareOf('eu-west-1', fanOutOf({ jobIndex: 7, jobTotal: 60, tasks: 1 }))
  return followLogs(
    { logs, clock, random: () => 0, logger },
    { ...options, region: 'eu-west-1', share }
  )
}

describe('followLogs', () => {
  it('prints new lines as they arrive, silent while the stream does not exist, then drains', async () => {
    const { clock, logger } = setup()
    logsMock
      .on(GetLogEventsCommand)
      .rejectsOnce(notFound())
      .resolvesOnce({
        events: [
          { timestamp: T0 + 500, message: 'one\n' },
          { timestamp: T0 + 900, message: '::error::not a command\ntwo b' }
        ],
        nextForwardToken: 'f/2',
        nextBackwardToken: 'b/0'
      })
      .resolvesOnce({ events: [], nextForwardToken: 'f/2', nextBackwardToken: 'b/2' })
      .resolvesOnce({
        events: [{ timestamp: T0 + 2500, message: 'three' }],
        nextForwardToken: 'f/3',
        nextBackwardToken: 'b/2'
      })
      .resolves({ events: [], nextForwardToken: 'f/3', nextBackwardToken: 'b/3' })
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    // Alone in ap-northeast-1, the task owns every 80 ms tick: reads at 0, 1.04, 2.08, 3.12 s.
    await clock.advance(3200)
    expect(requests()).toEqual([
      head,
      head,
      { ...head, nextToken: 'f/2' },
      { ...head, nextToken: 'f/2' }
    ])
    expect(logger.lines).toEqual([
      `info: ${at(500)} one`,
      `info: ${at(900)} ::error::not a command`,
      `info: ${at(900)} two b`,
      `info: ${at(2500)} three`
    ])
    // The containers exited at 3 s: the drain waits until their last lines are in, 1 s after,
    // and one read to the head is the end of the stream.
    const stopping = follower.stop({ exitedAt: T0 + 3000 })
    const result = await clock.run(stopping)
    expect(requests().slice(4)).toEqual([{ ...head, nextToken: 'f/3' }])
    expect(clock.now()).toBe(T0 + 4000)
    expect(result).toEqual({
      tail: false,
      complete: true,
      printed: 4,
      lastLines: ['two b', 'three'],
      calls: 5,
      throttled: 0
    })
    expect(logger.lines).toHaveLength(4)
    // No printed line can be read as a workflow command.
    expect(logger.of('info').every((l) => !l.startsWith('::'))).toBe(true)
  })

  it('reads every second while young and less often as the task ages', async () => {
    const { clock, logger } = setup()
    emptyStream()
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    await clock.advance(120_000)
    // The first read at once (no sleep), then m(a): 1 s up to 60 s of age, (a / 60)^2 s after,
    // each to the next of the task's 100 ms ticks (alone in a 25/s region): 1 s, then 1034 ms at
    // 61 s of age to 1.1 s.
    expect(clock.sleeps.slice(0, 3)).toEqual([1000, 1000, 1000])
    expect(clock.sleeps.slice(59, 65)).toEqual([1000, 1000, 1100, 1100, 1200, 1200])
    // 61 reads by 60 s (one a second from 0), then about 3600 (1/60 - 1/120) = 30 more by 120 s
    // (29 as each gap is rounded up to a tick).
    expect(requests()).toHaveLength(90)
    await clock.run(follower.stop({ exitedAt: clock.now() - 5000 }))
  })

  it('backs off multiplicatively on ThrottlingException and recovers slowly', async () => {
    const { clock, logger } = setup()
    logsMock
      .on(GetLogEventsCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ events: [], nextForwardToken: 'f/0', nextBackwardToken: 'b/0' })
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    await clock.advance(45_000)
    // Reads at 0, 2, 6, 14 s; then the penalty falls by a fifth per answer (6.4, 5.12 ... 1.07 s)
    // until it is below the 1 s of a task younger than 60 s and gone; each to a 100 ms tick.
    expect(clock.sleeps.slice(0, 14)).toEqual([
      2000, 4000, 8000, 6400, 5200, 4100, 3300, 2700, 2100, 1700, 1400, 1100, 1000, 1000
    ])
    expect(logger.lines).toEqual([])
    const result = await clock.run(follower.stop())
    expect(result.throttled).toBe(3)
  })

  it('warns once when throttling keeps the penalty at its ceiling', async () => {
    const { clock, logger } = setup()
    logsMock.on(GetLogEventsCommand).rejects(throttled())
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    await clock.advance(600_000)
    expect(logger.of('warning')).toEqual([
      `Reading the log stream ${GROUP} ${STREAM} (ap-northeast-1) keeps failing (ThrottlingException); new lines now come at most once a minute. CloudWatch Logs allows each account a few GetLogEvents calls per second in all; set follow-logs: false in large fan-outs to spare them.`
    ])
    // Never read: the stop tails the stream instead (log-lines), retrying within the drain's time.
    const calls = requests().length
    const tailed = memoryLogger()
    logsMock.reset()
    logsMock
      .on(GetLogEventsCommand)
      .rejectsOnce(throttled())
      .resolves({ events: [{ timestamp: T0 + 1, message: 'last' }], nextBackwardToken: 'b/0' })
    const result = await clock.run(follower.stop())
    expect(result).toMatchObject({ tail: false, complete: false, printed: 1, lastLines: ['last'] })
    expect(requests()).toEqual([
      { logGroupName: GROUP, logStreamName: STREAM, startFromHead: false, limit: 2 },
      { logGroupName: GROUP, logStreamName: STREAM, startFromHead: false, limit: 2 }
    ])
    expect(calls).toBeGreaterThan(10)
    expect(tailed.lines).toEqual([])
  })

  it('stops reading after AccessDeniedException with one warning, and asks for no tail', async () => {
    const { clock, logger } = setup()
    logsMock
      .on(GetLogEventsCommand)
      .rejects(
        awsError(
          'AccessDeniedException',
          'User: arn:aws:sts::1:assumed-role/ci is not authorized to perform: logs:GetLogEvents'
        )
      )
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    await clock.advance(10_000)
    expect(requests()).toHaveLength(1)
    expect(logger.lines).toEqual([
      `warning: Stopped following the log stream ${GROUP} ${STREAM} (ap-northeast-1): User: arn:aws:sts::1:assumed-role/ci is not authorized to perform: logs:GetLogEvents. Grant logs:GetLogEvents on the log group to the action's role, or set follow-logs: false.`
    ])
    expect(await clock.run(follower.stop())).toEqual({
      tail: false,
      complete: false,
      printed: 0,
      lastLines: [],
      calls: 1,
      throttled: 0
    })
    expect(requests()).toHaveLength(1)
  })

  it('asks for the tail when the stream never existed while following', async () => {
    const { clock, logger } = setup()
    logsMock.on(GetLogEventsCommand).rejects(notFound())
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    await clock.advance(5000)
    // The stop tails it, which says why there is nothing (the report no longer has to).
    expect(await clock.run(follower.stop())).toMatchObject({ tail: false, complete: false })
    expect(logger.lines).toEqual([
      `warning: Could not read the last log lines of ${GROUP} ${STREAM} (ap-northeast-1): The specified log stream does not exist. The stream does not exist: the container may never have started, or logs to another group.`
    ])
  })

  it('prints a heartbeat after a minute of silence, then after 2, 4, 8 and every 10 minutes', async () => {
    const { clock, logger } = setup()
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({
        events: [{ timestamp: T0, message: 'hello' }],
        nextForwardToken: 'f/1',
        nextBackwardToken: 'b/0'
      })
      .resolves({ events: [], nextForwardToken: 'f/1', nextBackwardToken: 'b/1' })
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    await clock.advance(30 * 60_000)
    const beats = logger.of('info').filter((l) => l.startsWith('Task'))
    expect(beats).toEqual([
      // At the first read after each gap: reads come 1 s apart at 60 s of age, 30 s after 329 s.
      `Task 0123 is still running (1m 0s); no new log lines for 1m 0s. Its log: ${URL}`,
      `Task 0123 is still running (3m 7s); no new log lines for 2m 0s. Its log: ${URL}`,
      `Task 0123 is still running (7m 33s); no new log lines for 4m 0s. Its log: ${URL}`,
      `Task 0123 is still running (15m 33s); no new log lines for 8m 0s. Its log: ${URL}`,
      `Task 0123 is still running (25m 33s); no new log lines for 10m 0s. Its log: ${URL}`
    ])
    await clock.run(follower.stop())
  })

  it('reads the next page at the first turn after 1 s when a page came back full, however old the task', async () => {
    const { clock, logger } = setup()
    const big = 'x'.repeat(600 * 1024)
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [], nextForwardToken: 'f/0', nextBackwardToken: 'b/0' })
      .resolvesOnce({
        events: [{ timestamp: T0, message: big }],
        nextForwardToken: 'f/1',
        nextBackwardToken: 'b/0'
      })
      .resolves({ events: [], nextForwardToken: 'f/1', nextBackwardToken: 'b/1' })
    const follower = followLogs(
      { logs, clock, random: () => 0, logger },
      {
        ...options,
        startedAt: T0 - 600_000 // ten minutes old: the mean interval is 30 s
      }
    )
    await clock.advance(65_000)
    // The first read at once (no sleep).
    expect(clock.sleeps).toEqual([30_000, 1000, 30_000, 30_000])
    expect(requests()).toEqual([
      head,
      { ...head, nextToken: 'f/0' },
      { ...head, nextToken: 'f/1' },
      { ...head, nextToken: 'f/1' }
    ])
    await clock.run(follower.stop())
  })

  it('bounds the drain and says where the printed log ends', async () => {
    const { clock, logger } = setup()
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({
        events: [{ timestamp: T0 + 100, message: 'first' }],
        nextForwardToken: 'f/1',
        nextBackwardToken: 'b/0'
      })
      .rejects(throttled())
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    await clock.advance(1500)
    const result = await clock.run(follower.stop())
    expect(result).toMatchObject({ tail: false, complete: false, printed: 1 })
    expect(logger.lines).toEqual([
      `info: ${at(100)} first`,
      `notice: Printed the log of task 0123 up to ${at(100)}; the rest is at ${URL}`
    ])
    // Settled at 2.5 s; throttled on the 100 ms ticks at 2.5, 2.8, 3.3, 4.3, 6.3 and 10.3 s
    // (backoffs of 0.5 to 8 s, each waited for half, then the next tick), then every 8 s (the
    // 16 s cap, halved) to 58.3 s; the next turn (66.3 s) is past the deadline, 60 s after the
    // stop at 1.5 s, so the job says so at once.
    expect(clock.now()).toBe(T0 + 58_300)
    // One read answered, one live read throttled at 1 s, twelve in the drain.
    expect(result).toMatchObject({ calls: 14, throttled: 13 })
  })

  it('drains with one call when the stop is older than the settle time', async () => {
    const { clock, logger } = setup()
    emptyStream()
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    // Live reads every second, the last at 10 s; the containers exited at 9.2 s, so their last
    // lines were in at 10.2 s, after that read. The wait saw the stop at 10.5 s.
    await clock.advance(10_500)
    const live = requests().length
    logsMock.on(GetLogEventsCommand).resolves({
      events: [{ timestamp: T0 + 9100, message: 'last' }],
      nextForwardToken: 'f/1',
      nextBackwardToken: 'b/0'
    })
    const sleeps = clock.sleeps.length
    const result = await clock.run(follower.stop({ exitedAt: T0 + 9200 }))
    // Settled already: the read takes the next tick, at once.
    expect(clock.sleeps.slice(sleeps)).toEqual([])
    expect(requests().slice(live)).toEqual([{ ...head, nextToken: 'f/0' }])
    expect(result).toMatchObject({ complete: true, tail: false, printed: 1 })
  })

  it('retries a throttled drain at the backoff of its share, and warns of nothing', async () => {
    const { clock, logger } = setup()
    emptyStream()
    const follower = followLogs({ logs, clock, random: () => 0.5, logger }, options)
    await clock.advance(10_000)
    logsMock.reset()
    logsMock
      .on(GetLogEventsCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ events: [], nextForwardToken: 'f/0', nextBackwardToken: 'b/0' })
    const sleeps = clock.sleeps.length
    // The last live read was at 9.625 s; the containers exited at 8.7 s, settled at 9.7 s.
    const result = await clock.run(follower.stop({ exitedAt: T0 + 8700 }))
    // The first read on the next 100 ms tick (alone in the region every tick is the task's), 25 ms
    // into it; then 0.5, 1 and 2 s of backoff, each to the next tick.
    expect(clock.sleeps.slice(sleeps)).toEqual([25, 600, 1100, 2100])
    expect(result).toMatchObject({ complete: true, throttled: 3 })
    expect(logger.lines).toEqual([])
  })

  it('waits for its next turn when a busy runner wakes it too late for this one', async () => {
    const clock = new LateClock(T0)
    const sent: number[] = []
    logsMock.on(GetLogEventsCommand).callsFake(() => {
      sent.push(clock.now() - T0)
      return { events: [], nextForwardToken: 'f/0', nextBackwardToken: 'b/0' }
    })
    const share = logsShareOf('eu-west-1', fanOutOf({ jobIndex: 7, jobTotal: 60, tasks: 1 }))
    // The first read is due at 1.75 s; its timer fires 3 s late, in another task's tick.
    clock.lateMs = 3000
    clock.times = 1
    const follower = followLogs(
      { logs, clock, random: () => 0, logger: memoryLogger() },
      { ...options, region: 'eu-west-1', share }
    )
    await clock.advance(20_000)
    expect(sent).toEqual([16_750])
    await clock.run(follower.stop({ exitedAt: clock.now() }))
  })

  it('takes its turn among 60 jobs on a 10/s quota: every 15 s, from its slot, the drain too', async () => {
    const { clock, logger } = setup()
    emptyStream()
    const follower = slot7Of60(clock, logger)
    await clock.advance(40_000)
    // Slot 7 of 250 ms ticks (four fifths of half of 10/s): 1.75 s past each 15 s of the clock
    // (T0 is a multiple of 15 s): reads at 1.75, 16.75 and 31.75 s, the next one waiting.
    expect(clock.sleeps).toEqual([1750, 15_000, 15_000, 15_000])
    expect(requests()).toHaveLength(3)
    // The containers exited 2 s ago: settled; the drain's one read takes the task's next turn, at
    // 46.75 s, so 60 tasks that stop together still read one at a time.
    const result = await clock.run(follower.stop({ exitedAt: clock.now() - 2000 }))
    expect(result).toMatchObject({ complete: true, calls: 4 })
    expect(clock.now()).toBe(T0 + 46_750)
  })

  // Live reads at 1.75, 16.75 and 31.75 s. Exited at 29.5 s, the last lines were in at 30.5 s,
  // and 1 s more for the clocks makes 31.5 s, before the read at 31.75 s found the stream's
  // head: nothing is left to read. Exited at 30 s, that is 32 s: the drain reads once more, on
  // the next turn.
  it.each([
    { exited: 29_500, calls: 3, endsAt: 40_000 },
    { exited: 30_000, calls: 4, endsAt: 46_750 }
  ])(
    'drains with $calls calls in all when the containers exited at $exited ms',
    async ({ exited, calls, endsAt }) => {
      const { clock, logger } = setup()
      emptyStream()
      const follower = slot7Of60(clock, logger)
      await clock.advance(40_000)
      const result = await clock.run(follower.stop({ exitedAt: T0 + exited }))
      expect(result).toEqual({
        tail: false,
        complete: true,
        printed: 0,
        lastLines: [],
        calls,
        throttled: 0
      })
      expect(clock.now()).toBe(T0 + endsAt)
    }
  )

  it('still drains after a full page, even one read after the containers exited', async () => {
    const { clock } = setup()
    const full = Array.from({ length: 10_000 }, (_, i) => ({ timestamp: T0 + i, message: `l${i}` }))
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: full, nextForwardToken: 'f/1', nextBackwardToken: 'b/0' })
      .resolves({ events: [], nextForwardToken: 'f/1', nextBackwardToken: 'b/1' })
    const follower = slot7Of60(clock, memoryLogger())
    // The first read, a full page, on the first turn at 1.75 s; the next page is due a turn later.
    await clock.advance(10_000)
    expect(requests()).toHaveLength(1)
    const result = await clock.run(follower.stop({ exitedAt: T0 }))
    expect(requests()).toEqual([head, { ...head, nextToken: 'f/1' }])
    expect(result).toMatchObject({ complete: true, printed: 10_000, calls: 2 })
    expect(clock.now()).toBe(T0 + 16_750)
  })

  it('gives a throttled drain three turns of a slow share before its deadline', () => {
    expect(drainMsFor({ perSecond: 12.5 })).toBe(60_000)
    expect(drainMsFor({ perSecond: 5 / 60 })).toBe(60_000)
    expect(drainMsFor({ perSecond: 5 / 200 })).toBe(120_000)
  })

  it('reads nothing when the step was already over', async () => {
    const { clock, logger } = setup()
    followLogs(
      { logs, clock, random: () => 0, logger },
      { ...options, signal: AbortSignal.abort() }
    )
    await clock.advance(10_000)
    expect(requests()).toEqual([])
    expect(clock.pending).toBe(0)
  })

  it('drains nothing once the signal has aborted (a cancelled job)', async () => {
    const { clock, logger } = setup()
    emptyStream()
    const follower = followLogs({ logs, clock, random: () => 0, logger }, options)
    await clock.advance(1500)
    const calls = requests().length
    const result = await clock.run(follower.stop({ signal: AbortSignal.abort() }))
    expect(result.complete).toBe(false)
    expect(requests()).toHaveLength(calls)
  })
})

describe('followAppLogs', () => {
  const TASK = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123'
  const awslogs = (region?: string) => ({
    logDriver: 'awslogs',
    options: {
      'awslogs-group': GROUP,
      'awslogs-stream-prefix': 'app',
      ...(region ? { 'awslogs-region': region } : {})
    }
  })
  const base = { enabled: true, taskArn: TASK, startedAt: T0, keepLines: 5 }

  it.each([
    ['follow-logs is false', { ...base, enabled: false, logConfiguration: awslogs() }],
    ['the app has no awslogs stream', { ...base, logConfiguration: undefined }],
    ['the stream is in another region', { ...base, logConfiguration: awslogs('us-west-2') }]
  ])('follows nothing when %s', (_, options) => {
    const clock = new FakeClock(T0)
    const logger = memoryLogger()
    const deps = { logs, clock, random: () => 0, logger, region: 'ap-northeast-1' }
    expect(followAppLogs(deps, options)).toBeUndefined()
    expect(logger.lines).toEqual([])
    expect(clock.pending).toBe(0)
  })

  it('follows <prefix>/app/<task id> and says so, until the step is done', async () => {
    emptyStream()
    const clock = new FakeClock(T0)
    const logger = memoryLogger()
    const done = new AbortController()
    const follower = followAppLogs(
      { logs, clock, random: () => 0, logger, region: 'ap-northeast-1' },
      { ...base, logConfiguration: awslogs(), signal: done.signal }
    )
    expect(follower).toBeDefined()
    await clock.advance(1500)
    expect(requests()).toEqual([
      { logGroupName: GROUP, logStreamName: 'app/app/0123', startFromHead: true },
      { logGroupName: GROUP, logStreamName: 'app/app/0123', startFromHead: true, nextToken: 'f/0' }
    ])
    expect(logger.lines).toEqual([
      `info: Following the log stream ${GROUP} app/app/0123 as it is written`
    ])
    done.abort()
    await clock.advance(0)
    expect(clock.pending).toBe(0)
  })
})
