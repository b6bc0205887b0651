import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs'
import { FakeClock } from '../doubles/clock.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'

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
      throttling: { logs: { burst: 3, refillPerSecond: 1 } }
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

  // Stream name <awslogs-stream-prefix>/<container>/<task id> (docs/ecs-events.md, "awslogs stream names").
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
