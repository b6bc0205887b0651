import {
  AssignPublicIp,
  Compatibility,
  ContainerCondition,
  CPUArchitecture,
  DeviceCgroupPermission,
  EFSAuthorizationConfigIAM,
  EFSTransitEncryption,
  FirelensConfigurationType,
  LaunchType,
  LogDriver,
  NetworkMode,
  OSFamily,
  PidMode,
  PlacementConstraintType,
  PlacementStrategyType,
  ResourceType,
  Scope,
  TransportProtocol,
  UlimitName
} from '@aws-sdk/client-ecs'
import { z } from 'zod'
import { valueAt, type KeySegment, type Problem } from './problems.js'
import type { Origins } from './load.js'
import { normaliseIssues } from './lenient.js'
import { suggestKey } from './suggest.js'

// The schema of a hako definition, docs/hako.md, "Top-level keys", "Container keys",
// "Volumes" and "Scheduler keys". Member names stay snake_case as written;
// render.ts maps them to the SDK's camelCase. Enumerations take their values from the SDK so
// that a rendered request is always accepted by the SDK's types.

const str = z.string()
const int = z.int()
const bool = z.boolean()
const strList = z.array(str)
/** User data maps (labels, log options, driver options): keys kept verbatim, values strings. */
const strMap = z.record(str, str)

/** hako's env providers; the only ones that need no plugin. */
const providerSchema = z.strictObject({
  type: z.enum(['file', 'yaml']),
  path: str,
  key_sep: str.optional(),
  ary_sep: str.optional()
})

/** A container's `env`: names to strings, plus the reserved `$providers` list. */
const envSchema = z.object({ $providers: z.array(providerSchema).optional() }).catchall(str)

const containerKeys = {
  cpu: int.optional(),
  memory: int.optional(),
  memory_reservation: int.optional(),
  essential: bool.optional(),
  links: strList.optional(),
  port_mappings: z
    .array(
      z.strictObject({
        container_port: int,
        host_port: int,
        protocol: z.enum(TransportProtocol).optional()
      })
    )
    .optional(),
  env: envSchema.optional(),
  secrets: z.array(z.strictObject({ name: str, value_from: str })).optional(),
  docker_labels: strMap.optional(),
  mount_points: z
    .array(z.strictObject({ source_volume: str, container_path: str, read_only: bool.optional() }))
    .optional(),
  volumes_from: z
    .array(z.strictObject({ source_container: str, read_only: bool.optional() }))
    .optional(),
  entry_point: strList.optional(),
  command: strList.optional(),
  user: str.optional(),
  privileged: bool.optional(),
  readonly_root_filesystem: bool.optional(),
  docker_security_options: strList.optional(),
  log_configuration: z.strictObject({ log_driver: z.enum(LogDriver), options: strMap }).optional(),
  health_check: z
    .strictObject({
      command: strList,
      interval: int.optional(),
      retries: int.optional(),
      timeout: int.optional(),
      start_period: int.optional()
    })
    .optional(),
  ulimits: z
    .array(z.strictObject({ name: z.enum(UlimitName), soft_limit: int, hard_limit: int }))
    .optional(),
  extra_hosts: z.array(z.strictObject({ hostname: str, ip_address: str })).optional(),
  linux_parameters: z
    .strictObject({
      capabilities: z
        .strictObject({ add: strList.optional(), drop: strList.optional() })
        .optional(),
      devices: z
        .array(
          z.strictObject({
            host_path: str,
            container_path: str.optional(),
            permissions: z.array(z.enum(DeviceCgroupPermission)).optional()
          })
        )
        .optional(),
      init_process_enabled: bool.optional(),
      shared_memory_size: int.optional(),
      tmpfs: z
        .array(
          z.strictObject({ container_path: str, mount_options: strList.optional(), size: int })
        )
        .optional(),
      max_swap: int.optional(),
      swappiness: int.optional()
    })
    .optional(),
  depends_on: z
    .array(z.strictObject({ container_name: str, condition: z.enum(ContainerCondition) }))
    .optional(),
  system_controls: z.array(z.strictObject({ namespace: str, value: str })).optional(),
  repository_credentials: z.strictObject({ credentials_parameter: str }).optional(),
  resource_requirements: z
    .array(z.strictObject({ type: z.enum(ResourceType), value: str }))
    .optional(),
  firelens_configuration: z
    .strictObject({ type: z.enum(FirelensConfigurationType), options: strMap.optional() })
    .optional()
}

/** `app`: `image` plus an optional `tag` (a YAML number such as `1.0` is taken as its text). */
const appSchema = z.strictObject({
  image: str,
  tag: z.union([str, z.number()]).optional(),
  ...containerKeys
})

/** A sidecar gives its full image reference in `image_tag`. */
const sidecarSchema = z.strictObject({ image_tag: str, ...containerKeys })

/** Task-level cpu/memory are strings for the API ('1024', '2 vCPU'); a YAML number is accepted. */
const taskSize = z.union([str, int]).optional()

/** Scheduler keys that only `hako deploy` reads: accepted and ignored by a oneshot run. */
const serviceOnlyKeys = Object.fromEntries(
  [
    'desired_count',
    'role',
    'elb',
    'elb_v2',
    'elb_v2s',
    'dynamic_port_mapping',
    'health_check_grace_period_seconds',
    'autoscaling',
    'deployment_configuration',
    'deployment_controller',
    'deployment_circuit_breaker',
    'scheduling_strategy',
    'service_discovery',
    'service_connect',
    'propagate_tags',
    'enable_ecs_managed_tags'
  ].map((key) => [key, z.unknown().optional()])
) as Record<string, z.ZodOptional<z.ZodUnknown>>

const schedulerSchema = z
  .strictObject({
    type: z.literal('ecs').optional(),
    region: str.optional(),
    cluster: str.optional(),
    task_role_arn: str.optional(),
    execution_role_arn: str.optional(),
    network_mode: z.enum(NetworkMode).optional(),
    pid_mode: z.enum(PidMode).optional(),
    cpu: taskSize,
    memory: taskSize,
    ephemeral_storage: z.strictObject({ size_in_gi_b: int }).optional(),
    requires_compatibilities: z.array(z.enum(Compatibility)).optional(),
    runtime_platform: z
      .strictObject({
        cpu_architecture: z.enum(CPUArchitecture).optional(),
        operating_system_family: z.enum(OSFamily).optional()
      })
      .optional(),
    tags: z.record(str, z.union([str, z.number(), bool])).optional(),
    launch_type: z.enum(LaunchType).optional(),
    capacity_provider_strategy: z
      .array(
        z.strictObject({ capacity_provider: str, weight: int.optional(), base: int.optional() })
      )
      .optional(),
    platform_version: str.optional(),
    network_configuration: z
      .strictObject({
        awsvpc_configuration: z
          .strictObject({
            subnets: strList,
            security_groups: strList.optional(),
            assign_public_ip: z.enum(AssignPublicIp).optional()
          })
          .optional()
      })
      .optional(),
    placement_constraints: z
      .array(z.strictObject({ type: z.enum(PlacementConstraintType), expression: str.optional() }))
      .optional(),
    placement_strategy: z
      .array(z.strictObject({ type: z.enum(PlacementStrategyType), field: str.optional() }))
      .optional(),
    enable_execute_command: bool.optional(),
    oneshot_notification_prefix: str.optional(),
    autoscaling_group_for_oneshot: str.optional(),
    autoscaling_topic_for_oneshot: str.optional(),
    ...serviceOnlyKeys
  })
  .superRefine((scheduler, ctx) => {
    // hako refuses a topic without a group (Hako::Schedulers::Ecs#configure).
    if (
      scheduler.autoscaling_topic_for_oneshot !== undefined &&
      scheduler.autoscaling_group_for_oneshot === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['autoscaling_topic_for_oneshot'],
        message:
          'needs scheduler.autoscaling_group_for_oneshot too (the group the topic asks to scale out)'
      })
    }
  })

const volumeSchema = z
  .strictObject({
    source_path: str.optional(),
    docker_volume_configuration: z
      .strictObject({
        scope: z.enum(Scope).optional(),
        autoprovision: bool.optional(),
        driver: str.optional(),
        driver_opts: strMap.optional(),
        labels: strMap.optional()
      })
      .optional(),
    efs_volume_configuration: z
      .strictObject({
        file_system_id: str,
        root_directory: str.optional(),
        transit_encryption: z.enum(EFSTransitEncryption).optional(),
        transit_encryption_port: int.optional(),
        authorization_config: z
          .strictObject({
            access_point_id: str.optional(),
            iam: z.enum(EFSAuthorizationConfigIAM).optional()
          })
          .optional()
      })
      .optional()
  })
  .superRefine((volume, ctx) => {
    const forms = [
      'source_path',
      'docker_volume_configuration',
      'efs_volume_configuration'
    ] as const
    const given = forms.filter((form) => volume[form] !== undefined)
    if (given.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `give only one of ${forms.join(', ')} (found ${given.join(' and ')})`
      })
    }
  })

/** The whole definition file. */
export const definitionSchema = z.strictObject({
  scheduler: schedulerSchema,
  app: appSchema,
  sidecars: z.record(str, sidecarSchema).optional(),
  additional_containers: z.record(str, sidecarSchema).optional(),
  volumes: z.record(str, volumeSchema).optional(),
  scripts: z.array(z.unknown()).optional()
})

/** A validated definition, keys as written in the file. */
export type Definition = z.output<typeof definitionSchema>
/** The scheduler section of a validated definition. */
export type SchedulerDefinition = Definition['scheduler']
/** The keys every container (app or sidecar) may have. */
export type ContainerDefinitionKeys = z.output<z.ZodObject<typeof containerKeys>>
/** A top-level volume. */
export type VolumeDefinition = z.output<typeof volumeSchema>
/** An env provider entry of `env.$providers`. */
export type EnvProviderDefinition = z.output<typeof providerSchema>

/** The outcome of validating a raw tree. */
export type ValidationResult =
  | {
      ok: true
      definition: Definition
      /** Values accepted in hako's looser spelling and normalised (one notice each). */
      notices: Problem[]
    }
  | { ok: false; problems: Problem[] }

// The error map below hands the known keys of an object with unknown keys to formatIssues
// through the issue's message, because zod reports all unknown keys of an object as one issue
// and keeps no reference to the object schema.
const KNOWN_KEYS_MARKER = 'known-keys:'

/**
 * Validates a raw definition tree. Every problem is returned, each naming the file the key was
 * written in and its key path (`app.memory: expected a number, got "1GB"`).
 */
export function validateDefinition(tree: unknown, origins: Origins): ValidationResult {
  const notices: Problem[] = []
  // Each round normalises what hako accepts (numeric strings, enum case) in the tree; a value
  // fixed in one round can uncover an issue below it, hence a few rounds at most.
  for (let round = 0; ; round++) {
    const result = definitionSchema.safeParse(tree, {
      error: (issue) => {
        if (issue.code === 'unrecognized_keys') {
          const shape = (issue.inst as { shape?: Record<string, unknown> } | undefined)?.shape ?? {}
          return KNOWN_KEYS_MARKER + JSON.stringify(Object.keys(shape))
        }
        return undefined
      }
    })
    if (result.success) return { ok: true, definition: result.data, notices }
    const fixed = round < 4 ? normaliseIssues(result.error.issues, tree, origins) : []
    if (fixed.length === 0)
      return { ok: false, problems: formatIssues(result.error.issues, tree, origins) }
    notices.push(...fixed)
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean (true or false)',
  array: 'a list',
  object: 'a map',
  record: 'a map',
  unknown: 'a value'
}

/** How a value reads in a message: strings quoted, numbers as is, collections by kind. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null (an empty value)'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return 'a list'
  if (value instanceof Date) return `a date (${value.toISOString().slice(0, 10)})`
  if (typeof value === 'object') return 'a map'
  return typeof value
}

function expectedName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected
}

/** A hint for a scalar YAML typed differently from what was meant. */
function quoteHint(expected: string, value: unknown): string {
  if (expected !== 'string') return ''
  if (typeof value === 'boolean')
    return '; YAML reads yes/no/on/off/true/false as booleans, quote the value'
  if (typeof value === 'number') return `; quote it ("${value}")`
  if (value instanceof Date) return '; YAML reads it as a date, quote the value'
  return ''
}

type Issue = z.core.$ZodIssue

function issueMessage(issue: Issue, value: unknown, present: boolean): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (!present) return 'is required'
      if (issue.expected === 'int' && typeof value === 'number')
        return `expected an integer, got ${value}`
      return `expected ${expectedName(issue.expected)}, got ${describeValue(value)}${quoteHint(issue.expected, value)}`
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v))
      const expected = values.length === 1 ? values[0] : `one of ${values.join(', ')}`
      return present
        ? `expected ${expected}, got ${describeValue(value)}`
        : `is required (${expected})`
    }
    case 'invalid_union': {
      const expected = [
        ...new Set(
          issue.errors
            .flat()
            .flatMap((inner) =>
              inner.code === 'invalid_type' ? [expectedName(inner.expected)] : []
            )
        )
      ]
      if (!present) return 'is required'
      if (expected.length > 0)
        return `expected ${expected.join(' or ')}, got ${describeValue(value)}`
      return `invalid value ${describeValue(value)}`
    }
    default:
      return issue.message
  }
}

/**
 * Turns zod issues into problems, one per unknown key, each with its file and key path. An
 * unknown key whose suggestion is a required key missing beside it is listed just before that
 * key's "is required", which it explains (`app.imgae: ... did you mean 'image'?`, then
 * `app.image: is required`).
 */
export function formatIssues(issues: readonly Issue[], tree: unknown, origins: Origins): Problem[] {
  const problems: Problem[] = []
  /** Unknown-key problems by the path of the key they suggest. */
  const suggesting = new Map<string, Problem[]>()
  for (const issue of issues) {
    const path = issue.path.filter((s): s is KeySegment => typeof s !== 'symbol')
    if (issue.code === 'unrecognized_keys') {
      const known = issue.message.startsWith(KNOWN_KEYS_MARKER)
        ? (JSON.parse(issue.message.slice(KNOWN_KEYS_MARKER.length)) as string[])
        : []
      for (const key of issue.keys) {
        const keyPath = [...path, key]
        const suggestion = suggestKey(key, known)
        const message = suggestion
          ? `unknown key; did you mean '${suggestion}'?`
          : `unknown key; expected one of: ${known.join(', ')}`
        const problem = { file: origins.fileOf(tree, keyPath), path: keyPath, message }
        problems.push(problem)
        if (suggestion !== undefined) {
          const suggested = JSON.stringify([...path, suggestion])
          suggesting.set(suggested, [...(suggesting.get(suggested) ?? []), problem])
        }
      }
      continue
    }
    const value = valueAt(tree, path)
    const parent = valueAt(tree, path.slice(0, -1))
    const last = path[path.length - 1]
    const present =
      path.length === 0 ||
      (parent !== null &&
        typeof parent === 'object' &&
        last !== undefined &&
        Object.hasOwn(parent, last))
    problems.push({
      file: origins.fileOf(tree, path),
      path,
      message: issueMessage(issue, value, present)
    })
  }
  return explainedFirst(problems, suggesting)
}

/** Moves each suggesting problem just before the "is required" of the key it suggests. */
function explainedFirst(problems: Problem[], suggesting: Map<string, Problem[]>): Problem[] {
  const moved = new Set<Problem>()
  for (const problem of problems) {
    if (!problem.message.startsWith('is required')) continue
    for (const explaining of suggesting.get(JSON.stringify(problem.path)) ?? [])
      moved.add(explaining)
  }
  const ordered: Problem[] = []
  for (const problem of problems) {
    if (moved.has(problem)) continue
    if (problem.message.startsWith('is required')) {
      for (const explaining of suggesting.get(JSON.stringify(problem.path)) ?? [])
        ordered.push(explaining)
    }
    ordered.push(problem)
  }
  return ordered
}
