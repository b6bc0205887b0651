import { UserError } from '../util/errors.js'

/** One segment of a key path: a map key or a list index. */
export type KeySegment = string | number

/** A problem found in a definition, reported to the user as `<file>: <key.path>: <message>`. */
export interface Problem {
  /**
   * Where the offending key was written (the definition, or a file it includes), with its
   * line, and for YAML its column, when known: `hako/batch.yml:9:3`, `lib/app.libsonnet:4`.
   */
  file: string
  /** Where in the merged tree the problem is; empty for a problem with the whole file. */
  path: KeySegment[]
  /** What is wrong, and how to fix it when that is not obvious. */
  message: string
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/

/** The value at `path` in a parsed definition tree, or undefined where there is none. */
export function valueAt(tree: unknown, path: readonly KeySegment[]): unknown {
  let node = tree
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined
    const container = node as Record<string | number, unknown>
    if (!Object.hasOwn(container, segment)) return undefined
    node = container[segment]
  }
  return node
}

/**
 * Formats a key path the way users write it: `app.env.PORT`, `app.port_mappings[0].host_port`;
 * keys that are not plain identifiers (docker label keys such as `com.example.team`) are quoted
 * so that the path stays unambiguous: `app.docker_labels["com.example.team"]`.
 */
export function formatKeyPath(path: readonly KeySegment[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(segment)}]`
  }
  return out
}

/** `<file>: <key.path>: <message>`, or `<file>: <message>` when the path is empty. */
export function formatProblem(problem: Problem): string {
  const where = formatKeyPath(problem.path)
  return where === ''
    ? `${problem.file}: ${problem.message}`
    : `${problem.file}: ${where}: ${problem.message}`
}

/** A UserError listing every problem, one per line. */
export function problemsError(problems: readonly Problem[]): UserError {
  return new UserError(problems.map(formatProblem).join('\n'))
}
