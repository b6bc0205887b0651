/**
 * The ECS control plane, simulated: task definitions, clusters, a container-instance fleet and
 * tasks that go PROVISIONING → PENDING → RUNNING → STOPPED on timers, as scripted by `SIM_*`
 * variables (see script.ts). Every state change bumps the task's `version` and emits an
 * "ECS Task State Change" event. Requests and responses use ECS's JSON member names.
 */
import type {
  ContainerDefinition,
  ContainerOverride,
  RegisterTaskDefinitionRequest,
  RunTaskRequest,
  Tag
} from '@aws-sdk/client-ecs'
import type { Clock, Random } from '../src/util/clock.js'
import { AwsError } from './json-server.js'
import { LogStore } from './logs.js'
import { randomHex, randomUuid } from './random.js'
import {
  containerScript,
  mergeEnvironment,
  taskScript,
  type ContainerScript,
  type TaskScript
} from './script.js'
import {
  ENI_TIMEOUT_REASON,
  FaultInjector,
  SPOT_REASON,
  pullThrottleReason,
  spotAfterSeconds
} from './faults.js'
import type { Fault, FaultRates } from './faults.js'
import { taskStateEvent, type TaskStateEvent } from './events.js'

/** Lifecycle durations, in simulated seconds. */
export interface LifecycleTimings {
  /** PROVISIONING → PENDING (default 1). */
  provisioningSeconds: number
  /** PENDING (image pull) → RUNNING or pull failure (default 2). */
  pendingSeconds: number
  /** App container run time when its script does not say (default 5). */
  defaultRunSeconds: number
  /** SIGTERM (or an essential container's exit) → STOPPED (default 1). */
  stopSeconds: number
  /** SIGTERM → SIGKILL for a container that ignores SIGTERM (default 30, ECS's stopTimeout). */
  stopTimeoutSeconds: number
  /** How long an incomplete STOPPED state lasts before the complete one (default 2). */
  incompleteStopSeconds: number
  /** A new task is MISSING from DescribeTasks for this long (eventual consistency; default 0). */
  describeDelaySeconds: number
  /**
   * Two RegisterTaskDefinition calls for one family within this window: the second fails with
   * "Too many concurrent attempts to create a new revision of the specified family." (default 0:
   * never).
   */
  registerConflictSeconds: number
  /**
   * A new revision is invisible to DescribeTaskDefinition for this long: by family the
   * previous revision still answers, by ARN "Unable to describe task definition" (ECS reads are
   * eventually consistent, docs/limits.md, "Registration"; default 1). RunTask sees it at once,
   * as the job that registered it runs it right away.
   */
  definitionVisibleSeconds: number
}

export const DEFAULT_TIMINGS: LifecycleTimings = {
  provisioningSeconds: 1,
  pendingSeconds: 2,
  defaultRunSeconds: 5,
  stopSeconds: 1,
  stopTimeoutSeconds: 30,
  incompleteStopSeconds: 2,
  describeDelaySeconds: 0,
  registerConflictSeconds: 0,
  definitionVisibleSeconds: 1
}

/** Container instances of one cluster (EC2 capacity); clusters without a fleet have no limit. */
export interface FleetOptions {
  /** Number of instances at start. */
  instances: number
  /** CPU units per instance (default 2048). */
  cpu?: number
  /** Memory MiB per instance (default 3800). */
  memory?: number
}

export interface EcsSimOptions {
  clock: Clock
  random: Random
  region: string
  account: string
  /** Real milliseconds per simulated second (1000 × time scale). */
  msPerSecond: number
  timings: LifecycleTimings
  /** Clusters that exist; undefined: every name exists. */
  clusters?: string[]
  /** EC2 fleets by cluster name. */
  fleet?: Record<string, FleetOptions>
  logs: LogStore
  emit: (event: TaskStateEvent) => void
  signal: AbortSignal
  /** Random infrastructure failures of new tasks (faults.ts); scripted ones need none. */
  faults?: FaultRates
}

/** When things happened to one task, epoch milliseconds, for the benchmark. */
export interface TaskTimeline {
  taskArn: string
  cluster: string
  family: string
  startedBy?: string
  createdAt: number
  runningAt?: number
  stoppedAt?: number
  /** The app container's exit code in the final state. */
  exitCode?: number
  /** When the notifier first wrote started.json / stopped.json for this task. */
  startedEventWrittenAt?: number
  stopEventWrittenAt?: number
}

interface StoredTaskDefinition {
  /** When DescribeTaskDefinition starts to see it (clock ms). */
  visibleAt: number
  wire: Record<string, unknown>
  arn: string
  family: string
  revision: number
  status: 'ACTIVE' | 'INACTIVE'
  containers: ContainerDefinition[]
  tags: Tag[]
}

interface SimContainer {
  name: string
  containerArn: string
  image: string
  essential: boolean
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED'
  exitCode?: number
  reason?: string
  runtimeId?: string
  cpu: number
  memory?: number
  memoryReservation?: number
  script: ContainerScript
  log?: { group: string; stream: string }
}

interface SimTask {
  taskArn: string
  id: string
  cluster: string
  clusterArn: string
  definition: StoredTaskDefinition
  overrides: { containerOverrides: ContainerOverride[]; cpu?: string; memory?: string }
  startedBy?: string
  group: string
  launchType?: string
  capacityProviderName?: string
  containerInstanceArn?: string
  lastStatus: string
  desiredStatus: string
  stopCode?: string
  stoppedReason?: string
  createdAt: number
  pullStartedAt?: number
  pullStoppedAt?: number
  startedAt?: number
  stoppingAt?: number
  stoppedAt?: number
  version: number
  tags: Tag[]
  containers: SimContainer[]
  script: TaskScript
  /** While true, containers show no exit code or reason (docs/ecs-events.md, "STOPPED without exit codes", agent PR #1178). */
  hideExitCodes: boolean
  cpu: number
  memory: number
  cpuText?: string
  memoryText?: string
  /** The infrastructure failure this task meets (faults.ts), and when Spot reclaims it. */
  fault?: Fault
  spotAfterSeconds?: number
}

interface ContainerInstance {
  arn: string
  ec2InstanceId: string
  cluster: string
  cpu: number
  memory: number
  usedCpu: number
  usedMemory: number
  running: number
  registeredAt: number
}

const FAMILY_RE = /^[A-Za-z0-9_-]{1,255}$/

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** Epoch milliseconds to the JSON protocol's epoch seconds. */
function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000
}

/** Drops undefined members so responses carry only what ECS would send. */
function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key]
  return value
}

export class EcsSim {
  private readonly definitions = new Map<string, StoredTaskDefinition[]>()
  private readonly revisions = new Map<string, number>()
  private readonly lastRegister = new Map<string, number>()
  private readonly tasks = new Map<string, SimTask>()
  private readonly timelines = new Map<string, TaskTimeline>()
  private readonly instances = new Map<string, ContainerInstance[]>()
  private readonly idempotency = new Map<string, { fingerprint: string; taskArns: string[] }>()
  private readonly capacityAttempts = new Map<string, number>()
  private readonly clusterTags = new Map<string, Tag[]>()
  private readonly faults: FaultInjector

  constructor(private readonly o: EcsSimOptions) {
    this.faults = new FaultInjector(o.random, o.faults)
    for (const [cluster, fleet] of Object.entries(o.fleet ?? {})) {
      this.addContainerInstances(cluster, fleet.instances, fleet)
    }
  }

  // ---- identifiers -------------------------------------------------------------------------

  private arn(resource: string): string {
    return `arn:aws:ecs:${this.o.region}:${this.o.account}:${resource}`
  }

  /** The cluster name for a `cluster` parameter (name or ARN, default `default`). */
  private clusterName(raw: unknown): string {
    const value = str(raw) ?? 'default'
    const name = value.startsWith('arn:') ? (value.split('/').pop() ?? '') : value
    if (this.o.clusters && !this.o.clusters.includes(name)) {
      throw new AwsError('ClusterNotFoundException', 'Cluster not found.')
    }
    return name
  }

  // ---- fleet -------------------------------------------------------------------------------

  /** Registers `count` new ACTIVE container instances in `cluster`; returns their ARNs. */
  addContainerInstances(
    cluster: string,
    count: number,
    size: Partial<FleetOptions> = {}
  ): string[] {
    const list = this.instances.get(cluster) ?? []
    this.instances.set(cluster, list)
    const added: string[] = []
    for (let i = 0; i < count; i++) {
      const instance: ContainerInstance = {
        arn: this.arn(`container-instance/${cluster}/${randomHex(this.o.random, 32)}`),
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
  fleetOf(cluster: string): readonly ContainerInstance[] | undefined {
    return this.instances.get(cluster)
  }

  // ---- task definitions --------------------------------------------------------------------

  registerTaskDefinition(body: RegisterTaskDefinitionRequest): unknown {
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
    const arn = this.arn(`task-definition/${family}:${revision}`)
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
  private findDefinition(
    ref: string | undefined,
    visibleOnly = false
  ): StoredTaskDefinition | undefined {
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

  describeTaskDefinition(body: { taskDefinition?: string; include?: string[] }): unknown {
    const found = this.findDefinition(body.taskDefinition, true)
    if (!found) throw new AwsError('ClientException', 'Unable to describe task definition.')
    return compact({
      taskDefinition: found.wire,
      tags: body.include?.includes('TAGS') ? found.tags : undefined
    })
  }

  deregisterTaskDefinition(body: { taskDefinition?: string }): unknown {
    const ref = body.taskDefinition ?? ''
    if (!ref.includes(':')) {
      throw new AwsError('ClientException', 'Revision must be specified for a task definition.')
    }
    const found = this.findDefinition(ref)
    if (!found)
      throw new AwsError('ClientException', 'The specified task definition does not exist.')
    found.status = 'INACTIVE'
    found.wire = { ...found.wire, status: 'INACTIVE', deregisteredAt: seconds(this.o.clock.now()) }
    return { taskDefinition: found.wire }
  }

  listTagsForResource(body: { resourceArn?: string }): unknown {
    const arn = body.resourceArn ?? ''
    if (!arn.startsWith('arn:'))
      throw new AwsError('InvalidParameterException', 'The ARN provided is invalid.')
    if (arn.includes(':task-definition/')) {
      const found = this.findDefinition(arn)
      if (found) return { tags: found.tags }
    } else if (arn.includes(':task/')) {
      const task = this.tasks.get(arn)
      if (task) return { tags: task.tags }
    } else if (arn.includes(':cluster/')) {
      return { tags: this.clusterTags.get(arn.split('/').pop() ?? '') ?? [] }
    }
    throw new AwsError('InvalidParameterException', 'The specified resource could not be found.')
  }

  // ---- tasks -------------------------------------------------------------------------------

  runTask(body: RunTaskRequest): unknown {
    const cluster = this.clusterName(body.cluster)
    const count = body.count ?? 1
    if (!Number.isInteger(count) || count < 1 || count > 10) {
      throw new AwsError('InvalidParameterException', 'Count must be between 1 and 10.')
    }
    if (body.clientToken !== undefined && body.clientToken.length > 64) {
      throw new AwsError('InvalidParameterException', 'clientToken must be at most 64 characters.')
    }
    if (body.launchType && body.capacityProviderStrategy?.length) {
      throw new AwsError(
        'InvalidParameterException',
        'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.'
      )
    }
    const definition = this.findDefinition(body.taskDefinition)
    if (!definition) throw new AwsError('InvalidParameterException', 'TaskDefinition not found.')
    // ECS refuses new tasks of a deregistered (INACTIVE) revision, named by ARN or revision too
    // (its documentation allows a window of up to 10 minutes before that holds; never kinder).
    if (definition.status !== 'ACTIVE') {
      throw new AwsError('ClientException', 'TaskDefinition is inactive')
    }
    const fingerprint = JSON.stringify({ ...body, clientToken: undefined })
    const tokenKey = body.clientToken ? `${cluster}|${body.clientToken}` : undefined
    if (tokenKey) {
      const previous = this.idempotency.get(tokenKey)
      if (previous && previous.fingerprint !== fingerprint) {
        // Same token, another request: ECS names the tasks the token already started.
        throw new AwsError(
          'ConflictException',
          'The RunTask request could not be processed due to conflicts. The provided ' +
            'clientToken is already in use with a different RunTask request.',
          400,
          { resourceIds: previous.taskArns }
        )
      }
      if (previous) {
        return {
          tasks: previous.taskArns.map((arn) => this.wireTask(this.mustTask(arn))),
          failures: []
        }
      }
    }

    const overrides = {
      containerOverrides: body.overrides?.containerOverrides ?? [],
      cpu: body.overrides?.cpu,
      memory: body.overrides?.memory
    }
    const appName = definition.containers.some((c) => c.name === 'app')
      ? 'app'
      : definition.containers[0]?.name
    const envOf = (c: ContainerDefinition): Map<string, string> =>
      mergeEnvironment(
        c.environment,
        overrides.containerOverrides.find((o) => o.name === c.name)?.environment
      )
    const appDefinition = definition.containers.find((c) => c.name === appName)
    const script = taskScript(appDefinition ? envOf(appDefinition) : new Map())
    const scripts = definition.containers.map((c) =>
      containerScript(envOf(c), c.name === appName, this.o.timings.defaultRunSeconds)
    )

    // Scripted capacity failures: the same request (by its content, whatever its client token)
    // fails this many times, then starts.
    const attemptKey = `${cluster}|${fingerprint}`
    const attempts = this.capacityAttempts.get(attemptKey) ?? 0
    if (attempts < script.capacityFailures) {
      this.capacityAttempts.set(attemptKey, attempts + 1)
      return {
        tasks: [],
        failures: Array.from({ length: count }, () => ({
          arn: this.arn(`cluster/${cluster}`),
          reason:
            'Capacity is unavailable at this time. Please try again later or in a different availability zone'
        }))
      }
    }

    const need = this.requirements(definition, overrides)
    const tasks: SimTask[] = []
    const failures: { arn: string; reason: string }[] = []
    const fleet = body.launchType === 'FARGATE' ? undefined : this.instances.get(cluster)
    if (fleet && fleet.length === 0) {
      throw new AwsError(
        'InvalidParameterException',
        'No Container Instances were found in your cluster.'
      )
    }
    for (let i = 0; i < count; i++) {
      let instance: ContainerInstance | undefined
      if (fleet) {
        instance = fleet.find(
          (f) => f.cpu - f.usedCpu >= need.cpu && f.memory - f.usedMemory >= need.memory
        )
        if (!instance) {
          const short = fleet.find((f) => f.memory - f.usedMemory < need.memory)
          failures.push({
            arn: (short ?? fleet[0])?.arn ?? '',
            reason: short ? 'RESOURCE:MEMORY' : 'RESOURCE:CPU'
          })
          continue
        }
        instance.usedCpu += need.cpu
        instance.usedMemory += need.memory
        instance.running++
      }
      const task = this.createTask({
        body,
        cluster,
        definition,
        overrides,
        script,
        scripts,
        instance,
        need
      })
      const appEnv = appDefinition ? envOf(appDefinition) : new Map<string, string>()
      // Attempts of one task: the same definition and overrides, whatever the tags and token.
      const taskKey = JSON.stringify([cluster, body.taskDefinition, body.overrides])
      task.fault = this.faults.next(taskKey, appEnv)
      task.spotAfterSeconds = spotAfterSeconds(
        appEnv,
        task.containers.find((c) => c.name === appName)?.script.runSeconds
      )
      tasks.push(task)
    }
    if (tokenKey && tasks.length > 0) {
      this.idempotency.set(tokenKey, { fingerprint, taskArns: tasks.map((t) => t.taskArn) })
    }
    return { tasks: tasks.map((t) => this.wireTask(t)), failures }
  }

  /** CPU units and MiB a task reserves on an instance: task-level, else the containers' sum. */
  private requirements(
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

  private createTask(input: {
    body: RunTaskRequest
    cluster: string
    definition: StoredTaskDefinition
    overrides: SimTask['overrides']
    script: TaskScript
    scripts: ContainerScript[]
    instance?: ContainerInstance
    need: { cpu: number; memory: number }
  }): SimTask {
    const { body, cluster, definition } = input
    const id = randomHex(this.o.random, 32)
    const taskArn = this.arn(`task/${cluster}/${id}`)
    const now = this.o.clock.now()
    const propagated = body.propagateTags === 'TASK_DEFINITION' ? definition.tags : []
    const tags = [
      ...propagated.filter((t) => !(body.tags ?? []).some((r) => r.key === t.key)),
      ...(body.tags ?? [])
    ]
    const containers = definition.containers.map((c, index): SimContainer => {
      const o = input.overrides.containerOverrides.find((x) => x.name === c.name)
      const options = c.logConfiguration?.options ?? {}
      const group = options['awslogs-group']
      const prefix = options['awslogs-stream-prefix']
      return {
        name: c.name ?? '',
        containerArn: this.arn(`container/${cluster}/${id}/${randomUuid(this.o.random)}`),
        image: c.image ?? '',
        essential: c.essential ?? true,
        lastStatus: 'PENDING',
        cpu: o?.cpu ?? c.cpu ?? 0,
        memory: o?.memory ?? c.memory,
        memoryReservation: o?.memoryReservation ?? c.memoryReservation,
        script: input.scripts[index] ?? containerScript(new Map(), false, 0),
        log:
          c.logConfiguration?.logDriver === 'awslogs' && group && prefix
            ? { group, stream: `${prefix}/${c.name}/${id}` }
            : undefined
      }
    })
    const launchType = body.capacityProviderStrategy?.length
      ? undefined
      : (body.launchType ?? 'EC2')
    const task: SimTask = {
      taskArn,
      id,
      cluster,
      clusterArn: this.arn(`cluster/${cluster}`),
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
    this.tasks.set(taskArn, task)
    this.timelines.set(
      taskArn,
      compact({
        taskArn,
        cluster,
        family: definition.family,
        startedBy: body.startedBy,
        createdAt: now
      })
    )
    this.changed(task)
    this.after(task.script.provisioningSeconds ?? this.o.timings.provisioningSeconds, () =>
      this.toPending(task)
    )
    return task
  }

  private mustTask(arn: string): SimTask {
    const task = this.tasks.get(arn)
    if (!task) throw new Error(`no task ${arn}`)
    return task
  }

  /** Runs `fn` after `simSeconds` of simulated time, unless the simulator closed. */
  private after(simSeconds: number, fn: () => void): void {
    void this.o.clock.sleep(simSeconds * this.o.msPerSecond, this.o.signal).then(() => {
      if (!this.o.signal.aborted) fn()
    })
  }

  /** Records a state change: bumps `version` and emits the event. */
  private changed(task: SimTask): void {
    task.version++
    const now = this.o.clock.now()
    this.o.emit(
      taskStateEvent({
        wireTask: this.wireTask(task),
        id: randomUuid(this.o.random),
        account: this.o.account,
        region: this.o.region,
        at: now
      })
    )
  }

  private toPending(task: SimTask): void {
    if (task.desiredStatus !== 'RUNNING') return
    if (task.fault === 'eni-timeout') {
      task.desiredStatus = 'STOPPED'
      task.stopCode = 'TaskFailedToStart'
      task.stoppedReason = ENI_TIMEOUT_REASON
      task.stoppingAt = this.o.clock.now()
      for (const c of task.containers) c.lastStatus = 'STOPPED'
      this.finishStop(task)
      return
    }
    task.lastStatus = 'PENDING'
    task.pullStartedAt = this.o.clock.now()
    this.changed(task)
    this.after(task.script.pendingSeconds ?? this.o.timings.pendingSeconds, () =>
      this.afterPull(task)
    )
  }

  private afterPull(task: SimTask): void {
    if (task.desiredStatus !== 'RUNNING') return
    const now = this.o.clock.now()
    task.pullStoppedAt = now
    const throttled = (c: SimContainer): boolean =>
      task.fault === 'pull-throttle' &&
      c === (task.containers.find((x) => x.name === 'app') ?? task.containers[0])
    const failing = task.containers.filter((c) => c.script.pullFailure || throttled(c))
    if (failing.length > 0) {
      const reasonOf = (c: SimContainer): string =>
        throttled(c)
          ? pullThrottleReason(c.image)
          : `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${c.image}: not found`
      for (const c of task.containers) {
        c.lastStatus = 'STOPPED'
        if (failing.includes(c)) c.reason = reasonOf(c)
      }
      task.desiredStatus = 'STOPPED'
      task.stopCode = 'TaskFailedToStart'
      task.stoppedReason = reasonOf(failing[0] as SimContainer)
      task.stoppingAt = now
      this.finishStop(task)
      return
    }
    task.lastStatus = 'RUNNING'
    task.startedAt = now
    const timeline = this.timelines.get(task.taskArn)
    if (timeline) timeline.runningAt = now
    for (const c of task.containers) {
      c.lastStatus = 'RUNNING'
      c.runtimeId = `${task.id}-${randomHex(this.o.random, 10)}`
      if (c.log) this.o.logs.createStream(c.log.group, c.log.stream)
      this.scheduleLogLines(task, c)
      if (c.script.runSeconds !== undefined) {
        this.after(c.script.runSeconds, () => this.containerExited(task, c, c.script.exitCode))
      }
    }
    this.changed(task)
    if (task.fault === 'spot-interruption') {
      this.after(task.spotAfterSeconds ?? 1, () => {
        if (task.desiredStatus === 'RUNNING') this.beginStop(task, 'SpotInterruption', SPOT_REASON)
      })
    }
  }

  /** Prints a container's lines spread evenly over its run time (all at once if it runs on). */
  private scheduleLogLines(task: SimTask, c: SimContainer): void {
    const log = c.log
    if (!log) return
    const lines = c.script.logLines
    const run = c.script.runSeconds ?? 0
    lines.forEach((line, i) => {
      const print = (): void => {
        if (c.lastStatus === 'RUNNING')
          this.o.logs.append(log.group, log.stream, line, this.o.clock.now())
      }
      const at = lines.length > 0 ? (run * i) / lines.length : 0
      if (at === 0) print()
      else this.after(at, print)
    })
    void task
  }

  private containerExited(task: SimTask, c: SimContainer, exitCode: number | undefined): void {
    if (c.lastStatus !== 'RUNNING') return
    c.lastStatus = 'STOPPED'
    // The awslogs driver sends the lines it still holds when the container exits.
    if (c.log) this.o.logs.flush(c.log.group, c.log.stream, this.o.clock.now())
    c.exitCode = exitCode
    if (c.essential && task.desiredStatus === 'RUNNING') {
      this.beginStop(task, 'EssentialContainerExited', 'Essential container in task exited')
      return
    }
    if (task.desiredStatus === 'RUNNING') this.changed(task)
    else if (task.containers.every((x) => x.lastStatus === 'STOPPED')) this.finishStop(task)
  }

  /** desiredStatus STOPPED: SIGTERM to what still runs, STOPPED once everything has exited. */
  private beginStop(task: SimTask, stopCode: string, reason: string): void {
    task.desiredStatus = 'STOPPED'
    task.stopCode = stopCode
    task.stoppedReason = reason
    task.stoppingAt = this.o.clock.now()
    if (task.script.incompleteStop) task.hideExitCodes = true
    const running = task.containers.filter((c) => c.lastStatus === 'RUNNING')
    this.changed(task)
    if (running.length === 0) {
      this.after(this.o.timings.stopSeconds, () => this.finishStop(task))
      return
    }
    for (const c of running) {
      if (c.script.ignoreSigterm) {
        this.after(this.o.timings.stopTimeoutSeconds, () => this.containerExited(task, c, 137))
      } else {
        this.after(this.o.timings.stopSeconds, () =>
          this.containerExited(task, c, c.script.sigtermExitCode)
        )
      }
    }
  }

  private finishStop(task: SimTask): void {
    if (task.lastStatus === 'STOPPED') return
    const now = this.o.clock.now()
    task.lastStatus = 'STOPPED'
    task.stoppedAt = now
    for (const c of task.containers) c.lastStatus = 'STOPPED'
    this.release(task)
    this.changed(task)
    const complete = (): void => {
      task.hideExitCodes = false
      const timeline = this.timelines.get(task.taskArn)
      if (timeline) {
        timeline.stoppedAt = task.stoppedAt
        const app = task.containers.find((c) => c.name === 'app') ?? task.containers[0]
        if (app?.exitCode !== undefined) timeline.exitCode = app.exitCode
      }
    }
    if (task.hideExitCodes) {
      this.after(this.o.timings.incompleteStopSeconds, () => {
        complete()
        this.changed(task)
      })
    } else {
      complete()
    }
  }

  private release(task: SimTask): void {
    if (!task.containerInstanceArn) return
    const instance = this.instances
      .get(task.cluster)
      ?.find((i) => i.arn === task.containerInstanceArn)
    if (!instance) return
    instance.usedCpu -= task.cpu
    instance.usedMemory -= task.memory
    instance.running--
  }

  stopTask(body: { cluster?: string; task?: string; reason?: string }): unknown {
    const cluster = this.clusterName(body.cluster)
    const task = this.lookupTask(cluster, body.task)
    if (!task) throw new AwsError('InvalidParameterException', 'The referenced task was not found.')
    if (task.desiredStatus === 'RUNNING') {
      const reason = body.reason ?? 'Task stopped by user'
      if (task.lastStatus === 'RUNNING') {
        this.beginStop(task, 'UserInitiated', reason)
      } else {
        // Stopped before it ran: no container ever started, so none has an exit code.
        task.desiredStatus = 'STOPPED'
        task.stopCode = 'UserInitiated'
        task.stoppedReason = reason
        task.stoppingAt = this.o.clock.now()
        this.changed(task)
        this.after(this.o.timings.stopSeconds, () => this.finishStop(task))
      }
    }
    return { task: this.wireTask(task) }
  }

  private lookupTask(cluster: string, ref: string | undefined): SimTask | undefined {
    if (!ref) return undefined
    const arn = ref.startsWith('arn:') ? ref : this.arn(`task/${cluster}/${ref}`)
    const task = this.tasks.get(arn)
    return task && task.cluster === cluster ? task : undefined
  }

  describeTasks(body: { cluster?: string; tasks?: string[]; include?: string[] }): unknown {
    const cluster = this.clusterName(body.cluster)
    const refs = body.tasks ?? []
    if (refs.length === 0) throw new AwsError('InvalidParameterException', 'Tasks cannot be empty.')
    if (refs.length > 100) {
      throw new AwsError(
        'InvalidParameterException',
        'Too many tasks were specified. The maximum is 100.'
      )
    }
    const now = this.o.clock.now()
    const delay = this.o.timings.describeDelaySeconds * this.o.msPerSecond
    const tags = body.include?.includes('TAGS') ?? false
    const tasks: unknown[] = []
    const failures: { arn: string; reason: string }[] = []
    for (const ref of refs) {
      const task = this.lookupTask(cluster, ref)
      if (!task || now - task.createdAt < delay) {
        failures.push({ arn: ref, reason: 'MISSING' })
        continue
      }
      const wire = this.wireTask(task)
      if (tags) wire.tags = task.tags
      tasks.push(wire)
    }
    return { tasks, failures }
  }

  listTasks(body: {
    cluster?: string
    startedBy?: string
    family?: string
    desiredStatus?: string
    containerInstance?: string
    maxResults?: number
    nextToken?: string
  }): unknown {
    const cluster = this.clusterName(body.cluster)
    const desired = body.desiredStatus ?? 'RUNNING'
    const all = [...this.tasks.values()]
      .filter((t) => t.cluster === cluster && t.desiredStatus === desired)
      .filter((t) => body.startedBy === undefined || t.startedBy === body.startedBy)
      .filter((t) => body.family === undefined || t.definition.family === body.family)
      .filter(
        (t) =>
          body.containerInstance === undefined ||
          t.containerInstanceArn?.endsWith(body.containerInstance)
      )
      .map((t) => t.taskArn)
    return this.page(all, 'taskArns', body.maxResults, body.nextToken)
  }

  private page(
    items: string[],
    key: string,
    maxResults: number | undefined,
    nextToken: string | undefined
  ): unknown {
    const size = Math.min(100, maxResults ?? 100)
    const start = nextToken ? Number(Buffer.from(nextToken, 'base64').toString('utf8')) : 0
    const slice = items.slice(start, start + size)
    const end = start + slice.length
    return compact({
      [key]: slice,
      nextToken: end < items.length ? Buffer.from(String(end)).toString('base64') : undefined
    })
  }

  listContainerInstances(body: {
    cluster?: string
    status?: string
    maxResults?: number
    nextToken?: string
  }): unknown {
    const cluster = this.clusterName(body.cluster)
    const status = body.status ?? 'ACTIVE'
    const arns = status === 'ACTIVE' ? (this.instances.get(cluster) ?? []).map((i) => i.arn) : []
    return this.page(arns, 'containerInstanceArns', body.maxResults, body.nextToken)
  }

  describeContainerInstances(body: { cluster?: string; containerInstances?: string[] }): unknown {
    const cluster = this.clusterName(body.cluster)
    const refs = body.containerInstances ?? []
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

  /** A task as DescribeTasks and RunTask return it (epoch-second timestamps, no tags). */
  private wireTask(task: SimTask): Record<string, unknown> {
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
        memoryReservation:
          c.memoryReservation === undefined ? undefined : String(c.memoryReservation)
      })
    )
    const running = task.startedAt !== undefined
    return compact({
      attachments: [],
      attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
      availabilityZone: `${this.o.region}a`,
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
      executionStoppedAt: task.lastStatus === 'STOPPED' ? seconds(task.stoppedAt) : undefined,
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

  /** Timelines of every task, in creation order. */
  timeline(): TaskTimeline[] {
    return [...this.timelines.values()].map((t) => ({ ...t }))
  }

  /** Records that the notifier wrote started.json or stopped.json for a task (first time only). */
  markWritten(taskArn: string, kind: 'started' | 'stopped', at: number): void {
    const t = this.timelines.get(taskArn)
    if (!t) return
    if (kind === 'started') t.startedEventWrittenAt ??= at
    else t.stopEventWrittenAt ??= at
  }

  /** A task as DescribeTasks shows it now (for tests and the CLI), or undefined. */
  describe(taskArn: string): Record<string, unknown> | undefined {
    const task = this.tasks.get(taskArn)
    return task ? this.wireTask(task) : undefined
  }

  /** Tasks whose lastStatus is not STOPPED yet. */
  activeTaskCount(): number {
    return [...this.tasks.values()].filter((t) => t.lastStatus !== 'STOPPED' || t.hideExitCodes)
      .length
  }
}
