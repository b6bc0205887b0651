/**
 * Logs of a task set of more than one task (count / tasks): as each task ends, the last
 * `log-lines` lines of each task that FAILED, under a header naming the task, at most
 * MAX_FAILED_TAILS tasks and TAILS_PER_SECOND, on the turns of the job's slots (read-pacer.ts);
 * a task that succeeded costs no call. Why not follow them: docs/logs.md, "The task's log:
 * live, and what it costs".
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import type { Clock, Random } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { FanOut } from '../model/fan-out.js'
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
