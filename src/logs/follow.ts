/**
 * Follows one task's app container log stream while the task runs: GetLogEvents from the head,
 * then with `nextForwardToken`, printing new lines as they arrive, on the age-grown, jittered,
 * throttle-backed-off budget of follow-schedule.ts. On stop it drains the stream to its end, so
 * the job log holds every line exactly once.
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
import { fullJitter } from '../util/backoff.js'
import type { Clock, Random } from '../util/clock.js'
import { errorName, foreignErrorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import {
  firstDelayMs,
  followDelayMs,
  nextHeartbeatGapMs,
  penaltyAfterAnswer,
  penaltyAfterThrottle,
  MAX_PENALTY_S,
  MIN_MEAN_S
} from './follow-schedule.js'
import { taskIdOf } from '../model/task-state.js'
import {
  MAX_EVENTS,
  formatLogEvent,
  logsErrorHint,
  logsLink,
  pageBytes,
  type LogConfiguration
} from './logs.js'

/** What a follower needs from outside. */
export interface FollowDeps {
  logs: CloudWatchLogsClient
  clock: Clock
  random: Random
  logger: Logger
}

/** The stream to follow. */
export interface FollowOptions {
  group: string
  stream: string
  region: string
  /** The console link of the stream, for the heartbeat. */
  url: string
  /** The task's id, for the heartbeat. */
  taskId: string
  /** Clock ms the task was started: its age, and so the read interval, counts from here. */
  startedAt: number
  /** How many of the last lines to keep for the job summary (the `log-lines` input). */
  keepLines: number
  /** Ends following at once, without a drain (the step is over, whatever happened). */
  signal?: AbortSignal
}

/** How following went, for the report. */
export interface FollowResult {
  /**
   * True when the tail must still be printed: the stream was never read while the task ran, so
   * `log-lines` keeps its meaning. False when following printed the lines (or was denied, and
   * said so once).
   */
  tail: boolean
  /** Every line up to the stream's end was printed. */
  complete: boolean
  /** Lines printed. */
  printed: number
  /** The last `keepLines` lines printed, without timestamps, for the job summary. */
  lastLines: string[]
  /** GetLogEvents calls made, and how many were throttled. */
  calls: number
  throttled: number
}

/** A follower at work. */
export interface Follower {
  /**
   * Ends following and drains the stream to its end, within `drainMs` (default 60 s) or until
   * `signal` aborts. `stoppedAt` (clock ms), when known, is when the task stopped: lines may
   * still be on their way into CloudWatch, so the drain reads once more SETTLE_MS after it.
   */
  stop(options?: {
    stoppedAt?: number
    signal?: AbortSignal
    drainMs?: number
  }): Promise<FollowResult>
}

/** How long after the task's stop its last lines may still be arriving in CloudWatch Logs. */
export const SETTLE_MS = 2000
/**
 * The longest drain by default. Jobs whose tasks stop together drain together: 200 of them need
 * at least 20 s of a 10-per-second quota.
 */
export const DRAIN_MS = 60_000
/** Drain retries after throttling: at least this long, plus full jitter from this base to this cap. */
const DRAIN_RETRY_MIN_MS = 250
const DRAIN_RETRY_BASE_MS = 500
const DRAIN_RETRY_CAP_MS = 8000
/** A page at least this full is followed by the next one at the shortest interval. */
const FULL_PAGE_BYTES = 512 * 1024
/** While reading is off (denied), the loop still wakes this often for the heartbeat. */
const IDLE_WAKE_MS = 30_000

type ReadOutcome = 'events' | 'full' | 'head' | 'missing' | 'throttled' | 'error' | 'denied'

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
  private readonly last: string[] = []
  private warnedThrottle = false
  private draining = false
  private lastActivity: number
  private heartbeatGap = 0
  private readonly halted = new AbortController()

  constructor(
    private readonly deps: FollowDeps,
    private readonly o: FollowOptions
  ) {
    this.lastActivity = deps.clock.now()
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
    let delay = firstDelayMs(random)
    for (;;) {
      await clock.sleep(delay, this.halted.signal)
      if (this.halted.signal.aborted) return
      if (!this.reading) {
        this.heartbeat()
        delay = IDLE_WAKE_MS
        continue
      }
      const outcome = await this.read()
      this.heartbeat()
      delay =
        outcome === 'full'
          ? MIN_MEAN_S * 1000
          : followDelayMs({ ageMs: this.age(), penaltyMs: this.penaltyMs, random })
    }
  }

  /** One GetLogEvents call; prints what it brings. */
  private async read(): Promise<ReadOutcome> {
    const { logs, clock } = this.deps
    const sent = this.token
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
    this.penaltyMs = penaltyAfterAnswer(this.penaltyMs, this.age())
    this.readOnce = true
    const events = page.events ?? []
    for (const event of events) {
      for (const { text, line } of formatLogEvent(event)) this.print(text, line)
      if (event.timestamp !== undefined) this.lastTimestamp = event.timestamp
    }
    if (events.length > 0) this.lastActivity = clock.now()
    if (page.nextForwardToken) this.token = page.nextForwardToken
    // The same token back: the head of the stream (docs/limits.md, "CloudWatch Logs read quotas").
    if (sent !== undefined && page.nextForwardToken === sent) return 'head'
    if (events.length === 0) return 'head'
    return events.length >= MAX_EVENTS || pageBytes(events) >= FULL_PAGE_BYTES ? 'full' : 'events'
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
    if (name === 'ResourceNotFoundException') {
      // The awslogs driver creates the stream when the container starts: not yet is normal.
      this.penaltyMs = penaltyAfterAnswer(this.penaltyMs, this.age())
      return 'missing'
    }
    if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException') {
      this.reading = false
      logger.warning(
        `Stopped following the log stream ${this.where}: ${foreignErrorMessage(error).replace(/\.$/, '')}.${logsErrorHint(error, 'follow-logs: false')}`
      )
      return 'denied'
    }
    // Throttling, and anything transient (5xx, network): back off the same way.
    if (name === 'ThrottlingException') this.throttled++
    else logger.debug(`GetLogEvents of ${this.where} failed: ${foreignErrorMessage(error)}`)
    this.penaltyMs = penaltyAfterThrottle(this.penaltyMs, this.age())
    // While draining the notice at the end says it once; no warning on top.
    if (this.penaltyMs >= MAX_PENALTY_S * 1000 && !this.warnedThrottle && !this.draining) {
      this.warnedThrottle = true
      logger.warning(
        `Reading the log stream ${this.where} keeps failing (${name || foreignErrorMessage(error)}); ` +
          `new lines now come at most once a minute. CloudWatch Logs allows each account a few ` +
          `GetLogEvents calls per second in all; set follow-logs: false in large fan-outs to spare them.`
      )
    }
    return name === 'ThrottlingException' ? 'throttled' : 'error'
  }

  /** One line after a silence: the task still runs, for how long, and where its log is. */
  private heartbeat(): void {
    const { clock, logger } = this.deps
    const gap = nextHeartbeatGapMs(this.heartbeatGap)
    if (clock.now() - this.lastActivity < gap) return
    this.heartbeatGap = gap
    this.lastActivity = clock.now()
    logger.info(
      `Task ${this.o.taskId} is still running (${duration(this.age())}); ` +
        `no new log lines for ${duration(gap)}. Its log: ${this.o.url}`
    )
  }

  /** Reads to the end of the stream, after the loop has ended. */
  async drain(options: {
    stoppedAt?: number
    signal?: AbortSignal
    drainMs?: number
  }): Promise<FollowResult> {
    const { clock, logger, random } = this.deps
    const result = (complete: boolean, tail: boolean): FollowResult => ({
      tail,
      complete,
      printed: this.printed,
      lastLines: [...this.last],
      calls: this.calls,
      throttled: this.throttled
    })
    if (!this.reading) return result(false, false)
    // Never read while the task ran: the tail prints the last `log-lines` lines instead.
    if (!this.readOnce) return result(false, true)
    this.draining = true
    const deadline = clock.now() + (options.drainMs ?? DRAIN_MS)
    // Never later than SETTLE_MS from now: a stop time from another clock must not stall the drain.
    const settleAt = Math.min(options.stoppedAt ?? Infinity, clock.now()) + SETTLE_MS
    let failures = 0
    while (!options.signal?.aborted && clock.now() < deadline) {
      const issuedAt = clock.now()
      const outcome = await this.read()
      if (outcome === 'denied') return result(false, false)
      if (outcome === 'head' || outcome === 'events') {
        failures = 0
        // Read after the container's last lines had time to arrive: a page not cut short by its
        // size is the end of the stream, and needs no second call to see the same token.
        if (issuedAt >= settleAt) return result(true, false)
        if (outcome === 'head') {
          await clock.sleep(Math.min(settleAt, deadline) - clock.now(), options.signal)
        }
        continue
      }
      if (outcome === 'full') continue
      // Throttled or failed: every job whose task just stopped drains now, so retry soon and
      // spread out (full jitter), whatever the penalty of the live reads was.
      const wait = Math.min(
        DRAIN_RETRY_MIN_MS +
          fullJitter(failures++, DRAIN_RETRY_BASE_MS, DRAIN_RETRY_CAP_MS, random),
        deadline - clock.now()
      )
      if (wait > 0) await clock.sleep(wait, options.signal)
    }
    const upTo =
      this.lastTimestamp === undefined ? 'no line' : new Date(this.lastTimestamp).toISOString()
    logger.notice(
      `Printed the log of task ${this.o.taskId} up to ${upTo}; the rest is at ${this.o.url}`
    )
    return result(false, false)
  }
}

/** `1h 2m`, `3m 4s`, `5s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m ${sec}s`
  return `${sec}s`
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
    group: link.group,
    stream: link.stream,
    region: link.region,
    url: link.url,
    taskId: taskIdOf(options.taskArn),
    startedAt: options.startedAt,
    keepLines: options.keepLines,
    ...(options.signal ? { signal: options.signal } : {})
  })
}
