/**
 * How a test scripts a simulated task: `SIM_*` environment variables of a container, read from
 * the task definition's `environment` with the RunTask container override's `environment` on
 * top (so one registered definition can play every outcome). Pure parsing, no state.
 */
import { commandExitCode } from './command-exit.js'
import { AwsError } from './json-server.js'

/** What one simulated container does. All durations are simulated seconds. */
export interface ContainerScript {
  /** Seconds from RUNNING to exit; undefined: runs until the task stops. */
  runSeconds?: number
  /** Exit code when it ends on its own (default 0). */
  exitCode: number
  /** The image pull fails: the task stops with TaskFailedToStart. */
  pullFailure: boolean
  /** Lines the container prints, spread evenly over its run time. */
  logLines: string[]
  /** Exit code after SIGTERM (StopTask, or another essential container exited); undefined: none. */
  sigtermExitCode?: number
  /** Ignores SIGTERM: killed after the stop timeout with 137. */
  ignoreSigterm: boolean
}

/** Task-wide script, read from the app container (or the first container). */
export interface TaskScript {
  /** RunTask answers a capacity failure this many times for the same request before starting it. */
  capacityFailures: number
  /** The first STOPPED state (and event) lacks exit codes; a complete one follows. */
  incompleteStop: boolean
  /** Overrides the simulator's provisioning time for this task. */
  provisioningSeconds?: number
  /** Overrides the simulator's image pull (PENDING) time for this task. */
  pendingSeconds?: number
}

/** The SIM_* variables this simulator reads. */
export const SCRIPT_VARIABLES = [
  'SIM_RUN_SECONDS',
  'SIM_EXIT_CODE',
  'SIM_PULL_FAILURE',
  'SIM_LOG_LINES',
  'SIM_SIGTERM_EXIT_CODE',
  'SIM_IGNORE_SIGTERM',
  'SIM_CAPACITY_FAILURES',
  'SIM_INCOMPLETE_STOP',
  'SIM_PROVISIONING_SECONDS',
  'SIM_PENDING_SECONDS'
] as const

type Env = ReadonlyMap<string, string>

function number(env: Env, name: string, min: number): number | undefined {
  const raw = env.get(name)
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min) {
    throw new AwsError(
      'InvalidParameterException',
      `Simulator: ${name} must be a number >= ${min}, got '${raw}'`
    )
  }
  return value
}

function flag(env: Env, name: string): boolean {
  const raw = env.get(name)
  return raw !== undefined && raw !== '' && raw !== '0' && raw.toLowerCase() !== 'false'
}

/**
 * `SIM_LOG_LINES`: a JSON array of strings, or lines separated by newlines (a literal `\n`
 * two-character sequence also separates, for shells and YAML that cannot hold a newline).
 */
export function parseLogLines(raw: string | undefined): string[] {
  if (raw === undefined || raw === '') return []
  if (raw.trimStart().startsWith('[')) {
    const parsed: unknown = JSON.parse(raw)
    if (Array.isArray(parsed)) return parsed.map(String)
  }
  return raw.split(/\r?\n|\\n/)
}

/**
 * The script of one container. `isApp`: a container without SIM_RUN_SECONDS runs
 * `defaultRunSeconds` when it is the app container and until the task stops otherwise, so a
 * sidecar never ends a task on its own unless told to. `container.command` is the container's
 * command (the override's, else the definition's); it decides the exit code when it is
 * `exit N` or `sh -c "exit N"` and SIM_EXIT_CODE is not set.
 */
export function containerScript(
  env: Env,
  isApp: boolean,
  defaultRunSeconds: number,
  container: { command?: readonly string[] } = {}
): ContainerScript {
  const run = env.get('SIM_RUN_SECONDS')
  const forever = run === 'forever' || run === 'inf'
  const sigterm = env.get('SIM_SIGTERM_EXIT_CODE')
  return {
    runSeconds: forever
      ? undefined
      : (number(env, 'SIM_RUN_SECONDS', 0) ?? (isApp ? defaultRunSeconds : undefined)),
    // SIM_EXIT_CODE scripts the outcome explicitly; else a command such as `sh -c "exit 3"`
    // ends as a shell would end it (sim/command-exit.ts); else 0.
    exitCode: number(env, 'SIM_EXIT_CODE', 0) ?? commandExitCode(container.command) ?? 0,
    pullFailure: flag(env, 'SIM_PULL_FAILURE'),
    logLines: parseLogLines(env.get('SIM_LOG_LINES')),
    sigtermExitCode:
      sigterm === 'none' ? undefined : (number(env, 'SIM_SIGTERM_EXIT_CODE', 0) ?? 143),
    ignoreSigterm: flag(env, 'SIM_IGNORE_SIGTERM')
  }
}

/** The task-wide script, from the app container's environment. */
export function taskScript(env: Env): TaskScript {
  return {
    capacityFailures: number(env, 'SIM_CAPACITY_FAILURES', 0) ?? 0,
    incompleteStop: flag(env, 'SIM_INCOMPLETE_STOP'),
    provisioningSeconds: number(env, 'SIM_PROVISIONING_SECONDS', 0),
    pendingSeconds: number(env, 'SIM_PENDING_SECONDS', 0)
  }
}

/** Merges a definition's environment with an override's: the override wins per name. */
export function mergeEnvironment(
  ...lists: ({ name?: string; value?: string }[] | undefined)[]
): Map<string, string> {
  const env = new Map<string, string>()
  for (const list of lists) {
    for (const item of list ?? []) {
      if (item.name !== undefined) env.set(item.name, item.value ?? '')
    }
  }
  return env
}
