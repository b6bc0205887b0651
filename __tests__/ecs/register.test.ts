import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type DescribeTaskDefinitionCommandOutput
} from '@aws-sdk/client-ecs'
import {
  registerIfChanged,
  REGISTER_BACKOFF_BASE_MS,
  REGISTER_BACKOFF_CAP_MS,
  REGISTER_MAX_ATTEMPTS,
  CONCURRENT_REGISTER_MIN_WAIT_MS,
  RECHECK_WINDOW_MS
} from '../../src/ecs/register.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'
import { UserError } from '../../src/util/errors.js'
import { describeOutput, registerRequest } from './fixtures.js'
import {
  accessDenied,
  invalidParameter,
  networkError,
  noSuchFamily,
  serverException,
  throttling,
  tooManyConcurrent
} from './ecs-errors.js'

const ecsMock = mockClient(ECSClient)
let clock: FakeClock
let logger: MemoryLogger
let randomValue: number
const deps = () => ({
  ecs: new ECSClient({ region: 'ap-northeast-1' }),
  clock,
  random: () => randomValue,
  logger
})
const DESCRIBE_INPUT = { taskDefinition: 'batch-oneshot', include: ['TAGS'] }
const ARN7 = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:7'
const ARN8 = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:8'

/** ECS's answer for revision 8 holding exactly the batch fixture. */
function revision8(): DescribeTaskDefinitionCommandOutput {
  const out = describeOutput('batch')
  out.taskDefinition!.revision = 8
  out.taskDefinition!.taskDefinitionArn = ARN8
  return out
}
/** Revision 7 with an older image tag. */
function oldRevision(): DescribeTaskDefinitionCommandOutput {
  const out = describeOutput('batch')
  out.taskDefinition!.containerDefinitions!.find((c) => c.name === 'app')!.image =
    '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/batch:old999'
  return out
}
const registered8 = {
  taskDefinition: revision8().taskDefinition,
  tags: [{ key: 'team', value: 'data' }]
}

beforeEach(() => {
  ecsMock.reset()
  clock = new FakeClock(0)
  logger = memoryLogger()
  randomValue = 0.5
})

describe('registerIfChanged', () => {
  it('registers the first revision when the family has none (ClientException "Unable to describe")', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).rejects(noSuchFamily())
    ecsMock.on(RegisterTaskDefinitionCommand).resolves(registered8)
    const result = await clock.run(registerIfChanged(deps(), registerRequest('batch')))
    expect(result).toEqual({ taskDefinitionArn: ARN8, revision: 8, registered: true })
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual(
      [DESCRIBE_INPUT]
    )
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual(
      [registerRequest('batch')]
    )
    expect(logger.of('info')).toEqual([
      "Task definition family 'batch-oneshot' has no active revision yet",
      `Registered task definition: ${ARN8}`
    ])
    expect(clock.sleeps).toEqual([])
  })

  it('does not register when the latest revision, as ECS describes it, is the same definition', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(describeOutput('batch'))
    const result = await clock.run(registerIfChanged(deps(), registerRequest('batch')))
    expect(result).toEqual({ taskDefinitionArn: ARN7, revision: 7, registered: false })
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0)
    expect(logger.of('info')).toEqual([`Task definition is unchanged: ${ARN7}`])
  })

  it('registers a changed definition and logs each difference', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(oldRevision())
    ecsMock.on(RegisterTaskDefinitionCommand).resolves(registered8)
    const result = await clock.run(registerIfChanged(deps(), registerRequest('batch')))
    expect(result).toEqual({ taskDefinitionArn: ARN8, revision: 8, registered: true })
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1)
    expect(logger.of('info')).toEqual([
      "Task definition 'batch-oneshot' differs from revision 7 in 1 field:",
      '  containerDefinitions[app].image: wanted "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/batch:abc123", registered "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/batch:old999"',
      `Registered task definition: ${ARN8}`
    ])
  })

  it('after a throttled register, describes again and finds the revision another job registered', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolvesOnce(oldRevision()).resolves(revision8())
    ecsMock.on(RegisterTaskDefinitionCommand).rejects(throttling())
    randomValue = 0.999
    const result = await clock.run(registerIfChanged(deps(), registerRequest('batch')))
    expect(result).toEqual({ taskDefinitionArn: ARN8, revision: 8, registered: false })
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1)
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2)
    // Full jitter: the first delay lies in [0, base).
    expect(clock.sleeps).toEqual([Math.floor(0.999 * REGISTER_BACKOFF_BASE_MS)])
    expect(logger.of('info')).toContain(
      "Retrying task definition 'batch-oneshot' in 2.0 s (attempt 2 of 10) after: ThrottlingException: Rate exceeded"
    )
  })

  it('retries "Too many concurrent attempts to create a new revision" (hako retries it too)', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(oldRevision())
    ecsMock.on(RegisterTaskDefinitionCommand).rejectsOnce(tooManyConcurrent()).resolves(registered8)
    const result = await clock.run(registerIfChanged(deps(), registerRequest('batch')))
    expect(result).toEqual({ taskDefinitionArn: ARN8, revision: 8, registered: true })
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2)
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(2)
    // Half the base (random 0.5) plus the wait for the other job's revision to show.
    expect(clock.sleeps).toEqual([1000 + CONCURRENT_REGISTER_MIN_WAIT_MS])
    expect(logger.of('info')).toContain(
      "Another job is registering 'batch-oneshot'; describing again in 2.5 s (attempt 2 of 10)"
    )
  })

  it('re-checks after a random delay over the window before registering, and runs what another job registered meanwhile', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolvesOnce(oldRevision()).resolves(revision8())
    randomValue = 0.25
    const result = await clock.run(
      registerIfChanged(deps(), registerRequest('batch'), { recheckWindowMs: RECHECK_WINDOW_MS })
    )
    expect(result).toEqual({ taskDefinitionArn: ARN8, revision: 8, registered: false })
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0)
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2)
    expect(clock.sleeps).toEqual([0.25 * RECHECK_WINDOW_MS])
    expect(logger.of('info')).toContain(
      "Describing 'batch-oneshot' again in 5.0 s before registering, in case another job registers the same content first"
    )
  })

  it('registers after the re-check when the definition still differs, and re-checks only once', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(oldRevision())
    ecsMock.on(RegisterTaskDefinitionCommand).rejectsOnce(tooManyConcurrent()).resolves(registered8)
    randomValue = 0.5
    const result = await clock.run(
      registerIfChanged(deps(), registerRequest('batch'), { recheckWindowMs: RECHECK_WINDOW_MS })
    )
    expect(result).toEqual({ taskDefinitionArn: ARN8, revision: 8, registered: true })
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(3)
    expect(clock.sleeps).toEqual([10000, 1000 + CONCURRENT_REGISTER_MIN_WAIT_MS])
  })

  it.each([
    ['a throttled describe', throttling()],
    ['a 5xx ServerException', serverException()],
    ['a network error', networkError()]
  ])('retries %s', async (_name, error) => {
    ecsMock.on(DescribeTaskDefinitionCommand).rejectsOnce(error).resolves(describeOutput('batch'))
    const result = await clock.run(registerIfChanged(deps(), registerRequest('batch')))
    expect(result).toEqual({ taskDefinitionArn: ARN7, revision: 7, registered: false })
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2)
  })

  it('gives up after a bounded number of attempts with an error saying how to avoid the race', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(oldRevision())
    ecsMock.on(RegisterTaskDefinitionCommand).rejects(tooManyConcurrent())
    randomValue = 0.999999
    const error = await clock
      .run(registerIfChanged(deps(), registerRequest('batch')))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toBe(
      "Could not register task definition 'batch-oneshot': gave up after 10 attempts; last error: " +
        'ClientException: Too many concurrent attempts to create a new revision of the specified family. ' +
        'ECS allows RegisterTaskDefinition at 20 calls in a burst and 1 per second per account and region, ' +
        'and one registration per family at a time. When many jobs use one definition, run this action once ' +
        "with 'mode: register' and pass its 'task-definition-arn' output to the other jobs as 'task-definition'."
    )
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(REGISTER_MAX_ATTEMPTS)
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(REGISTER_MAX_ATTEMPTS)
    expect(clock.sleeps).toHaveLength(REGISTER_MAX_ATTEMPTS - 1)
    // Delay i lies in [0, min(cap, base * 2^i)), plus the wait for the other job's revision.
    clock.sleeps.forEach((ms, i) => {
      const ceiling = Math.min(REGISTER_BACKOFF_CAP_MS, REGISTER_BACKOFF_BASE_MS * 2 ** i)
      expect(ms).toBe(Math.floor(0.999999 * ceiling) + CONCURRENT_REGISTER_MIN_WAIT_MS)
    })
  })

  it('honours maxAttempts', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).rejects(throttling())
    const error = await clock
      .run(registerIfChanged({ ...deps(), maxAttempts: 3 }, registerRequest('batch')))
      .catch((e: unknown) => e)
    expect((error as Error).message).toMatch(
      /^Could not register task definition 'batch-oneshot': gave up after 3 attempts; last error: ThrottlingException: Rate exceeded\./
    )
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(3)
  })

  it.each([
    [
      'an invalid definition',
      invalidParameter('Container.image should not be null or empty.'),
      UserError,
      "Could not register task definition 'batch-oneshot': InvalidParameterException: Container.image should not be null or empty. Fix the definition and run again."
    ],
    [
      'a missing permission',
      accessDenied('User is not authorized to perform: ecs:RegisterTaskDefinition'),
      UserError,
      "Could not register task definition 'batch-oneshot': AccessDeniedException: User is not authorized to perform: ecs:RegisterTaskDefinition. Grant the action's role ecs:DescribeTaskDefinition, ecs:RegisterTaskDefinition, ecs:TagResource and iam:PassRole on the task and execution roles."
    ],
    [
      'anything else',
      new TypeError('boom'),
      Error,
      "Could not register task definition 'batch-oneshot': TypeError: boom"
    ]
  ])('wraps %s with context and does not retry', async (_name, thrown, type, message) => {
    ecsMock.on(DescribeTaskDefinitionCommand).rejects(noSuchFamily())
    ecsMock.on(RegisterTaskDefinitionCommand).rejects(thrown)
    const error = await clock
      .run(registerIfChanged(deps(), registerRequest('batch')))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(type)
    expect((error as Error).message).toBe(message)
    expect(ecsMock.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1)
  })
})
