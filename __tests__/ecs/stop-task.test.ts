import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs'
import { stopTasks, STOP_MAX_ATTEMPTS } from '../../src/ecs/stop-task.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'
import { accessDenied, invalidParameter, networkError, throttling } from './ecs-errors.js'

const ecsMock = mockClient(ECSClient)
const A = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/aaaa'
const B = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/bbbb'
let clock: FakeClock
let logger: MemoryLogger
const deps = () => ({
  ecs: new ECSClient({ region: 'ap-northeast-1' }),
  clock,
  random: () => 0.5,
  logger
})

beforeEach(() => {
  ecsMock.reset()
  clock = new FakeClock(0)
  logger = memoryLogger()
})

describe('stopTasks', () => {
  it('stops each task with the reason cut to 255 characters', async () => {
    ecsMock.on(StopTaskCommand).resolves({ task: {} })
    const reason = `Stopped by hako-oneshot-action: job cancelled ${'x'.repeat(300)}`
    const result = await clock.run(
      stopTasks(deps(), { cluster: 'batch', taskArns: [A, B], reason })
    )
    expect(result).toEqual({ stopped: [A, B], failed: [] })
    expect(ecsMock.commandCalls(StopTaskCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'batch', task: A, reason: reason.slice(0, 255) },
      { cluster: 'batch', task: B, reason: reason.slice(0, 255) }
    ])
    expect(reason.slice(0, 255)).toHaveLength(255)
  })

  it('counts a task that is no longer found as stopped', async () => {
    ecsMock.on(StopTaskCommand).rejects(invalidParameter('The referenced task was not found.'))
    const result = await clock.run(
      stopTasks(deps(), { cluster: 'batch', taskArns: [A], reason: 'r' })
    )
    expect(result).toEqual({ stopped: [A], failed: [] })
    expect(logger.of('info')).toEqual([`Task already gone: ${A}`])
  })

  it('retries throttling and network errors a few times', async () => {
    ecsMock
      .on(StopTaskCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(networkError())
      .resolves({ task: {} })
    const result = await clock.run(
      stopTasks(deps(), { cluster: 'batch', taskArns: [A], reason: 'r' })
    )
    expect(result).toEqual({ stopped: [A], failed: [] })
    expect(clock.sleeps).toEqual([100, 200])
  })

  it('never throws: reports what failed, after bounded retries', async () => {
    ecsMock
      .on(StopTaskCommand, { task: A })
      .rejects(throttling())
      .on(StopTaskCommand, { task: B })
      .rejects(accessDenied('User is not authorized to perform: ecs:StopTask'))
    const result = await clock.run(
      stopTasks(deps(), { cluster: 'batch', taskArns: [A, B], reason: 'r' })
    )
    expect(result).toEqual({
      stopped: [],
      failed: [A, B]
    })
    expect(ecsMock.commandCalls(StopTaskCommand, { task: A })).toHaveLength(STOP_MAX_ATTEMPTS)
    expect(ecsMock.commandCalls(StopTaskCommand, { task: B })).toHaveLength(1)
    expect(logger.of('warning')).toEqual([
      `Could not stop ${B}: AccessDeniedException: User is not authorized to perform: ecs:StopTask`,
      `Could not stop ${A}: ThrottlingException: Rate exceeded`
    ])
  })

  it('does nothing for no tasks', async () => {
    expect(
      await clock.run(stopTasks(deps(), { cluster: 'batch', taskArns: [], reason: 'r' }))
    ).toEqual({ stopped: [], failed: [] })
  })
})
