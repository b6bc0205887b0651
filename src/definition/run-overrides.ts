/**
 * Per-run choices RunTask takes without a new task definition revision (docs/run-overrides.md):
 * task-level overrides (roles, cpu, memory, ephemeral storage), the launch type or a capacity
 * provider strategy, the awsvpc network (given, or an ECS service's, read at run time), and
 * ECS Exec. Parsers for the inputs and the `tasks` elements (each error names where the value
 * came from and the form expected) and the step that applies them to the rendered RunTask
 * request (pure). The RegisterTaskDefinition request never sees them, so none registers a
 * revision.
 */
import {
  AssignPublicIp,
  LaunchType,
  type AwsVpcConfiguration,
  type CapacityProviderStrategyItem,
  type RunTaskCommandInput,
  type TaskOverride
} from '@aws-sdk/client-ecs'
import type { TaskLevelOverrides } from '../model/task.js'
import { UserError } from '../util/errors.js'
import { compact } from '../util/objects.js'

/** The awsvpc network inputs; each replaces the definition's value of the same field. */
export interface NetworkOverrides {
  subnets?: string[]
  securityGroups?: string[]
  assignPublicIp?: AssignPublicIp
}

/** An ECS service named `cluster/service`. */
export interface ServiceRef {
  cluster: string
  service: string
}

/** Everything a run may choose beyond the definition; each is unset unless given. */
export interface RunOverrides extends TaskLevelOverrides {
  /** RunTask `enableExecuteCommand`; undefined keeps the definition's `enable_execute_command`. */
  enableExecuteCommand?: boolean
  /** RunTask `launchType`, replacing the definition's launch type or strategy. */
  launchType?: LaunchType
  /** RunTask `capacityProviderStrategy`, replacing the definition's launch type or strategy. */
  capacityProviderStrategy?: CapacityProviderStrategyItem[]
  /** Fields of `networkConfiguration.awsvpcConfiguration`, over the definition's. */
  network?: NetworkOverrides
  /** Take the whole awsvpc network from this service, read at run time. */
  networkFromService?: ServiceRef
}

// ---- parsers -----------------------------------------------------------------------------------
// `what` names where the value came from: `Input 'cpu'`, `Input 'tasks' element 2: "cpu"`.

/** An IAM role ARN in any partition: `arn:aws:iam::123456789012:role/path/name`. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/

export function parseRoleArn(what: string, value: string): string {
  if (!ROLE_ARN.test(value)) {
    throw new UserError(
      `${what} must be an IAM role ARN such as arn:aws:iam::123456789012:role/batch-task, ` +
        `got '${value}'`
    )
  }
  return value
}

/** Text of a whole number within [min, max], from an input's text or a JSON number. */
function wholeNumber(value: string | number, min: number, max: number): number | undefined {
  const text = String(value).trim()
  const n = /^\d+$/.test(text) ? Number(text) : NaN
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined
}

/** Task-level CPU units (1024 = 1 vCPU), as text for TaskOverride.cpu. */
export function parseTaskCpu(what: string, value: string | number): string {
  const n = wholeNumber(value, 1, 1_000_000)
  if (n === undefined) {
    throw new UserError(
      `${what} must be task CPU units as a whole number (1024 = 1 vCPU), such as 2048, ` +
        `got '${String(value)}'`
    )
  }
  return String(n)
}

/** Task-level memory in MiB, as text for TaskOverride.memory. */
export function parseTaskMemory(what: string, value: string | number): string {
  const n = wholeNumber(value, 1, 10_000_000)
  if (n === undefined) {
    throw new UserError(
      `${what} must be task memory in MiB as a whole number, such as 4096, got '${String(value)}'`
    )
  }
  return String(n)
}

/** RunTask's ephemeral storage override: 21 to 200 GiB (API `EphemeralStorage`). */
export const EPHEMERAL_STORAGE_GIB = { min: 21, max: 200 }

export function parseEphemeralStorage(what: string, value: string | number): number {
  const n = wholeNumber(value, EPHEMERAL_STORAGE_GIB.min, EPHEMERAL_STORAGE_GIB.max)
  if (n === undefined) {
    throw new UserError(
      `${what} must be GiB of ephemeral storage, a whole number from ` +
        `${EPHEMERAL_STORAGE_GIB.min} to ${EPHEMERAL_STORAGE_GIB.max}, got '${String(value)}'`
    )
  }
  return n
}

const LAUNCH_TYPES = Object.values(LaunchType)

export function parseLaunchType(what: string, value: string): LaunchType {
  const found = LAUNCH_TYPES.find((t) => t === value)
  if (found === undefined) {
    throw new UserError(`${what} must be one of ${LAUNCH_TYPES.join(', ')}, got '${value}'`)
  }
  return found
}

/** API `CapacityProviderStrategyItem`: weight 0-1,000, base 0-100,000, 20 providers at most. */
export const CAPACITY_PROVIDER_LIMITS = { weight: 1000, base: 100_000, providers: 20 }
const PROVIDER_NAME = /^[A-Za-z0-9_-]{1,255}$/
const STRATEGY_FORM =
  'NAME[:weight=N][:base=N] items separated by commas, such as ' +
  "'FARGATE_SPOT:weight=1,FARGATE:base=1', or a JSON array of " +
  '{"capacityProvider": ..., "weight": ..., "base": ...}'

/**
 * A capacity provider strategy: `FARGATE_SPOT:weight=1,FARGATE:base=1` (items separated by
 * commas or newlines, each a provider name and optional `weight=N` and `base=N` after colons)
 * or the JSON array RunTask takes. Checked as ECS checks it: a known provider name form, each
 * name once, weight and base in range, at most one base, at least one weight above 0 when there
 * are several, at most 20 providers.
 */
export function parseCapacityProviderStrategy(
  what: string,
  value: string
): CapacityProviderStrategyItem[] {
  const fail = (why: string): never => {
    throw new UserError(`${what} ${why}; give ${STRATEGY_FORM}`)
  }
  const items = value.trimStart().startsWith('[')
    ? strategyFromJson(value, fail)
    : value
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((item) => strategyItem(item, fail))
  if (items.length === 0) fail('is empty')
  if (items.length > CAPACITY_PROVIDER_LIMITS.providers) {
    fail(`has ${items.length} capacity providers; ECS takes at most 20`)
  }
  const names = new Set<string>()
  for (const item of items) {
    const name = item.capacityProvider ?? ''
    if (names.has(name)) fail(`names '${name}' twice`)
    names.add(name)
  }
  if (items.filter((i) => (i.base ?? 0) > 0).length > 1) {
    fail('gives a base to more than one capacity provider; ECS allows a base on one only')
  }
  if (items.length > 1 && items.every((i) => (i.weight ?? 0) === 0)) {
    fail('gives no capacity provider a weight above 0, so ECS could place no task')
  }
  return items
}

function strategyItem(text: string, fail: (why: string) => never): CapacityProviderStrategyItem {
  const [name = '', ...parts] = text.split(':').map((s) => s.trim())
  if (!PROVIDER_NAME.test(name)) fail(`has '${text}', whose provider name '${name}' is not valid`)
  const item: CapacityProviderStrategyItem = { capacityProvider: name }
  for (const part of parts) {
    const match = /^(weight|base)=(\d+)$/.exec(part)
    if (!match) fail(`has '${text}': '${part}' is not weight=N or base=N`)
    const key = match?.[1] as 'weight' | 'base'
    if (item[key] !== undefined) fail(`has '${text}', which sets ${key} twice`)
    item[key] = rangeChecked(key, Number(match?.[2]), fail)
  }
  return item
}

function rangeChecked(key: 'weight' | 'base', n: number, fail: (why: string) => never): number {
  const max = CAPACITY_PROVIDER_LIMITS[key]
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    fail(`has ${key} ${n}; ECS takes 0 to ${max.toLocaleString('en-US')}`)
  }
  return n
}

function strategyFromJson(
  value: string,
  fail: (why: string) => never
): CapacityProviderStrategyItem[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch (error) {
    fail(`starts with '[' but is not JSON (${(error as Error).message})`)
  }
  if (!Array.isArray(parsed)) return fail('is not a JSON array')
  return parsed.map((raw: unknown, index) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      fail(`element ${index} is not an object`)
    }
    const { capacityProvider, weight, base, ...rest } = raw as Record<string, unknown>
    const extra = Object.keys(rest)[0]
    if (extra !== undefined) fail(`element ${index} has unknown key '${extra}'`)
    if (typeof capacityProvider !== 'string' || !PROVIDER_NAME.test(capacityProvider)) {
      fail(`element ${index} has no valid "capacityProvider"`)
    }
    const item: CapacityProviderStrategyItem = { capacityProvider: capacityProvider }
    for (const [key, n] of [
      ['weight', weight],
      ['base', base]
    ] as const) {
      if (n === undefined) continue
      if (typeof n !== 'number') fail(`element ${index} has a "${key}" that is not a number`)
      item[key] = rangeChecked(key, n, fail)
    }
    return item
  })
}

/** API `AwsVpcConfiguration`: 16 subnets and 5 security groups at most. */
export const AWSVPC_LIMITS = { subnets: 16, securityGroups: 5 }

/** Subnet or security group IDs, separated by commas, spaces or newlines. */
export function parseIdList(what: string, value: string, kind: 'subnet' | 'sg'): string[] {
  const ids = value.split(/[\s,]+/).filter((s) => s !== '')
  const pattern = kind === 'subnet' ? /^subnet-[0-9a-f]{1,32}$/ : /^sg-[0-9a-f]{1,32}$/
  const example = kind === 'subnet' ? 'subnet-0abc1234' : 'sg-0abc1234'
  const bad = ids.find((id) => !pattern.test(id))
  if (bad !== undefined || ids.length === 0) {
    throw new UserError(
      `${what} must be ${kind === 'subnet' ? 'subnet' : 'security group'} IDs such as ` +
        `${example}, separated by commas or newlines, got '${bad ?? value}'`
    )
  }
  const max = kind === 'subnet' ? AWSVPC_LIMITS.subnets : AWSVPC_LIMITS.securityGroups
  if (ids.length > max) {
    throw new UserError(`${what} has ${ids.length} IDs; ECS takes at most ${max}`)
  }
  return ids
}

export function parseAssignPublicIp(what: string, value: string): AssignPublicIp {
  const found = Object.values(AssignPublicIp).find((v) => v === value)
  if (found === undefined) {
    throw new UserError(
      `${what} must be ENABLED or DISABLED (awsvpcConfiguration.assignPublicIp), got '${value}'`
    )
  }
  return found
}

/** ECS cluster and service names: up to 255 letters, numbers, hyphens and underscores. */
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/

export function parseServiceRef(what: string, value: string): ServiceRef {
  const [cluster = '', service = '', ...rest] = value.split('/')
  if (rest.length > 0 || !ECS_NAME.test(cluster) || !ECS_NAME.test(service)) {
    throw new UserError(
      `${what} must be cluster/service, the names of a cluster and of an ECS service in it ` +
        `(letters, numbers, hyphens and underscores), such as my-cluster/web, got '${value}'`
    )
  }
  return { cluster, service }
}

/**
 * Choices that exclude each other, as messages naming the inputs (empty when none): RunTask
 * takes a launch type or a capacity provider strategy, never both, and a network is given or
 * read from a service, not both.
 */
export function conflictsOf(o: RunOverrides): string[] {
  const conflicts: string[] = []
  if (o.launchType !== undefined && o.capacityProviderStrategy !== undefined) {
    conflicts.push(
      "Inputs 'launch-type' and 'capacity-provider-strategy' cannot be used together: RunTask " +
        'takes one of them (a strategy replaces the launch type); give one'
    )
  }
  const network = networkInputsOf(o.network)
  if (o.networkFromService !== undefined && network.length > 0) {
    conflicts.push(
      `Input 'network-from-service' takes the whole network from the service; leave ` +
        `${network.map((n) => `'${n}'`).join(' and ')} empty, or drop 'network-from-service'`
    )
  }
  return conflicts
}

/** The names of the network inputs that are set. */
function networkInputsOf(network: NetworkOverrides | undefined): string[] {
  const n = network ?? {}
  return [
    n.subnets && 'subnets',
    n.securityGroups && 'security-groups',
    n.assignPublicIp && 'assign-public-ip'
  ].filter((name): name is string => typeof name === 'string')
}

// ---- applying them -----------------------------------------------------------------------------

/** The TaskOverride fields of `o`, in the API's order, only those set. */
export function taskOverrideOf(o: TaskLevelOverrides): Partial<TaskOverride> {
  return compact({
    taskRoleArn: o.taskRoleArn,
    executionRoleArn: o.executionRoleArn,
    cpu: o.cpu,
    memory: o.memory,
    ephemeralStorage:
      o.ephemeralStorageGiB === undefined ? undefined : { sizeInGiB: o.ephemeralStorageGiB }
  })
}

/**
 * The rendered RunTask request with the run's choices applied, keys in their places: the launch
 * type or strategy given replaces the definition's (RunTask must omit `launchType` when a
 * strategy is sent), the network inputs replace the definition's fields (a service's network
 * leaves none: the run fills it in), `enableExecuteCommand` replaces the definition's, and the
 * task-level overrides join `overrides` beside the containers' (no empty `overrides` is sent).
 * `definitionFile` and `networkMode` (the rendered task definition's) name and check the
 * network: RunTask refuses a network configuration for any mode but awsvpc.
 */
export function applyRunOverrides<T extends RunTaskCommandInput>(
  request: T,
  o: RunOverrides,
  check: { definitionFile: string; networkMode?: string }
): T {
  const launch =
    o.capacityProviderStrategy !== undefined
      ? { capacityProviderStrategy: o.capacityProviderStrategy }
      : o.launchType !== undefined
        ? { launchType: o.launchType }
        : undefined
  const out: Record<string, unknown> = {}
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) out[key] = value
  }
  for (const [key, value] of Object.entries(request)) {
    if (key === 'launchType' || key === 'capacityProviderStrategy') {
      if (launch === undefined) put(key, value)
      else if (!('launchType' in out) && !('capacityProviderStrategy' in out)) {
        Object.assign(out, launch)
      }
    } else if (key === 'networkConfiguration') {
      put(key, networkOf(request.networkConfiguration?.awsvpcConfiguration, o, check))
    } else if (key === 'enableExecuteCommand') {
      put(key, o.enableExecuteCommand ?? value)
    } else if (key === 'overrides') {
      put(key, { ...(value as object), ...taskOverrideOf(o) })
    } else {
      put(key, value)
    }
  }
  // Choices whose key the definition left out: placed where RunTask's reference lists them.
  if (launch !== undefined && !('launchType' in out) && !('capacityProviderStrategy' in out)) {
    Object.assign(out, launch)
  }
  if (!('networkConfiguration' in out)) {
    put('networkConfiguration', networkOf(undefined, o, check))
  }
  if (!('enableExecuteCommand' in out)) put('enableExecuteCommand', o.enableExecuteCommand)
  if (!('overrides' in out) && Object.keys(taskOverrideOf(o)).length > 0) {
    put('overrides', { containerOverrides: [], ...taskOverrideOf(o) })
  }
  return out as T
}

/** The awsvpc network of the run: the definition's with the inputs' fields over it. */
function networkOf(
  definition: AwsVpcConfiguration | undefined,
  o: RunOverrides,
  check: { definitionFile: string; networkMode?: string }
): RunTaskCommandInput['networkConfiguration'] {
  const given = o.network ?? {}
  const named = [
    ...networkInputsOf(given),
    ...(o.networkFromService ? ['network-from-service'] : [])
  ]
  if (named.length > 0 && check.networkMode !== 'awsvpc') {
    throw new UserError(
      `Input '${named[0] ?? ''}' sets the task's awsvpc network, but ${check.definitionFile} ` +
        `registers network mode ${check.networkMode ?? 'bridge (the default)'}: RunTask takes a ` +
        `network configuration only for awsvpc. Set scheduler.network_mode: awsvpc, or leave ` +
        `${named.map((n) => `'${n}'`).join(', ')} empty`
    )
  }
  // The service's network is read at run time and fills the whole field then.
  if (o.networkFromService !== undefined) return undefined
  if (named.length === 0) return definition && { awsvpcConfiguration: definition }
  const subnets = given.subnets ?? definition?.subnets
  if (subnets === undefined) {
    throw new UserError(
      `Input '${named[0] ?? ''}' needs 'subnets' too: ${check.definitionFile} has no ` +
        `scheduler.network_configuration, and RunTask's awsvpc network must name its subnets`
    )
  }
  return {
    awsvpcConfiguration: compact({
      subnets,
      securityGroups: given.securityGroups ?? definition?.securityGroups,
      assignPublicIp: given.assignPublicIp ?? definition?.assignPublicIp
    })
  }
}
