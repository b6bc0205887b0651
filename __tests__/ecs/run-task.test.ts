import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import {
  DescribeContainerInstancesCommand,
  ECSClient,
  ListContainerInstancesCommand,
  RunTaskCommand,
  type ContainerInstance,
  type RunTaskCommandInput,
  type Task
} from '@aws-sdk/client-ecs'
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  type AutoScalingGroup,
  type Instance,
  type LifecycleState
} from '@aws-sdk/client-auto-scaling'
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns'
import {
  formatFailure,
  isClearableFailure,
  runTask,
  RUN_TASK_CAPACITY_BASE_MS,
  RUN_TASK_CAPACITY_CAP_MS,
  RUN_TASK_MAX_TRANSIENT_ATTEMPTS,
  RUN_TASK_TRANSIENT_BASE_MS,
  RUN_TASK_TRANSIENT_CAP_MS,
  type RunTaskOptions
} from '../../src/ecs/run-task.js'
import { hasCapacity, taskResourcesOf } from '../../src/ecs/scale-out.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'
import { UserError } from '../../src/util/errors.js'
import {
  accessDenied,
  clientException,
  invalidParameter,
  networkError,
  serverException,
  throttling
} from './ecs-errors.js'
import { registerRequest } from './fixtures.js'

const ecsMock = mockClient(ECSClient)
const asMock = mockClient(AutoScalingClient)
const snsMock = mockClient(SNSClient)

const TD = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:8'
const TASK_ARN =
  'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'
const TOKEN = '6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f'
const REQUEST: RunTaskCommandInput = {
  cluster: 'batch',
  taskDefinition: TD,
  count: 1,
  startedBy: 'gha-9876543210-1',
  group: 'nightly',
  propagateTags: 'TASK_DEFINITION',
  overrides: {
    containerOverrides: [
      { name: 'app', command: ['rake', 'shard[3]'], environment: [{ name: 'SHARD', value: '3' }] }
    ]
  },
  tags: [{ key: 'github:run-id', value: '9876543210' }]
}
const TASK: Task = { taskArn: TASK_ARN, lastStatus: 'PROVISIONING', taskDefinitionArn: TD }
const SENT = { ...REQUEST, clientToken: TOKEN }

let clock: FakeClock
let logger: MemoryLogger
let random: number
let started: Task[][]
const deps = () => ({
  ecs: new ECSClient({ region: 'ap-northeast-1' }),
  autoScaling: new AutoScalingClient({ region: 'ap-northeast-1' }),
  sns: new SNSClient({ region: 'ap-northeast-1' }),
  nextClientToken: () => `token-${++tokens}`,
  clock,
  random: () => random,
  logger
})
/** Fresh tokens after a capacity answer: token-2, token-3, ... */
let tokens = 1
const options = (extra: Partial<RunTaskOptions> = {}): RunTaskOptions => ({
  request: REQUEST,
  clientToken: TOKEN,
  deadline: 600000,
  onStarted: (tasks) => void started.push(tasks),
  ...extra
})
const runTaskInputs = () => ecsMock.commandCalls(RunTaskCommand).map((c) => c.args[0].input)
const failure = (reason: string, detail?: string) => ({
  tasks: [],
  failures: [
    { arn: 'arn:aws:ecs:ap-northeast-1:123456789012:container-instance/batch/ci-1', reason, detail }
  ]
})

beforeEach(() => {
  ecsMock.reset()
  asMock.reset()
  snsMock.reset()
  clock = new FakeClock(0)
  logger = memoryLogger()
  random = 0.5
  started = []
  tokens = 1
})

describe('runTask', () => {
  it('sends the complete request with the client token and reports the started task at once', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [TASK], failures: [] })
    const tasks = await clock.run(runTask(deps(), options()))
    expect(tasks).toEqual([TASK])
    expect(runTaskInputs()).toEqual([SENT])
    expect(started).toEqual([[TASK]])
    expect(logger.of('info')).toEqual([`Started task: ${TASK_ARN}`])
  })

  it.each([
    ['throttling', throttling()],
    ['a 5xx ServerException', serverException()],
    ['a network error', networkError()]
  ])(
    'retries %s with the same clientToken (clientToken makes RunTask idempotent, docs/limits.md, "RunTask clientToken")',
    async (_n, error) => {
      ecsMock
        .on(RunTaskCommand)
        .rejectsOnce(error)
        .rejectsOnce(error)
        .resolves({ tasks: [TASK] })
      random = 0.999
      const tasks = await clock.run(runTask(deps(), options()))
      expect(tasks).toEqual([TASK])
      expect(runTaskInputs()).toEqual([SENT, SENT, SENT])
      expect(clock.sleeps).toEqual([
        Math.floor(0.999 * RUN_TASK_TRANSIENT_BASE_MS),
        Math.floor(0.999 * 2 * RUN_TASK_TRANSIENT_BASE_MS)
      ])
    }
  )

  it('gives up on transient errors after a bounded number of attempts, delays within full-jitter bounds', async () => {
    ecsMock.on(RunTaskCommand).rejects(serverException())
    random = 0.999999
    const error = await clock.run(runTask(deps(), options())).catch((e: unknown) => e)
    expect(error).not.toBeInstanceOf(UserError)
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Could not start a task of '${TD}' on cluster 'batch': RunTask failed 8 times in a row; last error: ServerException`
      )
    )
    expect(runTaskInputs()).toHaveLength(RUN_TASK_MAX_TRANSIENT_ATTEMPTS)
    expect(new Set(runTaskInputs().map((i) => i.clientToken))).toEqual(new Set([TOKEN]))
    expect(clock.sleeps).toHaveLength(RUN_TASK_MAX_TRANSIENT_ATTEMPTS - 1)
    clock.sleeps.forEach((ms, i) => {
      const ceiling = Math.min(RUN_TASK_TRANSIENT_CAP_MS, RUN_TASK_TRANSIENT_BASE_MS * 2 ** i)
      expect(ms).toBeGreaterThanOrEqual(0)
      expect(ms).toBeLessThan(ceiling)
    })
    expect(started).toEqual([])
  })

  it('waits out throttling until the start deadline, not for a fixed number of attempts (a shared bucket, docs/limits.md, "Token buckets")', async () => {
    ecsMock
      .on(RunTaskCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .resolves({ tasks: [TASK] })
    random = 0.999999
    const tasks = await clock.run(runTask(deps(), options()))
    expect(tasks).toEqual([TASK])
    expect(runTaskInputs()).toHaveLength(11)
    expect(new Set(runTaskInputs().map((i) => i.clientToken))).toEqual(new Set([TOKEN]))
    clock.sleeps.forEach((ms, i) => {
      expect(ms).toBeLessThan(
        Math.min(RUN_TASK_TRANSIENT_CAP_MS, RUN_TASK_TRANSIENT_BASE_MS * 2 ** i)
      )
    })
  })

  it('stops waiting out throttling at the start deadline', async () => {
    ecsMock.on(RunTaskCommand).rejects(throttling())
    random = 0.999999
    const error = await clock
      .run(runTask(deps(), { ...options(), deadline: 60_000 }))
      .catch((e: unknown) => e)
    expect((error as Error).message).toMatch(
      /RunTask failed \d+ times in a row; last error: ThrottlingException: Rate exceeded$/
    )
    expect(clock.now()).toBeGreaterThanOrEqual(60_000)
    expect(started).toEqual([])
  })

  it.each([
    ['RESOURCE:MEMORY', failure('RESOURCE:MEMORY')],
    ['RESOURCE:CPU', failure('RESOURCE:CPU')],
    ['RESOURCE:PORTS', failure('RESOURCE:PORTS')],
    ['AGENT', failure('AGENT')],
    [
      'capacity unavailable',
      failure(
        'Capacity is unavailable at this time. Please try again later or in a different availability zone'
      )
    ]
  ])(
    'retries the clearable failure %s with backoff, each time under a fresh clientToken',
    async (_n, answer) => {
      ecsMock
        .on(RunTaskCommand)
        .resolvesOnce(answer)
        .resolvesOnce(answer)
        .resolves({ tasks: [TASK] })
      random = 0.999
      const tasks = await clock.run(runTask(deps(), options()))
      expect(tasks).toEqual([TASK])
      // Nothing started: ECS may replay a token's answer, so each retry is a new request.
      expect(runTaskInputs()).toEqual([
        SENT,
        { ...REQUEST, clientToken: 'token-2' },
        { ...REQUEST, clientToken: 'token-3' }
      ])
      expect(clock.sleeps).toEqual([
        Math.floor(0.999 * RUN_TASK_CAPACITY_BASE_MS),
        Math.floor(0.999 * 2 * RUN_TASK_CAPACITY_BASE_MS)
      ])
      expect(logger.of('info')[0]).toBe(
        `RunTask started no task: ${answer.failures[0]!.reason} for arn:aws:ecs:ap-northeast-1:123456789012:container-instance/batch/ci-1`
      )
    }
  )

  it('treats "No Container Instances were found in your cluster." as capacity, as hako does', async () => {
    ecsMock
      .on(RunTaskCommand)
      .rejectsOnce(invalidParameter('No Container Instances were found in your cluster.'))
      .resolves({ tasks: [TASK] })
    expect(await clock.run(runTask(deps(), options()))).toEqual([TASK])
    expect(runTaskInputs()).toHaveLength(2)
  })

  it('gives up at the deadline with ECS reason and a way out, never sleeping past it', async () => {
    ecsMock.on(RunTaskCommand).resolves(failure('RESOURCE:CPU'))
    random = 0.999999
    const error = await clock
      .run(runTask(deps(), options({ deadline: 60000 })))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toBe(
      `Could not start a task of '${TD}' on cluster 'batch' before the deadline (1970-01-01T00:01:00.000Z): ` +
        'ECS answered RESOURCE:CPU for arn:aws:ecs:ap-northeast-1:123456789012:container-instance/batch/ci-1. ' +
        "Add capacity to the cluster (a capacity provider, or scheduler.autoscaling_group_for_oneshot), or raise the 'timeout' input."
    )
    expect(clock.now()).toBe(60000)
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(60000)
    clock.sleeps.forEach((ms, i) =>
      expect(ms).toBeLessThan(
        Math.min(RUN_TASK_CAPACITY_CAP_MS, RUN_TASK_CAPACITY_BASE_MS * 2 ** i)
      )
    )
    const sent = runTaskInputs().map((i) => i.clientToken)
    expect(sent[0]).toBe(TOKEN)
    expect(new Set(sent).size).toBe(sent.length)
  })

  it('adopts the tasks a ConflictException names (the token already started them)', async () => {
    ecsMock.on(RunTaskCommand).rejects(
      Object.assign(new Error('The provided clientToken is already in use'), {
        name: 'ConflictException',
        resourceIds: [TASK_ARN],
        $metadata: { httpStatusCode: 400 }
      })
    )
    const tasks = await clock.run(runTask(deps(), options()))
    expect(tasks).toEqual([{ taskArn: TASK_ARN }])
    expect(started).toEqual([[{ taskArn: TASK_ARN }]])
    expect(logger.of('info')).toEqual([
      `RunTask's client token is already in use; taking the tasks it started: ${TASK_ARN}`,
      `Started task: ${TASK_ARN}`
    ])
  })

  it.each<[string, () => void, string]>([
    [
      'a MISSING task definition',
      () =>
        ecsMock
          .on(RunTaskCommand)
          .resolves({ tasks: [], failures: [{ arn: TD, reason: 'MISSING' }] }),
      `Could not start a task of '${TD}' on cluster 'batch': ECS answered MISSING for ${TD}.`
    ],
    [
      'an INACTIVE task definition',
      () =>
        ecsMock
          .on(RunTaskCommand)
          .resolves({ tasks: [], failures: [{ arn: TD, reason: 'INACTIVE' }] }),
      `Could not start a task of '${TD}' on cluster 'batch': ECS answered INACTIVE for ${TD}.`
    ],
    [
      'a ClientException',
      () => ecsMock.on(RunTaskCommand).rejects(clientException('TaskDefinition not found.')),
      `Could not start a task of '${TD}' on cluster 'batch': ClientException: TaskDefinition not found.`
    ],
    [
      'invalid parameters',
      () =>
        ecsMock
          .on(RunTaskCommand)
          .rejects(
            invalidParameter(
              "Network Configuration must be provided when networkMode 'awsvpc' is specified."
            )
          ),
      `Could not start a task of '${TD}' on cluster 'batch': InvalidParameterException: Network Configuration must be provided when networkMode 'awsvpc' is specified.`
    ],
    [
      'access denied',
      () =>
        ecsMock
          .on(RunTaskCommand)
          .rejects(accessDenied('User is not authorized to perform: ecs:RunTask')),
      `Could not start a task of '${TD}' on cluster 'batch': AccessDeniedException: User is not authorized to perform: ecs:RunTask.`
    ]
  ])('fails at once on %s, with ECS reason', async (_n, arrange, message) => {
    arrange()
    const error = await clock.run(runTask(deps(), options())).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toBe(message)
    expect(runTaskInputs()).toHaveLength(1)
    expect(clock.sleeps).toEqual([])
  })

  it('returns the tasks it started and warns about the rest when count > 1 partly fails', async () => {
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [TASK], failures: [{ reason: 'RESOURCE:MEMORY' }] })
    expect(
      await clock.run(runTask(deps(), options({ request: { ...REQUEST, count: 2 } })))
    ).toEqual([TASK])
    expect(logger.of('warning')).toEqual(['RunTask could not start every task: RESOURCE:MEMORY'])
  })

  it('stops waiting when cancelled', async () => {
    ecsMock.on(RunTaskCommand).resolves(failure('RESOURCE:MEMORY'))
    const controller = new AbortController()
    const promise = runTask(deps(), options({ signal: controller.signal }))
    await clock.advance(100)
    controller.abort()
    const error = await clock.run(promise).catch((e: unknown) => e)
    expect((error as Error).message).toBe(
      `Cancelled before starting a task of '${TD}' on cluster 'batch'`
    )
  })
})

describe('isClearableFailure', () => {
  it.each([
    ['RESOURCE:CPU', true],
    ['RESOURCE:ENI', true],
    ['AGENT', true],
    ['ATTRIBUTE', true],
    ['Capacity is unavailable at this time. Please try again later', true],
    ['MISSING', false],
    ['INACTIVE', false],
    [undefined, false]
  ])('%s -> %s', (reason, expected) => {
    expect(isClearableFailure(reason)).toBe(expected)
  })
})

describe('taskResourcesOf and hasCapacity (hako has_capacity?)', () => {
  it('sums container cpu and memoryReservation-or-memory without task-level size', () => {
    expect(taskResourcesOf(registerRequest('batch'))).toEqual({ cpu: 320, memory: 768 })
  })
  it('takes the task-level size when set', () => {
    expect(taskResourcesOf(registerRequest('fargate'))).toEqual({ cpu: 512, memory: 1024 })
  })
  it('fits when one instance has both', () => {
    const ci = (cpu: number, memory: number): ContainerInstance => ({
      remainingResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: cpu },
        { name: 'MEMORY', type: 'INTEGER', integerValue: memory }
      ]
    })
    expect(hasCapacity({ cpu: 320, memory: 768 }, [ci(1024, 512), ci(256, 2048)])).toBe(false)
    expect(hasCapacity({ cpu: 320, memory: 768 }, [ci(1024, 512), ci(320, 768)])).toBe(true)
  })
})

describe('runTask with autoscaling_group_for_oneshot (docs/hako.md, "Capacity", hako try_scale_out_with_as)', () => {
  const GROUP = 'batch-asg'
  const NEEDED = { cpu: 320, memory: 768 }
  const instance = (id: string, state: LifecycleState = 'InService'): Instance => ({
    InstanceId: id,
    LifecycleState: state,
    AvailabilityZone: 'a',
    HealthStatus: 'Healthy',
    ProtectedFromScaleIn: false
  })
  const asg = (
    desired: number,
    max: number,
    instances: Instance[]
  ): { AutoScalingGroups: AutoScalingGroup[] } => ({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: GROUP,
        DesiredCapacity: desired,
        MinSize: 0,
        MaxSize: max,
        Instances: instances,
        DefaultCooldown: 300,
        AvailabilityZones: ['a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0)
      }
    ]
  })
  const containerInstances = (...list: [string, number, number][]) => ({
    containerInstances: list.map(([ec2, cpu, memory]) => ({
      containerInstanceArn: `arn:ci/${ec2}`,
      ec2InstanceId: ec2,
      status: 'ACTIVE',
      agentConnected: true,
      remainingResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: cpu },
        { name: 'MEMORY', type: 'INTEGER', integerValue: memory }
      ]
    }))
  })
  const asgOptions = (extra: Partial<RunTaskOptions> = {}) =>
    options({ autoscalingGroup: GROUP, taskResources: NEEDED, ...extra })

  beforeEach(() => {
    ecsMock
      .on(ListContainerInstancesCommand)
      .resolves({ containerInstanceArns: ['arn:ci/i-1', 'arn:ci/i-2'] })
  })

  it('sets desired capacity to InService + 1 when the group is settled, then retries RunTask once there is room', async () => {
    ecsMock
      .on(RunTaskCommand)
      .resolvesOnce(failure('RESOURCE:MEMORY'))
      .resolves({ tasks: [TASK] })
    asMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce(asg(2, 4, [instance('i-1'), instance('i-2')]))
      .resolves(asg(3, 4, [instance('i-1'), instance('i-2'), instance('i-3')]))
    ecsMock
      .on(DescribeContainerInstancesCommand)
      .resolvesOnce(containerInstances(['i-1', 1024, 256], ['i-2', 128, 4096]))
      .resolves(containerInstances(['i-1', 1024, 256], ['i-2', 128, 4096], ['i-3', 2048, 8192]))
    expect(await clock.run(runTask(deps(), asgOptions()))).toEqual([TASK])
    expect(asMock.commandCalls(SetDesiredCapacityCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: GROUP, DesiredCapacity: 3 }
    ])
    expect(asMock.commandCalls(DescribeAutoScalingGroupsCommand)[0]!.args[0].input).toEqual({
      AutoScalingGroupNames: [GROUP]
    })
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)[0]!.args[0].input).toEqual({
      cluster: 'batch',
      nextToken: undefined
    })
    expect(ecsMock.commandCalls(DescribeContainerInstancesCommand)[0]!.args[0].input).toEqual({
      cluster: 'batch',
      containerInstances: ['arn:ci/i-1', 'arn:ci/i-2']
    })
    expect(runTaskInputs()).toEqual([SENT, { ...REQUEST, clientToken: 'token-2' }])
    expect(logger.of('info')).toEqual([
      'RunTask started no task: RESOURCE:MEMORY for arn:aws:ecs:ap-northeast-1:123456789012:container-instance/batch/ci-1',
      "Unable to start the task. Trying to scale out Auto Scaling group 'batch-asg'",
      'Increment desired capacity of batch-asg from 2 to 3',
      "There's remaining capacity. Retrying RunTask",
      `Started task: ${TASK_ARN}`
    ])
  })

  it.each([
    [
      'desired capacity differs from InService',
      asg(3, 4, [instance('i-1'), instance('i-2'), instance('i-3', 'Pending')])
    ],
    [
      'an instance is not yet a container instance',
      asg(3, 4, [instance('i-1'), instance('i-2'), instance('i-3')])
    ]
  ])('waits without scaling while the group is not settled: %s', async (_n, group) => {
    ecsMock
      .on(RunTaskCommand)
      .resolvesOnce(failure('RESOURCE:MEMORY'))
      .resolves({ tasks: [TASK] })
    asMock.on(DescribeAutoScalingGroupsCommand).resolves(group)
    ecsMock
      .on(DescribeContainerInstancesCommand)
      .resolvesOnce(containerInstances(['i-1', 0, 0], ['i-2', 0, 0]))
      .resolvesOnce(containerInstances(['i-1', 0, 0], ['i-2', 0, 0]))
      .resolves(containerInstances(['i-1', 0, 0], ['i-2', 4096, 4096]))
    expect(await clock.run(runTask(deps(), asgOptions()))).toEqual([TASK])
    expect(asMock.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0)
    expect(clock.sleeps).toEqual([1000, 1000])
  })

  it('never raises the desired capacity above MaxSize: waits for room and gives up at the deadline', async () => {
    ecsMock.on(RunTaskCommand).resolves(failure('RESOURCE:CPU'))
    asMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(asg(2, 2, [instance('i-1'), instance('i-2')]))
    ecsMock
      .on(DescribeContainerInstancesCommand)
      .resolves(containerInstances(['i-1', 0, 0], ['i-2', 0, 0]))
    const error = await clock
      .run(runTask(deps(), asgOptions({ deadline: 30000 })))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toBe(
      "No capacity for the task on cluster 'batch' before the deadline: Auto Scaling group 'batch-asg' " +
        '(scheduler.autoscaling_group_for_oneshot) gave no instance with 320 CPU units and 768 MiB free. ' +
        "Raise the group's MaxSize, free capacity, or raise the 'timeout' input."
    )
    expect(asMock.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0)
    expect(logger.of('info').filter((l) => l.includes('MaxSize'))).toEqual([
      'batch-asg is at its MaxSize (2); waiting for room on the cluster until 1970-01-01T00:00:30.000Z'
    ])
    expect(clock.now()).toBe(30000)
  })

  it('fails clearly when the group does not exist', async () => {
    ecsMock.on(RunTaskCommand).resolves(failure('RESOURCE:CPU'))
    asMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] })
    const error = await clock.run(runTask(deps(), asgOptions())).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toBe(
      "Auto Scaling group 'batch-asg' (scheduler.autoscaling_group_for_oneshot) does not exist in this region. Fix the name in the definition."
    )
  })

  it("publishes hako's message to autoscaling_topic_for_oneshot and retries RunTask after 10 s", async () => {
    ecsMock
      .on(RunTaskCommand)
      .resolvesOnce(failure('RESOURCE:MEMORY'))
      .resolves({ tasks: [TASK] })
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' })
    const topic = 'arn:aws:sns:ap-northeast-1:123456789012:scale-out'
    expect(await clock.run(runTask(deps(), asgOptions({ autoscalingTopic: topic })))).toEqual([
      TASK
    ])
    const message = JSON.stringify({
      group_name: GROUP,
      cluster: 'batch',
      cpu: 320,
      memory: 768,
      hako_task_id: TOKEN
    })
    expect(message).toBe(
      `{"group_name":"batch-asg","cluster":"batch","cpu":320,"memory":768,"hako_task_id":"${TOKEN}"}`
    )
    expect(snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      { TopicArn: topic, Message: message }
    ])
    expect(clock.sleeps).toEqual([10000])
    expect(asMock.commandCalls(SetDesiredCapacityCommand)).toHaveLength(0)
    expect(logger.of('info')).toContain(
      `Unable to start the task. Publish message to ${topic}: ${message}`
    )
    expect(logger.of('info')).toContain('Sent message_id=m-1')
  })
})

describe('formatFailure', () => {
  it.each([
    [
      'reason, detail and ARN',
      { reason: 'RESOURCE:MEMORY', detail: 'no room', arn: 'arn:aws:ecs:x' },
      'RESOURCE:MEMORY (no room) for arn:aws:ecs:x'
    ],
    ['no reason', {}, 'unknown reason'],
    [
      'a detail carrying commands',
      { reason: 'MISSING', detail: 'x\n::warning::w ##[error]e' },
      'MISSING (x\\n::warning::w ##\\[error]e)'
    ]
  ])('%s', (_name, failure, expected) => {
    expect(formatFailure(failure)).toBe(expected)
  })
})

describe('runTask under an account quota (docs/limits.md, "Account quotas")', () => {
  const VCPU = "You've reached the limit on the number of vCPUs you can run concurrently"
  const TASKS = "You've reached the limit on the number of tasks you can run concurrently"
  const CLUSTER_ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch'
  const quotaFailure = (reason: string) => ({
    tasks: [],
    failures: [{ arn: CLUSTER_ARN, reason }]
  })
  const VCPU_NAME =
    'Fargate vCPU quota (Fargate On-Demand vCPU resource count, L-3032A538; Spot: L-36FBB829)'

  it('waits for room instead of failing, says so once, and spreads retries by the fan-out width', async () => {
    ecsMock
      .on(RunTaskCommand)
      .resolvesOnce(quotaFailure(VCPU))
      .resolvesOnce(quotaFailure(VCPU))
      .resolvesOnce(quotaFailure(VCPU))
      .resolves({ tasks: [TASK] })
    random = 0.5
    const waited: [number, string][] = []
    const tasks = await clock.run(
      runTask(
        deps(),
        options({
          fanOutWidth: 60,
          onRoomWaited: (ms, quota) => void waited.push([ms, quota.kind])
        })
      )
    )
    expect(tasks).toEqual([TASK])
    // 60 tasks share half of 40 a second: each retries at least 60 / 20 = 3 s after its last,
    // equal jitter over [3 s, 6 s]; random 0.5 gives 4.5 s (until the backoff passes 6 s).
    expect(clock.sleeps).toEqual([4500, 4500, 6000])
    expect(runTaskInputs().map((i) => i.clientToken)).toEqual([
      TOKEN,
      'token-2',
      'token-3',
      'token-4'
    ])
    expect(waited).toEqual([[15000, 'fargate-vcpu']])
    expect(logger.of('info')).toEqual([
      `Waiting for room under the account's ${VCPU_NAME}: RunTask answered ${VCPU} for ${CLUSTER_ARN}. ` +
        "Retrying until 1970-01-01T00:10:00.000Z (10m 0s from now: the start deadline, which is the 'timeout' " +
        "input, else 10 minutes), at first every 3.0 to 6.0 s, spread over the fan-out's 60 task(s). " +
        'To wait less, raise the quota in Service Quotas or lower max-parallel.',
      `Started task: ${TASK_ARN}`
    ])
    expect(logger.of('debug')).toEqual([
      `RunTask started no task (${VCPU} for ${CLUSTER_ARN}); retrying in 4.5 s`,
      `RunTask started no task (${VCPU} for ${CLUSTER_ARN}); retrying in 6.0 s`
    ])
  })

  it('prints the line once per job: a quota already announced by another call of the set is not repeated', async () => {
    ecsMock
      .on(RunTaskCommand)
      .resolvesOnce(quotaFailure(TASKS))
      .resolves({ tasks: [TASK] })
    const announced = new Set<'fargate-vcpu' | 'fargate-tasks' | 'provisioning'>(['fargate-tasks'])
    await clock.run(runTask(deps(), options({ announcedQuotas: announced })))
    expect(logger.of('info')).toEqual([`Started task: ${TASK_ARN}`])
  })

  it('retries the PROVISIONING limit, which ECS answers as a ClientException, under a fresh token', async () => {
    ecsMock
      .on(RunTaskCommand)
      .rejectsOnce(clientException('Tasks provisioning capacity limit exceeded.'))
      .resolves({ tasks: [TASK] })
    random = 0
    expect(await clock.run(runTask(deps(), options()))).toEqual([TASK])
    expect(runTaskInputs().map((i) => i.clientToken)).toEqual([TOKEN, 'token-2'])
    // Width 1: the floor is the capacity backoff, 2 s / 2 = 1 s, to 2 s.
    expect(clock.sleeps).toEqual([1000])
    expect(logger.of('info')[0]).toMatch(
      /^Waiting for room under the account's limit of tasks in the PROVISIONING state \(Tasks in PROVISIONING state per cluster, L-B7718569\): RunTask answered Tasks provisioning capacity limit exceeded\. Retrying/
    )
  })

  it('gives up at the start deadline naming the quota and the ways out, never sleeping past it', async () => {
    ecsMock.on(RunTaskCommand).resolves(quotaFailure(VCPU))
    random = 0.999
    const error = await clock
      .run(runTask(deps(), options({ deadline: 100_000, fanOutWidth: 1000 })))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toBe(
      `Could not start a task of '${TD}' on cluster 'batch' before the deadline (1970-01-01T00:01:40.000Z): ` +
        `the account's ${VCPU_NAME} stayed full (ECS answered ${VCPU} for ${CLUSTER_ARN}). Raise the quota in ` +
        "Service Quotas, run fewer tasks at once (max-parallel), or raise the 'timeout' input."
    )
    // 1,000 tasks: at least 50 s between a task's retries; the second wait is cut at the deadline.
    expect(clock.sleeps).toEqual([99950, 50])
    expect(clock.now()).toBe(100_000)
  })

  it('keeps failing at once for a reason that is no quota', async () => {
    ecsMock.on(RunTaskCommand).resolves(quotaFailure('MISSING'))
    const error = await clock.run(runTask(deps(), options())).catch((e: unknown) => e)
    expect((error as Error).message).toBe(
      `Could not start a task of '${TD}' on cluster 'batch': ECS answered MISSING for ${CLUSTER_ARN}.`
    )
    expect(runTaskInputs()).toHaveLength(1)
  })
})
