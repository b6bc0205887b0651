/**
 * ECS Exec: the `aws ecs execute-command` line that opens a shell in a running task's app
 * container (docs/run-overrides.md, "ECS Exec"). It works once the task is RUNNING, when RunTask
 * had `enableExecuteCommand: true` (the `enable-execute-command` input, else the definition's
 * `enable_execute_command`), the task role allows the SSM messages channel, and the caller may
 * call ecs:ExecuteCommand (docs/iam/README.md).
 */
import { APP_CONTAINER } from '../model/task-state.js'
import type { Logger } from '../util/logger.js'

/** The task ID: the last part of a task ARN (or the ID itself). */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1)
}

/** The exact command line; `task` is an ID (or a placeholder such as `<task id>`). */
export function executeCommandLine(o: { cluster: string; task: string; region: string }): string {
  return (
    `aws ecs execute-command --cluster ${o.cluster} --task ${o.task} ` +
    `--container ${APP_CONTAINER} --interactive --command /bin/sh --region ${o.region}`
  )
}

/**
 * Prints the line when a task is first seen RUNNING. A lone task gets its own line (each
 * attempt is a new task, so a retry prints its own); a set of more prints the pattern once, at
 * the first task seen running, as a line per task would bury the log. Tasks that are not
 * watched (`wait: false`) get it as they are started, to use once they run.
 */
export class ExecHints {
  private readonly printed = new Set<string>()
  private patternPrinted = false

  constructor(
    private readonly logger: Logger,
    private readonly o: { cluster: string; region: string; tasks: number; wait: boolean }
  ) {}

  /** The task was seen RUNNING (started.json, or DescribeTasks). */
  running(taskArn: string): void {
    if (this.o.wait) this.print(taskArn, 'while it runs')
  }

  /** RunTask started the task; it is not watched when the step does not wait. */
  launched(taskArn: string): void {
    if (!this.o.wait) this.print(taskArn, 'once it is RUNNING')
  }

  private print(taskArn: string, when: string): void {
    const { cluster, region, tasks } = this.o
    if (tasks > 1) {
      if (this.patternPrinted) return
      this.patternPrinted = true
      this.logger.info(
        `ECS Exec into any of the ${tasks} tasks ${when} (its ID is in the task-arns output ` +
          `and the summary): ${executeCommandLine({ cluster, region, task: '<task id>' })}`
      )
      return
    }
    if (this.printed.has(taskArn)) return
    this.printed.add(taskArn)
    this.logger.info(
      `ECS Exec into the task ${when}: ` +
        executeCommandLine({ cluster, region, task: taskIdOf(taskArn) })
    )
  }
}
