/**
 * The logs of a task set, driven by the set's task events (TaskSetLogs). A set of one task is
 * followed live from the moment RunTask returns it (`follow-logs`, follow.ts) and drained at its
 * end; without following, its last `log-lines` lines are read for the report on the job's
 * share. A set of more: as each task ends, the last `log-lines` lines of each task that FAILED,
 * under a header naming the task, at most MAX_FAILED_TAILS tasks and TAILS_PER_SECOND, on the
 * turns of the job's slots (read-pacer.ts); a task that succeeded costs no call. Why not follow
 * them: docs/logs.md, "The task's log: live, and what it costs".
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import type { Clock, Random } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { FanOut } from '../model/fan-out.js'
import type { TaskEvents } from '../model/outcome.js'
import { APP_RULE, taskExitCode, type ResultRule } from '../model/result.js'
import type { TaskEnd } from '../model/task.js'
import { followAppLogs, type Follower, type FollowResult } from './follow.js'
import { turnIntervalMs, type Turns } from './follow-schedule.js'
import { aloneShare, logsShareOf } from './logs-quota.js'
import { logsLink, tailLogs, type LogConfiguration } from './logs.js'
import { READ_DEADLINE_MS, ReadPacer } from './read-pacer.js'

/** Task sets up to this size are followed live (one task: the single-task path). */
export const MAX_LIVE_TASKS = 1
/** At most this many failed tasks get their tail printed; the rest are linked in the summary. */
export const MAX_FAILED_TAILS = 20
/** GetLogEvents calls per second of a set's tails at most: a fifth of the smallest quota. */
export const TAILS_PER_SECOND = 2

/**
 * The turns a job's tails take: those of every slot its tasks hold at once (one per task it runs
 * at once), and no two calls closer than 1 / TAILS_PER_SECOND when the turns come more often.
 */
export function tailTurns(
  region: string,
  fanOut: Pick<FanOut, 'width' | 'firstSlot' | 'tasksAtOnce'> | undefined
): { turns: Turns; minGapMs: number } {
  const share = fanOut ? logsShareOf(region, fanOut) : aloneShare(region)
  const turns: Turns = { ...share, slots: Math.max(1, fanOut?.tasksAtOnce ?? 1) }
  const capMs = 1000 / TAILS_PER_SECOND
  return { turns, minGapMs: turnIntervalMs(turns) < capMs ? capMs : 0 }
}

/** How the logs of a set of `count` tasks reach the job log. */
export function taskSetLogMode(count: number): 'follow' | 'failed-tails' {
  return count <= MAX_LIVE_TASKS ? 'follow' : 'failed-tails'
}

/** A task of the set that has ended. */
export interface EndedTask {
  /** Its index in the set (0-based), as the summary numbers it. */
  index: number
  taskArn: string
  /** The app container's exit code, when known. */
  exitCode?: number
  failed: boolean
  /**
   * Which attempt of the task this was, for a task that ran more than once (retry-on): each
   * failed attempt's tail prints under its own header.
   */
  attempt?: number
}

/** Prints the tails of failed tasks as they end, paced and bounded. */
export class FailedTaskTails {
  private queue: Promise<void> = Promise.resolve()
  private tailed = 0
  /** The line about tasks beyond MAX_FAILED_TAILS was printed. */
  private toldSkipped = false
  private readonly pacer: ReadPacer

  constructor(
    private readonly deps: {
      logs: CloudWatchLogsClient
      clock: Clock
      random: Random
      logger: Logger
    },
    private readonly options: {
      /** The region of `logs`. */
      region: string
      logConfiguration: LogConfiguration | undefined
      /** The `log-lines` input; 0 prints nothing. */
      logLines: number
      /** The fan-out the job belongs to (default: alone), for its share of the reads. */
      fanOut?: Pick<FanOut, 'width' | 'firstSlot' | 'tasksAtOnce'>
      signal?: AbortSignal
    }
  ) {
    // One pacer for every tail of the job: its calls, retries included, stay within its share.
    const { turns, minGapMs } = tailTurns(options.region, options.fanOut)
    this.pacer = new ReadPacer(deps, turns, { minGapMs })
  }

  /**
   * Call when a task ends. Resolves when its tail, if it gets one, is printed: tails print one at
   * a time, in the order their tasks ended. Never throws.
   */
  ended(task: EndedTask): Promise<void> {
    if (!task.failed || this.options.logLines <= 0) return Promise.resolve()
    if (this.tailed >= MAX_FAILED_TAILS) {
      if (!this.toldSkipped) {
        this.toldSkipped = true
        this.deps.logger.info(
          `More than ${MAX_FAILED_TAILS} tasks failed: the logs of the others are linked in the job summary`
        )
      }
      return Promise.resolve()
    }
    this.tailed++
    this.queue = this.queue.then(() => this.tail(task))
    return this.queue
  }

  private async tail(task: EndedTask): Promise<void> {
    const { clock } = this.deps
    const link = logsLink({
      logConfiguration: this.options.logConfiguration,
      taskArn: task.taskArn,
      taskRegion: this.options.region
    })
    const attempt = task.attempt !== undefined ? ` attempt ${task.attempt}` : ''
    const what = `task #${task.index}${attempt} (exit code ${task.exitCode ?? 'none'})`
    if ('reason' in link || link.region !== this.options.region) return
    if (this.options.signal?.aborted) return
    await tailLogs(this.deps, {
      group: link.group,
      stream: link.stream,
      region: link.region,
      lines: this.options.logLines,
      label: `${what}, ${link.stream}`,
      pacer: this.pacer,
      deadline: clock.now() + READ_DEADLINE_MS,
      signal: this.options.signal
    })
  }
}

/** Where a task's log stream is, as logsLink finds it. */
export interface StreamPlace {
  group: string
  stream: string
  region: string
}

/**
 * The logs of one task set while it runs, fed by its task events: the live follower of a set
 * of one, the tails of a set's failed tasks, and the tail of a lone task for its report, every
 * read on the job's share of the region's GetLogEvents quota.
 */
export class TaskSetLogs implements TaskEvents {
  private readonly live: boolean
  private readonly tails: FailedTaskTails | undefined
  private follower: Follower | undefined
  private tailsPrinted: Promise<void> = Promise.resolve()
  /** Ends the follower's reads at once when the step is over, whatever happened. */
  private readonly done = new AbortController()

  constructor(
    private readonly deps: {
      logs: CloudWatchLogsClient
      /** The region of `logs`. */
      region: string
      clock: Clock
      random: Random
      logger: Logger
    },
    private readonly options: {
      /** Tasks in the set. */
      tasks: number
      /** false: the tasks are left running, nothing is read. */
      wait: boolean
      /** The `follow-logs` input. */
      follow: boolean
      logConfiguration: LogConfiguration | undefined
      /** The `log-lines` input; 0 prints nothing. */
      logLines: number
      /** The fan-out the job belongs to, for its share of the reads. */
      fanOut: Pick<FanOut, 'width' | 'firstSlot' | 'tasksAtOnce'>
      /** Aborted when the job is cancelled. */
      signal: AbortSignal
      /** Whose exit code is the task's (default the app container's). */
      rule?: ResultRule
    }
  ) {
    this.live = options.wait && taskSetLogMode(options.tasks) === 'follow'
    this.tails =
      options.wait && !this.live
        ? new FailedTaskTails(deps, {
            region: deps.region,
            logConfiguration: options.logConfiguration,
            logLines: options.logLines,
            fanOut: options.fanOut,
            signal: options.signal
          })
        : undefined
  }

  /** A set of one: follows the task's log from the moment RunTask returns it. */
  launched(taskArn: string): void {
    if (!this.live || this.follower !== undefined) return
    const { clock } = this.deps
    this.follower = followAppLogs(this.deps, {
      enabled: this.options.follow,
      logConfiguration: this.options.logConfiguration,
      taskArn,
      startedAt: clock.now(),
      keepLines: this.options.logLines,
      fanOut: this.options.fanOut,
      signal: this.done.signal
    })
  }

  stopped(
    taskArn: string,
    end: TaskEnd,
    index: number | undefined,
    attempt?: { attempt: number; retried: boolean }
  ): void {
    if (this.live && attempt?.retried === true && this.follower !== undefined) {
      // The retried attempt's lines were printed as it ran; drain them, then follow the next.
      const previous = this.follower
      this.follower = undefined
      this.tailsPrinted = this.tailsPrinted.then(async () => {
        await this.drain(previous, end)
        this.deps.logger.info(
          `Attempt ${attempt.attempt} of the task ended; its log lines are above`
        )
      })
      return
    }
    if (this.tails === undefined || index === undefined) return
    const exitCode =
      end.kind === 'stopped' ? taskExitCode(end.task, this.options.rule ?? APP_RULE) : undefined
    this.tailsPrinted = this.tails.ended({
      index,
      taskArn,
      exitCode,
      failed: exitCode !== 0,
      ...(attempt !== undefined && (attempt.retried || attempt.attempt > 1)
        ? { attempt: attempt.attempt }
        : {})
    })
  }

  /**
   * After the set: waits for the tails in flight and drains the follower of a set of one, from
   * the end of its last task (`lastEnd`); the follower's result, undefined when there was none.
   */
  async finish(lastEnd: TaskEnd | undefined): Promise<FollowResult | undefined> {
    await this.tailsPrinted
    return this.follower === undefined ? undefined : this.drain(this.follower, lastEnd)
  }

  /**
   * The last `lines` lines of a lone task's stream, printed, for its report: read on the job's
   * share of the quota like every other read of the set. Undefined when they could not be read.
   */
  tail(place: StreamPlace, lines: number): Promise<string[] | undefined> {
    const { clock, random } = this.deps
    return tailLogs(this.deps, {
      ...place,
      lines,
      pacer: new ReadPacer({ clock, random }, logsShareOf(place.region, this.options.fanOut))
    })
  }

  /** Ends any log read at once (after `finish`, or when the run failed). */
  close(): void {
    this.done.abort()
  }

  /** Drains a follower, from the containers' exit, when the awslogs driver sent their last lines. */
  private drain(follower: Follower, end: TaskEnd | undefined): Promise<FollowResult> {
    const exitedAt =
      end?.kind === 'stopped' ? (end.task.executionStoppedAt ?? end.task.stoppedAt) : undefined
    return follower.stop({
      ...(exitedAt ? { exitedAt: exitedAt.getTime() } : {}),
      signal: this.options.signal
    })
  }
}
