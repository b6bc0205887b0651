import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand
} from '@aws-sdk/client-ecs'
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { FakeClock } from '../doubles/clock.js'
import { startLocalAws, type LocalAws, type LocalAwsOptions } from '../../sim/index.js'

const START = Date.parse('2025-06-01T00:00:00Z')

async function start(
  options: LocalAwsOptions = {}
): Promise<{ local: LocalAws; ecs: ECSClient; clock: FakeClock }> {
  const clock = new FakeClock(START)
  const local = await startLocalAws({ clock, ...options })
  // One attempt: the SDK would otherwise retry throttled calls on its own.
  const ecs = new ECSClient({ ...local.clientConfig('ecs'), maxAttempts: 1 })
  return { local, ecs, clock }
}

const DEFINITION = {
  family: 'batch-oneshot',
  containerDefinitions: [{ name: 'app', image: 'busybox', memory: 64 }]
}

function run(env: Record<string, string>, clientToken?: string): RunTaskCommand {
  return new RunTaskCommand({
    cluster: 'batch',
    taskDefinition: 'batch-oneshot',
    clientToken,
    overrides: {
      containerOverrides: [
        { name: 'app', environment: Object.entries(env).map(([name, value]) => ({ name, value })) }
      ]
    }
  })
}

async function settle(outcome: Promise<PromiseSettledResult<unknown>[]>): Promise<string[]> {
  return (await outcome).map((r) =>
    r.status === 'fulfilled' ? 'ok' : (r.reason as { name: string }).name
  )
}

describe('throttling (docs/limits.md, "Token buckets")', () => {
  let local: LocalAws
  let ecs: ECSClient
  let clock: FakeClock
  beforeAll(async () => ({ local, ecs, clock } = await start({ notifier: false })))
  afterAll(async () => {
    ecs.destroy()
    await local.close()
  })

  it('lets 20 of 25 RegisterTaskDefinition calls in a burst through and throttles 5; refills 1 per second', async () => {
    const results = await settle(
      Promise.allSettled(
        Array.from({ length: 25 }, () => ecs.send(new RegisterTaskDefinitionCommand(DEFINITION)))
      )
    )
    expect(results.filter((r) => r === 'ok')).toHaveLength(20)
    expect(results.filter((r) => r === 'ThrottlingException')).toHaveLength(5)
    await expect(ecs.send(new RegisterTaskDefinitionCommand(DEFINITION))).rejects.toMatchObject({
      name: 'ThrottlingException',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400 }
    })
    await clock.advance(1000)
    await expect(ecs.send(new RegisterTaskDefinitionCommand(DEFINITION))).resolves.toBeDefined()
    await expect(ecs.send(new RegisterTaskDefinitionCommand(DEFINITION))).rejects.toMatchObject({
      name: 'ThrottlingException'
    })
    expect(local.stats().ecs).toEqual({
      calls: { RegisterTaskDefinition: 28 },
      throttled: { RegisterTaskDefinition: 7 }
    })
  })

  it('answers the exact ThrottlingException body on the wire', async () => {
    const response = await fetch(local.ecsEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition'
      },
      body: JSON.stringify(DEFINITION)
    })
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({
      __type: 'ThrottlingException',
      message: 'Rate exceeded'
    })
  })

  it('draws DescribeTasks from its own bucket of 100, refilled at 20 per second', async () => {
    const describe = (): Promise<unknown> =>
      ecs.send(new DescribeTasksCommand({ cluster: 'batch', tasks: ['x'] }))
    const burst = await settle(Promise.allSettled(Array.from({ length: 101 }, describe)))
    expect(burst.filter((r) => r === 'ThrottlingException')).toHaveLength(1)
    await clock.advance(500)
    const after = await settle(Promise.allSettled(Array.from({ length: 11 }, describe)))
    expect(after.filter((r) => r === 'ok')).toHaveLength(10)
  })

  it('takes configured limits', async () => {
    const { local: other, ecs: client } = await start({
      notifier: false,
      throttling: { register: { burst: 2, refillPerSecond: 1 } }
    })
    const results = await settle(
      Promise.allSettled(
        Array.from({ length: 3 }, () => client.send(new RegisterTaskDefinitionCommand(DEFINITION)))
      )
    )
    expect(results.sort()).toEqual(['ThrottlingException', 'ok', 'ok'])
    client.destroy()
    await other.close()
  })

  it('answers UnknownOperationException for operations it does not implement', async () => {
    const response = await fetch(local.ecsEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.CreateService'
      },
      body: '{}'
    })
    expect(await response.json()).toEqual({
      __type: 'UnknownOperationException',
      message: 'The simulator does not implement CreateService'
    })
  })
})

describe('events through the notifier into S3', () => {
  const NO_DELAY = { delaySeconds: 0, jitterSeconds: 0 }

  async function objectsFor(local: LocalAws, taskArn: string): Promise<string[]> {
    const out = await local.s3.send(
      new ListObjectsV2Command({ Bucket: local.bucket, Prefix: `${local.keyPrefix}/${taskArn}/` })
    )
    return (out.Contents ?? [])
      .map((o) => (o.Key ?? '').slice(`${local.keyPrefix}/${taskArn}/`.length))
      .sort()
  }

  it('writes started.json and stopped.json at <prefix>/<task ARN>/ and times the stop', async () => {
    const { local, ecs, clock } = await start({ delivery: NO_DELAY, throttling: false })
    try {
      await ecs.send(new RegisterTaskDefinitionCommand(DEFINITION))
      const out = await ecs.send(run({ SIM_RUN_SECONDS: '10', SIM_EXIT_CODE: '4' }))
      const arn = out.tasks?.[0]?.taskArn ?? ''
      await clock.advance(3000)
      await local.flush()
      expect(await objectsFor(local, arn)).toEqual(['started.json'])
      await clock.advance(11000)
      await local.flush()
      expect(await objectsFor(local, arn)).toEqual(['started.json', 'stopped.json'])
      const stopped = await local.s3.send(
        new GetObjectCommand({
          Bucket: local.bucket,
          Key: `${local.keyPrefix}/${arn}/stopped.json`
        })
      )
      const event = JSON.parse((await stopped.Body?.transformToString()) ?? '{}') as Record<
        string,
        unknown
      >
      expect(event).toMatchObject({
        version: '0',
        'detail-type': 'ECS Task State Change',
        source: 'aws.ecs',
        account: '123456789012',
        region: 'ap-northeast-1',
        time: '2025-06-01T00:00:14Z',
        resources: [arn],
        detail: {
          taskArn: arn,
          lastStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          version: 5,
          createdAt: '2025-06-01T00:00:00.000Z',
          stoppedAt: '2025-06-01T00:00:14.000Z',
          containers: [{ name: 'app', exitCode: 4 }]
        }
      })
      expect(local.stats().tasks).toEqual([
        {
          taskArn: arn,
          cluster: 'batch',
          family: 'batch-oneshot',
          createdAt: START,
          runningAt: START + 3000,
          stoppedAt: START + 14000,
          exitCode: 4,
          startedEventWrittenAt: START + 3000,
          stopEventWrittenAt: START + 14000
        }
      ])
      expect(local.stats().events).toEqual({
        emitted: 5,
        delivered: 5,
        dropped: 0,
        duplicated: 0,
        late: 0,
        failed: 0
      })
    } finally {
      ecs.destroy()
      await local.close()
    }
  })

  it('loses every STOPPED event with dropStatuses, and still writes started.json', async () => {
    const { local, ecs, clock } = await start({
      delivery: { ...NO_DELAY, dropStatuses: ['STOPPED'] },
      throttling: false
    })
    try {
      await ecs.send(new RegisterTaskDefinitionCommand(DEFINITION))
      const arn = (await ecs.send(run({ SIM_RUN_SECONDS: '1' }))).tasks?.[0]?.taskArn ?? ''
      await clock.advance(10_000)
      await local.flush()
      expect(await objectsFor(local, arn)).toEqual(['started.json'])
      expect(local.stats().events).toMatchObject({ emitted: 5, dropped: 1, delivered: 4 })
      expect(local.stats().tasks[0]?.stopEventWrittenAt).toBeUndefined()
    } finally {
      ecs.destroy()
      await local.close()
    }
  })

  it('delivers duplicates, and the notifier keeps one stopped.json with the newest version', async () => {
    const { local, ecs, clock } = await start({
      delivery: { ...NO_DELAY, duplicateProbability: 1 },
      throttling: false
    })
    try {
      await ecs.send(new RegisterTaskDefinitionCommand(DEFINITION))
      const arn =
        (await ecs.send(run({ SIM_RUN_SECONDS: '1', SIM_INCOMPLETE_STOP: '1' }))).tasks?.[0]
          ?.taskArn ?? ''
      await clock.advance(20_000)
      await local.flush()
      const stats = local.stats().events
      expect(stats).toMatchObject({ emitted: 6, duplicated: 6, delivered: 12 })
      const stopped = await local.s3.send(
        new GetObjectCommand({
          Bucket: local.bucket,
          Key: `${local.keyPrefix}/${arn}/stopped.json`
        })
      )
      const event = JSON.parse((await stopped.Body?.transformToString()) ?? '{}') as {
        detail: { version: number; containers: { exitCode?: number }[] }
      }
      expect(event.detail.version).toBe(6)
      expect(event.detail.containers[0]?.exitCode).toBe(0)
    } finally {
      ecs.destroy()
      await local.close()
    }
  })

  it('delays, reorders and drops the same way for the same seed', async () => {
    const trace = async (): Promise<string[]> => {
      const { local, ecs, clock } = await start({
        notifier: false,
        sink: () => Promise.resolve('ok'),
        seed: 7,
        throttling: false,
        delivery: {
          delaySeconds: 0.2,
          jitterSeconds: 1,
          lateProbability: 0.3,
          dropProbability: 0.2,
          duplicateProbability: 0.3
        }
      })
      try {
        await ecs.send(new RegisterTaskDefinitionCommand(DEFINITION))
        await ecs.send(
          new RunTaskCommand({ cluster: 'batch', taskDefinition: 'batch-oneshot', count: 5 })
        )
        for (let i = 0; i < 30; i++) {
          await clock.advance(1000)
          await local.flush()
        }
        return local
          .deliveries()
          .map(
            (d) =>
              `${d.taskArn.slice(-4)} v${d.version} ${d.outcome}${d.duplicate ? ' dup' : ''}${d.late ? ' late' : ''} @${d.at - START}`
          )
      } finally {
        ecs.destroy()
        await local.close()
      }
    }
    const first = await trace()
    expect(await trace()).toEqual(first)
    expect(first.some((line) => line.includes('dropped'))).toBe(true)
    expect(first.some((line) => line.includes('dup'))).toBe(true)
    expect(first.some((line) => line.includes('late'))).toBe(true)
  })
})

describe('startLocalAws', () => {
  it('gives a child process the endpoints, region and the credentials s3rver accepts', async () => {
    const local = await startLocalAws({
      notifier: false,
      region: 'us-west-2',
      bucket: 'notes',
      keyPrefix: '/jobs/'
    })
    try {
      expect(local.prefix).toBe('s3://notes/jobs')
      expect(local.env).toEqual({
        AWS_REGION: 'us-west-2',
        AWS_DEFAULT_REGION: 'us-west-2',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_ENDPOINT_URL_ECS: local.ecsEndpoint,
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: local.logsEndpoint,
        AWS_ENDPOINT_URL_S3: local.s3Endpoint,
        AWS_EC2_METADATA_DISABLED: 'true'
      })
      expect(local.ecsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(local.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    } finally {
      await local.close()
    }
  })
})
