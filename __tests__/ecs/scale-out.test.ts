/** The next step of a scale-out (src/ecs/scale-out.ts, scaleOutStep): hako's rule, MaxSize kept. */
import { describe, expect, it } from '@jest/globals'
import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling'
import type { ContainerInstance } from '@aws-sdk/client-ecs'
import { scaleOutStep } from '../../src/ecs/scale-out.js'

const NEEDED = { cpu: 512, memory: 1024 }
const instance = (id: string, cpu: number, memory: number): ContainerInstance => ({
  ec2InstanceId: id,
  remainingResources: [
    { name: 'CPU', integerValue: cpu },
    { name: 'MEMORY', integerValue: memory }
  ]
})
const group = (desired: number, ids: string[], max = 4): AutoScalingGroup =>
  ({
    AutoScalingGroupName: 'asg',
    DesiredCapacity: desired,
    MaxSize: max,
    Instances: ids.map((InstanceId) => ({ InstanceId, LifecycleState: 'InService' }))
  }) as AutoScalingGroup

describe('scaleOutStep', () => {
  it.each([
    ['room on an instance', group(1, ['i-1']), [instance('i-1', 1024, 2048)], { kind: 'room' }],
    [
      'the group still launching',
      group(2, ['i-1']),
      [instance('i-1', 0, 0)],
      {
        kind: 'settling',
        why: "asg isn't in desired state: desired capacity 2, in-service instances 1"
      }
    ],
    [
      'an instance not yet in the cluster',
      group(2, ['i-1', 'i-2']),
      [instance('i-1', 0, 0)],
      {
        kind: 'settling',
        why: 'Instances running but not registered as container instances: i-2'
      }
    ],
    [
      'settled and full: one more',
      group(1, ['i-1']),
      [instance('i-1', 0, 0)],
      { kind: 'raise', from: 1, to: 2 }
    ],
    [
      'at MaxSize: wait',
      group(2, ['i-1', 'i-2'], 2),
      [instance('i-1', 0, 0), instance('i-2', 100, 100)],
      { kind: 'at-max', max: 2 }
    ]
  ])('%s', (_name, g, instances, expected) => {
    expect(scaleOutStep({ name: 'asg', group: g, instances, needed: NEEDED })).toStrictEqual(
      expected
    )
  })
})
