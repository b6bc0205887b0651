/**
 * The fan-out's ledger as the run sees it (pure): what a task set records while it runs, what a
 * later run attempt reads back of each task, and the rule that tells an end the action caused
 * (cancel, timeout, fail-fast, the post step, the sweeper) from the task's own result. The
 * bucket layout and the writes are src/ledger/'s; docs/retries.md, "The ledger", says why.
 */
import type { TaskStatus } from './result.js'
import type { TaskEnd } from './task.js'

/** Why the action asked ECS to stop a task. */
export const STOP_REQUESTS = ['cancel', 'timeout', 'fail-fast', 'wait-error'] as const
export type StopRequest = (typeof STOP_REQUESTS)[number]

/** One attempt of one task of the set, as the ledger names it. */
export interface LedgerTask {
  /** The task's place in the set (0-based). */
  index: number
  /** 1-based, counting on across run attempts. */
  taskAttempt: number
  /** The RunTask clientToken of this attempt. */
  clientToken: string
}

/** What a task set records as it runs: never an environment value, an override or a secret. */
export interface TaskSetLedger {
  /** The RunTask clientToken of attempt `taskAttempt` of task `index`: the same on a re-run. */
  tokenOf(index: number, taskAttempt: number): string
  /** Before the set's first RunTask: the tasks it may start. Never throws. */
  intent(tasks: readonly LedgerTask[]): Promise<void>
  /** RunTask returned the task, or a re-run adopted it (`adopted`). */
  started(task: LedgerTask & { taskArn: string; adopted: boolean }): void
  /** The task's end was seen. */
  ended(
    task: LedgerTask & {
      taskArn: string
      end: TaskEnd
      status: TaskStatus
      adopted: boolean
      stopRequest?: StopRequest
    }
  ): void
  /** The action called StopTask for it. */
  stopRequested(task: LedgerTask & { taskArn: string; why: StopRequest }): void
  /** Waits for the writes in flight (bounded). Never throws. */
  flush(): Promise<void>
}

/** The newest record of one task of the set, read back by a later run attempt. */
export interface LedgerEntry {
  index: number
  runAttempt: number
  taskAttempt: number
  /** The task's fingerprint (command and env names), and the set's size, when recorded. */
  spec: string
  tasks: number
  /** 'intent': the job meant to start it and its start was never recorded. */
  status: TaskStatus | 'intent'
  taskArn: string | null
  clientToken: string | null
  exitCode: number | null
  stopCode: string | null
  stoppedReason: string | null
  stopRequest: StopRequest | null
  startedAt: string | null
  stoppedAt: string | null
  /** Version 1 records keep only final results. */
  version: number
}

/** The start of every stopped reason this action's StopTask calls give (start-and-stop-rules.ts). */
export const ACTION_STOP_PREFIX = 'Stopped by hako-oneshot-action:'
/** The start of the stopped reason of the notifier stack's sweeper (notifier/sweeper.ts). */
export const SWEEPER_STOP_PREFIX = 'Stopped by the hako-oneshot sweeper:'

/**
 * True when the action (or its sweeper) ended the task: its stopped reason is one the action
 * writes. Such an end is never the task's result: a re-run runs the task again.
 */
export function stoppedByAction(end: Pick<LedgerEntry, 'stoppedReason' | 'stopRequest'>): boolean {
  if (end.stopRequest !== null) return true
  const reason = end.stoppedReason ?? ''
  return reason.startsWith(ACTION_STOP_PREFIX) || reason.startsWith(SWEEPER_STOP_PREFIX)
}
