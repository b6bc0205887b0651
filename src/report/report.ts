/**
 * The report phase for one task, on every path (stopped, timed out, cancelled): logs every
 * container, links and tails the app container's logs, sets the outputs and writes the job
 * summary. Wires the pure pieces of this folder to the outside world; never fails the step itself.
 */
import type { RenderedDefinition } from '../definition/rendered.js'
import { foreignErrorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { describeContainers } from '../model/task-state.js'
import { APP_RULE, taskExitCode, type ResultRule } from '../model/result.js'
import type { TaskSnapshot } from '../model/task.js'
import type { FollowResult } from '../logs/follow.js'
import { logsLink } from '../logs/logs.js'
import type { StreamPlace } from '../logs/task-set-logs.js'
import { resultOutputs } from './outputs.js'
import { escapeLogText } from '../util/safe-text.js'
import { failureAnnotation, taskSummary, type SummaryStatus } from './summary.js'

/** Where the report goes. */
export interface ReportIO {
  setOutput(name: string, value: string): void
  writeSummary(markdown: string): Promise<void>
}

/** What reportTask needs from outside. */
export interface ReportDeps extends ReportIO {
  logger: Logger
}

/** What is known of the task when the wait is over. */
export interface ReportOptions {
  /** The region the task runs in. */
  clients: { region: string }
  rendered: Pick<RenderedDefinition, 'appLogConfiguration'>
  taskArn: string
  taskDefinitionArn?: string
  /** The last state seen; undefined when none was. */
  snapshot?: TaskSnapshot
  /** True when the wait saw the task stop. */
  stopped: boolean
  /** Why the wait ended without a stop, for the summary heading. */
  unfinished?: 'timed-out' | 'cancelled'
  /** Log lines to print (the `log-lines` input); 0 off. */
  logLines: number
  /** Time since the task was started, for a summary without the task's own timestamps. */
  durationMs?: number
  /** How following the log went (follow-logs); the tail is printed only when it asks for one. */
  followed?: FollowResult
  /** Reads and prints a stream's last lines on the job's share (TaskSetLogs.tail). */
  tail?: (place: StreamPlace, lines: number) => Promise<string[] | undefined>
  /** Whose exit code is the task's (default the app container's). */
  rule?: ResultRule
}

/** The step's failure message when the task ended with a non-zero exit code. */
export interface ReportResult {
  exitCode?: number
  /** The one error annotation's text, when the exit code is not 0. */
  failureMessage?: string
}

/** Reports one task; any failure to report is a warning. */
export async function reportTask(deps: ReportDeps, options: ReportOptions): Promise<ReportResult> {
  const { logger } = deps
  const task = options.stopped ? options.snapshot : undefined
  const exitCode = task ? taskExitCode(task, options.rule ?? APP_RULE) : undefined
  if (task) {
    // Stop code, reasons and container fields are foreign text: anyone allowed ecs:StopTask
    // sets the stopped reason, anyone allowed to write the notification prefix sets them all.
    const stopCode = task.stopCode ? ` (stop code ${escapeLogText(task.stopCode)})` : ''
    logger.info(`Exit code: ${exitCode}${stopCode}`)
    if (task.stoppedReason) logger.info(`Stopped reason: ${escapeLogText(task.stoppedReason)}`)
    for (const line of describeContainers(task)) logger.info(`Container ${escapeLogText(line)}`)
  }

  const link = logsLink({
    logConfiguration: options.rendered.appLogConfiguration,
    taskArn: options.taskArn,
    taskRegion: options.clients.region
  })
  let logsUrl = ''
  let logLines: string[] | undefined
  if ('reason' in link) {
    logger.notice(`No logs link: ${link.reason}`)
  } else {
    logsUrl = link.url
    logger.info(`Logs: ${link.url}`)
    if (options.followed && !options.followed.tail) {
      // Printed as it was written: the summary shows its last lines, the job log has them all.
      logLines = options.followed.lastLines
    } else if (options.logLines > 0 && task && options.tail) {
      if (link.region === options.clients.region) {
        const { group, stream, region } = link
        logLines = await options.tail({ group, stream, region }, options.logLines)
      } else {
        logger.notice(
          `The app container logs to ${link.region}, not ${options.clients.region}; its last lines are not printed`
        )
      }
    }
  }

  const outputs = resultOutputs(
    { task: options.snapshot, exitCode },
    { taskArn: options.taskArn, logsUrl }
  )
  for (const [name, value] of Object.entries(outputs)) deps.setOutput(name, value)

  const status: SummaryStatus =
    exitCode === undefined
      ? (options.unfinished ?? 'running')
      : exitCode === 0
        ? 'succeeded'
        : 'failed'
  try {
    await deps.writeSummary(
      taskSummary({
        taskArn: options.taskArn,
        status,
        task: options.snapshot,
        exitCode,
        taskDefinitionArn: options.taskDefinitionArn,
        logsUrl,
        logsReason: 'reason' in link ? link.reason : undefined,
        logLines,
        durationMs: options.durationMs
      })
    )
  } catch (error) {
    logger.warning(`Could not write the job summary: ${foreignErrorMessage(error)}`)
  }
  if (task && exitCode !== undefined && exitCode !== 0) {
    return {
      exitCode,
      failureMessage: failureAnnotation({ task, exitCode }, options.rule ?? APP_RULE)
    }
  }
  return exitCode === undefined ? {} : { exitCode }
}
