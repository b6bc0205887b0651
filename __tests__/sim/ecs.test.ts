import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput
} from '@aws-sdk/client-ecs'
import { FakeClock } from '../doubles/clock.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'
import { DEFAULT_TIMINGS } from '../../sim/ecs.js'

const START = Date.parse('2025-06-01T00:00:00Z')
const REGION = 'ap-northeast-1'
const ACCT = '123456789012'

/** Starts a simulator on a fake clock with delivery off (events are only recorded). */
async function start(options: Parameters<typeof startLocalAws>[0] = {}): Promise<{
  local: LocalAws
  ecs: ECSClient
  clock: FakeClock
}> {
  const clock = new FakeClock(START)
  const local = await startLocalAws({ clock, notifier: false, throttling: false, ...options })
  const ecs = new ECSClient({ ...local.clientConfig('ecs'), maxAttempts: 1 })
  return { local, ecs, clock }
}

const APP = {
  name: 'app',
  image: 'public.ecr.aws/docker/library/busybox:1.36',
  memory: 128,
  logConfiguration: {
    logDriver: 'awslogs' as const,
    options: {
      'awslogs-group': '/ecs/batch',
      'awslogs-region': REGION,
      'awslogs-stream-prefix': 'oneshot'
    }
  }
}

async function register(ecs: ECSClient, family = 'batch-oneshot'): Promise<string> {
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [APP],
      tags: [{ key: 'team', value: 'data' }]
    })
  )
  return out.taskDefinition?.taskDefinitionArn ?? ''
}

function runInput(
  env: Record<string, string>,
  extra: Partial<RunTaskCommandInput> = {}
): RunTaskCommandInput {
  return {
    cluster: 'batch',
    taskDefinition: 'batch-oneshot',
    startedBy: 'hako oneshot',
    overrides: {
      containerOverrides: [
        { name: 'app', environment: Object.entries(env).map(([name, value]) => ({ name, value })) }
      ]
    },
    ...extra
  }
}

describe('task definitions', () => {
  let local: LocalAws
  let ecs: ECSClient
  let clock: FakeClock
  beforeAll(async () => ({ local, ecs, clock } = await start()))
  afterAll(async () => {
    ecs.destroy()
    await local.close()
  })

  it('returns the definition with the defaults ECS fills in', async () => {
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web-oneshot',
        containerDefinitions: [{ ...APP, portMappings: [{ containerPort: 8080 }] }]
      })
    )
    expect(out.taskDefinition).toEqual({
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCT}:task-definition/web-oneshot:1`,
      containerDefinitions: [
        {
          ...APP,
          cpu: 0,
          portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
          essential: true,
          environment: [],
          mountPoints: [],
          volumesFrom: [],
          systemControls: []
        }
      ],
      family: 'web-oneshot',
      revision: 1,
      volumes: [],
      status: 'ACTIVE',
      requiresAttributes: [
        { name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' },
        { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.19' }
      ],
      placementConstraints: [],
      compatibilities: ['EXTERNAL', 'EC2'],
      registeredAt: new Date(START),
      registeredBy: `arn:aws:iam::${ACCT}:root`
    })
  })

  it('numbers revisions per family and describes the latest, a revision or an ARN', async () => {
    await register(ecs, 'rev-oneshot')
    const second = await register(ecs, 'rev-oneshot')
    expect(second).toBe(`arn:aws:ecs:${REGION}:${ACCT}:task-definition/rev-oneshot:2`)
    await clock.advance(DEFAULT_TIMINGS.definitionVisibleSeconds * 1000)
    for (const ref of ['rev-oneshot', 'rev-oneshot:2', second]) {
      const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }))
      expect(out.taskDefinition?.revision).toBe(2)
      expect(out.tags).toBeUndefined()
    }
    const first = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'rev-oneshot:1', include: ['TAGS'] })
    )
    expect(first.taskDefinition?.revision).toBe(1)
    expect(first.tags).toEqual([{ key: 'team', value: 'data' }])
  })

  it('shows a new revision to DescribeTaskDefinition only after a delay, as ECS reads are eventually consistent', async () => {
    const first = await register(ecs, 'late-oneshot')
    await clock.advance(DEFAULT_TIMINGS.definitionVisibleSeconds * 1000)
    const second = await register(ecs, 'late-oneshot')
    const latest = () =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'late-oneshot' }))
    // By family: still the previous revision; by ARN: not there yet.
    expect((await latest()).taskDefinition?.taskDefinitionArn).toBe(first)
    await expect(
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: second }))
    ).rejects.toMatchObject({
      name: 'ClientException',
      message: 'Unable to describe task definition.'
    })
    // RunTask sees it at once: the job that registered it runs it right away.
    const run = await ecs.send(new RunTaskCommand({ ...runInput({}), taskDefinition: second }))
    expect(run.tasks?.[0]?.taskDefinitionArn).toBe(second)
    await clock.advance(DEFAULT_TIMINGS.definitionVisibleSeconds * 1000)
    expect((await latest()).taskDefinition?.taskDefinitionArn).toBe(second)
  })

  it('refuses RunTask of a deregistered revision, by ARN too', async () => {
    const arn = await register(ecs, 'gone-oneshot')
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }))
    await expect(
      ecs.send(new RunTaskCommand({ ...runInput({}), taskDefinition: arn }))
    ).rejects.toMatchObject({ name: 'ClientException', message: 'TaskDefinition is inactive' })
  })

  it('lists the tags of a definition', async () => {
    const arn = await register(ecs, 'tagged-oneshot')
    const out = await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))
    expect(out.tags).toEqual([{ key: 'team', value: 'data' }])
  })

  it.each([
    [
      { taskDefinition: 'nothing-oneshot' },
      'ClientException',
      'Unable to describe task definition.'
    ],
    [{ taskDefinition: 'rev-oneshot:9' }, 'ClientException', 'Unable to describe task definition.']
  ])('DescribeTaskDefinition %j fails with %s', async (input, name, message) => {
    await expect(ecs.send(new DescribeTaskDefinitionCommand(input))).rejects.toMatchObject({
      name,
      message,
      $metadata: { httpStatusCode: 400 }
    })
  })

  it.each([
    [
      'no image',
      { family: 'x', containerDefinitions: [{ name: 'app', memory: 128 }] },
      'Container.image should not be null or empty.'
    ],
    [
      'no memory',
      { family: 'x', containerDefinitions: [{ name: 'app', image: 'busybox' }] },
      "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified."
    ],
    [
      'a bad family',
      { family: 'a b', containerDefinitions: [APP] },
      'Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.'
    ]
  ])('RegisterTaskDefinition with %s fails with ClientException', async (_, input, message) => {
    await expect(ecs.send(new RegisterTaskDefinitionCommand(input))).rejects.toMatchObject({
      name: 'ClientException',
      message
    })
  })
})

describe('tasks', () => {
  let local: LocalAws
  let ecs: ECSClient
  let clock: FakeClock
  beforeAll(async () => {
    ;({ local, ecs, clock } = await start({ clusters: ['batch', 'default'] }))
    await register(ecs)
  })
  afterAll(async () => {
    ecs.destroy()
    await local.close()
  })

  async function describeOne(
    arn: string
  ): Promise<NonNullable<Awaited<ReturnType<typeof describeAll>>>[number]> {
    const tasks = await describeAll([arn])
    const task = tasks?.[0]
    if (!task) throw new Error('task not described')
    return task
  }
  async function describeAll(arns: string[]) {
    return (await ecs.send(new DescribeTasksCommand({ cluster: 'batch', tasks: arns }))).tasks
  }

  it('runs a task through PROVISIONING, PENDING, RUNNING and STOPPED with the scripted exit code', async () => {
    const out = await ecs.send(
      new RunTaskCommand(runInput({ SIM_RUN_SECONDS: '20', SIM_EXIT_CODE: '3' }))
    )
    expect(out.failures).toEqual([])
    const task = out.tasks?.[0]
    const arn = task?.taskArn ?? ''
    expect(arn).toMatch(new RegExp(`^arn:aws:ecs:${REGION}:${ACCT}:task/batch/[0-9a-f]{32}$`))
    expect(task).toMatchObject({
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      startedBy: 'hako oneshot',
      group: 'family:batch-oneshot',
      launchType: 'EC2',
      clusterArn: `arn:aws:ecs:${REGION}:${ACCT}:cluster/batch`,
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCT}:task-definition/batch-oneshot:1`,
      createdAt: new Date(START),
      version: 1,
      containers: [{ name: 'app', lastStatus: 'PENDING', image: APP.image }]
    })
    const seen: string[] = []
    for (const step of [1000, 2000, 20000, 1000]) {
      await clock.advance(step)
      const t = await describeOne(arn)
      seen.push(
        `${t.lastStatus}/${t.desiredStatus}/v${t.version}/exit=${t.containers?.[0]?.exitCode}`
      )
    }
    expect(seen).toEqual([
      'PENDING/RUNNING/v2/exit=undefined',
      'RUNNING/RUNNING/v3/exit=undefined',
      'RUNNING/STOPPED/v4/exit=3',
      'STOPPED/STOPPED/v5/exit=3'
    ])
    const stopped = await describeOne(arn)
    expect(stopped).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      pullStartedAt: new Date(START + 1000),
      pullStoppedAt: new Date(START + 3000),
      startedAt: new Date(START + 3000),
      stoppingAt: new Date(START + 23000),
      // The app container exited at 23 s; the teardown ended at 24 s.
      executionStoppedAt: new Date(START + 23000),
      stoppedAt: new Date(START + 24000)
    })
  })

  it('stops a task whose image cannot be pulled with TaskFailedToStart and no exit code', async () => {
    const out = await ecs.send(new RunTaskCommand(runInput({ SIM_PULL_FAILURE: '1' })))
    const arn = out.tasks?.[0]?.taskArn ?? ''
    await clock.advance(3000)
    const t = await describeOne(arn)
    const reason = `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${APP.image}: not found`
    expect(t).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: reason,
      version: 3
    })
    expect(t.containers?.[0]).toMatchObject({ lastStatus: 'STOPPED', reason })
    expect(t.containers?.[0]?.exitCode).toBeUndefined()
  })

  it('StopTask sends SIGTERM: UserInitiated, the given reason, exit code 143', async () => {
    const out = await ecs.send(new RunTaskCommand(runInput({ SIM_RUN_SECONDS: '600' })))
    const arn = out.tasks?.[0]?.taskArn ?? ''
    await clock.advance(3000)
    const stop = await ecs.send(
      new StopTaskCommand({ cluster: 'batch', task: arn, reason: 'Stopped by hako stop_oneshot' })
    )
    expect(stop.task).toMatchObject({
      lastStatus: 'RUNNING',
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated'
    })
    await clock.advance(1000)
    const t = await describeOne(arn)
    expect(t).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'Stopped by hako stop_oneshot'
    })
    expect(t.containers?.[0]?.exitCode).toBe(143)
  })

  it.each([
    [
      'SIM_SIGTERM_EXIT_CODE=none: no exit code',
      { SIM_SIGTERM_EXIT_CODE: 'none' },
      1000,
      undefined
    ],
    [
      'SIM_IGNORE_SIGTERM: killed with 137 after the 30 s stop timeout',
      { SIM_IGNORE_SIGTERM: '1' },
      30000,
      137
    ]
  ])('StopTask with %s', async (_, env, wait, code) => {
    const out = await ecs.send(new RunTaskCommand(runInput({ SIM_RUN_SECONDS: '600', ...env })))
    const arn = out.tasks?.[0]?.taskArn ?? ''
    await clock.advance(3000)
    await ecs.send(new StopTaskCommand({ cluster: 'batch', task: arn }))
    await clock.advance(wait - 1)
    expect((await describeOne(arn)).lastStatus).toBe('RUNNING')
    await clock.advance(1)
    const t = await describeOne(arn)
    expect(t.lastStatus).toBe('STOPPED')
    expect(t.containers?.[0]?.exitCode).toBe(code)
  })

  it('StopTask before the task runs leaves every container without an exit code', async () => {
    const out = await ecs.send(new RunTaskCommand(runInput({})))
    const arn = out.tasks?.[0]?.taskArn ?? ''
    await ecs.send(new StopTaskCommand({ cluster: 'batch', task: arn, reason: 'cancelled' }))
    await clock.advance(5000)
    const t = await describeOne(arn)
    expect(t).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'cancelled',
      version: 3
    })
    expect(t.startedAt).toBeUndefined()
    expect(t.containers?.[0]).toMatchObject({ lastStatus: 'STOPPED' })
    expect(t.containers?.[0]?.exitCode).toBeUndefined()
  })

  it('SIM_INCOMPLETE_STOP: a STOPPED state without exit codes, then a newer complete one (docs/ecs-events.md, "STOPPED without exit codes")', async () => {
    const out = await ecs.send(
      new RunTaskCommand(
        runInput({ SIM_RUN_SECONDS: '5', SIM_EXIT_CODE: '2', SIM_INCOMPLETE_STOP: '1' })
      )
    )
    const arn = out.tasks?.[0]?.taskArn ?? ''
    await clock.advance(3000 + 5000 + 1000)
    const first = await describeOne(arn)
    expect(first.lastStatus).toBe('STOPPED')
    expect(first.containers?.[0]?.exitCode).toBeUndefined()
    await clock.advance(2000)
    const second = await describeOne(arn)
    expect(second.containers?.[0]?.exitCode).toBe(2)
    expect(second.version).toBe((first.version ?? 0) + 1)
    const stoppedEvents = local
      .events()
      .filter((e) => e.detail.taskArn === arn && e.detail.lastStatus === 'STOPPED')
    expect(stoppedEvents.map((e) => [e.detail.version, e.detail.containers[0]?.exitCode])).toEqual([
      [first.version, undefined],
      [second.version, 2]
    ])
  })

  it('sends epoch-second timestamps on the wire, as the JSON protocol does', async () => {
    const out = await ecs.send(new RunTaskCommand(runInput({})))
    const arn = out.tasks?.[0]?.taskArn ?? ''
    const response = await fetch(local.ecsEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeTasks'
      },
      body: JSON.stringify({
        cluster: 'batch',
        tasks: [arn, 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/nope']
      })
    })
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1')
    const body = (await response.json()) as { tasks: { createdAt: unknown }[]; failures: unknown[] }
    expect(body.tasks[0]?.createdAt).toBe(clock.now() / 1000)
    expect(body.failures).toEqual([
      { arn: 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/nope', reason: 'MISSING' }
    ])
  })

  it('answers MISSING for unknown tasks and rejects more than 100', async () => {
    const out = await ecs.send(new DescribeTasksCommand({ cluster: 'batch', tasks: ['0123'] }))
    expect(out).toMatchObject({ tasks: [], failures: [{ arn: '0123', reason: 'MISSING' }] })
    await expect(
      ecs.send(
        new DescribeTasksCommand({
          cluster: 'batch',
          tasks: Array.from({ length: 101 }, (_, i) => String(i))
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidParameterException' })
  })

  it('returns the same tasks for the same clientToken and request', async () => {
    const input = runInput({ SIM_RUN_SECONDS: '60' }, { clientToken: 'job-42', count: 2 })
    const first = await ecs.send(new RunTaskCommand(input))
    const again = await ecs.send(new RunTaskCommand(input))
    expect(first.tasks).toHaveLength(2)
    expect(again.tasks?.map((t) => t.taskArn)).toEqual(first.tasks?.map((t) => t.taskArn))
    await expect(
      ecs.send(new RunTaskCommand({ ...input, startedBy: 'someone else' }))
    ).rejects.toMatchObject({
      name: 'ConflictException',
      resourceIds: first.tasks?.map((t) => t.taskArn)
    })
  })

  it('answers scripted capacity failures to the same request under any token, then starts the task', async () => {
    const input = runInput({ SIM_CAPACITY_FAILURES: '2' }, { clientToken: 'capacity-1' })
    const reasons: string[] = []
    for (let i = 0; i < 3; i++) {
      const out = await ecs.send(new RunTaskCommand({ ...input, clientToken: `capacity-${i}` }))
      reasons.push(out.failures?.[0]?.reason ?? `started ${out.tasks?.length}`)
    }
    const capacity =
      'Capacity is unavailable at this time. Please try again later or in a different availability zone'
    expect(reasons).toEqual([capacity, capacity, 'started 1'])
  })

  it('propagates definition tags, adds request tags and lists tasks by startedBy', async () => {
    const out = await ecs.send(
      new RunTaskCommand(
        runInput(
          {},
          {
            propagateTags: 'TASK_DEFINITION',
            tags: [{ key: 'job', value: '7' }],
            startedBy: 'tagger',
            group: 'g1'
          }
        )
      )
    )
    const arn = out.tasks?.[0]?.taskArn ?? ''
    expect(out.tasks?.[0]?.group).toBe('g1')
    const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))
    expect(tags.tags).toEqual([
      { key: 'team', value: 'data' },
      { key: 'job', value: '7' }
    ])
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster: 'batch', tasks: [arn], include: ['TAGS'] })
    )
    expect(described.tasks?.[0]?.tags).toEqual(tags.tags)
    const listed = await ecs.send(new ListTasksCommand({ cluster: 'batch', startedBy: 'tagger' }))
    expect(listed.taskArns).toEqual([arn])
  })

  it.each([
    [
      'an unknown cluster',
      'ClusterNotFoundException',
      runInput({}, { cluster: 'nope' }),
      'Cluster not found.'
    ],
    [
      'an unknown definition',
      'InvalidParameterException',
      runInput({}, { taskDefinition: 'nope-oneshot' }),
      'TaskDefinition not found.'
    ],
    [
      'count 11',
      'InvalidParameterException',
      runInput({}, { count: 11 }),
      'Count must be between 1 and 10.'
    ]
  ])('RunTask with %s fails with %s', async (_, name, input, message) => {
    await expect(ecs.send(new RunTaskCommand(input))).rejects.toMatchObject({
      name,
      message,
      $metadata: { httpStatusCode: 400 }
    })
  })

  it('StopTask of an unknown task fails with InvalidParameterException', async () => {
    await expect(
      ecs.send(new StopTaskCommand({ cluster: 'batch', task: 'f'.repeat(32) }))
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'The referenced task was not found.'
    })
  })
})

describe('container instances', () => {
  let local: LocalAws
  let ecs: ECSClient
  let clock: FakeClock
  beforeAll(async () => {
    ;({ local, ecs, clock } = await start({
      fleet: { ec2: { instances: 1, cpu: 1024, memory: 300 } }
    }))
    await register(ecs)
  })
  afterEach(async () => {
    await clock.advance(60_000)
  })
  afterAll(async () => {
    ecs.destroy()
    await local.close()
  })

  it('places tasks on the fleet and answers RESOURCE:MEMORY when it is full', async () => {
    const first = await ecs.send(
      new RunTaskCommand(runInput({ SIM_RUN_SECONDS: '10' }, { cluster: 'ec2', count: 3 }))
    )
    expect(first.tasks).toHaveLength(2)
    const [instanceArn] =
      (await ecs.send(new ListContainerInstancesCommand({ cluster: 'ec2' })))
        .containerInstanceArns ?? []
    expect(first.failures).toEqual([{ arn: instanceArn, reason: 'RESOURCE:MEMORY' }])
    expect(first.tasks?.[0]?.containerInstanceArn).toBe(instanceArn)
    const described = await ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: 'ec2',
        containerInstances: [instanceArn ?? '']
      })
    )
    const instance = described.containerInstances?.[0]
    expect(instance).toMatchObject({ status: 'ACTIVE', agentConnected: true, runningTasksCount: 2 })
    expect(instance?.remainingResources?.find((r) => r.name === 'MEMORY')?.integerValue).toBe(44)
    expect(instance?.registeredResources?.find((r) => r.name === 'CPU')?.integerValue).toBe(1024)
  })

  it('frees the room when tasks stop, and scales out through addContainerInstances', async () => {
    const arns = local.ecs.addContainerInstances('ec2', 1, { cpu: 1024, memory: 300 })
    const out = await ecs.send(new RunTaskCommand(runInput({}, { cluster: 'ec2', count: 4 })))
    expect(out.tasks).toHaveLength(4)
    expect(out.tasks?.filter((t) => t.containerInstanceArn === arns[0])).toHaveLength(2)
  })

  it('answers "No Container Instances were found in your cluster." for an empty fleet', async () => {
    const { local: other, ecs: client } = await start({ fleet: { empty: { instances: 0 } } })
    await register(client)
    await expect(
      client.send(new RunTaskCommand(runInput({}, { cluster: 'empty' })))
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'No Container Instances were found in your cluster.'
    })
    client.destroy()
    await other.close()
  })
})

describe('DescribeServices', () => {
  it('answers the services given as options with their network, the others as MISSING', async () => {
    const network = {
      subnets: ['subnet-0a1'],
      securityGroups: ['sg-0b2'],
      assignPublicIp: 'DISABLED' as const
    }
    const { local, ecs } = await start({ services: { 'prod/web': network } })
    try {
      const out = await ecs.send(
        new DescribeServicesCommand({ cluster: 'prod', services: ['web', 'api'] })
      )
      expect(out.services).toEqual([
        {
          serviceArn: `arn:aws:ecs:${REGION}:${ACCT}:service/prod/web`,
          serviceName: 'web',
          clusterArn: `arn:aws:ecs:${REGION}:${ACCT}:cluster/prod`,
          status: 'ACTIVE',
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: network }
        }
      ])
      expect(out.failures).toEqual([
        { arn: `arn:aws:ecs:${REGION}:${ACCT}:service/prod/api`, reason: 'MISSING' }
      ])
      await expect(
        ecs.send(
          new DescribeServicesCommand({
            cluster: 'prod',
            services: Array.from({ length: 11 }, (_, i) => `s${i}`)
          })
        )
      ).rejects.toThrow('Too many services were specified. The maximum is 10.')
      expect(local.stats().ecs.calls.DescribeServices).toBe(2)
    } finally {
      ecs.destroy()
      await local.close()
    }
  })
})
