/**
 * The app container's CloudWatch Logs: the console link and the last lines after the task stops.
 */
import { GetLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { errorMessage, errorName } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { regionOfArn, taskIdOf } from '../wait/result.js'

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
 * The console encoding of a log group or stream name: URL-encoded twice, then every `%` becomes
 * `$`, so `/` is `$252F` (docs/ecs-events.md, "CloudWatch console links").
 */
export function consoleEncode(name: string): string {
  return encodeURIComponent(encodeURIComponent(name)).replace(/%/g, '$')
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
  const url =
    `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}` +
    `#logsV2:log-groups/log-group/${consoleEncode(group)}/log-events/${consoleEncode(stream)}`
  return { url, group, stream, region }
}

/** GetLogEvents answers at most 10,000 events. */
const MAX_EVENTS = 10_000

/**
 * Prints the last `lines` log events of a stream in a collapsed group, with one or two
 * GetLogEvents calls (the newest page, and the page before it when the first came back short:
 * the API may answer a page with fewer events than there are). Every printed line starts with
 * the event's timestamp, so a log line can never be read by the runner as a workflow command.
 * Any failure is a warning: the task's result does not depend on its logs.
 * @returns the lines printed (without timestamps), or undefined when the logs could not be read.
 */
export async function tailLogs(
  deps: { logs: CloudWatchLogsClient; logger: Logger },
  options: { group: string; stream: string; region: string; lines: number; signal?: AbortSignal }
): Promise<string[] | undefined> {
  const { logger } = deps
  const wanted = Math.min(Math.max(0, Math.floor(options.lines)), MAX_EVENTS)
  if (wanted === 0) return []
  const where = `${options.group} ${options.stream} (${options.region})`
  try {
    const events: { timestamp?: number; message?: string }[] = []
    let token: string | undefined
    for (let call = 0; call < 2 && events.length < wanted; call++) {
      const page = await deps.logs.send(
        new GetLogEventsCommand({
          logGroupName: options.group,
          logStreamName: options.stream,
          startFromHead: false,
          limit: wanted - events.length,
          ...(token === undefined ? {} : { nextToken: token })
        }),
        { abortSignal: options.signal }
      )
      events.unshift(...(page.events ?? []))
      // The same token again means there is nothing older.
      if (!page.nextBackwardToken || page.nextBackwardToken === token) break
      token = page.nextBackwardToken
    }
    const last = events.slice(-wanted)
    const printed: string[] = []
    if (last.length === 0) {
      logger.info(`The log stream ${where} has no lines`)
      return printed
    }
    await logger.group(`Last ${last.length} log lines of ${where}`, () => {
      for (const event of last) {
        const at = event.timestamp === undefined ? '-' : new Date(event.timestamp).toISOString()
        for (const line of (event.message ?? '').replace(/\r?\n$/, '').split(/\r?\n|\r/)) {
          printed.push(line)
          logger.info(`${at} ${line}`)
        }
      }
      return Promise.resolve()
    })
    return printed
  } catch (error) {
    const name = errorName(error)
    const hint =
      name === 'AccessDeniedException'
        ? " Grant logs:GetLogEvents on the log group to the action's role, or set log-lines: 0."
        : name === 'ResourceNotFoundException'
          ? ' The stream does not exist: the container may never have started, or logs to another group.'
          : ''
    logger.warning(
      `Could not read the last log lines of ${where}: ${errorMessage(error).replace(/\.$/, '')}.${hint}`
    )
    return undefined
  }
}
