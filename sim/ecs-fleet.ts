/**
 * The container instances (EC2 capacity) of the simulated ECS: registration, placement of a
 * task's CPU and memory, release when it stops, and the ListContainerInstances and
 * DescribeContainerInstances views. A cluster without a fleet has unlimited capacity.
 */
import type { Clock, Random } from '../src/util/clock.js'
import { AwsError } from './json-server.js'
import { randomHex } from './random.js'
import { seconds, type ContainerInstance, type FleetOptions, type SimTask } from './ecs-model.js'

/** What the fleet needs of the simulator. */
export interface FleetContext {
  clock: Clock
  random: Random
  /** An ARN of this account and region for `resource`. */
  arn: (resource: string) => string
}

/** Where a task landed: an instance, or the failure RunTask reports for it. */
export type Placement =
  | { instance: ContainerInstance }
  | { failure: { arn: string; reason: 'RESOURCE:MEMORY' | 'RESOURCE:CPU' } }

/** Every cluster's container instances. */
export class Fleet {
  private readonly instances = new Map<string, ContainerInstance[]>()

  constructor(private readonly o: FleetContext) {}

  /** Registers `count` new ACTIVE container instances in `cluster`; returns their ARNs. */
  add(cluster: string, count: number, size: Partial<FleetOptions> = {}): string[] {
    const list = this.instances.get(cluster) ?? []
    this.instances.set(cluster, list)
    const added: string[] = []
    for (let i = 0; i < count; i++) {
      const instance: ContainerInstance = {
        arn: this.o.arn(`container-instance/${cluster}/${randomHex(this.o.random, 32)}`),
        ec2InstanceId: `i-${randomHex(this.o.random, 17)}`,
        cluster,
        cpu: size.cpu ?? 2048,
        memory: size.memory ?? 3800,
        usedCpu: 0,
        usedMemory: 0,
        running: 0,
        registeredAt: this.o.clock.now()
      }
      list.push(instance)
      added.push(instance.arn)
    }
    return added
  }

  /** Instances of a cluster; undefined when the cluster has no fleet (unlimited capacity). */
  of(cluster: string): readonly ContainerInstance[] | undefined {
    return this.instances.get(cluster)
  }

  /**
   * Reserves `need` on the first instance of `fleet` with room (first fit), or names the
   * resource that ran short.
   */
  place(fleet: readonly ContainerInstance[], need: { cpu: number; memory: number }): Placement {
    const instance = fleet.find(
      (f) => f.cpu - f.usedCpu >= need.cpu && f.memory - f.usedMemory >= need.memory
    )
    if (!instance) {
      const short = fleet.find((f) => f.memory - f.usedMemory < need.memory)
      return {
        failure: {
          arn: (short ?? fleet[0])?.arn ?? '',
          reason: short ? 'RESOURCE:MEMORY' : 'RESOURCE:CPU'
        }
      }
    }
    instance.usedCpu += need.cpu
    instance.usedMemory += need.memory
    instance.running++
    return { instance }
  }

  /** Gives a stopped task's CPU and memory back to its instance. */
  release(task: SimTask): void {
    if (!task.containerInstanceArn) return
    const instance = this.instances
      .get(task.cluster)
      ?.find((i) => i.arn === task.containerInstanceArn)
    if (!instance) return
    instance.usedCpu -= task.cpu
    instance.usedMemory -= task.memory
    instance.running--
  }

  /** ARNs of a cluster's instances in `status` (only ACTIVE ones exist here). */
  arns(cluster: string, status: string): string[] {
    return status === 'ACTIVE' ? (this.instances.get(cluster) ?? []).map((i) => i.arn) : []
  }

  /** DescribeContainerInstances of `cluster` (resolved by the caller). */
  describe(cluster: string, refs: string[]): unknown {
    if (refs.length === 0 || refs.length > 100) {
      throw new AwsError(
        'InvalidParameterException',
        'containerInstances must hold between 1 and 100 items.'
      )
    }
    const fleet = this.instances.get(cluster) ?? []
    const containerInstances: unknown[] = []
    const failures: { arn: string; reason: string }[] = []
    for (const ref of refs) {
      const instance = fleet.find((i) => i.arn === ref || i.arn.endsWith(`/${ref}`))
      if (!instance) {
        failures.push({ arn: ref, reason: 'MISSING' })
        continue
      }
      const resources = (cpu: number, memory: number): unknown[] => [
        { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: cpu },
        { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: memory },
        {
          name: 'PORTS',
          type: 'STRINGSET',
          doubleValue: 0,
          longValue: 0,
          integerValue: 0,
          stringSetValue: ['22', '2375', '2376', '51678', '51679']
        },
        {
          name: 'PORTS_UDP',
          type: 'STRINGSET',
          doubleValue: 0,
          longValue: 0,
          integerValue: 0,
          stringSetValue: []
        }
      ]
      containerInstances.push({
        containerInstanceArn: instance.arn,
        ec2InstanceId: instance.ec2InstanceId,
        version: 1,
        versionInfo: {
          agentVersion: '1.90.0',
          agentHash: 'sim',
          dockerVersion: 'DockerVersion: 25.0.8'
        },
        remainingResources: resources(
          instance.cpu - instance.usedCpu,
          instance.memory - instance.usedMemory
        ),
        registeredResources: resources(instance.cpu, instance.memory),
        status: 'ACTIVE',
        agentConnected: true,
        runningTasksCount: instance.running,
        pendingTasksCount: 0,
        attributes: [
          { name: 'ecs.capability.task-eni' },
          { name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }
        ],
        registeredAt: seconds(instance.registeredAt),
        attachments: [],
        tags: []
      })
    }
    return { containerInstances, failures }
  }
}
