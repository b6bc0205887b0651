/** The job summary for one task and the one error annotation of a failed task (pure). */
import type { TaskResult } from '../model/task.js'
import { runTimeMs, taskIdOf } from '../model/task-state.js'
import { formatDuration } from '../util/duration.js'
import { APP_RULE, decidingContainer, type ResultRule } from '../model/result.js'
import { escapeLogText } from '../util/safe-text.js'

/**
 * Untrusted text (reasons, names, log lines) made inert for GitHub markdown: HTML special
 * characters and every markdown punctuation character become numeric character references, so
 * nothing in it can open a tag, a link, emphasis, a table cell or a mention; line breaks become
 * `<br>` so a table row stays one line.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[&<>"'`*_[\]()#!|\\~{}+\-.:@=$^]/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/\r?\n|\r/g, '<br>')
}

/** Text for inside `<pre>`: only HTML is special there. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** How the wait for a task ended, for the heading. */
export type SummaryStatus = 'succeeded' | 'failed' | 'timed-out' | 'cancelled' | 'running'

const HEADINGS: Record<SummaryStatus, string> = {
  succeeded: '✅ succeeded',
  failed: '❌ failed',
  'timed-out': '⏱️ timed out',
  cancelled: '🚫 cancelled',
  running: '⏸️ not seen to stop'
}

/** What the summary shows for one task. */
export interface SummaryInput extends Partial<TaskResult> {
  taskArn: string
  status: SummaryStatus
  /** The task definition ARN, when the task state does not carry it. */
  taskDefinitionArn?: string
  /** The logs console link. */
  logsUrl?: string
  /** Why there is no logs link. */
  logsReason?: string
  /** Last log lines to show in a collapsed block. */
  logLines?: string[]
  /** Time waited, when the task's own timestamps do not give its duration. */
  durationMs?: number
}

/**
 * The job summary markdown for one task: task, revision, exit code, stop code, reasons,
 * duration and logs link, every untrusted value escaped.
 */
export function taskSummary(input: SummaryInput): string {
  const task = input.task
  const id = taskIdOf(input.taskArn)
  const definition = task?.taskDefinitionArn ?? input.taskDefinitionArn ?? ''
  const revision = definition.slice(definition.lastIndexOf('/') + 1)
  const duration = runTimeMs(task) ?? input.durationMs
  const code = (text: string): string => (text === '' ? '' : `<code>${escapeMarkdown(text)}</code>`)
  const rows: [string, string][] = [
    ['Task', code(id)],
    ['Task definition', code(revision)],
    ['Exit code', input.exitCode === undefined ? '' : `**${input.exitCode}**`],
    ['Stop code', code(task?.stopCode ?? '')],
    ['Stopped reason', escapeMarkdown(task?.stoppedReason ?? '')],
    ['Duration', duration === undefined ? '' : formatDuration(duration)],
    [
      'Logs',
      input.logsUrl
        ? `[CloudWatch Logs](${input.logsUrl.replace(/[()\s]/g, encodeURIComponent)})`
        : escapeMarkdown(input.logsReason ?? '')
    ]
  ]
  const lines = [
    `### ECS task ${escapeMarkdown(id)}: ${HEADINGS[input.status]}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.filter(([, v]) => v !== '').map(([k, v]) => `| ${k} | ${v} |`)
  ]
  if (task && task.containers.length > 0) {
    lines.push('', '| Container | Exit code | Reason |', '|---|---|---|')
    for (const c of task.containers) {
      lines.push(
        `| ${escapeMarkdown(c.name)} | ${c.exitCode ?? ''} | ${escapeMarkdown(c.reason ?? '')} |`
      )
    }
  }
  if (input.logLines && input.logLines.length > 0) {
    lines.push(
      '',
      `<details><summary>Last ${input.logLines.length} log lines</summary>`,
      '',
      `<pre>${input.logLines.map(escapeHtml).join('\n')}</pre>`,
      '',
      '</details>'
    )
  }
  return `${lines.join('\n')}\n`
}

/**
 * The one error annotation for a failed task: exit code, stop code, stopped reason and the
 * deciding container's reason (CannotPullContainerError, OutOfMemoryError ...), on one line: the
 * app container's, or the one `rule` names (exit-code-container). The task's
 * fields are foreign text: escapeLogText shows their line breaks (U+2028 too, which
 * `@actions/core` leaves as they are) and controls, as in the log.
 */
export function failureAnnotation(result: TaskResult, rule: ResultRule = APP_RULE): string {
  const task = result.task
  const parts = [
    `Task ${escapeLogText(taskIdOf(task.taskArn))} exited with code ${result.exitCode}`
  ]
  if (task.stopCode) parts.push(`stop code ${escapeLogText(task.stopCode)}`)
  if (task.stoppedReason) parts.push(`stopped reason: ${escapeLogText(task.stoppedReason)}`)
  const deciding = decidingContainer(task, rule)
  const name = deciding?.name ?? ('container' in rule ? rule.container : 'essential')
  if (deciding?.reason) parts.push(`${name} container: ${escapeLogText(deciding.reason)}`)
  else if (deciding === undefined) parts.push(`the task has no ${name} container`)
  return parts.join('; ')
}
