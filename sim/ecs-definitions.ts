/**
 * Task definitions of the simulated ECS: families, revisions, the register conflict window and
 * the delay before DescribeTaskDefinition sees a new revision.
 */
import type { ContainerDefinition, RegisterTaskDefinitionRequest } from '@aws-sdk/client-ecs'
import type { Clock } from '../src/util/clock.js'
import { AwsError } from './json-server.js'
import { compact, seconds, type LifecycleTimings, type StoredTaskDefinition } from './ecs-model.js'

const FAMILY_RE = /^[A-Za-z0-9_-]{1,255}$/

/** What the registry needs of the simulator. */
export interface DefinitionsContext {
  clock: Clock
  account: string
  msPerSecond: number
  timings: LifecycleTimings
  /** An ARN of this account and region for `resource`. */
  arn: (resource: string) => string
}

/** Every revision of every family, as ECS keeps them. */
export class TaskDefinitions {
  private readonly definitions = new Map<string, StoredTaskDefinition[]>()
  private readonly revisions = new Map<string, number>()
  private readonly lastRegister = new Map<string, number>()

  constructor(private readonly o: DefinitionsContext) {}

  /** RegisterTaskDefinition: validates, assigns the next revision, stores it. */
  register(body: RegisterTaskDefinitionRequest): unknown {
    const family = body.family
    if (!family) throw new AwsError('ClientException', 'Family must not be null or empty.')
    if (!FAMILY_RE.test(family)) {
      throw new AwsError(
        'ClientException',
        'Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.'
      )
    }
    const containers = body.containerDefinitions ?? []
    if (containers.length === 0) {
      throw new AwsError('ClientException', 'Container list cannot be empty.')
    }
    for (const c of containers) {
      if (!c.name)
        throw new AwsError('ClientException', 'Container.name should not be null or empty.')
      if (!c.image)
        throw new AwsError('ClientException', 'Container.image should not be null or empty.')
      if (!body.memory && c.memory === undefined && c.memoryReservation === undefined) {
        throw new AwsError(
          'ClientException',
          `Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`
        )
      }
    }
    const now = this.o.clock.now()
    const window = this.o.timings.registerConflictSeconds * this.o.msPerSecond
    const last = this.lastRegister.get(family)
    if (window > 0 && last !== undefined && now - last < window) {
      throw new AwsError(
        'ClientException',
        'Too many concurrent attempts to create a new revision of the specified family.'
      )
    }
    this.lastRegister.set(family, now)
    const revision = (this.revisions.get(family) ?? 0) + 1
    this.revisions.set(family, revision)
    const arn = this.o.arn(`task-definition/${family}:${revision}`)
    const networkMode = body.networkMode
    const wireContainers = containers.map((c) => this.containerDefaults(c, networkMode))
    const compatibilities = ['EC2']
    if (networkMode === undefined || networkMode !== 'awsvpc') compatibilities.unshift('EXTERNAL')
    if (networkMode === 'awsvpc' && body.cpu && body.memory) compatibilities.push('FARGATE')
    const wire = compact({
      taskDefinitionArn: arn,
      containerDefinitions: wireContainers,
      family,
      taskRoleArn: body.taskRoleArn,
      executionRoleArn: body.executionRoleArn,
      networkMode,
      revision,
      volumes: body.volumes ?? [],
      status: 'ACTIVE',
      requiresAttributes: this.requiresAttributes(body),
      placementConstraints: body.placementConstraints ?? [],
      compatibilities,
      runtimePlatform: body.runtimePlatform,
      requiresCompatibilities: body.requiresCompatibilities,
      cpu: body.cpu,
      memory: body.memory,
      pidMode: body.pidMode,
      ipcMode: body.ipcMode,
      ephemeralStorage: body.ephemeralStorage,
      registeredAt: seconds(now),
      registeredBy: `arn:aws:iam::${this.o.account}:root`
    })
    const stored: StoredTaskDefinition = {
      visibleAt: now + this.o.timings.definitionVisibleSeconds * this.o.msPerSecond,
      wire,
      arn,
      family,
      revision,
      status: 'ACTIVE',
      containers,
      tags: body.tags ?? []
    }
    const list = this.definitions.get(family) ?? []
    list.push(stored)
    this.definitions.set(family, list)
    return compact({
      taskDefinition: wire,
      tags: body.tags && body.tags.length > 0 ? body.tags : undefined
    })
  }

  /** A container definition as DescribeTaskDefinition returns it: ECS's defaults filled in. */
  private containerDefaults(
    c: ContainerDefinition,
    networkMode: string | undefined
  ): Record<string, unknown> {
    const hostEqualsContainer = networkMode === 'awsvpc' || networkMode === 'host'
    return compact({
      ...(c as Record<string, unknown>),
      cpu: c.cpu ?? 0,
      portMappings: (c.portMappings ?? []).map((p) =>
        compact({
          ...p,
          hostPort: p.hostPort ?? (hostEqualsContainer ? p.containerPort : 0),
          protocol: p.protocol ?? 'tcp'
        })
      ),
      essential: c.essential ?? true,
      environment: c.environment ?? [],
      mountPoints: c.mountPoints ?? [],
      volumesFrom: c.volumesFrom ?? [],
      systemControls: c.systemControls ?? []
    })
  }

  /** The attributes ECS derives from a definition (an approximation of its rules). */
  private requiresAttributes(body: RegisterTaskDefinitionRequest): { name: string }[] {
    const names = new Set<string>()
    for (const c of body.containerDefinitions ?? []) {
      const driver = c.logConfiguration?.logDriver
      if (driver) {
        names.add(`com.amazonaws.ecs.capability.logging-driver.${driver}`)
        if (driver === 'awslogs') names.add('com.amazonaws.ecs.capability.docker-remote-api.1.19')
      }
      if (c.image && /\.dkr\.ecr\./.test(c.image))
        names.add('com.amazonaws.ecs.capability.ecr-auth')
    }
    if (body.taskRoleArn) names.add('com.amazonaws.ecs.capability.task-iam-role')
    if (body.executionRoleArn && [...names].some((n) => n.endsWith('awslogs'))) {
      names.add('ecs.capability.execution-role-awslogs')
    }
    if (body.networkMode === 'awsvpc') names.add('ecs.capability.task-eni')
    return [...names].map((name) => ({ name }))
  }

  /** Finds a definition by family (latest ACTIVE), family:revision or ARN. */
  find(ref: string | undefined, visibleOnly = false): StoredTaskDefinition | undefined {
    if (!ref) return undefined
    const tail = ref.startsWith('arn:') ? (ref.split('task-definition/')[1] ?? '') : ref
    const [family = '', revision] = tail.split(':')
    const now = this.o.clock.now()
    const list = (this.definitions.get(family) ?? []).filter(
      (d) => !visibleOnly || d.visibleAt <= now
    )
    if (revision !== undefined) return list.find((d) => String(d.revision) === revision)
    return [...list].reverse().find((d) => d.status === 'ACTIVE')
  }

  /** DescribeTaskDefinition: sees a new revision only once it is visible. */
  describe(body: { taskDefinition?: string; include?: string[] }): unknown {
    const found = this.find(body.taskDefinition, true)
    if (!found) throw new AwsError('ClientException', 'Unable to describe task definition.')
    return compact({
      taskDefinition: found.wire,
      tags: body.include?.includes('TAGS') ? found.tags : undefined
    })
  }

  /** DeregisterTaskDefinition: the revision turns INACTIVE. */
  deregister(body: { taskDefinition?: string }): unknown {
    const ref = body.taskDefinition ?? ''
    if (!ref.includes(':')) {
      throw new AwsError('ClientException', 'Revision must be specified for a task definition.')
    }
    const found = this.find(ref)
    if (!found)
      throw new AwsError('ClientException', 'The specified task definition does not exist.')
    found.status = 'INACTIVE'
    found.wire = { ...found.wire, status: 'INACTIVE', deregisteredAt: seconds(this.o.clock.now()) }
    return { taskDefinition: found.wire }
  }
}
