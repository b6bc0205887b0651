import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  type DescribeTasksCommandOutput,
  type Task
} from '@aws-sdk/client-ecs'
import { mockClient } from 'aws-sdk-client-mock'
import { FakeClock } from '../doubles/clock.js'
import { UserError } from '../../src/util/errors.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'
import { waitForStop } from '../../src/wait/describe-waiter.js'
import type { WaitOutcome } from '../../src/wait/types.js'
import { TASK_ARN } from './fixtures.js'

const ecsMock = mockClient(ECSClient)
const ecs = new ECSClient({ region: 'ap-northeast-1' })
afterAll(() => ecsMock.restore())
beforeEach(() => {
  ecsMock.reset()
})

type Answer = Task | 'missing' | Error
const task = (lastStatus: string, extra: Partial<Task> = {}): Task => ({
  taskArn: TASK_ARN,
  lastStatus,
  containers: [{ name: 'app', lastStatus }],
  ...extra
})
const throttled = (): Error =>
  new ECSServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded'
  })

interface Run {
  outcome: Promise<WaitOutcome>
  clock: FakeClock
  logger: MemoryLogger
  calls: number[]
  controller: AbortController
}

/** Answers each DescribeTasks in turn (the last one repeats), recording call times. */
function start(answers: Answer[]): Run {
  const clock = new FakeClock()
  const logger = memoryLogger()
  const calls: number[] = []
  const controller = new AbortController()
  ecsMock.on(DescribeTasksCommand).callsFake((): DescribeTasksCommandOutput => {
    const answer = answers[Math.min(calls.length, answers.length - 1)]
    calls.push(clock.now())
    if (answer instanceof Error) throw answer
    if (answer === 'missing' || answer === undefined) {
      return { tasks: [], failures: [{ arn: TASK_ARN, reason: 'MISSING' }], $metadata: {} }
    }
    return { tasks: [answer], failures: [], $metadata: {} }
  })
  const outcome = waitForStop(
    { ecs, clock, random: () => 0.5, logger },
    {
      taskArn: TASK_ARN,
      cluster: 'batch',
      pollIntervalSeconds: 1,
      verifyIntervalSeconds: 300,
      signal: controller.signal
    }
  )
  return { outcome, clock, logger, calls, controller }
}

describe('DescribeTasks waiter', () => {
  it('retries a task not yet visible after RunTask (docs/limits.md, "Eventual consistency") and follows it to STOPPED', async () => {
    const stopped = task('STOPPED', {
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'app', exitCode: 0 }]
    })
    const r = start([
      'missing',
      'missing',
      task('PENDING'),
      task('RUNNING'),
      task('RUNNING'),
      stopped
    ])
    expect(await r.clock.run(r.outcome)).toEqual({
      kind: 'stopped',
      task: { ...stopped, source: 'describe-tasks' }
    })
    expect(r.calls).toEqual([0, 1000, 2000, 3000, 4000, 5000])
    expect(r.logger.of('info')).toEqual([
      'Task 0123456789abcdef0123456789abcdef is PENDING',
      'Task 0123456789abcdef0123456789abcdef is RUNNING',
      'Task 0123456789abcdef0123456789abcdef is STOPPED'
    ])
    // The exact request: one task, the cluster.
    expect(ecsMock.commandCalls(DescribeTasksCommand)[0]?.args[0].input).toEqual({
      cluster: 'batch',
      tasks: [TASK_ARN]
    })
  })

  it('doubles the interval on ThrottlingException up to 120 s and halves it back after successes (hako, docs/hako.md, "DescribeTasks polling")', async () => {
    const answers: Answer[] = [...Array.from({ length: 8 }, throttled)]
    for (let i = 0; i < 8; i++) answers.push(task('RUNNING'))
    answers.push(task('STOPPED', { stopCode: 'UserInitiated' }))
    const r = start(answers)
    await r.clock.run(r.outcome)
    const gaps = r.calls.slice(1).map((t, i) => t - (r.calls[i] ?? 0))
    // After 471 s the age-grown mean (2 % of the age: 9420 ms) outgrows the halved backoff.
    expect(gaps).toEqual([
      2000, 4000, 8000, 16_000, 32_000, 64_000, 120_000, 120_000, 60_000, 30_000, 15_000, 9420,
      9608, 9801, 9997, 10_197
    ])
    expect(r.logger.of('info')[0]).toBe(
      'DescribeTasks is throttled (ThrottlingException); next call in about 2 s'
    )
  })

  it('gives up on a task still invisible after 60 s (the first call past it, at 61 s) with a UserError naming the cluster', async () => {
    const r = start(['missing'])
    const failure = r.clock.run(r.outcome)
    await expect(failure).rejects.toThrow(UserError)
    await expect(failure).rejects.toThrow(
      `DescribeTasks has not found task ${TASK_ARN} in cluster 'batch' for 61 s (MISSING). Check that the cluster and region are the ones the task was started in.`
    )
  })

  it('fails with a UserError when DescribeTasks is denied', async () => {
    const denied = new ECSServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'User is not authorized to perform: ecs:DescribeTasks'
    })
    const r = start([denied])
    await expect(r.clock.run(r.outcome)).rejects.toThrow(
      `Could not describe task ${TASK_ARN} in cluster 'batch': AccessDeniedException: User is not authorized to perform: ecs:DescribeTasks. The action's role needs ecs:DescribeTasks on the task (or set a notification prefix to wait through S3 instead).`
    )
  })

  it('re-reads a STOPPED answer without the app exit code for the grace, and takes the completion', async () => {
    const incomplete = task('STOPPED', { stopCode: 'EssentialContainerExited' })
    const complete = task('STOPPED', {
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'app', exitCode: 9 }]
    })
    const r = start([incomplete, incomplete, incomplete, complete])
    const outcome = await r.clock.run(r.outcome)
    expect(outcome.kind === 'stopped' && outcome.task.containers).toEqual([
      { name: 'app', exitCode: 9 }
    ])
    expect(r.calls).toEqual([0, 1000, 2000, 3000])
  })

  it('returns the last answer when aborted', async () => {
    const r = start([task('RUNNING')])
    await r.clock.advance(2500)
    r.controller.abort()
    expect(await r.clock.run(r.outcome)).toEqual({
      kind: 'aborted',
      last: { ...task('RUNNING'), source: 'describe-tasks' }
    })
    expect(r.calls).toEqual([0, 1000, 2000])
  })
})
