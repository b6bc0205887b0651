import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand
} from '@aws-sdk/client-ecs'
import {
  cacheSetting,
  claimantOf,
  isStaleRevisionError,
  resolveTaskDefinition,
  staleRevisionRefusal,
  type ResolvedTaskDefinition
} from '../../src/ecs/resolve.js'
import { gitHubContextOf } from '../../src/util/github.js'
import { cacheKey } from '../../src/ecs/revision-cache.js'
import { UserError } from '../../src/util/errors.js'
import { FakeBucket } from './fake-bucket.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'
import { describeOutput, registerRequest } from './fixtures.js'
import { noSuchFamily } from './ecs-errors.js'

const ecsMock = mockClient(ECSClient)
const ARN7 = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:7'
const ARN8 = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:8'
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

  it("with 'task-definition-cache: false': the jittered re-check, no warning", async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(describeOutput('batch'))
    const request = registerRequest('batch')
    const app = request.containerDefinitions?.[0]
    if (app) app.image = 'changed:1'
    ecsMock.on(RegisterTaskDefinitionCommand).resolves({
      taskDefinition: {
        ...describeOutput('batch').taskDefinition,
        revision: 8,
        taskDefinitionArn: ARN8
      }
    })
    const result = await clock.run(
      resolveTaskDefinition(deps(), { registerRequest: request, cache: 'off' })
    )
    expect(result).toEqual({ taskDefinitionArn: ARN8, registered: true })
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(2)
    expect(clock.sleeps).toEqual([10000])
    expect(logger.of('warning')).toEqual([])
  })

  it('without a notification prefix: warns once, then the jittered re-check', async () => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves(describeOutput('batch'))
    await clock.run(
      resolveTaskDefinition(deps(), {
        registerRequest: registerRequest('batch'),
        cache: 'no-prefix'
      })
    )
    expect(logger.of('warning')).toEqual([
      'No notification prefix is set, so jobs that start together on a changed task definition ' +
        'cannot agree on one registration through the bucket; each describes again after a ' +
        'random delay before registering. Set scheduler.oneshot_notification_prefix (or the ' +
        "'notification-prefix' input) and allow s3:PutObject on <prefix>/task-definitions/* " +
        "(docs/iam/action-policy.json), or set 'task-definition-cache: false' to silence this warning."
    ])
  })

  it.each(['off', 'no-prefix'] as const)(
    'a job that is the whole fan-out (cache %s) registers at once: no delay, no warning',
    async (cache) => {
      ecsMock.on(DescribeTaskDefinitionCommand).resolves(describeOutput('batch'))
      const request = registerRequest('batch')
      const app = request.containerDefinitions?.[0]
      if (app) app.image = 'changed:1'
      ecsMock.on(RegisterTaskDefinitionCommand).resolves({
        taskDefinition: {
          ...describeOutput('batch').taskDefinition,
          revision: 8,
          taskDefinitionArn: ARN8
        }
      })
      const result = await clock.run(
        resolveTaskDefinition(deps(), { registerRequest: request, cache, alone: true })
      )
      expect(result).toEqual({ taskDefinitionArn: ARN8, registered: true })
      expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1)
      expect(clock.sleeps).toEqual([])
      expect(logger.of('warning')).toEqual([])
    }
  )

  describe('through the bucket', () => {
    let bucket: FakeBucket
    const KEY = cacheKey('oneshot', registerRequest('batch'))
    const cache = () => ({
      location: { bucket: 'notes', prefix: 'oneshot' },
      s3: bucket,
      region: 'ap-northeast-1',
      claimant: 'job a'
    })
    const entry = (arn: string) =>
      JSON.stringify({ version: 1, state: 'resolved', taskDefinitionArn: arn, resolvedAt: 't' })
    beforeEach(() => {
      bucket = new FakeBucket(clock)
    })

    it('a hit costs no ECS call', async () => {
      bucket.put(KEY, entry(ARN8))
      const result = await clock.run(
        resolveTaskDefinition(deps(), { registerRequest: registerRequest('batch'), cache: cache() })
      )
      expect(result.taskDefinitionArn).toBe(ARN8)
      expect(result.registered).toBe(false)
      expect(ecsMock.calls()).toHaveLength(0)
    })

    it('a miss describes (and registers only if needed) once, and fills the cache', async () => {
      ecsMock.on(DescribeTaskDefinitionCommand).resolves(describeOutput('batch'))
      const result = await clock.run(
        resolveTaskDefinition(deps(), { registerRequest: registerRequest('batch'), cache: cache() })
      )
      expect(result).toEqual({ taskDefinitionArn: ARN7, registered: false })
      expect(ecsMock.calls()).toHaveLength(1)
      expect(bucket.body(KEY)).toMatchObject({ state: 'resolved', taskDefinitionArn: ARN7 })
    })

    it('staleRevisionRefusal: RunTask refusing the cached revision names it; its replacement is the fresh one', async () => {
      bucket.put(KEY, entry(ARN8))
      ecsMock.on(DescribeTaskDefinitionCommand).resolves(describeOutput('batch'))
      const resolved = await clock.run(
        resolveTaskDefinition(deps(), { registerRequest: registerRequest('batch'), cache: cache() })
      )
      expect(resolved.taskDefinitionArn).toBe(ARN8)
      const error = new UserError(
        `Could not start a task of '${ARN8}' on cluster 'batch': ClientException: TaskDefinition is inactive.`
      )
      expect(staleRevisionRefusal(resolved, { error })).toBe(
        `Could not start a task of '${ARN8}' on cluster 'batch': ClientException: TaskDefinition is inactive.`
      )
      const startError = 'ClientException: TaskDefinition is inactive.'
      expect(staleRevisionRefusal(resolved, { startError })).toBe(startError)
      const replacement = await clock.run(
        (resolved.replaceStale as () => Promise<ResolvedTaskDefinition>)()
      )
      expect(replacement).toEqual({ taskDefinitionArn: ARN7, registered: false })
      expect(bucket.body(KEY)).toMatchObject({ state: 'resolved', taskDefinitionArn: ARN7 })
    })

    it('staleRevisionRefusal: other errors, and a revision that cannot be replaced, are no refusal', () => {
      const stale = new Error('TaskDefinition is inactive')
      const fresh: ResolvedTaskDefinition = { taskDefinitionArn: ARN7, registered: false }
      expect(staleRevisionRefusal(fresh, { error: stale })).toBeUndefined()
      const cached: ResolvedTaskDefinition = {
        taskDefinitionArn: ARN8,
        registered: false,
        replaceStale: () => Promise.resolve(fresh)
      }
      expect(staleRevisionRefusal(cached, { error: stale })).toBe('TaskDefinition is inactive')
      expect(
        staleRevisionRefusal(cached, { error: new Error('AccessDeniedException') })
      ).toBeUndefined()
      expect(staleRevisionRefusal(cached, { startError: 'AccessDeniedException' })).toBeUndefined()
      expect(staleRevisionRefusal(cached, {})).toBeUndefined()
    })
  })
})

describe('isStaleRevisionError', () => {
  it.each([
    ['ClientException: TaskDefinition is inactive', true],
    ['InvalidParameterException: TaskDefinition not found.', true],
    ['ClientException: Unable to find task definition', true],
    ['ClientException: Cluster not found', false]
  ])('%s -> %s', (message, stale) => {
    expect(isStaleRevisionError(new Error(message))).toBe(stale)
  })
})

describe('cacheSetting', () => {
  const s3ByRegion: string[] = []
  const base = {
    s3: (region?: string) => {
      s3ByRegion.push(region ?? '(main)')
      return new FakeBucket(new FakeClock(0))
    },
    region: 'ap-northeast-1',
    github: gitHubContextOf({
      GITHUB_REPOSITORY: 'acme/batch',
      GITHUB_RUN_ID: '7',
      GITHUB_JOB: 'shard'
    }),
    random: () => 0.5
  }

  it.each([
    ['the input turned it off', { enabled: false, prefix: { bucket: 'b', prefix: 'p' } }, 'off'],
    ['no prefix', { enabled: true, prefix: undefined }, 'no-prefix'],
    ["'none'", { enabled: true, prefix: 'none' as const }, 'no-prefix']
  ])('is %s -> %s', (_name, options, expected) => {
    expect(cacheSetting({ ...base, ...options })).toBe(expected)
  })

  it("uses the notification bucket and prefix, read in the bucket's region", () => {
    const setting = cacheSetting({
      ...base,
      enabled: true,
      prefix: { bucket: 'notes', prefix: 'oneshot', region: 'us-west-2' }
    })
    expect(setting).toMatchObject({
      location: { bucket: 'notes', prefix: 'oneshot' },
      region: 'ap-northeast-1',
      claimant: 'job shard (800000) of https://github.com/acme/batch/actions/runs/7'
    })
    expect(s3ByRegion).toEqual(['us-west-2'])
  })

  it('names a claimant outside GitHub Actions too', () => {
    expect(claimantOf(gitHubContextOf({}), () => 0)).toBe(
      'job ? (000000) of a run outside GitHub Actions'
    )
  })
})
