import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  GetLogEventsCommand
} from '@aws-sdk/client-cloudwatch-logs'
import { ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs'
import { FakeClock } from '../doubles/clock.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'
import { logsLimitsOf } from '../../sim/logs.js'

const START = Date.parse('2025-06-01T00:00:00Z')

describe('GetLogEvents on awslogs streams', () => {
  let local: LocalAws
  let ecs: ECSClient
  let logs: CloudWatchLogsClient
  let clock: FakeClock
  let taskId = ''

  beforeAll(async () => {
    clock = new FakeClock(START)
    local = await startLocalAws({
      clock,
      notifier: false,
      throttling: { logs: { burst: 3, refillPerSecond: 1 } },
      // Each line readable as it is printed: this block tests the tokens.
      logDelivery: { batchSeconds: 0, ingestSeconds: [0, 0] }
    })
    ecs = new ECSClient({ ...local.clientConfig('ecs'), maxAttempts: 1 })
    logs = new CloudWatchLogsClient({ ...local.clientConfig('logs'), maxAttempts: 1 })
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'batch-oneshot',
        containerDefinitions: [
          {
            name: 'app',
            image: 'busybox',
            memory: 64,
            logConfiguration: {
              logDriver: 'awslogs',
              options: {
                'awslogs-group': '/ecs/batch',
                'awslogs-stream-prefix': 'oneshot',
                'awslogs-region': 'ap-northeast-1'
              }
            }
          }
        ]
      })
    )
    const out = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'batch-oneshot',
        overrides: {
          containerOverrides: [
            {
              name: 'app',
              environment: [
                { name: 'SIM_RUN_SECONDS', value: '4' },
                { name: 'SIM_LOG_LINES', value: 'one\\ntwo\\nthree\\nfour' }
              ]
            }
          ]
        }
      })
    )
    taskId = (out.tasks?.[0]?.taskArn ?? '').split('/').pop() ?? ''
  })
  afterAll(async () => {
    ecs.destroy()
    logs.destroy()
    await local.close()
  })

  // Stream name <awslogs-stream-prefix>/<container>/<task id> (docs/ecs-events.md).
  const stream = (): { logGroupName: string; logStreamName: string } => ({
    logGroupName: '/ecs/batch',
    logStreamName: `oneshot/app/${taskId}`
  })

  it('prints the scripted lines over the run time and follows with the forward token', async () => {
    await clock.advance(3000) // RUNNING: the first line is printed at start
    const first = await logs.send(new GetLogEventsCommand({ ...stream(), startFromHead: true }))
    expect(first.events).toEqual([
      { timestamp: START + 3000, message: 'one', ingestionTime: START + 3000 }
    ])
    await clock.advance(2000)
    const next = await logs.send(
      new GetLogEventsCommand({
        ...stream(),
        startFromHead: true,
        nextToken: first.nextForwardToken
      })
    )
    expect(next.events?.map((e) => [e.message, (e.timestamp ?? 0) - START])).toEqual([
      ['two', 4000],
      ['three', 5000]
    ])
    const same = await logs.send(
      new GetLogEventsCommand({
        ...stream(),
        startFromHead: true,
        nextToken: next.nextForwardToken
      })
    )
    expect(same.events).toEqual([])
    expect(same.nextForwardToken).toBe(next.nextForwardToken)
  })

  it('returns the newest lines without startFromHead, and pages backward', async () => {
    await clock.advance(1000)
    const tail = await logs.send(new GetLogEventsCommand({ ...stream(), limit: 2 }))
    expect(tail.events?.map((e) => e.message)).toEqual(['three', 'four'])
    const older = await logs.send(
      new GetLogEventsCommand({ ...stream(), limit: 2, nextToken: tail.nextBackwardToken })
    )
    expect(older.events?.map((e) => e.message)).toEqual(['one', 'two'])
  })

  it.each([
    ['/ecs/none', 'oneshot/app/x', 'The specified log group does not exist.'],
    ['/ecs/batch', 'oneshot/app/x', 'The specified log stream does not exist.']
  ])(
    'answers ResourceNotFoundException for %s %s',
    async (logGroupName, logStreamName, message) => {
      await clock.advance(1000)
      await expect(
        logs.send(new GetLogEventsCommand({ logGroupName, logStreamName }))
      ).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        message
      })
    }
  )

  it('throttles GetLogEvents with its own bucket and counts calls', async () => {
    await clock.advance(10_000) // refills the bucket of 3
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => logs.send(new GetLogEventsCommand(stream())))
    )
    expect(
      results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).name)).sort()
    ).toEqual(['ThrottlingException', 'ok', 'ok', 'ok'])
    expect(local.stats().logs.throttled).toEqual({ GetLogEvents: 1 })
    expect(local.stats().logs.calls.GetLogEvents).toBe(11)
  })
})

describe('awslogs delivery: batches every 5 s, the rest at exit, after an ingestion delay', () => {
  let local: LocalAws
  let ecs: ECSClient
  let logs: CloudWatchLogsClient
  let clock: FakeClock
  const ids: string[] = []

  beforeAll(async () => {
    clock = new FakeClock(START)
    local = await startLocalAws({
      clock,
      notifier: false,
      throttling: { 'logs-filter': { burst: 2, refillPerSecond: 1 } },
      logDelivery: { batchSeconds: 5, ingestSeconds: [0.5, 0.5] }
    })
    ecs = new ECSClient({ ...local.clientConfig('ecs'), maxAttempts: 1 })
    logs = new CloudWatchLogsClient({ ...local.clientConfig('logs'), maxAttempts: 1 })
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'batch-oneshot',
        containerDefinitions: [
          {
            name: 'app',
            image: 'busybox',
            memory: 64,
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': '/ecs/batch', 'awslogs-stream-prefix': 'oneshot' }
            }
          }
        ]
      })
    )
    // Provisioning 1 s and pull 2 s (DEFAULT_TIMINGS): RUNNING at 3 s. Ten lines over 8 s.
    for (const seconds of ['8', '4']) {
      const out = await ecs.send(
        new RunTaskCommand({
          cluster: 'batch',
          taskDefinition: 'batch-oneshot',
          overrides: {
            containerOverrides: [
              {
                name: 'app',
                environment: [
                  { name: 'SIM_RUN_SECONDS', value: seconds },
                  {
                    name: 'SIM_LOG_LINES',
                    value: JSON.stringify(Array.from({ length: 8 }, (_, i) => `${seconds}-${i}`))
                  }
                ]
              }
            ]
          }
        })
      )
      ids.push((out.tasks?.[0]?.taskArn ?? '').split('/').pop() ?? '')
    }
  })
  afterAll(async () => {
    ecs.destroy()
    logs.destroy()
    await local.close()
  })

  const read = async (id: string): Promise<string[]> =>
    (
      await logs.send(
        new GetLogEventsCommand({
          logGroupName: '/ecs/batch',
          logStreamName: `oneshot/app/${id}`,
          startFromHead: true
        })
      )
    ).events?.map((e) => e.message ?? '') ?? []

  it('answers ResourceNotFoundException before the container starts', async () => {
    await clock.advance(2000)
    await expect(read(ids[0] ?? '')).rejects.toMatchObject({ name: 'ResourceNotFoundException' })
  })

  it('shows nothing until the first batch arrives 5.5 s after the stream was created', async () => {
    await clock.advance(1000) // RUNNING at 3 s: line 0 printed
    expect(await read(ids[0] ?? '')).toEqual([])
    await clock.advance(5499)
    expect(await read(ids[0] ?? '')).toEqual([])
    await clock.advance(1)
    // Lines printed at 3, 4, 5, 6, 7 s (one per second of the 8 s run) came in the first batch.
    expect(await read(ids[0] ?? '')).toEqual(['8-0', '8-1', '8-2', '8-3', '8-4'])
    expect(local.logs.events('/ecs/batch', `oneshot/app/${ids[0] ?? ''}`)?.[0]).toEqual({
      timestamp: START + 3000,
      message: '8-0',
      ingestionTime: START + 8500
    })
  })

  it('sends the rest when the container exits, not at the next batch', async () => {
    // The 4 s task exited at 7 s: its lines of 5.5 to 6.5 s arrived at 7.5 s.
    expect(await read(ids[1] ?? '')).toEqual([
      '4-0',
      '4-1',
      '4-2',
      '4-3',
      '4-4',
      '4-5',
      '4-6',
      '4-7'
    ])
  })

  it('filters both streams in one call, oldest first (then by stream name), with eventIds', async () => {
    // From 3 s to 5 s: the 8 s task prints one line a second, the 4 s task two.
    await clock.advance(5000)
    const out = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: '/ecs/batch',
        logStreamNames: ids.map((id) => `oneshot/app/${id}`),
        startTime: START + 3000,
        endTime: START + 5000,
        limit: 3
      })
    )
    expect(out.events?.map((e) => [e.message, e.eventId])).toEqual([
      ['4-0', `oneshot/app/${ids[1] ?? ''}/0`],
      ['8-0', `oneshot/app/${ids[0] ?? ''}/0`],
      ['4-1', `oneshot/app/${ids[1] ?? ''}/1`]
    ])
    expect(out.nextToken).toBe('o/3')
    const rest = await logs.send(
      new FilterLogEventsCommand({
        logGroupName: '/ecs/batch',
        logStreamNames: ids.map((id) => `oneshot/app/${id}`),
        startTime: START + 3000,
        endTime: START + 5000,
        nextToken: out.nextToken
      })
    )
    expect(rest.events?.map((e) => e.message)).toEqual(['4-2', '8-1', '4-3'])
    expect(rest.nextToken).toBeUndefined()
  })

  it('answers ResourceNotFoundException when one named stream does not exist, and throttles on its own bucket', async () => {
    await clock.advance(5000)
    await expect(
      logs.send(
        new FilterLogEventsCommand({
          logGroupName: '/ecs/batch',
          logStreamNames: [`oneshot/app/${ids[0] ?? ''}`, 'oneshot/app/none']
        })
      )
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' })
    await expect(
      logs.send(new FilterLogEventsCommand({ logGroupName: '/ecs/batch' }))
    ).resolves.toBeDefined()
    await expect(
      logs.send(new FilterLogEventsCommand({ logGroupName: '/ecs/batch' }))
    ).rejects.toMatchObject({ name: 'ThrottlingException' })
    expect(local.stats().logs.throttled).toEqual({ FilterLogEvents: 1 })
  })
})

describe("the Logs buckets of an endpoint's region", () => {
  it('take the regional quotas, a burst of one second each (src/logs/logs-quota.ts)', () => {
    expect(logsLimitsOf('eu-west-1')).toEqual({
      logs: { burst: 10, refillPerSecond: 10 },
      'logs-filter': { burst: 10, refillPerSecond: 10 }
    })
    expect(logsLimitsOf('us-east-1')).toEqual({
      logs: { burst: 25, refillPerSecond: 25 },
      'logs-filter': { burst: 25, refillPerSecond: 25 }
    })
    expect(logsLimitsOf('eu-central-1')['logs-filter']).toEqual({ burst: 5, refillPerSecond: 5 })
  })

  it('throttle the 11th GetLogEvents within a second in eu-west-1', async () => {
    const clock = new FakeClock(START)
    const local = await startLocalAws({ clock, region: 'eu-west-1', notifier: false })
    try {
      const logs = new CloudWatchLogsClient({ ...local.clientConfig('logs'), maxAttempts: 1 })
      const outcomes: string[] = []
      for (let i = 0; i < 11; i++) {
        outcomes.push(
          await logs
            .send(new GetLogEventsCommand({ logGroupName: '/none', logStreamName: 's' }))
            .then(
              () => 'ok',
              (e: { name: string }) => e.name
            )
        )
      }
      expect(outcomes).toEqual([
        ...Array<string>(10).fill('ResourceNotFoundException'),
        'ThrottlingException'
      ])
    } finally {
      await local.close()
    }
  })
})
