/** The run plan (src/plan.ts): each task's request built once, the wait, the fan-out. */
import { describe, expect, it } from '@jest/globals'
import { loadAndRender } from '../../src/definition/index.js'
import { readInputs } from '../../src/inputs.js'
import { planRun, planWithNetwork, stepRequest } from '../../src/plan.js'
import { requestFor } from '../../src/tasks/batch.js'
import { gitHubContextOf } from '../../src/util/github.js'

const FIXTURE = '__fixtures__/definitions/dry-run/batch.yml'
const GITHUB = gitHubContextOf({
  GITHUB_REPOSITORY: 'acme/batch',
  GITHUB_RUN_ID: '99',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_JOB: 'render'
})
const PREFIX = { bucket: 'notes', prefix: 'batch', region: 'ap-northeast-1' }

async function sources(values: Record<string, string>) {
  const inputs = readInputs(
    (name) => ({ definition: FIXTURE, ...values })[name] ?? '',
    () => {}
  )
  const rendered = await loadAndRender(FIXTURE, inputs)
  return { inputs, rendered, github: GITHUB, prefix: PREFIX, env: {}, now: 1_800_000_000_000 }
}

const SHARED = {
  cluster: 'batch',
  taskDefinition: 'batch-oneshot',
  count: 1,
  launchType: 'FARGATE',
  platformVersion: 'LATEST',
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
      securityGroups: ['sg-0a1b2c3d4e5f60003'],
      assignPublicIp: 'DISABLED'
    }
  },
  propagateTags: 'TASK_DEFINITION',
  startedBy: 'gha-99-2',
  tags: [
    { key: 'github:repository', value: 'acme/batch' },
    { key: 'github:run-id', value: '99' },
    { key: 'github:run-attempt', value: '2' },
    { key: 'github:job', value: 'render' }
  ]
}

describe('planRun', () => {
  it("gives every task its command and env once, over the shared request's resources", async () => {
    const plan = planRun(
      await sources({ command: 'rake shard', env: 'STEP=1', count: '2', 'app-cpu': '256' })
    )
    expect(plan.baseRequest).toStrictEqual({
      ...SHARED,
      overrides: { containerOverrides: [{ name: 'app', cpu: 256 }] }
    })
    expect(plan.apps).toStrictEqual(
      [0, 1].map((i) => ({
        command: ['rake', 'shard'],
        environment: [
          { name: 'STEP', value: '1' },
          { name: 'ONESHOT_INDEX', value: String(i) },
          { name: 'ONESHOT_COUNT', value: '2' }
        ]
      }))
    )
    expect(requestFor(plan.baseRequest, plan.apps[1] ?? {}, 1)).toStrictEqual({
      ...SHARED,
      overrides: {
        containerOverrides: [
          {
            name: 'app',
            command: ['rake', 'shard'],
            environment: [
              { name: 'STEP', value: '1' },
              { name: 'ONESHOT_INDEX', value: '1' },
              { name: 'ONESHOT_COUNT', value: '2' }
            ],
            cpu: 256
          }
        ]
      }
    })
    expect(plan.fanOut?.width).toBe(2)
    expect(plan.prefix).toBe(PREFIX)
    expect(plan.runUrl).toBe('https://github.com/acme/batch/actions/runs/99')
  })

  it('sends no override at all when nothing is set for any container', async () => {
    const plan = planRun(await sources({}))
    expect(plan.apps).toStrictEqual([{}])
    expect(requestFor(plan.baseRequest, plan.apps[0] ?? {}, 1)).toStrictEqual(SHARED)
  })

  it('waits nowhere with wait: false, and names no run outside Actions', async () => {
    const plan = planRun({ ...(await sources({ wait: 'false' })), github: gitHubContextOf({}) })
    expect(plan.wait).toBe(false)
    expect(plan.prefix).toBeUndefined()
    expect(plan.runUrl).toBe('outside GitHub Actions')
    expect(plan.baseRequest.startedBy).toBe('hako-oneshot-action')
    expect(plan.baseRequest.tags).toBeUndefined()
  })
})

describe('stepRequest', () => {
  it("is the dry run's request, in hako's order: overrides before startedBy, group and tags", async () => {
    const request = stepRequest(
      await sources({ command: 'echo hi', env: 'A=1', group: 'nightly', count: '3' })
    )
    expect(Object.keys(request)).toEqual([
      'cluster',
      'taskDefinition',
      'count',
      'launchType',
      'platformVersion',
      'networkConfiguration',
      'propagateTags',
      'overrides',
      'startedBy',
      'group',
      'tags'
    ])
    // The step's own command and env, not a task's (`count` adds ONESHOT_* per task).
    expect(request.overrides).toStrictEqual({
      containerOverrides: [
        { name: 'app', command: ['echo', 'hi'], environment: [{ name: 'A', value: '1' }] }
      ]
    })
  })

  it('with max-run-time (and no timeout), gives each attempt its own deadline from its RunTask', async () => {
    const plan = planRun(await sources({ 'max-run-time': '20m' }))
    expect(plan.attemptDeadlineSeconds).toBe(1200)
    // The plan's tag holds the set's start + max-run-time until a RunTask sets its own.
    expect(plan.baseRequest.tags).toContainEqual({
      key: 'hako-oneshot:deadline',
      value: String(1_800_000_000 + 1200)
    })
    // timeout decides while the action waits: one deadline for the set.
    const timed = planRun(await sources({ 'max-run-time': '20m', timeout: '10m' }))
    expect(timed.attemptDeadlineSeconds).toBeUndefined()
    // A deadline of the user's own tags entry is never moved.
    const own = planRun(
      await sources({ 'max-run-time': '20m', tags: 'hako-oneshot:deadline=1900000000' })
    )
    expect(own.attemptDeadlineSeconds).toBeUndefined()
    expect(own.baseRequest.tags).toContainEqual({
      key: 'hako-oneshot:deadline',
      value: '1900000000'
    })
  })

  it('tags every task with its deadline: the start of the run + timeout + the 5-minute margin', async () => {
    const plan = planRun({ ...(await sources({ timeout: '30m' })), now: 1_800_000_000_000 })
    expect(plan.baseRequest.tags).toContainEqual({
      key: 'hako-oneshot:deadline',
      value: String(1_800_000_000 + 1800 + 300)
    })
  })

  describe('run overrides: RunTask only, never the register request', () => {
    const ROLE = 'arn:aws:iam::123456789012:role/batch-task'

    it("puts the step's task-level overrides in the shared request and a task's own over them", async () => {
      const given = await sources({
        cpu: '1024',
        memory: '2048',
        'task-role-arn': ROLE,
        'capacity-provider-strategy': 'FARGATE_SPOT:weight=1,FARGATE:base=1',
        tasks: JSON.stringify([{}, { cpu: 4096, memory: 8192 }])
      })
      const plain = await sources({})
      // The compare sees the same request: no new revision.
      expect(given.rendered.registerRequest).toStrictEqual(plain.rendered.registerRequest)
      const plan = planRun(given)
      const withoutLaunchType: Partial<typeof SHARED> = { ...SHARED }
      delete withoutLaunchType.launchType
      expect(plan.baseRequest).toStrictEqual({
        ...withoutLaunchType,
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE_SPOT', weight: 1 },
          { capacityProvider: 'FARGATE', base: 1 }
        ],
        overrides: { containerOverrides: [], taskRoleArn: ROLE, cpu: '1024', memory: '2048' }
      })
      expect(plan.apps).toStrictEqual([{}, { task: { cpu: '4096', memory: '8192' } }])
      expect(requestFor(plan.baseRequest, plan.apps[0] ?? {}, 1).overrides).toStrictEqual({
        taskRoleArn: ROLE,
        cpu: '1024',
        memory: '2048'
      })
      expect(requestFor(plan.baseRequest, plan.apps[1] ?? {}, 1).overrides).toStrictEqual({
        taskRoleArn: ROLE,
        cpu: '4096',
        memory: '8192'
      })
      expect('launchType' in requestFor(plan.baseRequest, plan.apps[1] ?? {}, 1)).toBe(false)
    })

    it('shows a network read at run time as where it will be read from, in its place', async () => {
      const given = await sources({ 'network-from-service': 'prod/web' })
      const request = stepRequest(given)
      expect(request.networkConfiguration).toBe('<from service prod/web at run time>')
      expect(Object.keys(request)).toEqual([
        'cluster',
        'taskDefinition',
        'count',
        'launchType',
        'platformVersion',
        'networkConfiguration',
        'propagateTags',
        'startedBy',
        'tags'
      ])
      // The run's plan has none until the service is read; then it has the service's.
      const plan = planRun(given)
      expect(plan.baseRequest.networkConfiguration).toBeUndefined()
      const network = { awsvpcConfiguration: { subnets: ['subnet-0f'], securityGroups: ['sg-0f'] } }
      const ready = planWithNetwork(plan, network)
      expect(ready.baseRequest.networkConfiguration).toStrictEqual(network)
      expect(Object.keys(ready.baseRequest).indexOf('networkConfiguration')).toBe(5)
      expect(ready.apps).toBe(plan.apps)
    })

    it("sizes a scale-out by the step's task-level cpu and memory overrides", async () => {
      expect(planRun(await sources({})).scaleOut?.taskResources).toEqual({
        cpu: 1024,
        memory: 2048
      })
      expect(
        planRun(await sources({ cpu: '2048', memory: '4096' })).scaleOut?.taskResources
      ).toEqual({ cpu: 2048, memory: 4096 })
    })

    it('sets enableExecuteCommand from the input, over the definition', async () => {
      expect(stepRequest(await sources({ 'enable-execute-command': 'true' }))).toMatchObject({
        enableExecuteCommand: true
      })
      expect('enableExecuteCommand' in stepRequest(await sources({}))).toBe(false)
    })
  })
})
