/**
 * Paces a task's reads on its turns of the fan-out's reads: while it runs (the follower says
 * when it wants the next one) and at the stop (the drain, the tail), where it also backs off
 * throttled answers without giving up before a deadline (the rules: docs/logs.md, "Reads at
 * the stop").
 */
import { backoffAfterAnswer, backoffAfterThrottle } from '../util/backoff.js'
import type { Clock, Random } from '../util/clock.js'
import { missedTurn, nextTurnAt, turnIntervalMs, type Turns } from './follow-schedule.js'

/** How long reads at the stop (the drain, a tail) may go on by default, throttled or not. */
export const READ_DEADLINE_MS = 60_000
/** The first backoff after a throttled answer is at least this long. */
export const BACKOFF_BASE_MS = 500
/** The longest backoff. */
export const BACKOFF_CAP_MS = 16_000
/** What one good answer leaves of the backoff. */
const RECOVERY = 0.8

/** Paces one task's (or one job's) reads; see the module comment. */
export class ReadPacer {
  /** Clock ms of the next read, and the start of the tick it goes in. */
  private nextAt = 0
  private tick = 0
  /** The start of the tick the last read used (-Infinity: none yet). */
  private used = -Infinity
  /** Clock ms of the last read given a turn. */
  private lastAt: number
  private backoffMs = 0
  /** No two reads closer than this (ms). */
  private readonly minGapMs: number
  /** Milliseconds between two turns on average (T). */
  readonly intervalMs: number

  /**
   * `notBefore` (clock ms, default now): no read before it, e.g. until the containers' last
   * lines are in, or after the tick the task's last live read used.
   */
  constructor(
    private readonly deps: { clock: Clock; random: Random },
    private readonly turns: Turns,
    options: { notBefore?: number; minGapMs?: number } = {}
  ) {
    this.intervalMs = turnIntervalMs(turns)
    this.minGapMs = options.minGapMs ?? 0
    const now = deps.clock.now()
    this.lastAt = now
    this.readFrom(Math.max(now, options.notBefore ?? now))
  }

  /** The current backoff in ms (0: none). */
  get backoff(): number {
    return this.backoffMs
  }

  /** The next read: the first turn after the one used, not before `at`, early in its tick. */
  readFrom(at: number): void {
    this.tick = nextTurnAt(Math.max(at, this.used + 1), this.turns)
    this.nextAt = this.tick + Math.floor((this.deps.random() * this.turns.tickMs) / 2)
  }

  /**
   * Waits for the next read. True: read now. False: the next read would come after `deadline`
   * (clock ms), or `signal` aborted; nothing was waited for in the first case.
   */
  async turn(deadline: number, signal?: AbortSignal): Promise<boolean> {
    const { clock } = this.deps
    for (let late = 0; ; late++) {
      if (signal?.aborted || this.nextAt > deadline) return false
      const wait = this.nextAt - clock.now()
      if (wait > 0) await clock.sleep(wait, signal)
      if (signal?.aborted) return false
      // Woken too late for this turn (follow-schedule.ts, missedTurn): the next one, once.
      if (late > 0 || !missedTurn(this.nextAt, clock.now(), this.turns)) break
      this.readFrom(clock.now())
    }
    this.lastAt = clock.now()
    this.used = this.tick
    this.readFrom(this.lastAt + this.minGapMs)
    return true
  }

  /** The read was throttled (or failed in passing): back off before the next. */
  throttled(): void {
    this.backoffMs = backoffAfterThrottle(
      this.backoffMs,
      Math.max(2 * this.intervalMs, BACKOFF_BASE_MS),
      BACKOFF_CAP_MS
    )
    const gap = Math.max(this.minGapMs, this.backoffMs * (0.5 + this.deps.random()))
    this.readFrom(this.lastAt + Math.round(gap))
  }

  /** The read was answered: recover slowly. */
  answered(): void {
    this.backoffMs = backoffAfterAnswer(this.backoffMs, this.intervalMs, RECOVERY)
  }
}
