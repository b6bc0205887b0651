/**
 * The ECS control plane, simulated: task definitions, clusters, a container-instance fleet and
 * tasks that go PROVISIONING → PENDING → RUNNING → STOPPED on timers, as scripted by `SIM_*`
 * variables (see script.ts). Every state change bumps the task's `version` and emits an
 * "ECS Task State Change" event. Requests and responses use ECS's JSON member names.
 *
 * This file is the service's API; its parts: ecs-model.ts (records and timings),
 * ecs-definitions.ts (the task-definition registry), ecs-fleet.ts (container instances and
 * placement), ecs-task.ts (building a task and its wire format), ecs-lifecycle.ts (the timers).
 */
import type {
  ContainerDefinition,
  RegisterTaskDefinitionRequest,
  RunTaskRequest,
  Tag
} from '@aws-sdk/client-ecs'
import { AwsError } from './json-server.js'
import { containerScript, mergeEnvironment, taskScript } from './script.js'
import { TaskDefinitions } from './ecs-definitions.js'
import { Fleet } from './ecs-fleet.js'
import { TaskLifecycle } from './ecs-lifecycle.js'
import {
  compact,
  str,
  type ContainerInstance,
  type EcsSimOptions,
  type FleetOptions,
  type SimTask,
  type TaskTimeline
} from './ecs-model.js'
import { buildTask, requirements, wireTask } from './ecs-task.js'
import { AccountQuotas } from './account-quotas.js'
import { FaultInjector, spotAfterSeconds } from './faults.js'

export {
  DEFAULT_TIMINGS,
  type EcsSimOptions,
  type FleetOptions,
  type LifecycleTimings,
  type SimServiceNetwork,
  type TaskTimeline
} from './ecs-model.js'

export class EcsSim {
  private readonly tasks = new Map<string, SimTask>()
  private readonly timelines = new Map<string, TaskTimeline>()
  private readonly idempotency = new Map<string, { fingerprint: string; taskArns: string[] }>()
  private readonly capacityAttempts = new Map<string, number>()
  private readonly clusterTags = new Map<string, Tag[]>()
  /** Every RunTask request body as received, in order (for tests of what a run sends). */
  private readonly runTaskBodies: RunTaskRequest[] = []
  private readonly definitions: TaskDefinitions
  private readonly fleet: Fleet
  private readonly lifecycle: TaskLifecycle
  /** The account's Fargate quotas (sim/account-quotas.ts). */
  readonly quotas: AccountQuotas
  /** Infrastructure failures injected into new tasks (sim/faults.ts). */
  private readonly faults: FaultInjector

  constructor(private readonly o: EcsSimOptions) {
    const arn = (resource: string): string => this.arn(resource)
    this.definitions = new TaskDefinitions({
      clock: o.clock,
      account: o.account,
      msPerSecond: o.msPerSecond,
      timings: o.timings,
      arn
    })
    this.fleet = new Fleet({ clock: o.clock, random: o.random, arn })
    this.quotas = new AccountQuotas(o.quotas)
    this.faults = new FaultInjector(o.random, o.faults)
    this.lifecycle = new TaskLifecycle(o, this.timelines, (task) => {
      this.quotas.release(task.taskArn)
      this.fleet.release(task)
    })
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
    return this.fleet.add(cluster, count, size)
  }

  /** Instances of a cluster; undefined when the cluster has no fleet (unlimited capacity). */
  fleetOf(cluster: string): readonly ContainerInstance[] | undefined {
    return this.fleet.of(cluster)
  }

  // ---- task definitions --------------------------------------------------------------------

  registerTaskDefinition(body: RegisterTaskDefinitionRequest): unknown {
    return this.definitions.register(body)
  }

  describeTaskDefinition(body: { taskDefinition?: string; include?: string[] }): unknown {
    return this.definitions.describe(body)
  }

  deregisterTaskDefinition(body: { taskDefinition?: string }): unknown {
    return this.definitions.deregister(body)
  }

  listTagsForResource(body: { resourceArn?: string }): unknown {
    const arn = body.resourceArn ?? ''
    if (!arn.startsWith('arn:'))
      throw new AwsError('InvalidParameterException', 'The ARN provided is invalid.')
    if (arn.includes(':task-definition/')) {
      const found = this.definitions.find(arn)
      if (found) return { tags: found.tags }
    } else if (arn.includes(':task/')) {
      const task = this.tasks.get(arn)
      if (task) return { tags: task.tags }
    } else if (arn.includes(':cluster/')) {
      return { tags: this.clusterTags.get(arn.split('/').pop() ?? '') ?? [] }
    }
    throw new AwsError('InvalidParameterException', 'The specified resource could not be found.')
  }

  // ---- services ----------------------------------------------------------------------------

  /**
   * DescribeServices over the services given as options (`cluster/service` → network): each
   * known one with its awsvpc network, the others as MISSING failures; at most 10 names a call,
   * as ECS takes.
   */
  describeServices(body: { cluster?: string; services?: string[] }): unknown {
    const cluster = this.clusterName(body.cluster)
    const names = body.services ?? []
    if (names.length === 0) {
      throw new AwsError('InvalidParameterException', 'Services cannot be empty.')
    }
    if (names.length > 10) {
      throw new AwsError(
        'InvalidParameterException',
        'Too many services were specified. The maximum is 10.'
      )
    }
    const services: unknown[] = []
    const failures: { arn: string; reason: string }[] = []
    for (const ref of names) {
      const name = ref.startsWith('arn:') ? (ref.split('/').pop() ?? '') : ref
      const serviceArn = this.arn(`service/${cluster}/${name}`)
      const network = this.o.services?.[`${cluster}/${name}`]
      if (network === undefined) {
        failures.push({ arn: serviceArn, reason: 'MISSING' })
        continue
      }
      services.push({
        serviceArn,
        serviceName: name,
        clusterArn: this.arn(`cluster/${cluster}`),
        status: 'ACTIVE',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { ...network } }
      })
    }
    return { services, failures }
  }

  // ---- tasks -------------------------------------------------------------------------------

  /** Every RunTask request body received so far (throttled calls never reach here). */
  runTaskRequests(): RunTaskRequest[] {
    return structuredClone(this.runTaskBodies)
  }

  runTask(body: RunTaskRequest): unknown {
    this.runTaskBodies.push(structuredClone(body))
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
    const definition = this.definitions.find(body.taskDefinition)
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
          tasks: previous.taskArns.map((arn) => this.wire(this.mustTask(arn))),
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
      containerScript(envOf(c), c.name === appName, this.o.timings.defaultRunSeconds, {
        command: overrides.containerOverrides.find((o) => o.name === c.name)?.command ?? c.command
      })
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

    const need = requirements(definition, overrides)
    const tasks: SimTask[] = []
    const failures: { arn: string; reason: string }[] = []
    const fleet = body.launchType === 'FARGATE' ? undefined : this.fleet.of(cluster)
    if (fleet && fleet.length === 0) {
      throw new AwsError(
        'InvalidParameterException',
        'No Container Instances were found in your cluster.'
      )
    }
    for (let i = 0; i < count; i++) {
      const refusal = this.quotas.refusal(body, need.cpu)
      if (refusal !== undefined) {
        failures.push({ arn: this.arn(`cluster/${cluster}`), reason: refusal })
        continue
      }
      const placed = fleet ? this.fleet.place(fleet, need) : undefined
      if (placed && 'failure' in placed) {
        failures.push(placed.failure)
        continue
      }
      const instance = placed?.instance
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
      this.quotas.hold(task.taskArn, body, need.cpu)
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
    return { tasks: tasks.map((t) => this.wire(t)), failures }
  }

  private createTask(input: Parameters<typeof buildTask>[1]): SimTask {
    const task = buildTask(
      { clock: this.o.clock, random: this.o.random, arn: (r) => this.arn(r) },
      input
    )
    this.tasks.set(task.taskArn, task)
    this.timelines.set(
      task.taskArn,
      compact({
        taskArn: task.taskArn,
        cluster: task.cluster,
        family: input.definition.family,
        startedBy: input.body.startedBy,
        createdAt: task.createdAt
      })
    )
    this.lifecycle.start(task)
    return task
  }

  private mustTask(arn: string): SimTask {
    const task = this.tasks.get(arn)
    if (!task) throw new Error(`no task ${arn}`)
    return task
  }

  private wire(task: SimTask): Record<string, unknown> {
    return wireTask(task, this.o.region)
  }

  stopTask(body: { cluster?: string; task?: string; reason?: string }): unknown {
    const cluster = this.clusterName(body.cluster)
    const task = this.lookupTask(cluster, body.task)
    if (!task) throw new AwsError('InvalidParameterException', 'The referenced task was not found.')
    if (task.desiredStatus === 'RUNNING') {
      this.lifecycle.stop(task, body.reason ?? 'Task stopped by user')
    }
    return { task: this.wire(task) }
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
      const wire = this.wire(task)
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
    const arns = this.fleet.arns(cluster, status)
    return this.page(arns, 'containerInstanceArns', body.maxResults, body.nextToken)
  }

  describeContainerInstances(body: { cluster?: string; containerInstances?: string[] }): unknown {
    const cluster = this.clusterName(body.cluster)
    return this.fleet.describe(cluster, body.containerInstances ?? [])
  }

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
    return task ? this.wire(task) : undefined
  }

  /** Tasks whose lastStatus is not STOPPED yet. */
  activeTaskCount(): number {
    return [...this.tasks.values()].filter((t) => t.lastStatus !== 'STOPPED' || t.hideExitCodes)
      .length
  }
}
