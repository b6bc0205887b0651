/** Real-shaped EventBridge "ECS Task State Change" events for the notifier tests. */
import { readFileSync } from 'node:fs'

/** An EventBridge event as the notifier receives it. */
export interface TaskEvent {
  'detail-type': string
  source: string
  detail: {
    taskArn: string
    lastStatus: string
    version: number
    containers: { name: string; lastStatus: string; exitCode?: number }[]
    [key: string]: unknown
  }
  [key: string]: unknown
}

function fixture(name: string): TaskEvent {
  const url = new URL(`../../__fixtures__/events/${name}`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as TaskEvent
}

/** The RUNNING event of the fixture task (version 3, app and fluentd RUNNING). */
export const runningEvent = (): TaskEvent => fixture('task-running.json')
/** The STOPPED event of the fixture task (version 6, app exited 0, fluentd 143). */
export const stoppedEvent = (): TaskEvent => fixture('task-stopped.json')

/**
 * What the notifier stores for `runningEvent()`: the envelope and a `detail` without
 * `overrides`, `attachments`, `attributes` and the rest nobody reads. Written out in full, so
 * the tests pin the stored shape rather than re-derive it.
 */
export const storedRunning = (): TaskEvent => fixture('task-running.stored.json')
/** What the notifier stores for `stoppedEvent()`. */
export const storedStopped = (): TaskEvent => fixture('task-stopped.stored.json')

/** A copy of `event` with `detail` fields replaced. */
export function withDetail(event: TaskEvent, detail: Partial<TaskEvent['detail']>): TaskEvent {
  const copy = structuredClone(event)
  Object.assign(copy.detail, detail)
  return copy
}

/** The fixture task's ARN. */
export const TASK_ARN = runningEvent().detail.taskArn
