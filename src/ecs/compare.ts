/**
 * Semantic comparison of the task definition we would register with the latest registered
 * revision, as hako does (docs/hako.md, "Registering"; hako's EcsDefinitionComparator and
 * EcsVolumeComparator): containers matched by name, listed arrays as unordered sets,
 * command/entryPoint/healthCheck.command (and DNS lists) ordered, maps as sets of pairs, and a
 * value left unset equal to the default ECS fills in. Pure: no I/O.
 */
import type { RegisterTaskDefinitionCommandInput, Tag, TaskDefinition } from '@aws-sdk/client-ecs'
import { escapeLogText } from '../util/safe-text.js'

/** One field that differs. `undefined` means absent (or equal to ECS's default). */
export interface Difference {
  /** Where, e.g. `containerDefinitions[app].image` or `tags`. */
  path: string
  /** What the rendered definition asks for. */
  expected: unknown
  /** What the registered revision has. */
  actual: unknown
}

/** Fields of DescribeTaskDefinition's answer that ECS sets and a request never carries. */
const RESPONSE_ONLY = new Set([
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
  // The family is what we described, so it is equal by construction.
  'family',
  // Compared separately, from DescribeTaskDefinition's top-level `tags`.
  'tags'
])

/**
 * Arrays compared as unordered sets (multisets), by path pattern; `*` stands for a container
 * or volume name. All other arrays are ordered.
 */
const UNORDERED = new Set(
  [
    'links',
    'portMappings',
    'environment',
    'environmentFiles',
    'secrets',
    'mountPoints',
    'volumesFrom',
    'dependsOn',
    'ulimits',
    'extraHosts',
    'dockerSecurityOptions',
    'systemControls',
    'resourceRequirements',
    'credentialSpecs',
    'logConfiguration.secretOptions',
    'linuxParameters.capabilities.add',
    'linuxParameters.capabilities.drop',
    'linuxParameters.devices',
    'linuxParameters.devices[].permissions',
    'linuxParameters.tmpfs',
    'linuxParameters.tmpfs[].mountOptions'
  ]
    .map((p) => `containerDefinitions.*.${p}`)
    .concat([
      'requiresCompatibilities',
      'placementConstraints',
      'inferenceAccelerators',
      'proxyConfiguration.properties'
    ])
)

/**
 * Values ECS fills in when a field is left unset (or that mean the same as unset), by path
 * pattern. A field equal to its default is dropped on both sides before comparing, so a
 * DescribeTaskDefinition answer compares equal to the request that registered it. Empty
 * arrays and objects are dropped everywhere (ECS answers `environment: []`, `mountPoints: []`,
 * `volumesFrom: []`, `systemControls: []`, `volumes: []`, `placementConstraints: []`,
 * `host: {}`...). Sources: the ECS task definition parameters reference and hako's
 * comparators (`WithDefault` driver 'local', scope 'task').
 */
const DEFAULTS: Record<string, unknown> = {
  'containerDefinitions.*.cpu': 0,
  'containerDefinitions.*.essential': true,
  'containerDefinitions.*.privileged': false,
  'containerDefinitions.*.readonlyRootFilesystem': false,
  'containerDefinitions.*.disableNetworking': false,
  'containerDefinitions.*.interactive': false,
  'containerDefinitions.*.pseudoTerminal': false,
  'containerDefinitions.*.versionConsistency': 'enabled',
  'containerDefinitions.*.portMappings[].protocol': 'tcp',
  'containerDefinitions.*.mountPoints[].readOnly': false,
  'containerDefinitions.*.volumesFrom[].readOnly': false,
  'containerDefinitions.*.healthCheck.interval': 30,
  'containerDefinitions.*.healthCheck.timeout': 5,
  'containerDefinitions.*.healthCheck.retries': 3,
  'containerDefinitions.*.healthCheck.startPeriod': 0,
  networkMode: 'bridge',
  enableFaultInjection: false,
  'volumes.*.dockerVolumeConfiguration.driver': 'local',
  'volumes.*.dockerVolumeConfiguration.scope': 'task',
  'volumes.*.efsVolumeConfiguration.rootDirectory': '/',
  'volumes.*.efsVolumeConfiguration.transitEncryption': 'DISABLED'
}

/**
 * The differences between what we would register and the registered revision; empty when
 * they are the same task definition.
 */
export function compareTaskDefinition(
  desired: RegisterTaskDefinitionCommandInput,
  actual: TaskDefinition,
  actualTags: Tag[] | undefined
): Difference[] {
  const differences: Difference[] = []
  diff(canonicalTaskDefinition(desired), canonicalTaskDefinition(actual), '', differences)
  diff(canonicalTags(desired.tags), canonicalTags(actualTags), 'tags', differences)
  return differences
}

type Plain = string | number | boolean | Plain[] | { [key: string]: Plain }

/**
 * The request in the form the comparison sees, as one string: two requests that compare equal
 * give the same text (defaults and empties dropped, sets sorted, keys sorted, tags as a map),
 * so its hash addresses "this task definition" whatever order the definition file lists things.
 */
export function canonicalRequestText(request: RegisterTaskDefinitionCommandInput): string {
  const definition = canonicalTaskDefinition(request)
  definition.family = request.family ?? ''
  const tags = canonicalTags(request.tags)
  return stableJson(tags ? { definition, tags } : { definition })
}

/** The comparable form: defaults and empties dropped, containers and volumes keyed by name. */
export function canonicalTaskDefinition(
  definition: RegisterTaskDefinitionCommandInput | TaskDefinition
): Record<string, Plain> {
  const networkMode = definition.networkMode ?? 'bridge'
  const out: Record<string, Plain> = {}
  for (const [key, value] of Object.entries(definition)) {
    if (RESPONSE_ONLY.has(key) || value === undefined || value === null) continue
    let canonical: Plain | undefined
    if (key === 'containerDefinitions') {
      canonical = byName(value as { name?: string }[], (c) =>
        canonicalValue(withDefaultHostPorts(c, networkMode), 'containerDefinitions.*')
      )
    } else if (key === 'volumes') {
      canonical = byName(value as { name?: string }[], (v) => canonicalValue(v, 'volumes.*'))
    } else if (key === 'cpu' || key === 'memory') {
      canonical = taskSize(value as string | number, key)
    } else {
      canonical = canonicalValue(value, key)
    }
    if (canonical !== undefined && !isDefault(key, canonical)) out[key] = canonical
  }
  return out
}

/** Tags as a set of pairs (ECS tag keys are unique, so a map). */
function canonicalTags(tags: Tag[] | undefined): Record<string, Plain> | undefined {
  if (!tags || tags.length === 0) return undefined
  const out: Record<string, Plain> = {}
  for (const t of tags) if (t.key !== undefined) out[t.key] = t.value ?? ''
  return out
}

/**
 * ECS fills hostPort for a mapping that leaves it unset: the container port in awsvpc and
 * host modes (they must match there), 0 (a dynamic port) in bridge mode. Dropping it when it
 * equals that value makes "unset" and "filled" compare equal.
 */
function withDefaultHostPorts(container: object, networkMode: string): object {
  const c = container as { portMappings?: { containerPort?: number; hostPort?: number }[] }
  if (!c.portMappings) return container
  return {
    ...container,
    portMappings: c.portMappings.map((m) => {
      const fallback = networkMode === 'awsvpc' || networkMode === 'host' ? m.containerPort : 0
      const { hostPort, ...rest } = m
      return hostPort === undefined || hostPort === fallback ? rest : m
    })
  }
}

/** Task cpu/memory as ECS stores them: '1 vCPU' becomes '1024', '2 GB' becomes '2048'. */
function taskSize(value: string | number, key: 'cpu' | 'memory'): string {
  const text = String(value).trim()
  const unit = key === 'cpu' ? /^(\d+(?:\.\d+)?)\s*vcpu$/i : /^(\d+(?:\.\d+)?)\s*gb$/i
  const match = unit.exec(text)
  return match?.[1] !== undefined ? String(Math.round(Number(match[1]) * 1024)) : text
}

function byName<T extends { name?: string }>(
  items: T[],
  canonical: (item: T) => Plain | undefined
): Record<string, Plain> | undefined {
  const out: Record<string, Plain> = {}
  for (const item of items) out[item.name ?? ''] = canonical(item) ?? {}
  return Object.keys(out).length > 0 ? out : undefined
}

function canonicalValue(value: unknown, pattern: string): Plain | undefined {
  if (value === undefined || value === null || value instanceof Date) return undefined
  if (Array.isArray(value)) {
    const items = value
      .map((v) => canonicalValue(v, `${pattern}[]`))
      .filter((v): v is Plain => v !== undefined)
    if (items.length === 0) return undefined
    if (UNORDERED.has(pattern)) items.sort((a, b) => compareStrings(stableJson(a), stableJson(b)))
    return items
  }
  if (typeof value === 'object') {
    const out: Record<string, Plain> = {}
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const path = `${pattern}.${key}`
      const canonical = canonicalValue(v, path)
      if (canonical !== undefined && !isDefault(path, canonical)) out[key] = canonical
    }
    return Object.keys(out).length > 0 ? out : undefined
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value
  }
  return undefined
}

function isDefault(pattern: string, value: Plain): boolean {
  return pattern in DEFAULTS && DEFAULTS[pattern] === value
}

function diff(
  expected: Plain | undefined,
  actual: Plain | undefined,
  path: string,
  out: Difference[]
): void {
  if (isRecord(expected) && isRecord(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort(
      compareStrings
    )
    for (const key of keys) {
      diff(expected[key], actual[key], childPath(path, key), out)
    }
    return
  }
  if (stableJson(expected) !== stableJson(actual)) out.push({ path, expected, actual })
}

/** `containerDefinitions[app]`, `volumes[data]`, `tags[team]`, else dotted. */
function childPath(parent: string, key: string): string {
  if (parent === 'containerDefinitions' || parent === 'volumes' || parent === 'tags') {
    return `${parent}[${key}]`
  }
  return parent === '' ? key : `${parent}.${key}`
}

function isRecord(value: Plain | undefined): value is { [key: string]: Plain } {
  return typeof value === 'object' && !Array.isArray(value)
}

/** JSON with object keys sorted, so maps compare as sets of pairs. */
export function stableJson(value: Plain | undefined): string {
  if (value === undefined) return 'undefined'
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort(compareStrings)
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * One difference as a log line, values shortened to keep the log readable. The registered
 * revision is foreign text (anyone allowed to register the family wrote it): JSON escapes the
 * line breaks of its values, escapeLogText the rest (U+2028, a `##[`, a key path's own breaks).
 */
export function formatDifference(d: Difference, maxLength = 200): string {
  const show = (v: unknown): string => {
    const text = v === undefined ? '(unset)' : stableJson(v as Plain)
    return text.length > maxLength ? `${text.slice(0, maxLength)}...` : text
  }
  return escapeLogText(`${d.path}: wanted ${show(d.expected)}, registered ${show(d.actual)}`)
}
