/**
 * Values a workflow passes through `env` (or a task's `env` in `tasks`) end up in the RunTask
 * request's container overrides. Users do pass secrets that way, so the inputs the action logs
 * keep their environment names and lose their values (REDACTED); what it prints about a task
 * never includes its overrides. `mode: dry-run` is the one exception: it prints the requests on
 * purpose.
 */
import { parseJson } from './objects.js'

/** What a redacted value reads as (the mark GitHub prints for masked secrets). */
export const REDACTED = '***'

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)

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
    const parsed = parseJson(value)
    if (parsed === undefined) return `${REDACTED} (${value.length} characters, not JSON)`
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
