/**
 * CloudWatch Logs for simulated containers: the awslogs driver's streams
 * (`<awslogs-stream-prefix>/<container>/<task id>`, docs/ecs-events.md, "awslogs stream names") and `GetLogEvents` over
 * them, with the forward/backward tokens a log tail follows.
 */
import { AwsError } from './json-server.js'

/** One line a container printed. */
export interface LogEvent {
  /** Epoch milliseconds the line was printed. */
  timestamp: number
  message: string
  /** Epoch milliseconds CloudWatch received it. */
  ingestionTime: number
}

/** Every log group and stream the simulated containers wrote. */
export class LogStore {
  private readonly groups = new Map<string, Map<string, LogEvent[]>>()

  /** Creates the stream (as the awslogs driver does when the container starts). */
  createStream(group: string, stream: string): void {
    let streams = this.groups.get(group)
    if (!streams) this.groups.set(group, (streams = new Map<string, LogEvent[]>()))
    if (!streams.has(stream)) streams.set(stream, [])
  }

  /** Appends a line to a stream, creating it if needed. */
  append(group: string, stream: string, message: string, at: number): void {
    this.createStream(group, stream)
    this.groups.get(group)?.get(stream)?.push({ timestamp: at, message, ingestionTime: at })
  }

  /** The lines of a stream, oldest first; undefined for a missing group or stream. */
  events(group: string, stream: string): LogEvent[] | undefined {
    return this.groups.get(group)?.get(stream)
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group)
  }
}

function token(kind: 'f' | 'b', index: number): string {
  return `${kind}/${index.toString().padStart(56, '0')}`
}

function parseToken(raw: unknown): { kind: 'f' | 'b'; index: number } | undefined {
  if (typeof raw !== 'string') return undefined
  const match = /^([fb])\/(\d+)$/.exec(raw)
  if (!match) throw new AwsError('InvalidParameterException', 'The specified nextToken is invalid.')
  return { kind: match[1] as 'f' | 'b', index: Number(match[2]) }
}

/**
 * `GetLogEvents`: from the head with `startFromHead`, else the newest `limit` events; a
 * `nextToken` continues forward (`f/`) or backward (`b/`). With nothing new, the forward token
 * comes back unchanged, as CloudWatch does.
 */
export function getLogEvents(store: LogStore, body: Record<string, unknown>): unknown {
  const group = body.logGroupName
  const stream = body.logStreamName
  if (typeof group !== 'string' || group === '') {
    throw new AwsError('InvalidParameterException', 'logGroupName is required')
  }
  if (typeof stream !== 'string' || stream === '') {
    throw new AwsError('InvalidParameterException', 'logStreamName is required')
  }
  if (!store.hasGroup(group)) {
    throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.')
  }
  const all = store.events(group, stream)
  if (!all)
    throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.')
  const startTime = typeof body.startTime === 'number' ? body.startTime : -Infinity
  const endTime = typeof body.endTime === 'number' ? body.endTime : Infinity
  const limit = Math.min(
    10000,
    typeof body.limit === 'number' && body.limit > 0 ? body.limit : 10000
  )
  // Indexes into the whole stream, so tokens stay valid as lines are appended.
  const eligible = all
    .map((event, index) => ({ event, index }))
    .filter(({ event }) => event.timestamp >= startTime && event.timestamp < endTime)
  const next = parseToken(body.nextToken)
  let page: typeof eligible
  if (next?.kind === 'f' || (!next && body.startFromHead === true)) {
    const from = next?.index ?? 0
    page = eligible.filter(({ index }) => index >= from).slice(0, limit)
  } else {
    const before = next?.index ?? Infinity
    const older = eligible.filter(({ index }) => index < before)
    page = older.slice(Math.max(0, older.length - limit))
  }
  const first = page[0]?.index ?? next?.index ?? all.length
  const afterLast = page.length > 0 ? (page[page.length - 1]?.index ?? 0) + 1 : first
  return {
    events: page.map(({ event }) => event),
    nextForwardToken: token('f', afterLast),
    nextBackwardToken: token('b', first)
  }
}
