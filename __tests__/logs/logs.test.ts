import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  GetLogEventsCommand
} from '@aws-sdk/client-cloudwatch-logs'
import { mockClient } from 'aws-sdk-client-mock'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger } from '../doubles/logger.js'
import { logsLink, tailLogs } from '../../src/logs/logs.js'
import { logStreamConsoleUrl } from '../../src/aws/console.js'

const TASK_ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef'
const awslogs = (options: Record<string, string>) => ({ logDriver: 'awslogs', options })

describe('logsLink', () => {
  it('links the app stream <prefix>/<container>/<task id>, worked by hand', () => {
    expect(
      logsLink({
        logConfiguration: awslogs({
          'awslogs-group': '/ecs/batch',
          'awslogs-stream-prefix': 'app'
        }),
        taskArn: TASK_ARN,
        containerName: 'app',
        taskRegion: 'ap-northeast-1'
      })
    ).toEqual({
      url: 'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/app$252Fapp$252F0123456789abcdef',
      group: '/ecs/batch',
      stream: 'app/app/0123456789abcdef',
      region: 'ap-northeast-1'
    })
  })

  it('reproduces a known-good console URL for a Lambda log group', () => {
    // The console's own link for /aws/lambda/hoge-lambda in ap-northeast-1.
    const link = logsLink({
      logConfiguration: awslogs({
        'awslogs-group': '/aws/lambda/hoge-lambda',
        'awslogs-stream-prefix': 'x'
      }),
      taskArn: TASK_ARN
    })
    expect('url' in link && link.url.split('/log-events/')[0]).toBe(
      'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/$252Faws$252Flambda$252Fhoge-lambda'
    )
  })

  it.each([
    [
      'arn:aws-cn:ecs:cn-north-1:123456789012:task/batch/0123456789abcdef',
      'https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/app$252Fapp$252F0123456789abcdef'
    ],
    [
      'arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task/batch/0123456789abcdef',
      'https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/app$252Fapp$252F0123456789abcdef'
    ]
  ])("links a task of %s on its partition's console", (taskArn, url) => {
    const link = logsLink({
      logConfiguration: awslogs({ 'awslogs-group': '/ecs/batch', 'awslogs-stream-prefix': 'app' }),
      taskArn,
      containerName: 'app'
    })
    expect('url' in link && link.url).toBe(url)
  })

  it('takes awslogs-region over the task region, and the ARN region when none is given', () => {
    const link = logsLink({
      logConfiguration: awslogs({
        'awslogs-group': 'g',
        'awslogs-stream-prefix': 'p',
        'awslogs-region': 'us-west-2'
      }),
      taskArn: TASK_ARN,
      taskRegion: 'ap-northeast-1'
    })
    expect('region' in link && link.region).toBe('us-west-2')
    expect(
      'url' in link &&
        link.url.startsWith(
          'https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#'
        )
    ).toBe(true)
    const fromArn = logsLink({
      logConfiguration: awslogs({ 'awslogs-group': 'g', 'awslogs-stream-prefix': 'p' }),
      taskArn: TASK_ARN,
      containerName: 'worker'
    })
    expect(fromArn).toMatchObject({ region: 'ap-northeast-1', stream: 'p/worker/0123456789abcdef' })
  })

  it.each([
    [
      undefined,
      'the app container has no log_configuration, so it has no CloudWatch Logs stream to link'
    ],
    [
      { logDriver: 'fluentd', options: {} },
      "the app container logs through 'fluentd', not awslogs, so there is no CloudWatch Logs stream to link"
    ],
    [
      awslogs({ 'awslogs-stream-prefix': 'app' }),
      "the app container's awslogs options have no awslogs-group"
    ],
    [
      awslogs({ 'awslogs-group': 'g' }),
      "the app container's awslogs options have no awslogs-stream-prefix, so its stream is named after the Docker container id; add awslogs-stream-prefix to link it"
    ]
  ])('gives the reason when there is no stream to link: %j', (logConfiguration, reason) => {
    expect(logsLink({ logConfiguration, taskArn: TASK_ARN })).toEqual({ reason })
  })
})

describe('tailLogs', () => {
  const logsMock = mockClient(CloudWatchLogsClient)
  const logs = new CloudWatchLogsClient({ region: 'ap-northeast-1' })
  afterAll(() => logsMock.restore())
  beforeEach(() => {
    logsMock.reset()
  })
  const options = {
    group: '/ecs/batch',
    stream: 'app/app/0123',
    region: 'ap-northeast-1',
    lines: 3
  }
  const at = (s: number): number => Date.parse('2026-11-28T16:12:00Z') + s * 1000

  it('prints the last lines under a header with one call, timestamps first, and no group of its own', async () => {
    logsMock.on(GetLogEventsCommand).resolves({
      events: [
        { timestamp: at(1), message: 'one' },
        { timestamp: at(2), message: '::set-output name=x::injected\n' },
        { timestamp: at(3), message: 'three\nfour' }
      ],
      nextBackwardToken: 'b/1'
    })
    const logger = memoryLogger()
    expect(await tailLogs({ logs, logger }, options)).toEqual([
      'one',
      '::set-output name=x::injected',
      'three',
      'four'
    ])
    expect(logger.lines).toEqual([
      'info: Last 3 log lines of /ecs/batch app/app/0123 (ap-northeast-1):',
      'info: 2026-11-28T16:12:01.000Z one',
      'info: 2026-11-28T16:12:02.000Z ::set-output name=x::injected',
      'info: 2026-11-28T16:12:03.000Z three',
      'info: 2026-11-28T16:12:03.000Z four'
    ])
    expect(logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: '/ecs/batch', logStreamName: 'app/app/0123', startFromHead: false, limit: 3 }
    ])
  })

  it('makes one call when a short page reaches back to the start of the stream', async () => {
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [{ timestamp: at(9), message: 'only' }], nextBackwardToken: 'b/0' })
    const logger = memoryLogger()
    expect(await tailLogs({ logs, logger }, options)).toEqual(['only'])
    expect(logsMock.commandCalls(GetLogEventsCommand)).toHaveLength(1)
  })

  it('reads the page before when the first came back empty or cut by its 1 MB size, and no more', async () => {
    const big = 'x'.repeat(950_000)
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [{ timestamp: at(9), message: big }], nextBackwardToken: 'b/2' })
      .resolvesOnce({ events: [{ timestamp: at(8), message: 'before' }], nextBackwardToken: 'b/3' })
    const logger = memoryLogger()
    expect(await tailLogs({ logs, logger }, options)).toEqual(['before', big])
    expect(logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: '/ecs/batch', logStreamName: 'app/app/0123', startFromHead: false, limit: 3 },
      {
        logGroupName: '/ecs/batch',
        logStreamName: 'app/app/0123',
        startFromHead: false,
        limit: 2,
        nextToken: 'b/2'
      }
    ])
    logsMock.reset()
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({ events: [], nextBackwardToken: 'b/5' })
      .resolvesOnce({ events: [{ timestamp: at(4), message: 'older' }], nextBackwardToken: 'b/4' })
    expect(await tailLogs({ logs, logger: memoryLogger() }, options)).toEqual(['older'])
    expect(logsMock.commandCalls(GetLogEventsCommand)).toHaveLength(2)
  })

  it('turns a failure into a warning, never a throw', async () => {
    logsMock.on(GetLogEventsCommand).rejects(
      new CloudWatchLogsServiceException({
        name: 'ResourceNotFoundException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'The specified log stream does not exist.'
      })
    )
    const logger = memoryLogger()
    expect(await tailLogs({ logs, logger }, options)).toBeUndefined()
    expect(logger.lines).toEqual([
      'warning: Could not read the last log lines of /ecs/batch app/app/0123 (ap-northeast-1): The specified log stream does not exist. The stream does not exist: the container may never have started, or logs to another group.'
    ])
  })

  it('says the stream is empty instead of printing an empty group', async () => {
    logsMock.on(GetLogEventsCommand).resolves({ events: [], nextBackwardToken: 'b/1' })
    const logger = memoryLogger()
    expect(await tailLogs({ logs, logger }, options)).toEqual([])
    expect(logger.lines).toEqual([
      'info: The log stream /ecs/batch app/app/0123 (ap-northeast-1) has no lines'
    ])
  })

  it("retries ThrottlingException at the pacer's backoff when given a clock, until its deadline", async () => {
    const throttled = new CloudWatchLogsServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded'
    })
    logsMock
      .on(GetLogEventsCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ events: [{ timestamp: at(1), message: 'one' }], nextBackwardToken: 'b/0' })
    const clock = new FakeClock(at(0))
    const logger = memoryLogger()
    const tail = tailLogs({ logs, logger, clock, random: () => 0.5 }, options)
    expect(await clock.run(tail)).toEqual(['one'])
    // Alone in ap-northeast-1 every 100 ms tick is the job's: the first call 25 ms into the first;
    // then the backoff, 500 ms and 1 s (times 0.5 + r), each to the next tick.
    expect(clock.sleeps).toEqual([25, 600, 1100])
    expect(logger.of('warning')).toEqual([])

    logsMock.reset()
    logsMock.on(GetLogEventsCommand).rejects(throttled)
    const again = memoryLogger()
    const start = clock.now()
    const stuck = tailLogs({ logs, logger: again, clock, random: () => 0.5 }, options)
    expect(await clock.run(stuck)).toBeUndefined()
    // At 0.1, 0.7, 1.8, 3.9, 8, 16.1, 32.2 and 48.3 s (each backoff, then the next 100 ms tick);
    // the next (64.3 s) is past the 60 s deadline, so it gives up there, without waiting.
    expect(logsMock.commandCalls(GetLogEventsCommand)).toHaveLength(8)
    expect(clock.now() - start).toBe(48_300)
    expect(again.lines).toEqual([
      'warning: Could not read the last log lines of /ecs/batch app/app/0123 (ap-northeast-1) in time: ' +
        'CloudWatch Logs kept answering ThrottlingException (its GetLogEvents quota is the ' +
        "account's, shared with every reader). They are at " +
        logStreamConsoleUrl('ap-northeast-1', '/ecs/batch', 'app/app/0123')
    ])
  })

  it('tries once without a clock, and never retries a denied read', async () => {
    const denied = new CloudWatchLogsServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'not authorized'
    })
    logsMock.on(GetLogEventsCommand).rejects(denied)
    const logger = memoryLogger()
    expect(await tailLogs({ logs, logger }, options)).toBeUndefined()
    const clock = new FakeClock(at(0))
    expect(await clock.run(tailLogs({ logs, logger, clock, random: () => 0 }, options))).toBe(
      undefined
    )
    expect(logsMock.commandCalls(GetLogEventsCommand)).toHaveLength(2)
    expect(logger.of('warning')).toEqual([
      "Could not read the last log lines of /ecs/batch app/app/0123 (ap-northeast-1): not authorized. Grant logs:GetLogEvents on the log group to the action's role, or set log-lines: 0.",
      "Could not read the last log lines of /ecs/batch app/app/0123 (ap-northeast-1): not authorized. Grant logs:GetLogEvents on the log group to the action's role, or set log-lines: 0."
    ])
  })

  it('makes no call for 0 lines', async () => {
    expect(await tailLogs({ logs, logger: memoryLogger() }, { ...options, lines: 0 })).toEqual([])
    expect(logsMock.commandCalls(GetLogEventsCommand)).toHaveLength(0)
  })
})
