/**
 * The one report of a task set: the list outputs (`task-arns`, `exit-codes`, `succeeded`,
 * `failed`) always; for a set of one task its own outputs, log tail and summary (report/); for
 * more, one summary row per task. Returns the step's failure message; never fails by itself.
 */
import { logsLink } from '../logs/logs.js'
import { resultOutputs } from './outputs.js'
import { escapeLogText } from '../util/safe-text.js'
import { reportTask, type ReportDeps, type ReportOptions } from './report.js'
import type { Clock } from '../util/clock.js'
import { shownErrorMessage } from '../util/errors.js'
import { taskIdOf } from '../model/task-state.js'
import type { TaskSetOutcome } from '../model/outcome.js'
import {
  countByStatus,
  countsText,
  failureMessageOf,
  setOutputs,
  setSummary,
  resultsOf,
  roomWaitLine,
  type SetTaskResult
} from './set-summary.js'
import { attemptOutputs, attemptsSummary, withEarlier } from './attempts.js'
import type { RecordedResult } from '../model/result.js'

export interface SetReportDeps extends ReportDeps {
  clock: Clock
}

/** What reportTask takes for a set of one, and the set's own settings. */
export interface SetReportOptions extends Pick<
  ReportOptions,
  'clients' | 'rendered' | 'taskDefinitionArn' | 'logLines' | 'followed' | 'tail' | 'rule'
> {
  failOnError: boolean
  stopOnCancel: boolean
  timeoutSeconds?: number
  /** false: the tasks were left running (`wait: false`). */
  wait: boolean
  /** This workflow run attempt (GITHUB_RUN_ATTEMPT), for `run-attempts`; default 1. */
  runAttempt?: number
  /** Tasks a re-run did not start again: their earlier results (src/tasks/rerun.ts). */
  earlier?: ReadonlyMap<number, RecordedResult>
}

/** Reports the set; returns the step's failure message, undefined when the step passes. */
export async function reportTaskSet(
  deps: SetReportDeps,
  outcome: TaskSetOutcome,
  options: SetReportOptions
): Promise<string | undefined> {
  const { logger } = deps
  const logsUrlOf = (taskArn: string): string | undefined => {
    const link = logsLink({
      logConfiguration: options.rendered.appLogConfiguration,
      taskArn,
      taskRegion: options.clients.region
    })
    return 'url' in link ? link.url : undefined
  }
  const results = withEarlier(resultsOf(outcome.records, logsUrlOf, options.rule), options.earlier)
  const attempts = { runAttempt: options.runAttempt ?? 1, earlier: options.earlier }
  const requests = outcome.waitRequests
  if (options.wait) {
    logger.info(
      `${countsText(countByStatus(results))}; waiting took ${requests.list} LIST, ` +
        `${requests.get} GET and ${requests.describe} DescribeTasks requests`
    )
  }
  // Left running, the tasks have no exit codes yet: only their ARNs are known.
  for (const [name, value] of Object.entries(setOutputs(results))) {
    if (options.wait || name === 'task-arns') deps.setOutput(name, value)
  }
  // Left running, the tasks' attempts are not known yet either.
  for (const [name, value] of Object.entries(attemptOutputs(outcome.records, attempts))) {
    if (options.wait) deps.setOutput(name, value)
  }
  const attemptsMarkdown = attemptsSummary(outcome.records, { ...attempts, storm: outcome.storms })
  const only = results.length === 1 ? (results[0] as SetTaskResult) : undefined
  const waited = roomWaitLine(outcome.roomWaits, results.length)
  if (only !== undefined) {
    const failure = await reportOne(deps, outcome, only, options)
    if (waited !== undefined) await writeSummaryPart(deps, waited)
    if (attemptsMarkdown !== '') await writeSummaryPart(deps, attemptsMarkdown)
    return failure
  }
  const ran = results.filter((r) => r.taskArn !== undefined)
  if (ran.length === 1) {
    // One task of many ran (fail-fast, a halt): its own outputs too.
    const one = ran[0] as SetTaskResult
    const single = resultOutputs(one, { taskArn: one.taskArn, logsUrl: one.logsUrl ?? '' })
    for (const [name, value] of Object.entries(single)) deps.setOutput(name, value)
  }

  await writeSummaryPart(
    deps,
    setSummary(results, { halt: outcome.halt, stopOnCancel: options.stopOnCancel }) +
      (waited !== undefined ? `\n${waited}` : '') +
      (attemptsMarkdown === '' ? '' : `\n${attemptsMarkdown}`)
  )
  return failureMessageOf(results, {
    halt: outcome.halt,
    failOnError: options.failOnError,
    error: outcome.error === undefined ? undefined : shownErrorMessage(outcome.error)
  })
}

/** A set of one task: its outputs, log tail and summary, and its failure in its own words. */
async function reportOne(
  deps: SetReportDeps,
  outcome: TaskSetOutcome,
  result: SetTaskResult,
  options: SetReportOptions
): Promise<string | undefined> {
  const { logger } = deps
  const taskArn = result.taskArn
  const record = outcome.records[0]
  if (taskArn === undefined) {
    // It never started: the RunTask error says why.
    if (record?.error !== undefined) return record.error
    return failureMessageOf([result], { halt: outcome.halt, failOnError: options.failOnError })
  }
  if (!options.wait) {
    deps.setOutput('task-arn', taskArn)
    deps.setOutput('task-id', taskIdOf(taskArn))
    logger.info('wait: false, so the task is left running')
    return undefined
  }
  const end = record?.end
  const halt = outcome.halt
  const report = await reportTask(deps, {
    ...options,
    taskArn,
    snapshot: end?.kind === 'stopped' ? end.task : record?.seen,
    stopped: end?.kind === 'stopped',
    unfinished:
      end?.kind === 'stopped' || halt === undefined
        ? undefined
        : halt === 'cancelled'
          ? 'cancelled'
          : 'timed-out',
    durationMs: deps.clock.now() - outcome.startedAt
  })
  if (halt === 'cancelled') return 'The workflow run was cancelled while the task was running'
  if (halt === 'timed-out') {
    const after = options.timeoutSeconds === undefined ? '' : ` after ${options.timeoutSeconds}s`
    return `Timed out${after} waiting for ${escapeLogText(taskArn)} to stop`
  }
  if (halt === 'wait-error') {
    return `Could not wait for ${escapeLogText(taskArn)}: ${shownErrorMessage(outcome.error)}`
  }
  if (end?.kind === 'lost') return `Could not wait for ${escapeLogText(taskArn)}: ${end.reason}`
  return options.failOnError ? report.failureMessage : undefined
}

/** Writes a part of the job summary; a failure to write it only warns. */
async function writeSummaryPart(deps: SetReportDeps, markdown: string): Promise<void> {
  try {
    await deps.writeSummary(markdown)
  } catch (error) {
    deps.logger.warning(`Could not write the job summary: ${shownErrorMessage(error)}`)
  }
}
