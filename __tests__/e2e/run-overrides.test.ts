/**
 * End to end, the per-run choices: the bundle run as the runner runs it against the local
 * simulator, with every override set and the network taken from a service. Asserts the exact
 * RunTask request, that nothing registered, one DescribeServices for two jobs, and the ECS Exec
 * line.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { resolve } from 'node:path'
import { runAction, type ActionResult } from '../../sim/action-runner.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const DEFINITION = '__fixtures__/e2e/oneshot.yml'
const GITHUB = {
  GITHUB_REPOSITORY: 'acme/batch',
  GITHUB_RUN_ID: '5151',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_SERVER_URL: 'https://github.com'
}
const NETWORK = {
  subnets: ['subnet-0f00000000000001'],
  securityGroups: ['sg-0f00000000000002'],
  assignPublicIp: 'ENABLED' as const
}
const OVERRIDES = {
  'network-from-service': 'e2e/web',
  'capacity-provider-strategy': 'FARGATE_SPOT:weight=1,FARGATE:base=1',
  'task-role-arn': 'arn:aws:iam::123456789012:role/oneshot-task-override',
  cpu: '512',
  memory: '1024',
  'ephemeral-storage': '40',
  'enable-execute-command': 'true'
}

function job(local: LocalAws, name: string, inputs: Record<string, string>) {
  return runAction({
    inputs: {
      definition: DEFINITION,
      'notification-prefix': local.prefix,
      'poll-interval': '0.2',
      'started-by': name,
      ...inputs
    },
    env: { ...local.env, ...GITHUB, GITHUB_JOB: name },
    cwd: ROOT
  })
}

const errors = (r: ActionResult): string[] =>
  r.stdout.split('\n').filter((l) => l.startsWith('::error::'))

describe('per-run overrides against the local simulator', () => {
  let local: LocalAws
  beforeAll(async () => {
    local = await startLocalAws({
      timeScale: 0.1,
      clusters: ['e2e'],
      services: { 'e2e/web': NETWORK }
    })
  })
  afterAll(async () => {
    await local.close()
  })

  it('sends every choice in RunTask, registers nothing new, and shares one DescribeServices', async () => {
    const plain = await job(local, 'plain', { env: 'SIM_RUN_SECONDS=1' })
    expect(errors(plain)).toEqual([])
    expect(plain.exitCode).toBe(0)
    const registered = local.stats().ecs.calls.RegisterTaskDefinition ?? 0

    const [a, b] = await Promise.all(
      ['one', 'two'].map((name) => job(local, name, { ...OVERRIDES, env: 'SIM_RUN_SECONDS=30' }))
    )
    for (const r of [a, b]) {
      expect(errors(r as ActionResult)).toEqual([])
      expect(r?.exitCode).toBe(0)
      expect(r?.outputs.registered).toBe('false')
    }
    const stats = local.stats().ecs
    expect(stats.calls.RegisterTaskDefinition ?? 0).toBe(registered)
    expect(stats.calls.DescribeServices).toBe(1)
    expect(stats.throttled).toEqual({})

    const requests = local.ecs.runTaskRequests().filter((r) => r.startedBy !== 'plain')
    expect(requests).toHaveLength(2)
    for (const request of requests) {
      expect(request.launchType).toBeUndefined()
      expect(request.capacityProviderStrategy).toEqual([
        { capacityProvider: 'FARGATE_SPOT', weight: 1 },
        { capacityProvider: 'FARGATE', base: 1 }
      ])
      expect(request.networkConfiguration).toEqual({ awsvpcConfiguration: NETWORK })
      expect(request.enableExecuteCommand).toBe(true)
      expect(request.overrides).toMatchObject({
        taskRoleArn: 'arn:aws:iam::123456789012:role/oneshot-task-override',
        cpu: '512',
        memory: '1024',
        ephemeralStorage: { sizeInGiB: 40 }
      })
    }
    for (const r of [a, b]) {
      const id = (r?.outputs['task-arn'] ?? '').split('/').pop() ?? ''
      expect(r?.stdout).toContain(
        `ECS Exec into the task while it runs: aws ecs execute-command --cluster e2e --task ${id} ` +
          '--container app --interactive --command /bin/sh --region ap-northeast-1'
      )
    }
  })

  it('fails before any task with an error naming the service when it does not exist', async () => {
    const r = await job(local, 'missing', { 'network-from-service': 'e2e/nope' })
    expect(r.exitCode).toBe(1)
    expect(errors(r)).toEqual([
      "::error::Input 'network-from-service' (e2e/nope): DescribeServices found no service " +
        "'nope' in cluster 'e2e' (ap-northeast-1): MISSING. Check the names, written cluster/service"
    ])
    expect(local.ecs.runTaskRequests().some((q) => q.startedBy === 'missing')).toBe(false)
  })
})
