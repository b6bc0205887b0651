import { afterEach, describe, expect, it } from '@jest/globals'
import {
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand
} from '@aws-sdk/client-ecs'
import { FakeClock } from '../doubles/clock.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'
import {
  AccountQuotas,
  TASK_LIMIT_REASON,
  VCPU_LIMIT_REASON,
  launchesOnFargate
} from '../../sim/account-quotas.js'

const CLUSTER_ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch'
let local: LocalAws | undefined

afterEach(async () => {
  await local?.close()
  local = undefined
})

async function start(quotas: { fargateVcpus?: number; fargateTasks?: number }) {
  const clock = new FakeClock(Date.parse('2025-06-01T00:00:00Z'))
  local = await startLocalAws({ clock, notifier: false, throttling: false, quotas })
  const ecs = new ECSClient({ ...local.clientConfig('ecs'), maxAttempts: 1 })
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'batch-oneshot',
      networkMode: 'awsvpc',
      cpu: '1024',
      memory: '2048',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [{ name: 'app', image: 'busybox', essential: true }]
    })
  )
  const run = (count: number, launchType: 'FARGATE' | 'EC2' = 'FARGATE') =>
    ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: out.taskDefinition?.taskDefinitionArn,
        count,
        launchType
      })
    )
  return { ecs, clock, run, sim: local.ecs }
}

describe('the simulated account quotas (docs/limits.md, "Account quotas")', () => {
  it('starts what fits under the vCPU quota and answers the rest with the reason ECS gives', async () => {
    const { run, sim } = await start({ fargateVcpus: 2 })
    const out = await run(3)
    expect(out.tasks).toHaveLength(2)
    expect(out.failures).toEqual([{ arn: CLUSTER_ARN, reason: VCPU_LIMIT_REASON }])
    expect(sim.quotas.usage()).toEqual({ tasks: 2, vcpus: 2 })
    const again = await run(1)
    expect(again.tasks).toEqual([])
    expect(again.failures).toEqual([
      {
        arn: CLUSTER_ARN,
        reason: "You've reached the limit on the number of vCPUs you can run concurrently"
      }
    ])
  })

  it('gives a task its share back once it has stopped, not before', async () => {
    const { ecs, clock, run, sim } = await start({ fargateTasks: 1 })
    const first = await run(1)
    expect((await run(1)).failures).toEqual([{ arn: CLUSTER_ARN, reason: TASK_LIMIT_REASON }])
    await ecs.send(new StopTaskCommand({ cluster: 'batch', task: first.tasks?.[0]?.taskArn }))
    // Stopping, not yet STOPPED: still counted.
    expect((await run(1)).tasks).toEqual([])
    await clock.advance(1000)
    expect(sim.quotas.usage()).toEqual({ tasks: 0, vcpus: 0 })
    expect((await run(1)).tasks).toHaveLength(1)
  })

  it('counts only Fargate: an EC2 launch is not under the Fargate quotas', async () => {
    const { run } = await start({ fargateVcpus: 1 })
    expect((await run(1)).tasks).toHaveLength(1)
    const ec2 = await run(2, 'EC2')
    expect([ec2.tasks?.length, ec2.failures]).toEqual([2, []])
  })
})

describe('AccountQuotas', () => {
  it('releases once however often it is told', () => {
    const quotas = new AccountQuotas({ fargateVcpus: 1 })
    const body = { taskDefinition: 'td', launchType: 'FARGATE' as const }
    quotas.hold('t1', body, 1024)
    expect(quotas.refusal(body, 256)).toBe(VCPU_LIMIT_REASON)
    quotas.release('t1')
    quotas.release('t1')
    expect(quotas.usage()).toEqual({ tasks: 0, vcpus: 0 })
    expect(quotas.refusal(body, 1024)).toBeUndefined()
  })

  it.each([
    [{ taskDefinition: 'td', launchType: 'FARGATE' as const }, true],
    [{ taskDefinition: 'td', launchType: 'EC2' as const }, false],
    [{ taskDefinition: 'td' }, false],
    [
      { taskDefinition: 'td', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }] },
      true
    ],
    [{ taskDefinition: 'td', capacityProviderStrategy: [{ capacityProvider: 'my-asg' }] }, false]
  ])('launchesOnFargate(%j) is %s', (body, expected) => {
    expect(launchesOnFargate(body)).toBe(expected)
  })
})
