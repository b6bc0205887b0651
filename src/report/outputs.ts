/** The action's outputs for one task, as a plain record of output name to value. */
import type { TaskResult } from '../model/task.js'
import { taskIdOf } from '../model/task-state.js'

const iso = (date: Date | undefined): string => (date === undefined ? '' : date.toISOString())

/**
 * The outputs for one task: `exit-code`, `stop-code`, `stopped-reason`, `started-at`,
 * `stopped-at` (ISO 8601), `containers` (JSON: name, exitCode, reason), `task-id`, `task-arn`,
 * `logs-url`, from a result or only the last state seen, and `extra`: the task ARN for when no
 * state was seen, the logs link ('' when there is none). A value not known (timeout, cancel) is ''.
 */
export function resultOutputs(
  result: Partial<TaskResult>,
  extra: { taskArn?: string; logsUrl?: string } = {}
): Record<string, string> {
  const task = result.task
  const taskArn = task?.taskArn || extra.taskArn || ''
  const containers = (task?.containers ?? []).map((c) => ({
    name: c.name,
    exitCode: c.exitCode ?? null,
    reason: c.reason ?? null
  }))
  return {
    'task-arn': taskArn,
    'task-id': taskArn === '' ? '' : taskIdOf(taskArn),
    'exit-code': result.exitCode === undefined ? '' : String(result.exitCode),
    'stop-code': task?.stopCode ?? '',
    'stopped-reason': task?.stoppedReason ?? '',
    'started-at': iso(task?.startedAt),
    'stopped-at': iso(task?.stoppedAt),
    containers: JSON.stringify(containers),
    'logs-url': extra.logsUrl ?? ''
  }
}
