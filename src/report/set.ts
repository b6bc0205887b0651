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
  /** At the timeout: `detach` left the tasks running on purpose and the step passes. */
  onTimeout?: 'stop' | 'detach'
  /** The `max-run-time` input: the deadline detached tasks carry; undefined: none. */
  maxRunTimeSeconds?: number
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
  const detached = outcome.halt === 'timed-out' && options.onTimeout === 'detach'
  if (detached) logger.notice(detachNotice(results, options.maxRunTimeSeconds))
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
    setSummary(results, { halt: outcome.halt, stopOnCancel: options.stopOnCancel, detached }) +
      (waited !== undefined ? `\n${waited}` : '') +
      (attemptsMarkdown === '' ? '' : `\n${attemptsMarkdown}`)
  )
  return failureMessageOf(results, {
    halt: detached ? undefined : outcome.halt,
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
  if (halt === 'timed-out' && options.onTimeout === 'detach' && end === undefined) return undefined
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

/**
 * The notice of a detached timeout: which tasks were left running, how to wait on them later,
 * and what stops them if nobody does.
 */
export function detachNotice(
  results: readonly SetTaskResult[],
  maxRunTimeSeconds: number | undefined
): string {
  const left = results.filter((r) => r.status === 'unfinished' && r.taskArn !== undefined)
  const arns = left.map((r) => escapeLogText(r.taskArn as string))
  const shown =
    arns.length > 5 ? `${arns.slice(0, 5).join(', ')} and ${arns.length - 5} more` : arns.join(', ')
  const deadline =
    maxRunTimeSeconds === undefined
      ? 'They have no deadline (max-run-time is not set): nothing stops them but their own end or a StopTask.'
      : `The sweeper stops each at its max-run-time of ${maxRunTimeSeconds}s after its start.`
  return (
    `The timeout was reached and on-timeout is detach: ${left.length} task(s) left running ` +
    `(${shown}). Wait on them later with a step of mode: wait (task-arns from this step's ` +
    `task-arns output, or empty for every task of this workflow run still running). ${deadline}`
  )
}

/** Writes a part of the job summary; a failure to write it only warns. */
async function writeSummaryPart(deps: SetReportDeps, markdown: string): Promise<void> {
  try {
    await deps.writeSummary(markdown)
  } catch (error) {
    deps.logger.warning(`Could not write the job summary: ${shownErrorMessage(error)}`)
  }
}
