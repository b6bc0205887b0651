/**
 * One task of the simulated ECS: how RunTask builds it from a definition and the request, the
 * CPU and memory it reserves, and its wire format in DescribeTasks, RunTask and events.
 */
import type { RunTaskRequest } from '@aws-sdk/client-ecs'
import type { Clock, Random } from '../src/util/clock.js'
import { randomHex, randomUuid } from './random.js'
import { containerScript, type ContainerScript, type TaskScript } from './script.js'
import {
  compact,
  seconds,
  type ContainerInstance,
  type SimContainer,
  type SimTask,
  type StoredTaskDefinition
} from './ecs-model.js'

/** What building a task needs of the simulator. */
export interface TaskContext {
  clock: Clock
  random: Random
  /** An ARN of this account and region for `resource`. */
  arn: (resource: string) => string
}

/** CPU units and MiB a task reserves on an instance: task-level, else the containers' sum. */
export function requirements(
  definition: StoredTaskDefinition,
  overrides: SimTask['overrides']
): { cpu: number; memory: number } {
  const taskCpu = Number(overrides.cpu ?? definition.wire.cpu)
  const taskMemory = Number(overrides.memory ?? definition.wire.memory)
  let cpu = 0
  let memory = 0
  for (const c of definition.containers) {
    const o = overrides.containerOverrides.find((x) => x.name === c.name)
    cpu += o?.cpu ?? c.cpu ?? 0
    memory += o?.memoryReservation ?? c.memoryReservation ?? o?.memory ?? c.memory ?? 0
  }
  return {
    cpu: Number.isFinite(taskCpu) && taskCpu > 0 ? taskCpu : cpu,
    memory: Number.isFinite(taskMemory) && taskMemory > 0 ? taskMemory : memory
  }
}

/** A new PROVISIONING task of `definition`, as RunTask creates it (its version still 0). */
export function buildTask(
  o: TaskContext,
  input: {
    body: RunTaskRequest
    cluster: string
    definition: StoredTaskDefinition
    overrides: SimTask['overrides']
    script: TaskScript
    scripts: ContainerScript[]
    instance?: ContainerInstance
    need: { cpu: number; memory: number }
  }
): SimTask {
  const { body, cluster, definition } = input
  const id = randomHex(o.random, 32)
  const taskArn = o.arn(`task/${cluster}/${id}`)
  const now = o.clock.now()
  const propagated = body.propagateTags === 'TASK_DEFINITION' ? definition.tags : []
  const tags = [
    ...propagated.filter((t) => !(body.tags ?? []).some((r) => r.key === t.key)),
    ...(body.tags ?? [])
  ]
  const containers = definition.containers.map((c, index): SimContainer => {
    const override = input.overrides.containerOverrides.find((x) => x.name === c.name)
    const options = c.logConfiguration?.options ?? {}
    const group = options['awslogs-group']
    const prefix = options['awslogs-stream-prefix']
    return {
      name: c.name ?? '',
      containerArn: o.arn(`container/${cluster}/${id}/${randomUuid(o.random)}`),
      image: c.image ?? '',
      essential: c.essential ?? true,
      lastStatus: 'PENDING',
      cpu: override?.cpu ?? c.cpu ?? 0,
      memory: override?.memory ?? c.memory,
      memoryReservation: override?.memoryReservation ?? c.memoryReservation,
      script: input.scripts[index] ?? containerScript(new Map(), false, 0),
      log:
        c.logConfiguration?.logDriver === 'awslogs' && group && prefix
          ? { group, stream: `${prefix}/${c.name}/${id}` }
          : undefined
    }
  })
  const launchType = body.capacityProviderStrategy?.length ? undefined : (body.launchType ?? 'EC2')
  const task: SimTask = {
    taskArn,
    id,
    cluster,
    clusterArn: o.arn(`cluster/${cluster}`),
    definition,
    overrides: input.overrides,
    startedBy: body.startedBy,
    group: body.group ?? `family:${definition.family}`,
    launchType,
    capacityProviderName: body.capacityProviderStrategy?.[0]?.capacityProvider,
    containerInstanceArn: input.instance?.arn,
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    createdAt: now,
    version: 0,
    tags,
    containers,
    script: input.script,
    hideExitCodes: false,
    cpu: input.need.cpu,
    memory: input.need.memory,
    cpuText: input.overrides.cpu ?? (definition.wire.cpu as string | undefined),
    memoryText: input.overrides.memory ?? (definition.wire.memory as string | undefined)
  }
  return task
}

/** A task as DescribeTasks and RunTask return it (epoch-second timestamps, no tags). */
export function wireTask(task: SimTask, region: string): Record<string, unknown> {
  const containers = task.containers.map((c) =>
    compact({
      containerArn: c.containerArn,
      taskArn: task.taskArn,
      name: c.name,
      image: c.image,
      runtimeId: c.runtimeId,
      lastStatus: c.lastStatus,
      exitCode: task.hideExitCodes ? undefined : c.exitCode,
      reason: task.hideExitCodes ? undefined : c.reason,
      networkBindings: [],
      networkInterfaces: [],
      healthStatus: 'UNKNOWN',
      cpu: String(c.cpu),
      memory: c.memory === undefined ? undefined : String(c.memory),
      memoryReservation: c.memoryReservation === undefined ? undefined : String(c.memoryReservation)
    })
  )
  const running = task.startedAt !== undefined
  return compact({
    attachments: [],
    attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
    availabilityZone: `${region}a`,
    capacityProviderName: task.capacityProviderName,
    clusterArn: task.clusterArn,
    connectivity: running ? 'CONNECTED' : undefined,
    connectivityAt: running ? seconds(task.startedAt) : undefined,
    containerInstanceArn: task.containerInstanceArn,
    containers,
    cpu: task.cpuText,
    createdAt: seconds(task.createdAt),
    desiredStatus: task.desiredStatus,
    enableExecuteCommand: false,
    executionStoppedAt: seconds(task.executionStoppedAt),
    group: task.group,
    healthStatus: 'UNKNOWN',
    lastStatus: task.lastStatus,
    launchType: task.launchType,
    memory: task.memoryText,
    overrides: {
      containerOverrides: task.overrides.containerOverrides,
      inferenceAcceleratorOverrides: []
    },
    platformVersion: task.launchType === 'FARGATE' ? '1.4.0' : undefined,
    pullStartedAt: seconds(task.pullStartedAt),
    pullStoppedAt: seconds(task.pullStoppedAt),
    startedAt: seconds(task.startedAt),
    startedBy: task.startedBy,
    stopCode: task.stopCode,
    stoppedAt: seconds(task.stoppedAt),
    stoppedReason: task.stoppedReason,
    stoppingAt: seconds(task.stoppingAt),
    taskArn: task.taskArn,
    taskDefinitionArn: task.definition.arn,
    version: task.version
  })
}

// ---- observation -------------------------------------------------------------------------
