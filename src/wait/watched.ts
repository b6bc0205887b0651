/**
 * One watched task's state, as the wait engine keeps it, and the small helpers the engine's
 * readers share.
 */
import { DescribeTasksCommand, type ECSClient } from '@aws-sdk/client-ecs'
import { escapeLogText } from '../util/safe-text.js'
import { snapshotFromDescribe } from '../model/task-state.js'
import type { TaskSnapshot } from '../model/task.js'

export type { TaskEnd } from '../model/task.js'

/** DescribeTasks takes at most 100 tasks a call. */
export const DESCRIBE_BATCH = 100

/** A DescribeTasks answer by ARN, and the ARNs ECS did not find with its reason. */
export interface DescribeAnswer {
  found: Map<string, TaskSnapshot>
  missing: Map<string, string>
}

/** One watched task: where its objects are, what was read of it, and when to read next. */
export interface Watched {
  arn: string
  id: string
  startedKey: string
  stoppedKey: string
  listPrefix: string
  addedAt: number
  /** GET mode: when this task's stopped.json is read next. */
  nextReadAt: number
  nextVerifyAt: number
  /** StopTask was called for it: verify every STOP_VERIFY_MS (at most verify-interval). */
  stopRequested?: boolean
  /** ETag of the stopped.json last read (or found unusable). */
  etag?: string
  /** started.json was seen (or DescribeTasks showed the task RUNNING). */
  startedSeen: boolean
  /** GETs of this task's objects so far (every third is of started.json until it is seen). */
  reads: number
  /** The newest STOPPED state read from stopped.json. */
  stopped?: TaskSnapshot
  /** When a STOPPED state without the app's exit code or reason was first seen. */
  incompleteSince?: number
  /** Describe mode: when DescribeTasks last found the task. */
  lastFoundAt: number
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function pool<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** DescribeTasks for `arns`, 100 a call; answers by ARN, and the ARNs ECS did not find. */
export async function describeTasks(
  ecs: Pick<ECSClient, 'send'>,
  options: { cluster: string; arns: string[]; signal: AbortSignal; onCall?: () => void }
): Promise<DescribeAnswer> {
  const found = new Map<string, TaskSnapshot>()
  const missing = new Map<string, string>()
  for (const chunk of chunks(options.arns, DESCRIBE_BATCH)) {
    options.onCall?.()
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster: options.cluster, tasks: chunk }),
      { abortSignal: options.signal }
    )
    for (const task of out.tasks ?? []) {
      if (task.taskArn !== undefined) found.set(task.taskArn, snapshotFromDescribe(task))
    }
    for (const failure of out.failures ?? []) {
      // ECS's failure reason is foreign text, printed in several messages (escapeLogText).
      if (failure.arn !== undefined) {
        missing.set(failure.arn, failure.reason ? escapeLogText(failure.reason) : 'no task')
      }
    }
    for (const arn of chunk) {
      if (!found.has(arn) && !missing.has(arn)) missing.set(arn, 'no task')
    }
  }
  return { found, missing }
}

/**
 * The age that paces a shared read (a LIST, a DescribeTasks round): the youngest pending
 * task's, or 0 while any task is in its incomplete-stop grace (re-read at the base rate).
 */
export function paceAgeMs(tasks: Iterable<Watched>, now: number): number {
  let youngest = Infinity
  for (const w of tasks) {
    if (w.incompleteSince !== undefined) return 0
    youngest = Math.min(youngest, now - w.addedAt)
  }
  return youngest === Infinity ? 0 : youngest
}
