/**
 * How a task ended, in one classification (pure): the app's own exit, the infrastructure under
 * it, a start that failed for a transient reason or for one the user must fix, a stop by
 * someone else, a stop by this action (timeout, cancel, fail-fast), or an end never seen. The
 * retry rules (src/tasks/retry.ts) and the report read it; the facts are in docs/retries.md.
 */
import { appContainer } from './task-state.js'
import type { TaskEnd, TaskSnapshot } from './task.js'

/** The classes of how a task ended. */
export const TASK_END_KINDS = [
  /** The app container exited on its own (EssentialContainerExited), whatever its code. */
  'app-exit',
  /** The capacity under the task went away: Spot, termination notice, health, maintenance. */
  'infrastructure',
  /** TaskFailedToStart for a reason that passes: pull limits and timeouts, ENI timeouts. */
  'start-transient',
  /** TaskFailedToStart for a reason the user must fix: no such image, access denied, config. */
  'start-fix',
  /** TaskFailedToStart for a reason this classification does not know. */
  'start-unknown',
  /** StopTask by someone else (UserInitiated), or a service scheduler. */
  'stopped-by-other',
  /** StopTask by this action: timeout, cancel or fail-fast. */
  'stopped-by-action',
  /** The end was never seen (DescribeTasks lost the task). */
  'lost',
  /** A stop code this classification does not know (ECS may add codes, docs/retries.md, "Stop codes"). */
  'unknown'
] as const

export type TaskEndKind = (typeof TASK_END_KINDS)[number]

/** How one task ended: its class and a short cause for people and for the storm guard. */
export interface EndClass {
  kind: TaskEndKind
  /** A short, stable name of the cause: `spot-interruption`, `pull-rate-limit`, `exit-code-1`. */
  cause: string
}

/** Stop codes of capacity that went away (docs/retries.md, "Stop codes"). */
const INFRASTRUCTURE_STOP_CODES: Record<string, string> = {
  SpotInterruption: 'spot-interruption',
  TerminationNotice: 'termination-notice',
  InfrastructureHealth: 'infrastructure-health'
}

/** Fargate's stopped reason for task maintenance (docs/retries.md, "Fargate task maintenance"). */
export const MAINTENANCE_REASON =
  'ECS is performing maintenance on the underlying infrastructure hosting the task'

/**
 * Start failures that pass by themselves, first match wins (docs/retries.md, "Stopped task
 * error messages", "Network interface timeouts", "Registry pull rate limits"). Matched against
 * the stopped reason and every container's reason.
 */
const TRANSIENT_START: readonly { cause: string; test: RegExp }[] = [
  { cause: 'pull-rate-limit', test: /toomanyrequests|429 Too Many Requests|rate exceeded/i },
  { cause: 'eni-timeout', test: /Timeout waiting for network interface provisioning/i },
  {
    cause: 'pull-timeout',
    test: /CannotPullContainerError.*(i\/o timeout|context deadline exceeded|TLS handshake timeout|connection reset by peer|request canceled while waiting for connection|Client\.Timeout)/is
  },
  {
    cause: 'resource-initialization-timeout',
    test: /ResourceInitializationError.*(i\/o timeout|context deadline exceeded|connection reset by peer|TLS handshake timeout|Client\.Timeout)/is
  }
]

/** Start failures the user must fix (docs/retries.md, "Stopped task error messages"). */
const FIX_START: readonly { cause: string; test: RegExp }[] = [
  {
    cause: 'image-not-found',
    test: /CannotPullContainerError.*(not found|manifest unknown|does not exist|repository .* not found)/is
  },
  {
    cause: 'pull-access-denied',
    test: /CannotPullContainerError.*(access denied|AccessDenied|unauthorized|no basic auth credentials|denied:)/is
  },
  { cause: 'invalid-image', test: /CannotPullContainerError.*invalid reference format/is },
  { cause: 'resource-initialization', test: /ResourceInitializationError/i },
  {
    cause: 'cannot-start-container',
    test: /CannotStartContainerError|CannotCreateContainerError/i
  },
  { cause: 'invalid-configuration', test: /InvalidParameter|invalid .*configuration/i }
]

function firstMatch(
  reasons: readonly string[],
  table: readonly { cause: string; test: RegExp }[]
): string | undefined {
  for (const { cause, test } of table) {
    if (reasons.some((r) => test.test(r))) return cause
  }
  return undefined
}

/**
 * How a task ended. `stopRequested`: this action called StopTask for it (timeout, cancel,
 * fail-fast), which wins over what ECS reports. Spot and termination stop codes win over the
 * app's exit code: an app that exits 143 on SIGTERM did not fail by itself.
 */
export function classifyEnd(end: TaskEnd, options: { stopRequested?: boolean } = {}): EndClass {
  if (end.kind === 'lost') return { kind: 'lost', cause: 'lost' }
  if (options.stopRequested === true) return { kind: 'stopped-by-action', cause: 'stopped' }
  return classifySnapshot(end.task)
}

/** How a stopped task ended, from its state alone (see classifyEnd). */
export function classifySnapshot(task: TaskSnapshot): EndClass {
  const code = task.stopCode ?? ''
  const infrastructure = INFRASTRUCTURE_STOP_CODES[code]
  if (infrastructure !== undefined) return { kind: 'infrastructure', cause: infrastructure }
  // Its stopped reason, then each container's.
  const reasons = [task.stoppedReason, ...task.containers.map((c) => c.reason)].filter(
    (r): r is string => r !== undefined && r !== ''
  )
  if (task.stoppedReason?.startsWith(MAINTENANCE_REASON) === true) {
    return { kind: 'infrastructure', cause: 'fargate-maintenance' }
  }
  if (code === 'TaskFailedToStart') {
    const transient = firstMatch(reasons, TRANSIENT_START)
    if (transient !== undefined) return { kind: 'start-transient', cause: transient }
    const fix = firstMatch(reasons, FIX_START)
    if (fix !== undefined) return { kind: 'start-fix', cause: fix }
    return { kind: 'start-unknown', cause: 'start-failed' }
  }
  if (code === 'EssentialContainerExited') {
    const exit = appContainer(task)?.exitCode
    return { kind: 'app-exit', cause: exit === undefined ? 'no-exit-code' : `exit-code-${exit}` }
  }
  if (code === 'UserInitiated') return { kind: 'stopped-by-other', cause: 'user-initiated' }
  if (code === 'ServiceSchedulerInitiated') {
    return { kind: 'stopped-by-other', cause: 'service-scheduler' }
  }
  return { kind: 'unknown', cause: code === '' ? 'no-stop-code' : code }
}

/** A few words for the job log and the summary: `infrastructure (spot-interruption)`. */
export function describeEndClass(c: EndClass): string {
  return `${c.kind} (${c.cause})`
}
