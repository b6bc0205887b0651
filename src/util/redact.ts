/**
 * Values a workflow passes through `env` (or a task's `env` in `tasks`) end up in the RunTask
 * request's container overrides, and from there in every RunTask, DescribeTasks and task state
 * event that describes the task. Users do pass secrets that way, so whatever the action prints
 * or stores about a task (logs, annotations, summary, outputs) goes through these functions
 * first: environment names stay, values become REDACTED. `mode: dry-run` is the one exception:
 * it prints the requests on purpose.
 */

/** What a redacted value reads as (the mark GitHub prints for masked secrets). */
export const REDACTED = '***'

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)

/** `{name, value}` pairs with each value that is present replaced by REDACTED. */
function redactPairs(environment: unknown): unknown {
  if (!Array.isArray(environment)) return environment
  return environment.map((pair: unknown) =>
    isPlainObject(pair) && 'value' in pair ? { ...pair, value: REDACTED } : pair
  )
}

/**
 * A copy of `value` in which the `environment` of every element of every `containerOverrides`
 * list, at any depth, keeps its names and loses its values. Takes a RunTask request, a RunTask
 * or DescribeTasks answer, a Task, a task state event, or anything holding them; other fields,
 * Dates and class instances are kept as they are. `value` itself is never changed.
 */
export function redactOverrides<T>(value: T): T {
  return walk(value) as T
}

function walk(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(walk)
  if (!isPlainObject(value)) return value
  const copy: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) {
    copy[key] =
      key === 'containerOverrides' && Array.isArray(v)
        ? v.map((o: unknown) =>
            isPlainObject(o) && 'environment' in o
              ? { ...(walk(o) as object), environment: redactPairs(o.environment) }
              : walk(o)
          )
        : walk(v)
  }
  return copy
}

/**
 * An input's raw value as it may be logged: `env` lines keep their names (`KEY=***`), the
 * `env` objects of `tasks` theirs (`{"KEY":"***"}`); an `env` in `tasks` that is not an
 * object, or a `tasks` value that is not a JSON array, is not shown at all, since it may hold
 * anything. Every other input is returned unchanged.
 */
export function redactInput(name: string, value: string): string {
  if (name === 'env') {
    return value
      .split(/\r?\n/)
      .map((line) => {
        const trimmed = line.trimStart()
        if (trimmed === '' || trimmed.startsWith('#')) return line
        const eq = line.indexOf('=')
        return eq < 0 ? REDACTED : `${line.slice(0, eq)}=${REDACTED}`
      })
      .join('\n')
  }
  if (name === 'tasks' && value !== '') {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch {
      return `${REDACTED} (${value.length} characters, not JSON)`
    }
    if (!Array.isArray(parsed)) return REDACTED
    return JSON.stringify(
      parsed.map((task: unknown) =>
        isPlainObject(task) && 'env' in task
          ? {
              ...task,
              env: isPlainObject(task.env)
                ? Object.fromEntries(Object.keys(task.env).map((k) => [k, REDACTED]))
                : REDACTED
            }
          : task
      )
    )
  }
  return value
}
