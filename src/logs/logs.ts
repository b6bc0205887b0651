/**
 * The app container's CloudWatch Logs: the console link and the last lines after the task stops.
 */
import { GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import type { Clock, Random } from '../util/clock.js'
import { foreignErrorMessage } from '../util/errors.js'
import { escapeLogText } from '../util/safe-text.js'
import type { Logger } from '../util/logger.js'
import { logStreamConsoleUrl } from '../aws/console.js'
import { isAccessDenied, isNotFound, isTransient } from '../aws/errors.js'
import { regionOfArn, taskIdOf } from '../model/task-state.js'
import { aloneShare } from './logs-quota.js'
import { READ_DEADLINE_MS, ReadPacer } from './read-pacer.js'

/** A log stream and its console link. */
export interface LogsLink {
  url: string
  group: string
  stream: string
  region: string
}

/** A container's log configuration as rendered (`logDriver` and `options`). */
export interface LogConfiguration {
  logDriver: string
  options?: Record<string, string>
}

/**
 * The CloudWatch console link of a container's awslogs stream,
 * `<awslogs-stream-prefix>/<container>/<task id>` in `awslogs-group`, in `awslogs-region` or else
 * the task's region (docs/ecs-events.md, "awslogs stream names"). Without awslogs, a group or a stream prefix there is no
 * stream to link: the answer is then the reason, for a notice.
 */
export function logsLink(options: {
  logConfiguration: LogConfiguration | undefined
  taskArn: string
  containerName?: string
  /** The task's region; defaults to the region in the task ARN. */
  taskRegion?: string
}): LogsLink | { reason: string } {
  const container = options.containerName ?? 'app'
  const config = options.logConfiguration
  if (config === undefined) {
    return {
      reason: `the ${container} container has no log_configuration, so it has no CloudWatch Logs stream to link`
    }
  }
  if (config.logDriver !== 'awslogs') {
    return {
      reason: `the ${container} container logs through '${config.logDriver}', not awslogs, so there is no CloudWatch Logs stream to link`
    }
  }
  const group = config.options?.['awslogs-group']
  if (!group) {
    return { reason: `the ${container} container's awslogs options have no awslogs-group` }
  }
  const prefix = config.options?.['awslogs-stream-prefix']
  if (!prefix) {
    return {
      reason:
        `the ${container} container's awslogs options have no awslogs-stream-prefix, so its ` +
        `stream is named after the Docker container id; add awslogs-stream-prefix to link it`
    }
  }
  const region =
    config.options?.['awslogs-region'] ?? options.taskRegion ?? regionOfArn(options.taskArn)
  if (!region) {
    return { reason: `the region of the ${container} container's log group is unknown` }
  }
  const stream = `${prefix}/${container}/${taskIdOf(options.taskArn)}`
  const url = logStreamConsoleUrl(region, group, stream)
  return { url, group, stream, region }
}

/** GetLogEvents answers at most 10,000 events, and at most 1 MB, a page (docs/limits.md). */
export const MAX_EVENTS = 10_000
/** A page whose messages add up to this much may have been cut by the 1 MB page size. */
const NEAR_FULL_PAGE_BYTES = 900_000

/** One log event as GetLogEvents and FilterLogEvents answer it. */
export interface LogEventLike {
  timestamp?: number
  message?: string
}

/**
 * The job-log lines of one log event: each line of its message (a trailing newline dropped),
 * after the event's timestamp. This is the one place a task's log text becomes job-log text:
 * a line starts with the timestamp (or `-`), so the runner can never read it as a workflow
 * command (`::...`), whatever the task printed.
 */
export function formatLogEvent(event: LogEventLike): { text: string; line: string }[] {
  const at = event.timestamp === undefined ? '-' : new Date(event.timestamp).toISOString()
  return (event.message ?? '')
    .replace(/\r?\n$/, '')
    .split(/\r?\n|\r/)
    .map((text) => ({ text, line: escapeLogText(`${at} ${text}`) }))
}

/** The message bytes of a page of events, to tell a page cut by size from the stream's start. */
export function pageBytes(events: readonly LogEventLike[]): number {
  let bytes = 0
  for (const e of events) bytes += Buffer.byteLength(e.message ?? '') + 26
  return bytes
}

/**
 * Prints the last `lines` log events of a stream under a header line. It prints no log group of
 * its own: the report runs inside one already, and the runner's log groups do not nest.
 *
 * One GetLogEvents call when the newest page already reaches back to the stream's start: a
 * page with fewer events than asked for that is neither empty nor near the 1 MB page size had
 * nothing older to return. Otherwise a second call reads the page before it (an empty page, or
 * one cut by size, may have more behind its token), and no more.
 * Each call waits for its turn of `pacer` (with a clock and none given: one at the pace of a task
 * alone in the region), and a throttled answer is retried at the pacer's backoff until
 * `deadline` (default READ_DEADLINE_MS from now): many jobs whose tasks stop together tail
 * together, on a quota of 10 or 25 calls a second for the whole account. Without a clock, one
 * attempt. Any failure is a warning: the task's result does not depend on its logs.
 * @returns the lines printed (without timestamps), or undefined when the logs could not be read.
 */
export async function tailLogs(
  deps: { logs: CloudWatchLogsClient; logger: Logger; clock?: Clock; random?: Random },
  options: {
    group: string
    stream: string
    region: string
    lines: number
    signal?: AbortSignal
    /** What the header names (default the group, stream and region). */
    label?: string
    /** Paces the calls (the task's or the job's share); see above for the default. */
    pacer?: ReadPacer
    /** Clock ms after which no call is sent. */
    deadline?: number
  }
): Promise<string[] | undefined> {
  const { logger, clock } = deps
  const wanted = Math.min(Math.max(0, Math.floor(options.lines)), MAX_EVENTS)
  if (wanted === 0) return []
  const where = `${options.group} ${options.stream} (${options.region})`
  const pacer =
    options.pacer ??
    (clock
      ? new ReadPacer({ clock, random: deps.random ?? Math.random }, aloneShare(options.region))
      : undefined)
  const paced = {
    pacer,
    deadline: options.deadline ?? (clock ? clock.now() + READ_DEADLINE_MS : Infinity),
    ...(options.signal ? { signal: options.signal } : {})
  }
  try {
    const events: LogEventLike[] = []
    let token: string | undefined
    for (let call = 0; call < 2 && events.length < wanted; call++) {
      const command = new GetLogEventsCommand({
        logGroupName: options.group,
        logStreamName: options.stream,
        startFromHead: false,
        limit: wanted - events.length,
        ...(token === undefined ? {} : { nextToken: token })
      })
      const page = await sendPaced(paced, () =>
        deps.logs.send(command, { abortSignal: options.signal })
      )
      if (page === undefined) {
        if (options.signal?.aborted) return undefined
        // Out of time, throttled all along: print what the first page brought, say where the rest is.
        if (events.length > 0) break
        logger.warning(
          `Could not read the last log lines of ${where} in time: CloudWatch Logs kept answering ` +
            `ThrottlingException (its GetLogEvents quota is the account's, shared with every ` +
            `reader). They are at ${logStreamConsoleUrl(options.region, options.group, options.stream)}`
        )
        return undefined
      }
      const got = page.events ?? []
      events.unshift(...got)
      const short = got.length > 0 && pageBytes(got) < NEAR_FULL_PAGE_BYTES
      // A short page reached the start; the same token again means there is nothing older.
      if (short || !page.nextBackwardToken || page.nextBackwardToken === token) break
      token = page.nextBackwardToken
    }
    const last = events.slice(-wanted)
    const printed: string[] = []
    if (last.length === 0) {
      logger.info(`The log stream ${where} has no lines`)
      return printed
    }
    logger.info(`Last ${last.length} log lines of ${options.label ?? where}:`)
    for (const event of last) {
      for (const { text, line } of formatLogEvent(event)) {
        printed.push(text)
        logger.info(line)
      }
    }
    return printed
  } catch (error) {
    logger.warning(
      `Could not read the last log lines of ${where}: ${foreignErrorMessage(error).replace(/\.$/, '')}.${logsErrorHint(error, 'log-lines: 0')}`
    )
    return undefined
  }
}

/**
 * Sends when `pacer` gives a turn, retrying a throttled or transient failure (aws/errors.ts)
 * after its backoff; undefined when no turn came before `deadline` (or `signal` aborted).
 * Without a pacer, one attempt.
 */
async function sendPaced<T>(
  paced: { pacer: ReadPacer | undefined; deadline: number; signal?: AbortSignal },
  send: () => Promise<T>
): Promise<T | undefined> {
  const { pacer, deadline, signal } = paced
  if (!pacer) return send()
  while (await pacer.turn(deadline, signal)) {
    try {
      const answer = await send()
      pacer.answered()
      return answer
    } catch (error) {
      if (!isTransient(error) || signal?.aborted) throw error
      pacer.throttled()
    }
  }
  return undefined
}

/** How to fix a failed CloudWatch Logs read, after its message ('' when there is nothing to say). */
export function logsErrorHint(error: unknown, off: string): string {
  return isAccessDenied(error)
    ? ` Grant logs:GetLogEvents on the log group to the action's role, or set ${off}.`
    : isNotFound(error)
      ? ' The stream does not exist: the container may never have started, or logs to another group.'
      : ''
}
