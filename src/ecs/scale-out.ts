/**
 * hako's capacity helpers for `autoscaling_group_for_oneshot` (docs/hako.md, "Capacity"; hako
 * lib/hako/schedulers/ecs.rb `try_scale_out_with_as`, `try_scale_out_with_sns`,
 * `has_capacity?`), with the limits hako lacks: never above the group's MaxSize, and give up at
 * a deadline.
 */
import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  type AutoScalingClient,
  type AutoScalingGroup
} from '@aws-sdk/client-auto-scaling'
import {
  DescribeContainerInstancesCommand,
  ListContainerInstancesCommand,
  type ContainerDefinition,
  type ContainerInstance,
  type ECSClient
} from '@aws-sdk/client-ecs'
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns'
import { UserError } from '../util/errors.js'
import type { Runtime } from '../util/runtime.js'
import { escapeLogText } from '../util/safe-text.js'
import { isThrottling, isTransient } from '../aws/errors.js'
import { describeError } from './errors.js'

/** What one task needs, in ECS units (cpu units, MiB). */
export interface TaskResources {
  cpu: number
  memory: number
}

/**
 * hako's rule: the task-level cpu/memory when set, else the sum of the containers' cpu and of
 * their memoryReservation (or memory).
 */
export function taskResourcesOf(definition: {
  cpu?: string
  memory?: string
  containerDefinitions?: ContainerDefinition[]
}): TaskResources {
  const containers = definition.containerDefinitions ?? []
  const cpu =
    definition.cpu !== undefined && /^\d+$/.test(definition.cpu.trim())
      ? Number(definition.cpu)
      : containers.reduce((sum, c) => sum + (c.cpu ?? 0), 0)
  const memory =
    definition.memory !== undefined && /^\d+$/.test(definition.memory.trim())
      ? Number(definition.memory)
      : containers.reduce((sum, c) => sum + (c.memoryReservation ?? c.memory ?? 0), 0)
  return { cpu, memory }
}

/** hako's has_capacity?: one instance has the CPU and MEMORY the task needs. */
export function hasCapacity(needed: TaskResources, instances: ContainerInstance[]): boolean {
  return instances.some((ci) => {
    const remaining = (name: string): number =>
      ci.remainingResources?.find((r) => r.name === name)?.integerValue ?? 0
    return needed.cpu <= remaining('CPU') && needed.memory <= remaining('MEMORY')
  })
}

export interface ScaleOutDeps extends Pick<Runtime, 'clock' | 'logger'> {
  ecs: Pick<ECSClient, 'send'>
  autoScaling: Pick<AutoScalingClient, 'send'>
}

export interface ScaleOutOptions {
  cluster: string
  group: string
  needed: TaskResources
  /** Epoch ms: give up then. */
  deadline: number
  signal?: AbortSignal
}

const MIN_INTERVAL_MS = 1000
const MAX_INTERVAL_MS = 120000

/**
 * Loops until an instance of the cluster has room for the task (then returns, and the caller
 * retries RunTask). Meanwhile, once the group is settled (desired capacity = InService count,
 * every instance registered in the cluster), raises its desired capacity to InService + 1, but
 * never above MaxSize: at MaxSize it waits for room. Throws a UserError at the deadline.
 */
export async function scaleOutUntilCapacity(
  deps: ScaleOutDeps,
  options: ScaleOutOptions
): Promise<void> {
  const { autoScaling, clock, logger } = deps
  const { cluster, group, needed, deadline, signal } = options
  let interval = MIN_INTERVAL_MS
  let atMaxLogged = false
  logger.info(`Unable to start the task. Trying to scale out Auto Scaling group '${group}'`)
  for (;;) {
    if (signal?.aborted) throw new Error('Cancelled while waiting for capacity')
    if (clock.now() >= deadline) {
      throw new UserError(
        `No capacity for the task on cluster '${cluster}' before the deadline: Auto Scaling group ` +
          `'${group}' (scheduler.autoscaling_group_for_oneshot) gave no instance with ${needed.cpu} ` +
          `CPU units and ${needed.memory} MiB free. Raise the group's MaxSize, free capacity, or ` +
          `raise the 'timeout' input.`
      )
    }
    const seen = await readGroupAndCluster(deps, options)
    if ('retry' in seen) {
      if (isThrottling(seen.retry)) interval = Math.min(interval * 2, MAX_INTERVAL_MS)
      if (seen.of === 'group') {
        logger.info(
          `DescribeAutoScalingGroups failed (${describeError(seen.retry)}); retrying in ${interval / 1000} s`
        )
      }
    } else {
      const step = scaleOutStep({ name: group, ...seen, needed })
      if (step.kind === 'room') {
        logger.info("There's remaining capacity. Retrying RunTask")
        return
      }
      interval = Math.max(interval / 2, MIN_INTERVAL_MS)
      if (step.kind === 'settling') {
        logger.debug(`${step.why}. Retrying in ${interval / 1000} s`)
      } else if (step.kind === 'at-max') {
        if (!atMaxLogged) {
          logger.info(
            `${group} is at its MaxSize (${step.max}); waiting for room on the cluster until ` +
              `${new Date(deadline).toISOString()}`
          )
        }
        atMaxLogged = true
      } else {
        atMaxLogged = false
        logger.info(`Increment desired capacity of ${group} from ${step.from} to ${step.to}`)
        await autoScaling.send(
          new SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: step.to })
        )
      }
    }
    await clock.sleep(Math.max(0, Math.min(interval, deadline - clock.now())), signal)
  }
}

/** What the group and the cluster call for next (pure). */
export type ScaleOutStep =
  /** An instance has room: retry RunTask. */
  | { kind: 'room' }
  /** The group is still moving (launching, or instances not yet registered): wait. */
  | { kind: 'settling'; why: string }
  /** One more instance would pass MaxSize: wait for room. */
  | { kind: 'at-max'; max: number }
  /** Raise the desired capacity by one. */
  | { kind: 'raise'; from: number; to: number }

/** hako's rule for the next step of a scale-out, with MaxSize respected. */
export function scaleOutStep(seen: {
  /** The group's name, for the messages. */
  name: string
  group: AutoScalingGroup
  instances: ContainerInstance[]
  needed: TaskResources
}): ScaleOutStep {
  const { name, group, instances, needed } = seen
  if (hasCapacity(needed, instances)) return { kind: 'room' }
  const inService = (group.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length
  if (group.DesiredCapacity !== inService) {
    const why = `desired capacity ${group.DesiredCapacity}, in-service instances ${inService}`
    return { kind: 'settling', why: `${name} isn't in desired state: ${why}` }
  }
  const registered = new Set(instances.map((ci) => ci.ec2InstanceId))
  const unregistered = (group.Instances ?? [])
    .map((i) => i.InstanceId)
    .filter((id) => !registered.has(id))
  if (unregistered.length > 0) {
    const ids = unregistered.join(', ')
    return {
      kind: 'settling',
      why: `Instances running but not registered as container instances: ${ids}`
    }
  }
  const max = group.MaxSize ?? Number.POSITIVE_INFINITY
  if (inService + 1 > max) return { kind: 'at-max', max }
  return { kind: 'raise', from: inService, to: inService + 1 }
}

/**
 * The group and the cluster's usable instances, or the transient error to retry after; any
 * other error is thrown with what was being read.
 */
async function readGroupAndCluster(
  deps: ScaleOutDeps,
  options: ScaleOutOptions
): Promise<
  { group: AutoScalingGroup; instances: ContainerInstance[] } | { retry: unknown; of: string }
> {
  const { group, cluster } = options
  let found: AutoScalingGroup | undefined
  try {
    const out = await deps.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] })
    )
    found = out.AutoScalingGroups?.[0]
  } catch (error) {
    if (isTransient(error)) return { retry: error, of: 'group' }
    throw new Error(`Could not describe Auto Scaling group '${group}': ${describeError(error)}`, {
      cause: error
    })
  }
  if (!found) {
    throw new UserError(
      `Auto Scaling group '${group}' (scheduler.autoscaling_group_for_oneshot) does not exist ` +
        `in this region. Fix the name in the definition.`
    )
  }
  try {
    return { group: found, instances: await activeContainerInstances(deps.ecs, cluster) }
  } catch (error) {
    if (isTransient(error)) return { retry: error, of: 'cluster' }
    const why = describeError(error)
    throw new Error(`Could not list the container instances of cluster '${cluster}': ${why}`, {
      cause: error
    })
  }
}

/** List + describe container instances, keeping ACTIVE ones whose agent is connected. */
async function activeContainerInstances(
  ecs: ScaleOutDeps['ecs'],
  cluster: string
): Promise<ContainerInstance[]> {
  const found: ContainerInstance[] = []
  let nextToken: string | undefined
  do {
    const page = await ecs.send(new ListContainerInstancesCommand({ cluster, nextToken }))
    nextToken = page.nextToken
    const arns = page.containerInstanceArns ?? []
    if (arns.length === 0) continue
    const described = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster, containerInstances: arns })
    )
    for (const ci of described.containerInstances ?? []) {
      if (ci.agentConnected && ci.status === 'ACTIVE') found.push(ci)
    }
  } while (nextToken)
  return found
}

/** hako waits this long after publishing to the scale-out topic. */
export const SNS_RETRY_INTERVAL_MS = 10000

export interface PublishDeps extends Pick<Runtime, 'clock' | 'logger'> {
  sns: Pick<SNSClient, 'send'>
}

/**
 * hako's try_scale_out_with_sns: publish `{group_name, cluster, cpu, memory, hako_task_id}`
 * to the topic, then wait 10 s (not past the deadline) before RunTask is retried.
 */
export async function publishScaleOutRequest(
  deps: PublishDeps,
  options: ScaleOutOptions & { topicArn: string; hakoTaskId: string }
): Promise<void> {
  const { sns, clock, logger } = deps
  const message = JSON.stringify({
    group_name: options.group,
    cluster: options.cluster,
    cpu: options.needed.cpu,
    memory: options.needed.memory,
    hako_task_id: options.hakoTaskId
  })
  logger.info(`Unable to start the task. Publish message to ${options.topicArn}: ${message}`)
  try {
    const out = await sns.send(new PublishCommand({ TopicArn: options.topicArn, Message: message }))
    logger.info(`Sent message_id=${escapeLogText(out.MessageId ?? '')}`)
  } catch (error) {
    if (!isTransient(error)) {
      throw new Error(
        `Could not publish to ${options.topicArn} (scheduler.autoscaling_topic_for_oneshot): ${describeError(error)}`,
        { cause: error }
      )
    }
    logger.warning(
      `Could not publish to ${options.topicArn}: ${describeError(error)}; retrying after RunTask`
    )
  }
  await clock.sleep(
    Math.max(0, Math.min(SNS_RETRY_INTERVAL_MS, options.deadline - clock.now())),
    options.signal
  )
}
