/**
 * The simulated ECS control plane's data: lifecycle timings, options, and the records it keeps
 * of task definitions, tasks, containers and container instances (sim/ecs.ts is the service).
 */
import type { AccountQuotaOptions } from './account-quotas.js'
import type { Fault, FaultRates } from './faults.js'
import type { ContainerDefinition, ContainerOverride, Tag } from '@aws-sdk/client-ecs'
import type { Clock, Random } from '../src/util/clock.js'
import type { LogStore } from './logs.js'
import type { ContainerScript, TaskScript } from './script.js'
import type { TaskStateEvent } from './events.js'

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
  /** The account's Fargate quotas (sim/account-quotas.ts); none by default. */
  quotas?: AccountQuotaOptions
  /** Random infrastructure failures of new tasks (faults.ts); scripted ones need none. */
  faults?: FaultRates
  /** ECS services DescribeServices knows, by `cluster/service`, with their awsvpc network. */
  services?: Record<string, SimServiceNetwork>
}

/** The awsvpc network of a simulated service, as DescribeServices returns it. */
export interface SimServiceNetwork {
  subnets: string[]
  securityGroups?: string[]
  assignPublicIp?: 'ENABLED' | 'DISABLED'
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

export interface StoredTaskDefinition {
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

export interface SimContainer {
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

export interface SimTask {
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
  /** When the last container exited (ECS's `executionStoppedAt`), before the teardown's `stoppedAt`. */
  executionStoppedAt?: number
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

export interface ContainerInstance {
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

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** Epoch milliseconds to the JSON protocol's epoch seconds. */
export function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000
}

/** Drops undefined members so responses carry only what ECS would send. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  for (const key of Object.keys(value)) if (value[key] === undefined) delete value[key]
  return value
}
