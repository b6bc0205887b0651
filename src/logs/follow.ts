/**
 * Follows one task's app container log stream while the task runs: GetLogEvents from the head,
 * then with `nextForwardToken`, printing new lines as they arrive, on the age-grown budget of
 * follow-schedule.ts within the task's share of the fan-out's reads (logs-quota.ts), backed off
 * when throttled. On stop it drains the stream to its end on the same turns (read-pacer.ts),
 * so the job log holds every line exactly once; a stream it never read it tails instead.
 *
 * Following is a passenger: it never delays or changes the wait, the exit code or the step's
 * result. A throttled, denied or missing stream costs at most one warning; a stream that does
 * not exist yet (the container has not started) is normal and silent.
 */
import {
  GetLogEventsCommand,
  type CloudWatchLogsClient,
  type GetLogEventsCommandOutput
} from '@aws-sdk/client-cloudwatch-logs'
import type { Runtime } from '../util/runtime.js'
import { formatDuration } from '../util/duration.js'
import { errorName, foreignErrorMessage } from '../util/errors.js'
import { isAccessDenied, isNotFound, isThrottling } from '../aws/errors.js'
import {
  firstDelayMs,
  followDelayMs,
  nextHeartbeatGapMs,
  penaltyAfterAnswer,
  penaltyAfterThrottle,
  MAX_PENALTY_S,
  MIN_MEAN_S
} from './follow-schedule.js'
import type { FanOut } from '../model/fan-out.js'
import { taskIdOf } from '../model/task-state.js'
import { aloneShare, logsShareOf, type LogsShare } from './logs-quota.js'
import {
  MAX_EVENTS,
  formatLogEvent,
  logsErrorHint,
  logsLink,
  pageBytes,
  tailLogs,
  type LogConfiguration,
  type LogsLink
} from './logs.js'
import { READ_DEADLINE_MS, ReadPacer } from './read-pacer.js'

/** What a follower needs from outside. */
export interface FollowDeps extends Runtime {
  logs: CloudWatchLogsClient
}

/** The stream to follow (its console link is for the heartbeat). */
export interface FollowOptions extends LogsLink {
  /** The task's id, for the heartbeat. */
  taskId: string
  /** Clock ms the task was started: its age, and so the read interval, counts from here. */
  startedAt: number
  /** How many of the last lines to keep for the job summary (the `log-lines` input). */
  keepLines: number
  /** The task's share of GetLogEvents (default: alone in `region`). */
  share?: LogsShare
  /** Ends following at once, without a drain (the step is over, whatever happened). */
  signal?: AbortSignal
}

/** How following went, for the report. */
export interface FollowResult {
  /**
   * True when the tail must still be printed: the stream was never read, not even at the stop.
   * False when following printed the lines (while the task ran, or its last `keepLines` at the
   * stop), or was denied or ran out of time, and said so once.
   */
  tail: boolean
  /** Every line up to the stream's end was printed. */
  complete: boolean
  printed: number
  /** The last `keepLines` lines printed, without timestamps, for the job summary. */
  lastLines: string[]
  /** GetLogEvents calls made, and how many were throttled. */
  calls: number
  throttled: number
}

export interface Follower {
  /**
   * Ends following and drains the stream to its end, within drainMsFor the share or until
   * `signal` aborts. `exitedAt` (clock ms), when known, is when the task's
   * containers exited (`executionStoppedAt`, else `stoppedAt`): the awslogs driver sends a
   * container's last lines as it exits, so the drain reads once SETTLE_MS after it, when they
   * are in CloudWatch.
   */
  stop(options?: { exitedAt?: number; signal?: AbortSignal }): Promise<FollowResult>
}

/**
 * How long after the containers' exit their last lines may still be on their way into
 * CloudWatch Logs: the awslogs driver sends what it holds as a container exits, and this covers
 * CloudWatch's ingestion of that last batch (docs/limits.md, "When a container's last lines are in").
 */
export const SETTLE_MS = 1000
/**
 * How far ahead of AWS's clock the runner's may be for a live read to count as the drain: the
 * exit time is AWS's, the read's is the runner's. The drain's own read needs no such margin, as
 * it comes after the stop was seen, and so after the exit whatever the clocks say.
 */
export const CLOCK_MARGIN_MS = 1000
/** The longest drain by default, for a share that allows a read every few seconds or more often. */
export const DRAIN_MS = READ_DEADLINE_MS

/**
 * The drain's deadline for a share: DRAIN_MS, or three of the task's turns when they are
 * further apart (200 tasks on a 10/s quota read once per 50 s each), so a throttled drain gets
 * more than one retry before it gives up.
 */
export function drainMsFor(share: Pick<LogsShare, 'perSecond'>): number {
  return Math.max(DRAIN_MS, Math.ceil(3000 / share.perSecond))
}
/** A page at least this full is followed by the next one at the shortest interval. */
const FULL_PAGE_BYTES = 512 * 1024
/** While reading is off (denied), the loop still wakes this often for the heartbeat. */
const IDLE_WAKE_MS = 30_000

type ReadOutcome = 'events' | 'full' | 'head' | 'missing' | 'throttled' | 'error' | 'denied'

/** What an answered read found: the stream's head, or new events, in a page full or not. */
function pageOutcome(sent: string | undefined, page: GetLogEventsCommandOutput): ReadOutcome {
  const events = page.events ?? []
  // The same token back: the head of the stream (docs/limits.md, "CloudWatch Logs read quotas").
  if (sent !== undefined && page.nextForwardToken === sent) return 'head'
  if (events.length === 0) return 'head'
  return events.length >= MAX_EVENTS || pageBytes(events) >= FULL_PAGE_BYTES ? 'full' : 'events'
}

/** Starts following a stream; call `stop()` when the task has stopped (or the wait ended). */
export function followLogs(deps: FollowDeps, options: FollowOptions): Follower {
  const follower = new StreamFollower(deps, options)
  const loop = follower.loop()
  return {
    stop: async (stopOptions = {}) => {
      follower.halt()
      await loop
      return follower.drain(stopOptions)
    }
  }
}

class StreamFollower {
  private token: string | undefined
  /** A page of the existing stream was read. */
  private readOnce = false
  private reading = true
  private penaltyMs = 0
  private calls = 0
  private throttled = 0
  private printed = 0
  private lastTimestamp: number | undefined
  /**
   * Clock ms a read was sent that ended at the stream's head (a page not cut short by its size),
   * with no full page read after it: the stream held nothing more when it was sent.
   */
  private atHeadSince: number | undefined
  private readonly last: string[] = []
  private warnedThrottle = false
  private draining = false
  private lastActivity: number
  private heartbeatGap = 0
  private readonly halted = new AbortController()
  private readonly share: LogsShare
  /** Every read of the stream, live and at the stop, on the task's turns. */
  private readonly pacer: ReadPacer

  constructor(
    private readonly deps: FollowDeps,
    private readonly o: FollowOptions
  ) {
    this.share = o.share ?? aloneShare(o.region)
    // The first read anywhere in the first mean interval, then the task's next turn, so jobs
    // started together take their turns one after another.
    const now = deps.clock.now()
    this.pacer = new ReadPacer(deps, this.share, { notBefore: now + firstDelayMs(deps.random) })
    this.lastActivity = now
    if (o.signal?.aborted) this.halted.abort()
    else o.signal?.addEventListener('abort', () => this.halted.abort(), { once: true })
  }

  private get where(): string {
    return `${this.o.group} ${this.o.stream} (${this.o.region})`
  }

  private age(): number {
    return this.deps.clock.now() - this.o.startedAt
  }

  halt(): void {
    this.halted.abort()
  }

  /** Reads on the schedule until halted. Never throws. */
  async loop(): Promise<void> {
    const { clock, random } = this.deps
    for (;;) {
      if (!this.reading) {
        await clock.sleep(IDLE_WAKE_MS, this.halted.signal)
        if (this.halted.signal.aborted) return
        this.heartbeat()
        continue
      }
      if (!(await this.pacer.turn(Infinity, this.halted.signal))) return
      const outcome = await this.read()
      this.heartbeat()
      const now = clock.now()
      this.pacer.readFrom(
        outcome === 'full'
          ? now + MIN_MEAN_S * 1000
          : now + followDelayMs({ ageMs: this.age(), penaltyMs: this.penaltyMs, random })
      )
    }
  }

  /** One GetLogEvents call; prints what it brings. */
  private async read(): Promise<ReadOutcome> {
    const { logs, clock } = this.deps
    const sent = this.token
    const sentAt = clock.now()
    let page: GetLogEventsCommandOutput
    this.calls++
    try {
      page = await logs.send(
        new GetLogEventsCommand({
          logGroupName: this.o.group,
          logStreamName: this.o.stream,
          startFromHead: true,
          ...(sent === undefined ? {} : { nextToken: sent })
        })
      )
    } catch (error) {
      return this.failed(error)
    }
    this.penaltyMs = penaltyAfterAnswer(this.penaltyMs, this.age(), this.share)
    this.readOnce = true
    const events = page.events ?? []
    for (const event of events) {
      for (const { text, line } of formatLogEvent(event)) this.print(text, line)
      if (event.timestamp !== undefined) this.lastTimestamp = event.timestamp
    }
    if (events.length > 0) this.lastActivity = clock.now()
    if (page.nextForwardToken) this.token = page.nextForwardToken
    const outcome = pageOutcome(sent, page)
    this.atHeadSince = outcome === 'full' ? undefined : sentAt
    return outcome
  }

  private print(text: string, line: string): void {
    this.deps.logger.info(line)
    this.printed++
    this.last.push(text)
    if (this.last.length > this.o.keepLines) this.last.shift()
    this.heartbeatGap = 0
  }

  private failed(error: unknown): ReadOutcome {
    const name = errorName(error)
    const { logger } = this.deps
    if (isNotFound(error)) {
      // The awslogs driver creates the stream when the container starts: not yet is normal.
      this.penaltyMs = penaltyAfterAnswer(this.penaltyMs, this.age(), this.share)
      return 'missing'
    }
    // UnrecognizedClientException: the credentials are not valid in this region.
    if (isAccessDenied(error) || name === 'UnrecognizedClientException') {
      this.reading = false
      logger.warning(
        `Stopped following the log stream ${this.where}: ${foreignErrorMessage(error).replace(/\.$/, '')}.${logsErrorHint(error, 'follow-logs: false')}`
      )
      return 'denied'
    }
    // Anything else (throttling, a server's or the network's failure, an unknown error): back
    // off; only throttling is counted, the rest is a debug line.
    const throttled = isThrottling(error)
    if (throttled) this.throttled++
    else logger.debug(`GetLogEvents of ${this.where} failed: ${foreignErrorMessage(error)}`)
    this.penaltyMs = penaltyAfterThrottle(this.penaltyMs, this.age(), this.share)
    // While draining the notice at the end says it once; no warning on top.
    if (this.penaltyMs >= MAX_PENALTY_S * 1000 && !this.warnedThrottle && !this.draining) {
      this.warnedThrottle = true
      logger.warning(
        `Reading the log stream ${this.where} keeps failing (${name || foreignErrorMessage(error)}); ` +
          `new lines now come at most once a minute. CloudWatch Logs allows each account a few ` +
          `GetLogEvents calls per second in all; set follow-logs: false in large fan-outs to spare them.`
      )
    }
    return throttled ? 'throttled' : 'error'
  }

  /** One line after a silence: the task still runs, for how long, and where its log is. */
  private heartbeat(): void {
    const { clock, logger } = this.deps
    const gap = nextHeartbeatGapMs(this.heartbeatGap)
    if (clock.now() - this.lastActivity < gap) return
    this.heartbeatGap = gap
    this.lastActivity = clock.now()
    logger.info(
      `Task ${this.o.taskId} is still running (${formatDuration(this.age())}); ` +
        `no new log lines for ${formatDuration(gap)}. Its log: ${this.o.url}`
    )
  }

  /**
   * Reads to the end of the stream, after the loop has ended: once the containers' last lines
   * are in (SETTLE_MS after their exit), one read on the task's next turn, more (on its later
   * turns) only for full pages or throttled answers, until the deadline; none when a live read
   * sent after that point already reached the stream's head. A stream never read while the task
   * ran gets its last `keepLines` lines instead, paced the same way.
   */
  async drain(options: { exitedAt?: number; signal?: AbortSignal }): Promise<FollowResult> {
    const { clock, logger } = this.deps
    const result = (complete: boolean, tail: boolean): FollowResult => ({
      tail,
      complete,
      printed: this.printed,
      lastLines: [...this.last],
      calls: this.calls,
      throttled: this.throttled
    })
    if (!this.reading) return result(false, false)
    this.draining = true
    const deadline = clock.now() + drainMsFor(this.share)
    // Never later than SETTLE_MS from now: an exit time from another clock must not stall the drain.
    const settleAt = Math.min(options.exitedAt ?? Infinity, clock.now()) + SETTLE_MS
    // A read before the last lines are in would need another after it: one read is usually the
    // whole drain. It takes the task's next turn, after the one its last live read used.
    // A live read sent after that (by the runner's clock, with a margin for its difference
    // from AWS's) already found the stream's end: nothing is left to read.
    const endRead = this.atHeadSince ?? -Infinity
    if (endRead >= settleAt + CLOCK_MARGIN_MS) return result(true, false)
    const pacer = this.pacer
    pacer.readFrom(settleAt)
    if (!this.readOnce && options.signal?.aborted) return result(false, true)
    if (!this.readOnce) return this.tailInstead(pacer, deadline, options.signal, result)
    while (await pacer.turn(deadline, options.signal)) {
      const outcome = await this.read()
      if (outcome === 'denied') return result(false, false)
      if (outcome === 'throttled' || outcome === 'error' || outcome === 'missing') {
        pacer.throttled()
        continue
      }
      pacer.answered()
      // A page not cut short by its size, read after the last lines were in: the stream's end.
      if (outcome !== 'full') return result(true, false)
    }
    if (options.signal?.aborted) return result(false, false)
    const upTo =
      this.lastTimestamp === undefined ? 'no line' : new Date(this.lastTimestamp).toISOString()
    logger.notice(
      `Printed the log of task ${this.o.taskId} up to ${upTo}; the rest is at ${this.o.url}`
    )
    return result(false, false)
  }

  /** The stream was never read while the task ran: its last `keepLines` lines, as `log-lines` says. */
  private async tailInstead(
    pacer: ReadPacer,
    deadline: number,
    signal: AbortSignal | undefined,
    result: (complete: boolean, tail: boolean) => FollowResult
  ): Promise<FollowResult> {
    const lines = await tailLogs(this.deps, {
      group: this.o.group,
      stream: this.o.stream,
      region: this.o.region,
      lines: this.o.keepLines,
      pacer,
      deadline,
      signal
    })
    if (lines === undefined) return result(false, false)
    this.last.splice(0, this.last.length, ...lines.slice(-this.o.keepLines))
    this.printed += lines.length
    return result(false, false)
  }
}

/**
 * Starts following the app container's log of a task that has just been started, when
 * `follow-logs` is on and there is an awslogs stream in the client's region to follow;
 * otherwise undefined (the report says why there is no stream, and tails as before).
 */
export function followAppLogs(
  deps: FollowDeps & { region: string },
  options: {
    enabled: boolean
    logConfiguration: LogConfiguration | undefined
    taskArn: string
    startedAt: number
    keepLines: number
    /** The fan-out this task belongs to (default: alone), for its share of the reads. */
    fanOut?: Pick<FanOut, 'width' | 'firstSlot'>
    signal?: AbortSignal
  }
): Follower | undefined {
  if (!options.enabled) return undefined
  const link = logsLink({
    logConfiguration: options.logConfiguration,
    taskArn: options.taskArn,
    taskRegion: deps.region
  })
  if ('reason' in link || link.region !== deps.region) return undefined
  deps.logger.info(`Following the log stream ${link.group} ${link.stream} as it is written`)
  return followLogs(deps, {
    ...link,
    taskId: taskIdOf(options.taskArn),
    startedAt: options.startedAt,
    keepLines: options.keepLines,
    share: options.fanOut ? logsShareOf(link.region, options.fanOut) : aloneShare(link.region),
    ...(options.signal ? { signal: options.signal } : {})
  })
}
