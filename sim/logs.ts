/**
 * CloudWatch Logs for simulated containers: the awslogs driver's streams
 * (`<awslogs-stream-prefix>/<container>/<task id>`, docs/ecs-events.md) and the two read APIs a
 * log follower uses, `GetLogEvents` and `FilterLogEvents`, no kinder than AWS:
 *
 * - A line is not readable when it is printed. Docker's awslogs driver sends a stream's lines in
 *   batches every 5 seconds (moby `daemon/logger/awslogs`, `batchPublishFrequency`), and at the
 *   container's exit; CloudWatch then takes a moment to ingest each batch. A line's
 *   `ingestionTime` is when it becomes readable, and batches of a stream arrive in order.
 * - The stream does not exist before the container starts: ResourceNotFoundException.
 * - GetLogEvents tokens: `nextForwardToken` reads newer events, and at the head of the stream the
 *   same token comes back; `nextBackwardToken` reads older ones, likewise.
 * - FilterLogEvents answers ResourceNotFoundException when any named stream does not exist, at
 *   most 100 stream names, and a `nextToken` only while more events match.
 * - Both are throttled with the region's quotas (`logsLimitsOf`), account-wide.
 */
import { getLogEventsQuota } from '../src/logs/logs-quota.js'
import type { Clock, Random } from '../src/util/clock.js'
import { AwsError } from './json-server.js'
import type { BucketLimit } from './token-bucket.js'

/** FilterLogEvents requests per second in most regions (docs/limits.md). */
const DEFAULT_FILTER_LOG_EVENTS_PER_SECOND = 10

/** Regions whose FilterLogEvents quota differs from the default (docs/limits.md). */
const FILTER_LOG_EVENTS_PER_SECOND: Readonly<Record<string, number>> = {
  'us-east-1': 25,
  'eu-central-1': 5
}

/**
 * The account's FilterLogEvents quota in `region`, requests per second. The action never calls
 * FilterLogEvents; the simulator and the follow bench do.
 */
export function filterLogEventsQuota(region: string): number {
  return FILTER_LOG_EVENTS_PER_SECOND[region] ?? DEFAULT_FILTER_LOG_EVENTS_PER_SECOND
}

/**
 * The Logs token buckets of an endpoint in `region`: GetLogEvents and FilterLogEvents at the
 * region's quotas (src/logs/logs-quota.ts; docs/limits.md, "CloudWatch Logs read quotas"), each
 * with a burst of one second of it. A run can still set its own (`throttling`).
 */
export function logsLimitsOf(region: string): { logs: BucketLimit; 'logs-filter': BucketLimit } {
  const get = getLogEventsQuota(region)
  const filter = filterLogEventsQuota(region)
  return {
    logs: { burst: get, refillPerSecond: get },
    'logs-filter': { burst: filter, refillPerSecond: filter }
  }
}

/** One line a container printed. */
export interface LogEvent {
  /** Epoch milliseconds the line was printed. */
  timestamp: number
  message: string
  /** Epoch milliseconds CloudWatch has it: readable from then on. */
  ingestionTime: number
}

/** How lines travel from a container to CloudWatch. */
export interface LogDelivery {
  /** The awslogs driver's batch interval in milliseconds (Docker's: 5 s); 0 sends each line alone. */
  batchMs: number
  /** CloudWatch's ingestion delay of a batch, in milliseconds: uniform in [min, max]. */
  ingestMs: [number, number]
}

/** Docker's awslogs batching and a short ingestion delay (real seconds). */
export const DEFAULT_LOG_DELIVERY: LogDelivery = { batchMs: 5000, ingestMs: [100, 500] }
/** Every line readable the moment it is printed (tests of other things). */
export const INSTANT_LOG_DELIVERY: LogDelivery = { batchMs: 0, ingestMs: [0, 0] }

interface Stream {
  createdAt: number
  events: LogEvent[]
}

/** Every log group and stream the simulated containers wrote. */
export class LogStore {
  private readonly groups = new Map<string, Map<string, Stream>>()

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly delivery: LogDelivery = INSTANT_LOG_DELIVERY
  ) {}

  /** Creates the stream (as the awslogs driver does when the container starts). */
  createStream(group: string, stream: string): void {
    let streams = this.groups.get(group)
    if (!streams) this.groups.set(group, (streams = new Map<string, Stream>()))
    if (!streams.has(stream)) streams.set(stream, { createdAt: this.clock.now(), events: [] })
  }

  private ingest(): number {
    const [min, max] = this.delivery.ingestMs
    return Math.round(min + (max - min) * this.random())
  }

  /**
   * Appends a line printed at `at`, creating the stream if needed. It becomes readable with its
   * batch: at the next batch boundary after `at` (counted from the stream's creation), plus the
   * ingestion delay, and never before the line printed before it.
   */
  append(group: string, stream: string, message: string, at: number): void {
    this.createStream(group, stream)
    const s = this.groups.get(group)?.get(stream)
    if (!s) return
    const batch = this.delivery.batchMs
    const sent = batch > 0 ? s.createdAt + (Math.floor((at - s.createdAt) / batch) + 1) * batch : at
    const previous = s.events[s.events.length - 1]?.ingestionTime ?? 0
    s.events.push({
      timestamp: at,
      message,
      ingestionTime: Math.max(previous, sent + this.ingest())
    })
  }

  /** The container exited: the driver sends what it still holds at once. */
  flush(group: string, stream: string, at: number): void {
    const s = this.groups.get(group)?.get(stream)
    if (!s) return
    const arrival = at + this.ingest()
    for (const e of s.events) if (e.ingestionTime > arrival) e.ingestionTime = arrival
  }

  /** Every line of a stream, readable or not, oldest first; undefined for a missing stream. */
  events(group: string, stream: string): LogEvent[] | undefined {
    return this.groups.get(group)?.get(stream)?.events
  }

  /** The lines of a stream readable now (a prefix: batches arrive in order). */
  readable(group: string, stream: string): LogEvent[] | undefined {
    const all = this.events(group, stream)
    if (!all) return undefined
    const now = this.clock.now()
    let n = 0
    while (n < all.length && (all[n]?.ingestionTime ?? Infinity) <= now) n++
    return all.slice(0, n)
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group)
  }

  /** Every stream of a group, by name. */
  streams(group: string): string[] {
    return [...(this.groups.get(group)?.keys() ?? [])]
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

function requireGroup(store: LogStore, group: unknown): string {
  if (typeof group !== 'string' || group === '') {
    throw new AwsError('InvalidParameterException', 'logGroupName is required')
  }
  if (!store.hasGroup(group)) {
    throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.')
  }
  return group
}

function limitOf(body: Record<string, unknown>): number {
  return Math.min(10000, typeof body.limit === 'number' && body.limit > 0 ? body.limit : 10000)
}

/**
 * `GetLogEvents`: from the head with `startFromHead`, else the newest `limit` events; a
 * `nextToken` continues forward (`f/`) or backward (`b/`). With nothing new, the forward token
 * comes back unchanged, as CloudWatch does.
 */
export function getLogEvents(store: LogStore, body: Record<string, unknown>): unknown {
  const group = requireGroup(store, body.logGroupName)
  const stream = body.logStreamName
  if (typeof stream !== 'string' || stream === '') {
    throw new AwsError('InvalidParameterException', 'logStreamName is required')
  }
  const all = store.readable(group, stream)
  if (!all)
    throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.')
  const startTime = typeof body.startTime === 'number' ? body.startTime : -Infinity
  const endTime = typeof body.endTime === 'number' ? body.endTime : Infinity
  const limit = limitOf(body)
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

/**
 * `FilterLogEvents` over named streams (at most 100, every one must exist) or every stream of
 * the group (`logStreamNamePrefix` narrows it), by `startTime`/`endTime`, oldest first across
 * streams; `nextToken` continues after the last event returned, and is absent on the last page.
 * No filter patterns: the simulator's readers never send one.
 */
export function filterLogEvents(store: LogStore, body: Record<string, unknown>): unknown {
  const group = requireGroup(store, body.logGroupName)
  if (body.filterPattern !== undefined && body.filterPattern !== '') {
    throw new AwsError('InvalidParameterException', 'Simulator: filterPattern is not supported')
  }
  const named = Array.isArray(body.logStreamNames) ? (body.logStreamNames as unknown[]) : undefined
  if (named && named.length > 100) {
    throw new AwsError(
      'InvalidParameterException',
      "1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100"
    )
  }
  const prefix = typeof body.logStreamNamePrefix === 'string' ? body.logStreamNamePrefix : ''
  const names = named
    ? named.map(String)
    : store.streams(group).filter((name) => name.startsWith(prefix))
  const startTime = typeof body.startTime === 'number' ? body.startTime : -Infinity
  const endTime = typeof body.endTime === 'number' ? body.endTime : Infinity
  const all: { name: string; index: number; event: LogEvent }[] = []
  for (const name of names) {
    const events = store.readable(group, name)
    if (!events) {
      throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.')
    }
    events.forEach((event, index) => {
      if (event.timestamp >= startTime && event.timestamp < endTime)
        all.push({ name, index, event })
    })
  }
  all.sort(
    (a, b) =>
      a.event.timestamp - b.event.timestamp ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      a.index - b.index
  )
  const offset =
    typeof body.nextToken === 'string' && /^o\/\d+$/.test(body.nextToken)
      ? Number(body.nextToken.slice(2))
      : body.nextToken === undefined
        ? 0
        : Number.NaN
  if (Number.isNaN(offset)) {
    throw new AwsError('InvalidParameterException', 'The specified nextToken is invalid.')
  }
  const page = all.slice(offset, offset + limitOf(body))
  const end = offset + page.length
  return {
    events: page.map(({ name, index, event }) => ({
      logStreamName: name,
      timestamp: event.timestamp,
      message: event.message,
      ingestionTime: event.ingestionTime,
      eventId: `${name}/${index}`
    })),
    ...(end < all.length ? { nextToken: `o/${end}` } : {})
  }
}
