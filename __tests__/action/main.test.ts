/**
 * The main and post steps with every dependency faked: inputs from a map, ECS through
 * aws-sdk-client-mock, a fake clock, a memory logger and state store. The end-to-end tests run
 * the same code through dist/index.js against the simulator.
 */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  GetLogEventsCommand
} from '@aws-sdk/client-cloudwatch-logs'
import {
  AccessDeniedException,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  StopTaskCommand
} from '@aws-sdk/client-ecs'
import { S3Client } from '@aws-sdk/client-s3'
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling'
import { SNSClient } from '@aws-sdk/client-sns'
import type { AwsClients } from '../../src/aws/clients.js'
import { readInputs } from '../../src/inputs.js'
import { run, type MainDeps } from '../../src/main.js'
import { post } from '../../src/post.js'
import type { StateStore } from '../../src/state.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'

const ecsMock = mockClient(ECSClient)
const logsMock = mockClient(CloudWatchLogsClient)
const FIXTURE = '__fixtures__/e2e/oneshot.yml'
const TD_ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/oneshot-oneshot:3'
const TASK_ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/e2e/0123456789abcdef0123456789abcdef'

function memoryState(initial: Record<string, string> = {}): StateStore & {
  values: Record<string, string>
} {
  const values = { ...initial }
  return { values, save: (n, v) => (values[n] = v), get: (n) => values[n] ?? '' }
}

function clients(): AwsClients {
  const region = 'ap-northeast-1'
  return {
    region,
    ecs: new ECSClient({ region }),
    logs: new CloudWatchLogsClient({ region }),
    autoScaling: new AutoScalingClient({ region }),
    sns: new SNSClient({ region }),
    s3: () => new S3Client({ region })
  }
}

interface Harness {
  deps: MainDeps
  outputs: Record<string, string>
  failures: string[]
  logger: MemoryLogger
  state: ReturnType<typeof memoryState>
  summaries: string[]
}

function harness(inputs: Record<string, string>): Harness {
  const outputs: Record<string, string> = {}
  const failures: string[] = []
  const summaries: string[] = []
  const logger = memoryLogger()
  const state = memoryState()
  const deps: MainDeps = {
    readInputs: () =>
      readInputs(
        (name) => inputs[name] ?? '',
        () => {}
      ),
    createClients: () => Promise.resolve(clients()),
    logger,
    clock: new FakeClock(Date.parse('2026-11-28T00:00:00Z')),
    random: () => 0.5,
    state,
    env: { GITHUB_REPOSITORY: 'acme/batch', GITHUB_RUN_ID: '7', GITHUB_RUN_ATTEMPT: '1' },
    cancelSignal: new AbortController().signal,
    setFailed: (m) => failures.push(m),
    setOutput: (n, v) => (outputs[n] = v),
    writeSummary: (md) => {
      summaries.push(md)
      return Promise.resolve()
    }
  }
  return { deps, outputs, failures, logger, state, summaries }
}

beforeEach(() => {
  ecsMock.reset()
  logsMock.reset()
  // The app's stream was never created, unless a test says otherwise.
  logsMock.on(GetLogEventsCommand).rejects(
    new CloudWatchLogsServiceException({
      name: 'ResourceNotFoundException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'The specified log stream does not exist.'
    })
  )
})

describe('run', () => {
  it('marks the next run of the bundle as the post step before anything else', async () => {
    const h = harness({ definition: 'missing.yml', mode: 'dry-run' })
    await run(h.deps)
    expect(h.state.values.isPost).toBe('true')
  })

  it('fails once with the input errors, before loading anything', async () => {
    const h = harness({ definition: FIXTURE, wait: 'maybe' })
    await run(h.deps)
    expect(h.failures).toEqual(["Input 'wait' must be true or false, got 'maybe'"])
    expect(ecsMock.calls()).toHaveLength(0)
  })

  it('renders both requests in dry-run mode and sets them as outputs', async () => {
    const h = harness({ definition: FIXTURE, mode: 'dry-run', command: 'echo hi' })
    await run(h.deps)
    expect(h.failures).toEqual([])
    expect(Object.keys(h.outputs)).toEqual(['register-request', 'run-task-request'])
    expect(JSON.parse(h.outputs['run-task-request'] ?? '')).toMatchObject({
      cluster: 'e2e',
      taskDefinition: 'oneshot-oneshot',
      startedBy: 'gha-7-1',
      overrides: { containerOverrides: [{ name: 'app', command: ['echo', 'hi'] }] }
    })
    expect(h.logger.of('group')).toEqual([
      'Load the hako definition',
      'RegisterTaskDefinition request',
      'RunTask request'
    ])
    expect(ecsMock.calls()).toHaveLength(0)
  })

  it('shows the deadline tag in the dry-run RunTask request: start + timeout + 5 minutes', async () => {
    const h = harness({ definition: FIXTURE, mode: 'dry-run', timeout: '30m' })
    await run(h.deps)
    const start = Date.parse('2026-11-28T00:00:00Z') / 1000
    const request = JSON.parse(h.outputs['run-task-request'] ?? '') as { tags?: unknown }
    expect(request.tags).toEqual([
      { key: 'hako-oneshot:deadline', value: String(start + 1800 + 300) },
      { key: 'github:repository', value: 'acme/batch' },
      { key: 'github:run-id', value: '7' },
      { key: 'github:run-attempt', value: '1' }
    ])
  })

  it('rejects a bad notification prefix before any ECS call', async () => {
    const h = harness({ definition: FIXTURE, 'notification-prefix': 'https://bucket/x' })
    await run(h.deps)
    expect(h.failures).toHaveLength(1)
    expect(h.failures[0]).toBe(
      "input notification-prefix: not an s3:// URL, got 'https://bucket/x'; expected " +
        "'s3://<bucket>/<prefix>' (optionally '?region=<region>'), or 'none' to wait through " +
        'DescribeTasks'
    )
    expect(ecsMock.calls()).toHaveLength(0)
  })

  it('stops after resolving in register mode', async () => {
    const h = harness({ definition: FIXTURE, mode: 'register', 'task-definition': TD_ARN })
    await run(h.deps)
    expect(h.failures).toEqual([])
    expect(h.outputs).toEqual({ 'task-definition-arn': TD_ARN, registered: 'false' })
    expect(ecsMock.calls()).toHaveLength(0)
  })

  it('starts the task and returns with wait: false, leaving it running on purpose', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] })
    const h = harness({ definition: FIXTURE, 'task-definition': TD_ARN, wait: 'false' })
    await run(h.deps)
    expect(h.failures).toEqual([])
    expect(h.outputs).toEqual({
      'task-definition-arn': TD_ARN,
      registered: 'false',
      'task-arn': TASK_ARN,
      'task-id': '0123456789abcdef0123456789abcdef',
      'task-arns': JSON.stringify([TASK_ARN]),
      cluster: 'e2e'
    })
    expect(h.state.values.taskArns).toBe(JSON.stringify([TASK_ARN]))
    expect(h.state.values.settledArns).toBe(JSON.stringify([TASK_ARN]))
    const [call] = ecsMock.commandCalls(RunTaskCommand)
    expect(call?.args[0].input).toMatchObject({
      cluster: 'e2e',
      taskDefinition: TD_ARN,
      count: 1,
      startedBy: 'gha-7-1',
      launchType: 'FARGATE'
    })
    expect(call?.args[0].input.clientToken).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('stops and reports the task when the wait itself fails', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] })
    ecsMock
      .on(DescribeTasksCommand)
      .rejects(
        new AccessDeniedException({ message: 'not allowed', $metadata: { httpStatusCode: 400 } })
      )
    ecsMock.on(StopTaskCommand).resolves({ task: { taskArn: TASK_ARN } })
    const h = harness({
      definition: FIXTURE,
      'task-definition': TD_ARN,
      'notification-prefix': 'none'
    })
    await (h.deps.clock as FakeClock).run(run(h.deps))
    expect(h.failures).toHaveLength(1)
    expect(h.failures[0]).toMatch(new RegExp(`^Could not wait for ${TASK_ARN}: `))
    expect(ecsMock.commandCalls(StopTaskCommand).map((c) => c.args[0].input.reason)).toEqual([
      'Stopped by hako-oneshot-action: the action could not wait for it ' +
        '(https://github.com/acme/batch/actions/runs/7)'
    ])
    expect(h.outputs['task-arn']).toBe(TASK_ARN)
    expect(h.summaries).toHaveLength(1)
    expect(h.state.values.settledArns).toBe(JSON.stringify([TASK_ARN]))
  })

  it('prints the app log while the task runs and drains it, so no tail repeats a line', async () => {
    const T = Date.parse('2026-11-28T00:00:00Z')
    const running = { taskArn: TASK_ARN, lastStatus: 'RUNNING', containers: [{ name: 'app' }] }
    ecsMock.on(RunTaskCommand).resolves({ tasks: [running], failures: [] })
    ecsMock
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: [running], failures: [] })
      .resolvesOnce({ tasks: [running], failures: [] })
      .resolves({
        tasks: [
          {
            ...running,
            lastStatus: 'STOPPED',
            stoppedAt: new Date(T + 2000),
            stopCode: 'EssentialContainerExited',
            containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 0 }]
          }
        ],
        failures: []
      })
    logsMock.reset()
    logsMock
      .on(GetLogEventsCommand)
      .resolvesOnce({
        events: [{ timestamp: T + 100, message: 'hello' }],
        nextForwardToken: 'f/1',
        nextBackwardToken: 'b/0'
      })
      .resolvesOnce({ events: [], nextForwardToken: 'f/1', nextBackwardToken: 'b/1' })
      .resolvesOnce({
        events: [{ timestamp: T + 1900, message: 'bye' }],
        nextForwardToken: 'f/2',
        nextBackwardToken: 'b/1'
      })
      .resolves({ events: [], nextForwardToken: 'f/2', nextBackwardToken: 'b/2' })
    const h = harness({
      definition: FIXTURE,
      'task-definition': TD_ARN,
      'notification-prefix': 'none'
    })
    await (h.deps.clock as FakeClock).run(run(h.deps))
    expect(h.failures).toEqual([])
    const info = h.logger.of('info')
    expect(info.filter((l) => / (hello|bye)$/.test(l))).toEqual([
      '2026-11-28T00:00:00.100Z hello',
      '2026-11-28T00:00:01.900Z bye'
    ])
    expect(info.some((l) => l.startsWith('Last '))).toBe(false)
    expect(info).toContain(
      `Following the log stream /ecs/oneshot ecs/app/${TASK_ARN.split('/').pop()} as it is written`
    )
    // Every call reads forward from the head. The one that brought 'bye' came less than 2 s
    // after the container's stop (its 1 s settle and 1 s for the clocks), so the drain read once
    // more and found the end of the stream.
    const inputs = logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)
    expect(inputs.every((i) => i.startFromHead === true)).toBe(true)
    expect(inputs.map((i) => i.nextToken)).toEqual([undefined, 'f/1', 'f/1', 'f/2'])
    expect(h.summaries[0]).toContain('bye')
  })

  it('tails the log as before with follow-logs: false', async () => {
    const stopped = {
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stoppedAt: new Date(Date.parse('2026-11-28T00:00:03Z')),
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 0 }]
    }
    ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] })
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [stopped], failures: [] })
    logsMock.reset()
    logsMock.on(GetLogEventsCommand).resolves({
      events: [{ timestamp: Date.parse('2026-11-28T00:00:01Z'), message: 'done' }],
      nextBackwardToken: 'b/0'
    })
    const h = harness({
      definition: FIXTURE,
      'task-definition': TD_ARN,
      'notification-prefix': 'none',
      'follow-logs': 'false'
    })
    await (h.deps.clock as FakeClock).run(run(h.deps))
    expect(logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      {
        logGroupName: '/ecs/oneshot',
        logStreamName: `ecs/app/${TASK_ARN.split('/').pop()}`,
        startFromHead: false,
        limit: 50
      }
    ])
    expect(h.logger.of('info')).toContain('2026-11-28T00:00:01.000Z done')
  })

  it('in a set of two, prints the last log lines of the task that failed, and reads no log of the one that succeeded', async () => {
    const arns = [`${TASK_ARN.slice(0, -1)}0`, `${TASK_ARN.slice(0, -1)}1`]
    const stoppedAt = new Date(Date.parse('2026-11-28T00:00:03Z'))
    const stopped = (taskArn: string, exitCode: number) => ({
      taskArn,
      lastStatus: 'STOPPED',
      stoppedAt,
      stopCode: 'EssentialContainerExited' as const,
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode }]
    })
    // One RunTask call per task (each has its own client token): each answers the next ARN.
    let next = 0
    ecsMock
      .on(RunTaskCommand)
      .callsFake(() => ({ tasks: [{ taskArn: arns[next++] }], failures: [] }))
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [stopped(arns[0] as string, 0), stopped(arns[1] as string, 2)],
      failures: []
    })
    logsMock.reset()
    logsMock.on(GetLogEventsCommand).resolves({
      events: [
        { timestamp: Date.parse('2026-11-28T00:00:01Z'), message: 'step 1' },
        { timestamp: Date.parse('2026-11-28T00:00:02Z'), message: 'boom' }
      ],
      nextBackwardToken: 'b/0'
    })
    const h = harness({
      definition: FIXTURE,
      'task-definition': TD_ARN,
      'notification-prefix': 'none',
      count: '2',
      'log-lines': '2'
    })
    await (h.deps.clock as FakeClock).run(run(h.deps))
    const failedId = (arns[1] as string).split('/').pop()
    expect(logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input)).toEqual([
      {
        logGroupName: '/ecs/oneshot',
        logStreamName: `ecs/app/${failedId}`,
        startFromHead: false,
        limit: 2
      }
    ])
    const info = h.logger.of('info')
    const header = info.indexOf(`Last 2 log lines of task #1 (exit code 2), ecs/app/${failedId}:`)
    expect(header).toBeGreaterThan(-1)
    expect(info.slice(header + 1, header + 3)).toEqual([
      '2026-11-28T00:00:01.000Z step 1',
      '2026-11-28T00:00:02.000Z boom'
    ])
    expect(info.filter((l) => l.startsWith('Last '))).toHaveLength(1)
    expect(h.failures).toEqual([
      `1 of 2 tasks failed: #1 (exit code 2, ${arns[1]}). See the job summary for every task.`
    ])
  })

  it('turns an unexpected error into one failure with its message', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).rejects(new TypeError('socket hang up'))
    const h = harness({ definition: FIXTURE })
    await run(h.deps)
    expect(h.failures).toHaveLength(1)
    expect(h.failures[0]).toContain('socket hang up')
  })
})

describe('post', () => {
  function postDeps(state: StateStore, logger: MemoryLogger) {
    return {
      state,
      createClients: () => Promise.resolve(clients()),
      logger,
      clock: new FakeClock(0),
      random: () => 0.5,
      env: {}
    }
  }

  it('stops nothing when every started task was seen to stop', async () => {
    const logger = memoryLogger()
    const state = memoryState({
      taskArns: JSON.stringify([TASK_ARN]),
      settledArns: JSON.stringify([TASK_ARN]),
      cluster: 'e2e'
    })
    await post(postDeps(state, logger))
    expect(ecsMock.calls()).toHaveLength(0)
    expect(logger.of('debug')).toEqual(['post: no task left to stop'])
  })

  it('stops the tasks the main step did not see stop', async () => {
    ecsMock.on(StopTaskCommand).resolves({ task: { taskArn: TASK_ARN } })
    const logger = memoryLogger()
    const state = memoryState({ taskArns: JSON.stringify([TASK_ARN]), cluster: 'e2e' })
    await post(postDeps(state, logger))
    expect(ecsMock.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([
      {
        cluster: 'e2e',
        task: TASK_ARN,
        reason: 'Stopped by hako-oneshot-action: the job ended before the task stopped'
      }
    ])
    expect(logger.of('info')).toContain(`Stopped ${TASK_ARN}`)
  })

  it('only warns when a task cannot be stopped', async () => {
    ecsMock
      .on(StopTaskCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
    const logger = memoryLogger()
    const state = memoryState({ taskArns: JSON.stringify([TASK_ARN]), cluster: 'e2e' })
    await expect(post(postDeps(state, logger))).resolves.toBeUndefined()
    expect(logger.of('warning')).toEqual([
      `Could not stop ${TASK_ARN}: AccessDeniedException: denied`
    ])
    expect(logger.of('info')).toContain(
      `Stop it by hand: aws ecs stop-task --cluster e2e --task ${TASK_ARN}`
    )
  })
})
