/**
 * How the tasks of a task set stand and ended: the records the work queue keeps and the report
 * reads. Plain data, and one count.
 */
import type { EndClass } from './task-end-kind.js'
import type { TaskEnd, TaskSnapshot } from './task.js'

/** Why a task set stopped early. */
export type HaltReason = 'fail-fast' | 'cancelled' | 'timed-out' | 'start-error' | 'wait-error'

/** The halts that stop running tasks (a start error lets them run to their end). */
export type StoppingHalt = Exclude<HaltReason, 'start-error'>

/** Where one task of the fan-out stands. */
export type TaskState =
  /** Not launched (still queued when the queue halted). */
  | 'not-started'
  /** Its RunTask call failed; `error` says why. */
  | 'start-failed'
  /** Started; its end was not seen. */
  | 'running'
  /** Started, and its end was seen (`end`). */
  | 'ended'

/** An attempt of a task that ended and ran again (retry-on, src/tasks/retry.ts). */
export interface AttemptRecord extends Pick<TaskRecord, 'launchedAt' | 'endedAt' | 'seen'> {
  /** 1-based. */
  attempt: number
  taskArn: string
  end: TaskEnd
  /** How it ended. */
  endClass: EndClass
  /** Which rule retried it. */
  why: string
}

/** One task of the fan-out, by spec index; its fields are those of its latest attempt. */
export interface TaskRecord {
  index: number
  state: TaskState
  taskArn?: string
  /** Epoch ms when RunTask returned it. */
  launchedAt?: number
  /** Epoch ms when its end was seen. */
  endedAt?: number
  end?: TaskEnd
  /** The state it was seen started in (started.json or DescribeTasks), if read. */
  seen?: TaskSnapshot
  /** Why it could not start. */
  error?: string
  /** StopTask was called for it (fail-fast, cancel or timeout). */
  stopRequested: boolean
  /** Its latest attempt was started by an earlier run attempt, and this one adopted it. */
  adopted?: boolean
  /** Its earlier attempts, each ended and retried, oldest first; absent: none. */
  attempts?: AttemptRecord[]
  /** How the latest attempt ended and why it was not retried, when it failed under retry rules. */
  retry?: { endClass: EndClass; why: string }
}

/** Attempts a task has started: its earlier attempts, and the latest one if it started. */
export function attemptsOf(record: Pick<TaskRecord, 'attempts' | 'taskArn'>): number {
  return (record.attempts?.length ?? 0) + (record.taskArn !== undefined ? 1 : 0)
}

/** A task that waited for room under an account quota before it started. */
export interface RoomWait {
  /** The task's place in the set. */
  index: number
  waitedMs: number
  /** The quota, as the job log named it. */
  quota: string
}

/** How the work queue of a set ended: each task's record, and why it stopped early if it did. */
export interface QueueOutcome {
  records: TaskRecord[]
  /** Why the queue stopped early; undefined when every task ran to its end. */
  halt?: HaltReason
  /** The error behind a 'start-error' or 'wait-error' halt. */
  error?: unknown
  /** Tasks StopTask could not stop. */
  stopFailures: string[]
  /** The storm guard's warnings, when it stopped retrying a cause. */
  storms?: string[]
}

/** How a task set ended: what the report, the outputs and the post step's state are made of. */
export interface TaskSetOutcome extends QueueOutcome {
  /** When the set began (clock ms). */
  startedAt: number
  /**
   * Started tasks the post step need not stop: seen to end, stopped by this step, or left
   * running on purpose (stop-on-cancel: false, wait: false).
   */
  settledArns: string[]
  /** Requests the wait engine made, by kind. */
  waitRequests: { get: number; list: number; describe: number }
  /** Tasks that waited for room under an account quota before they started, and how long. */
  roomWaits: RoomWait[]
}

/**
 * The moments of each task of a set, for whoever follows them (the task set's logs, a progress
 * line): `launched` when RunTask returns it, `started` when it is first seen RUNNING or its
 * started.json appears, `stopped` when its end is known. Each is called at most once per task.
 */
export interface TaskEvents {
  launched?(taskArn: string, index: number): void
  started?(taskArn: string, task: TaskSnapshot | undefined): void
  /**
   * `index` is the task's place in the set (0-based), as the summary numbers it; `attempt`
   * which attempt of it this was, and whether it runs again (retry-on).
   */
  stopped?(
    taskArn: string,
    end: TaskEnd,
    index: number | undefined,
    attempt?: { attempt: number; retried: boolean }
  ): void
}
