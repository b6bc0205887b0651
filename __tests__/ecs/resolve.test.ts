import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand
} from '@aws-sdk/client-ecs'
import { resolveTaskDefinition } from '../../src/ecs/resolve.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'
import { describeOutput, registerRequest } from './fixtures.js'
import { noSuchFamily } from './ecs-errors.js'

const ecsMock = mockClient(ECSClient)
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

describe('resolveTaskDefinition', () => {
  it.each([
    'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:8',
    'batch-oneshot:8'
  ])('uses the task-definition input %s as given: no describe, no register', async (given) => {
    const result = await clock.run(
      resolveTaskDefinition(deps(), {
        registerRequest: registerRequest('batch'),
        taskDefinitionInput: given
      })
    )
    expect(result).toEqual({ taskDefinitionArn: given, registered: false })
    expect(ecsMock.calls()).toHaveLength(0)
    expect(logger.of('info')).toEqual([`Using the task definition given as input: ${given}`])
  })

  it('registers if changed without the input', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).rejects(noSuchFamily())
    ecsMock
      .on(RegisterTaskDefinitionCommand)
      .resolves({ taskDefinition: describeOutput('batch').taskDefinition })
    const result = await clock.run(
      resolveTaskDefinition(deps(), {
        registerRequest: registerRequest('batch'),
        taskDefinitionInput: ''
      })
    )
    expect(result).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:7',
      registered: true
    })
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1)
  })

  it('returns the unchanged revision', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(describeOutput('batch'))
    const result = await clock.run(
      resolveTaskDefinition(deps(), { registerRequest: registerRequest('batch') })
    )
    expect(result).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:7',
      registered: false
    })
  })
})
