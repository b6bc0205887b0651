/**
 * The only reader of the action's inputs. Every input is parsed and validated here, with the
 * same defaults as action.yml (so `node dist/index.js` with only some `INPUT_*` variables behaves
 * as in a workflow), and every error names the input, quotes the bad value and gives the
 * expected form.
 */
import * as core from '@actions/core'
import type { ActionInputs, Mode } from './inputs-types.js'
import { fanOutOf, type FanOut } from './model/fan-out.js'
import type { TaskSpec } from './model/task.js'
import { redactInput } from './util/redact.js'
import { UserError } from './util/errors.js'
import { parseJson } from './util/objects.js'
import { DEFAULTS_LINE, MAX_ATTEMPTS, parseRetryOn } from './tasks/retry.js'
import {
  conflictsOf,
  parseAssignPublicIp,
  parseCapacityProviderStrategy,
  parseEphemeralStorage,
  parseIdList,
  parseLaunchType,
  parseRoleArn,
  parseServiceRef,
  parseTaskCpu,
  parseTaskMemory,
  type RunOverrides
} from './definition/run-overrides.js'
import type { TaskLevelOverrides } from './model/task.js'
import { compact } from './util/objects.js'

/**
 * Defaults of the inputs that have one, exactly as declared in action.yml (a test keeps the two
 * equal). Inputs not listed default to the empty string.
 */
export const INPUT_DEFAULTS: Readonly<Record<string, string>> = {
  mode: 'run',
  'task-definition-cache': 'true',
  wait: 'true',
  'stop-on-cancel': 'true',
  'poll-interval': '1',
  'verify-interval': '300',
  'log-lines': '50',
  'follow-logs': 'true',
  'fail-on-error': 'true',
  'fail-fast': 'false',
  attempts: '3',
  'retry-on': DEFAULTS_LINE,
  'on-timeout': 'stop',
  'job-index': '${{ strategy.job-index }}',
  'job-total': '${{ strategy.job-total }}',
  'job-max-parallel': '${{ strategy.max-parallel }}'
}

/**
 * Defaults that the runner evaluates from a context (docs/limits.md, "The strategy context in
 * input defaults"). Where no runner evaluates them (a local run, or an input given as the
 * expression's text), they mean "not known": outside a matrix, one job.
 */
const CONTEXT_DEFAULT = /^\$\{\{.*\}\}$/s

/** Jobs or tasks of a fan-out: GitHub's matrix holds 256 jobs; a fan-out seen by hand may be wider. */
export const MAX_FAN_OUT = 100_000

/** Largest `count`: a fan-out larger than this is better split over several jobs. */
export const MAX_TASKS = 10000

/** GetLogEvents returns at most 10,000 events a call. */
const MAX_LOG_LINES = 10000

/** Reads one raw input, like core.getInput (trimmed; '' when absent). */
export type InputReader = (name: string) => string

const defaultReader: InputReader = (name) => core.getInput(name)

/** Reads, validates and returns every input. Throws UserError listing every bad input. */
export function readInputs(read: InputReader = defaultReader, log = core.debug): ActionInputs {
  const inputs = inputCollector(read, log)
  const { take, optional, text } = inputs
  const definition = take('definition', (value) => {
    if (value === '') {
      throw new UserError(
        "Input 'definition' is required: the path of a hako definition (.yml, .yaml or .json)"
      )
    }
    return value
  })
  const mode = take('mode', (value) => parseMode(value))
  const command = optional(parseCommand)('command')
  const env = take('env', (value) => parseKeyValueLines('env', value, ENV_NAME)) ?? {}
  const tags = take('tags', (value) => parseKeyValueLines('tags', value, TAG_KEY)) ?? {}
  const containers =
    take('containers', (value) =>
      value
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter((s) => s !== '')
    ) ?? []
  const count = optional((name, value) => parseInteger(name, value, 1, MAX_TASKS))('count')
  const tasksJson = optional(parseTasks)('tasks')
  const settings = {
    definition: definition ?? '',
    mode: mode ?? 'run',
    command,
    env,
    tag: text('tag'),
    containers,
    appCpu: optional((n, v) => parseInteger(n, v, 0, 1_000_000))('app-cpu'),
    appMemory: optional((n, v) => parseInteger(n, v, 1, 10_000_000))('app-memory'),
    appMemoryReservation: optional((n, v) => parseInteger(n, v, 1, 10_000_000))(
      'app-memory-reservation'
    ),
    cluster: text('cluster'),
    runOverrides: runOverridesOf(inputs),
    region: text('region'),
    taskDefinition: text('task-definition'),
    taskDefinitionCache:
      take('task-definition-cache', (v) => parseBoolean('task-definition-cache', v)) ?? true,
    notificationPrefix: text('notification-prefix'),
    wait: take('wait', (v) => parseBoolean('wait', v)) ?? true,
    timeoutSeconds: optional(parseDuration)('timeout'),
    maxRunTimeSeconds: optional(parseDuration)('max-run-time'),
    stopOnCancel: take('stop-on-cancel', (v) => parseBoolean('stop-on-cancel', v)) ?? true,
    pollIntervalSeconds:
      take('poll-interval', (v) => parseNumber('poll-interval', v, 0.1, 3600)) ?? 1,
    verifyIntervalSeconds:
      take('verify-interval', (v) => parseInteger('verify-interval', v, 0, 86_400)) ?? 300,
    logLines: take('log-lines', (v) => parseInteger('log-lines', v, 0, MAX_LOG_LINES)) ?? 50,
    followLogs: take('follow-logs', (v) => parseBoolean('follow-logs', v)) ?? true,
    startedBy: optional(parseStartedBy)('started-by'),
    group: text('group'),
    tags,
    failOnError: take('fail-on-error', (v) => parseBoolean('fail-on-error', v)) ?? true,
    maxParallel: optional((n, v) => parseInteger(n, v, 1, MAX_TASKS))('max-parallel'),
    // An upper bound: the job spends its share of the fan-out's RunTask rate when that is less,
    // so a value above the share (or above the account's 40 a second) is capped, not refused.
    launchRate: optional((n, v) => parseNumber(n, v, 0.1, Infinity))('launch-rate'),
    failFast: take('fail-fast', (v) => parseBoolean('fail-fast', v)) ?? false,
    attempts: take('attempts', (v) => parseInteger('attempts', v, 1, MAX_ATTEMPTS)) ?? 3,
    retryOn: take('retry-on', (v) => parseRetryOn('retry-on', v)) ?? [],
    onTimeout: take('on-timeout', (v) => parseOnTimeout(v)) ?? 'stop',
    exitCodeContainer: text('exit-code-container'),
    taskArns: take('task-arns', (v) => parseTaskArns(v)) ?? [],
    jobs: optional(parseJobs)('jobs')
  } satisfies Omit<ActionInputs, 'tasks' | 'fanOut' | 'rerun'>
  const rerun = optional((_, v) => parseRerun(v))('rerun')
  const set = tasksAndFanOut(inputs, { ...settings, count, tasksJson })
  // A lone task (a deploy or a migration) runs again on a re-run, as GitHub re-runs its job;
  // a matrix or a set finishes its work instead of redoing it.
  const alone = set.tasks.length === 1 && set.fanOut.jobTotal === 1
  const result = { ...settings, ...set, rerun: rerun ?? (alone ? 'all' : 'failed') }
  if (settings.mode === 'wait' && (count !== undefined || tasksJson !== undefined)) {
    inputs.errors.push(
      "Inputs 'count' and 'tasks' start tasks; 'mode: wait' starts none (it waits on 'task-arns')"
    )
  }
  if (settings.mode !== 'wait' && settings.taskArns.length > 0) {
    inputs.errors.push(
      `Input 'task-arns' is read only with 'mode: wait' (got mode '${settings.mode}'); ` +
        `to run a task definition, use 'task-definition'`
    )
  }
  if (inputs.errors.length > 0) throw new UserError(inputs.errors.join('\n'))
  return result
}

/** Reads inputs one at a time, collecting every error instead of stopping at the first. */
function inputCollector(read: InputReader, log: (message: string) => void) {
  const errors: string[] = []
  const raw = (name: string): string => {
    const value = read(name).trim()
    const given = value === '' ? (INPUT_DEFAULTS[name] ?? '') : value
    return CONTEXT_DEFAULT.test(given) ? '' : given
  }
  /** Runs a parser on one input; a UserError is collected and the input reads as undefined. */
  const take = <T>(name: string, parse: (value: string) => T): T | undefined => {
    const value = raw(name)
    // env values may be secrets: the log shows their names only.
    log(`input ${name}: ${JSON.stringify(redactInput(name, value))}`)
    try {
      return parse(value)
    } catch (error) {
      if (error instanceof UserError) {
        errors.push(error.message)
        return undefined
      }
      throw error
    }
  }
  const optional =
    <T>(parse: (name: string, value: string) => T) =>
    (name: string) =>
      take(name, (value) => (value === '' ? undefined : parse(name, value)))
  const text = (name: string): string | undefined =>
    take(name, (value) => (value === '' ? undefined : value))
  return { errors, take, optional, text }
}

/** The run's choices beyond the definition (src/definition/run-overrides.ts), and their conflicts. */
function runOverridesOf(inputs: ReturnType<typeof inputCollector>): RunOverrides {
  const { optional, errors } = inputs
  const input = <T>(parse: (what: string, value: string) => T) =>
    optional((name, value) => parse(`Input '${name}'`, value))
  const network = compact({
    subnets: input((w, v) => parseIdList(w, v, 'subnet'))('subnets'),
    securityGroups: input((w, v) => parseIdList(w, v, 'sg'))('security-groups'),
    assignPublicIp: input(parseAssignPublicIp)('assign-public-ip')
  })
  const overrides = compact<RunOverrides>({
    taskRoleArn: input(parseRoleArn)('task-role-arn'),
    executionRoleArn: input(parseRoleArn)('execution-role-arn'),
    cpu: input(parseTaskCpu)('cpu'),
    memory: input(parseTaskMemory)('memory'),
    ephemeralStorageGiB: input(parseEphemeralStorage)('ephemeral-storage'),
    enableExecuteCommand: optional(parseBoolean)('enable-execute-command'),
    launchType: input(parseLaunchType)('launch-type'),
    capacityProviderStrategy: input(parseCapacityProviderStrategy)('capacity-provider-strategy'),
    network: Object.keys(network).length > 0 ? network : undefined,
    networkFromService: input(parseServiceRef)('network-from-service')
  })
  errors.push(...conflictsOf(overrides))
  return overrides
}

/**
 * The tasks of this job (`count` or `tasks`; one task without either) and the fan-out they
 * belong to (`job-index`, `job-total`, `job-max-parallel`, `fan-out-width`).
 */
function tasksAndFanOut(
  inputs: ReturnType<typeof inputCollector>,
  given: { count?: number; tasksJson?: TaskSpec[]; wait: boolean; maxParallel?: number }
): { tasks: TaskSpec[]; fanOut: FanOut } {
  const { errors, optional } = inputs
  const { count, tasksJson } = given
  let tasks: TaskSpec[] = [{ env: {} }]
  if (count !== undefined && tasksJson !== undefined) {
    errors.push("Inputs 'count' and 'tasks' cannot be used together: give one of them")
  } else if (count !== undefined) {
    tasks = Array.from({ length: count }, (_, index) => ({
      env: { ONESHOT_INDEX: String(index), ONESHOT_COUNT: String(count) }
    }))
  } else if (tasksJson !== undefined) {
    tasks = tasksJson
  }
  if (!given.wait && (count !== undefined || tasksJson !== undefined)) {
    errors.push(
      "Inputs 'count' and 'tasks' need 'wait: true': a fan-out waits for its tasks to report " +
        'each one and to stop them all if the job is cancelled'
    )
  }
  const jobTotal = optional((n, v) => parseInteger(n, v, 1, MAX_FAN_OUT))('job-total')
  const jobIndex = optional((n, v) => parseInteger(n, v, 0, MAX_FAN_OUT - 1))('job-index')
  if (jobIndex !== undefined && jobIndex >= (jobTotal ?? 1)) {
    errors.push(
      `Input 'job-index' must be less than 'job-total' (${jobTotal ?? 1}), got '${jobIndex}': ` +
        'job-index counts from 0'
    )
  }
  const fanOut = fanOutOf({
    jobIndex,
    jobTotal,
    jobMaxParallel: optional((n, v) => parseInteger(n, v, 1, MAX_FAN_OUT))('job-max-parallel'),
    width: optional((n, v) => parseInteger(n, v, 1, MAX_FAN_OUT * MAX_TASKS))('fan-out-width'),
    tasks: tasks.length,
    ...(given.maxParallel !== undefined ? { maxParallel: given.maxParallel } : {})
  })
  return { tasks, fanOut }
}

function parseRerun(value: string): 'failed' | 'all' {
  if (value === 'failed' || value === 'all') return value
  throw new UserError(
    `Input 'rerun' must be failed (start only the tasks that did not succeed in an earlier ` +
      `attempt of the workflow run) or all, got '${value}'`
  )
}

function parseMode(value: string): Mode {
  if (['run', 'register', 'dry-run', 'wait', 'summary'].includes(value)) {
    return value as Mode
  }
  throw new UserError(
    `Input 'mode' must be one of run, register, dry-run, wait, summary, got '${value}'`
  )
}

function parseOnTimeout(value: string): 'stop' | 'detach' {
  if (value === 'stop' || value === 'detach') return value
  throw new UserError(
    `Input 'on-timeout' must be stop (stop the tasks at the timeout) or detach (leave them ` +
      `running and end the step; wait on them later with mode: wait), got '${value}'`
  )
}

/** An ECS task ARN: arn:<partition>:ecs:<region>:<account>:task/<cluster>/<id>. */
const TASK_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task\/[A-Za-z0-9_-]+\/[A-Za-z0-9]+$/

/** `task-arns`: one task ARN, or a JSON list of them (a run's `task-arns` output; nulls skipped). */
function parseTaskArns(value: string): string[] {
  let arns: unknown[]
  if (value.startsWith('[')) {
    try {
      arns = JSON.parse(value) as unknown[]
    } catch {
      throw new UserError(`Input 'task-arns' is not a JSON list: ${value.slice(0, 100)}`)
    }
    if (!Array.isArray(arns)) throw new UserError(`Input 'task-arns' must be a JSON list`)
  } else {
    arns = value.split(/[\s,]+/).filter((s) => s !== '')
  }
  const out: string[] = []
  arns.forEach((arn, i) => {
    if (arn === null) return
    if (typeof arn !== 'string' || !TASK_ARN.test(arn)) {
      throw new UserError(
        `Input 'task-arns': item ${i} is not an ECS task ARN ` +
          `(arn:aws:ecs:<region>:<account>:task/<cluster>/<id>): ${JSON.stringify(arn).slice(0, 200)}`
      )
    }
    out.push(arn)
  })
  return [...new Set(out)]
}

/** GitHub job ids: a letter or `_`, then letters, digits, `-` and `_`. */
const JOB_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** Job ids: comma or newline separated, or a JSON list of strings. */
export function parseJobs(name: string, value: string): string[] {
  let ids: unknown[]
  if (value.startsWith('[')) {
    const parsed = parseJson(value)
    if (!Array.isArray(parsed)) {
      throw new UserError(
        `Input '${name}' starts with '[' but is not a JSON list of job ids, got '${value}'`
      )
    }
    ids = parsed
  } else {
    ids = value
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter((s) => s !== '')
  }
  const bad = ids.find((id) => typeof id !== 'string' || !JOB_ID.test(id))
  if (bad !== undefined || ids.length === 0) {
    throw new UserError(
      `Input '${name}' must list job ids (a letter or _, then letters, digits, - and _), ` +
        `comma or newline separated or as a JSON list such as ["build", "test"], got ` +
        `'${typeof bad === 'string' || bad === undefined ? (bad ?? value) : JSON.stringify(bad)}'`
    )
  }
  return [...new Set(ids as string[])]
}

/** YAML 1.2 core booleans, as core.getBooleanInput accepts them. */
export function parseBoolean(name: string, value: string): boolean {
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new UserError(`Input '${name}' must be true or false, got '${value}'`)
}

/** A whole number in [min, max], written in plain decimal digits. */
export function parseInteger(name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UserError(
      `Input '${name}' must be a whole number from ${min} to ${max}, got '${value}'`
    )
  }
  return n
}

/** A decimal number in [min, max] (max Infinity: no upper bound). */
export function parseNumber(name: string, value: string, min: number, max: number): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN
  if (!Number.isFinite(n) || n < min || n > max) {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`
    throw new UserError(`Input '${name}' must be a number ${range}, got '${value}'`)
  }
  return n
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 }

/** Seconds (`600`) or a duration made of `<n>h`, `<n>m`, `<n>s` parts (`90s`, `30m`, `1h30m`). */
export function parseDuration(name: string, value: string): number {
  let seconds: number | undefined
  if (/^\d+$/.test(value)) {
    seconds = Number(value)
  } else if (/^(\d+h)?(\d+m)?(\d+s)?$/.test(value)) {
    seconds = 0
    for (const [, n, unit] of value.matchAll(/(\d+)([hms])/g)) {
      seconds += Number(n) * (UNIT_SECONDS[unit ?? 's'] ?? 1)
    }
  }
  if (seconds === undefined || seconds <= 0 || !Number.isSafeInteger(seconds)) {
    throw new UserError(
      `Input '${name}' must be seconds or a duration like 90s, 30m, 2h or 1h30m, got '${value}'`
    )
  }
  return seconds
}

/** Environment variable names as POSIX shells accept them. */
const ENV_NAME = {
  pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
  what: 'a variable name (letters, digits and _, not starting with a digit)'
}
/** ECS tag keys: up to 128 letters, digits, spaces and _ . : / = + - @ (no '=' here). */
const TAG_KEY = {
  pattern: /^[\p{L}\p{N}\s_.:/+\-@]{1,128}$/u,
  what: 'a tag key (up to 128 letters, digits, spaces and _ . : / + - @)'
}

/**
 * `KEY=VALUE` lines: blank lines and `#` comments skipped, split at the first `=` so values may
 * hold `=`; a later line overrides an earlier one with the same key.
 */
export function parseKeyValueLines(
  name: string,
  value: string,
  key: { pattern: RegExp; what: string }
): Record<string, string> {
  const result: Record<string, string> = {}
  const lines = value.split(/\r?\n/)
  lines.forEach((line, index) => {
    const trimmed = line.trimStart()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const eq = trimmed.indexOf('=')
    const k = eq < 0 ? trimmed : trimmed.slice(0, eq).trimEnd()
    if (eq < 0 || !key.pattern.test(k)) {
      const why = eq < 0 ? 'no = in it' : `'${k}' is not ${key.what}`
      // An env value may be a secret, so an env line is quoted with its value masked.
      const shown = redactInput(name, line.trim())
      throw new UserError(
        `Input '${name}' line ${index + 1} must be KEY=VALUE, got '${shown}' (${why})`
      )
    }
    result[k] = trimmed.slice(eq + 1)
  })
  return result
}

/** A JSON array of strings, or a string split into words as a POSIX shell splits them. */
export function parseCommand(name: string, value: string): string[] {
  if (value.startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch (error) {
      throw new UserError(
        `Input '${name}' starts with '[' but is not a JSON array of strings: ${(error as Error).message}`
      )
    }
    if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === 'string')) {
      throw new UserError(`Input '${name}' must be a JSON array of strings, got ${value}`)
    }
    if (parsed.length === 0) throw new UserError(`Input '${name}' is an empty JSON array`)
    return parsed
  }
  return splitShellWords(name, value)
}

/**
 * Splits words as a POSIX shell does (XCU 2.2 quoting, 2.6.5 field splitting), without any
 * expansion: `'...'` keeps everything; `"..."` keeps everything but a backslash before
 * `$ \` " \\` or a newline; a backslash outside quotes keeps the next character (and removes a
 * newline). An unbalanced quote or a trailing backslash is an error.
 */
export function splitShellWords(name: string, value: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let i = 0
  const fail = (what: string): never => {
    throw new UserError(
      `Input '${name}' has ${what}; quote words as a POSIX shell does, or give a JSON array ` +
        `such as ["bundle", "exec", "rake"]`
    )
  }
  while (i < value.length) {
    const c = value.charAt(i)
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      i++
    } else if (c === "'") {
      const end = value.indexOf("'", i + 1)
      if (end < 0) fail(`an unbalanced single quote at character ${i + 1}`)
      word += value.slice(i + 1, end)
      inWord = true
      i = end + 1
    } else if (c === '"') {
      inWord = true
      i++
      for (;;) {
        if (i >= value.length) fail('an unbalanced double quote')
        const d = value.charAt(i)
        if (d === '"') break
        if (d === '\\' && i + 1 < value.length && '$`"\\\n'.includes(value.charAt(i + 1))) {
          if (value.charAt(i + 1) !== '\n') word += value.charAt(i + 1)
          i += 2
        } else {
          word += d
          i++
        }
      }
      i++
    } else if (c === '\\') {
      if (i + 1 >= value.length) fail('a backslash at the end')
      if (value.charAt(i + 1) !== '\n') {
        word += value.charAt(i + 1)
        inWord = true
      }
      i += 2
    } else {
      word += c
      inWord = true
      i++
    }
  }
  if (inWord) words.push(word)
  if (words.length === 0) throw new UserError(`Input '${name}' has no words`)
  return words
}

/** ECS startedBy: up to 128 letters, numbers, hyphens and underscores. */
function parseStartedBy(name: string, value: string): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(value)) {
    throw new UserError(
      `Input '${name}' must be up to 128 letters, numbers, hyphens and underscores ` +
        `(ECS's rule for startedBy), got '${value}'`
    )
  }
  return value
}

/** The keys of a `tasks` element that set its own task-level overrides, by input name. */
const TASK_OVERRIDE_KEYS: Record<
  string,
  (what: string, value: string | number) => TaskLevelOverrides
> = {
  'task-role-arn': (w, v) => ({ taskRoleArn: parseRoleArn(w, String(v)) }),
  'execution-role-arn': (w, v) => ({ executionRoleArn: parseRoleArn(w, String(v)) }),
  cpu: (w, v) => ({ cpu: parseTaskCpu(w, v) }),
  memory: (w, v) => ({ memory: parseTaskMemory(w, v) }),
  'ephemeral-storage': (w, v) => ({ ephemeralStorageGiB: parseEphemeralStorage(w, v) })
}
const TASK_KEYS = ['command', 'env', ...Object.keys(TASK_OVERRIDE_KEYS)]

/**
 * The `tasks` input: a JSON array of `{command?, env?}` objects, each of which may also set its
 * own task-level overrides under the inputs' names (`task-role-arn`, `cpu`, ...).
 */
function parseTasks(name: string, value: string): TaskSpec[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch (error) {
    // V8 quotes the text around the error, which may hold an env value: leave that out.
    const why = (error as Error).message.replace(/, (\.\.\.)?"[\s\S]*" is not valid JSON$/, '')
    throw new UserError(
      `Input '${name}' must be a JSON array of {"command": [...], "env": {...}} objects: ${why}`
    )
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new UserError(
      `Input '${name}' must be a non-empty JSON array of {"command": [...], "env": {...}} objects`
    )
  }
  if (parsed.length > MAX_TASKS) {
    throw new UserError(`Input '${name}' has ${parsed.length} tasks; at most ${MAX_TASKS}`)
  }
  return parsed.map((item: unknown, index): TaskSpec => {
    const where = `Input '${name}' element ${index}`
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new UserError(`${where} must be an object with optional "command" and "env"`)
    }
    const { command, env, ...rest } = item as Record<string, unknown>
    const spec: TaskSpec = { env: {} }
    for (const [key, value] of Object.entries(rest)) {
      const parse = Object.hasOwn(TASK_OVERRIDE_KEYS, key) ? TASK_OVERRIDE_KEYS[key] : undefined
      if (parse === undefined) {
        throw new UserError(
          `${where} has unknown key '${key}': only ${TASK_KEYS.map((k) => `"${k}"`).join(', ')} ` +
            'are read'
        )
      }
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new UserError(`${where}: "${key}" must be a string or a number`)
      }
      spec.overrides = { ...spec.overrides, ...parse(`${where}: "${key}"`, value) }
    }
    if (command !== undefined) {
      if (typeof command === 'string')
        spec.command = splitShellWords(`${name}[${index}].command`, command)
      else if (Array.isArray(command) && command.every((w) => typeof w === 'string'))
        spec.command = command
      else throw new UserError(`${where}: "command" must be an array of strings or a string`)
    }
    if (env !== undefined) {
      if (env === null || typeof env !== 'object' || Array.isArray(env)) {
        throw new UserError(`${where}: "env" must be an object of string values`)
      }
      for (const [k, v] of Object.entries(env as Record<string, unknown>)) {
        if (!ENV_NAME.pattern.test(k)) {
          throw new UserError(`${where}: "env" key '${k}' is not ${ENV_NAME.what}`)
        }
        if (typeof v !== 'string') {
          throw new UserError(`${where}: "env" value of '${k}' must be a string`)
        }
        spec.env[k] = v
      }
    }
    return spec
  })
}
