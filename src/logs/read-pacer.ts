/**
 * Paces a task's reads at the stop (the drain, the tail) within its share of GetLogEvents
 * (logs-quota.ts), and backs off throttled answers without giving up before a deadline.
 *
 * - **The share.** Two reads are at least `interval = 1000 / share` apart, lengthened by up to
 *   half (`interval × (1 + r / 2)`, r uniform in [0, 1)), so a task never reads faster than its
 *   share and tasks that stop together drift apart.
 * - **The first read.** It comes anywhere in the first `min(interval, FIRST_SPREAD_MS)`: tasks
 *   stopping in the same instant do not all send theirs in it, and a stopped task's job does not
 *   wait a whole interval of a wide fan-out for its last lines. Live reads have ended by then,
 *   so this one read stays within what the task was spending.
 * - **Throttling (AIMD on top).** CloudWatch Logs' quota is the account's, shared with readers
 *   this fan-out knows nothing of. Each ThrottlingException (or transient failure) doubles a
 *   backoff, from `max(2 × interval, BACKOFF_BASE_MS)` up to BACKOFF_CAP_MS, and the next read
 *   waits `max(interval, backoff × (0.5 + r))`; each answer takes a fifth off, and below the
 *   interval it is gone. Nothing gives up: `turn` answers false only when the next read would
 *   come after the deadline (or the signal aborts), and the caller then says how far it got.
 */
import type { Clock, Random } from '../util/clock.js'

/** How long reads at the stop (the drain, a tail) may go on by default, throttled or not. */
export const READ_DEADLINE_MS = 60_000
/** The first read comes within this much at most (less when the share allows a read sooner). */
export const FIRST_SPREAD_MS = 500
/** The first backoff after a throttled answer is at least this long. */
export const BACKOFF_BASE_MS = 500
/** The longest backoff. */
export const BACKOFF_CAP_MS = 16_000
/** What one good answer leaves of the backoff. */
const RECOVERY = 0.8

/** Paces one task's reads; see the module comment. */
export class ReadPacer {
  private nextAt: number
  private lastAt: number
  private backoffMs = 0
  /** Milliseconds between two reads at the share. */
  readonly intervalMs: number

  /** `perSecond`: the task's share (or a job's, for a set's tails). */
  constructor(
    private readonly deps: { clock: Clock; random: Random },
    perSecond: number
  ) {
    this.intervalMs = 1000 / Math.max(perSecond, Number.MIN_VALUE)
    const now = deps.clock.now()
    this.lastAt = now
    this.nextAt = now + Math.floor(deps.random() * Math.min(this.intervalMs, FIRST_SPREAD_MS))
  }

  /** The current backoff in ms (0: none). */
  get backoff(): number {
    return this.backoffMs
  }

  /**
   * Waits for the next read. True: read now. False: the next read would come after `deadline`
   * (clock ms), or `signal` aborted; nothing was waited for in the first case.
   */
  async turn(deadline: number, signal?: AbortSignal): Promise<boolean> {
    const { clock, random } = this.deps
    if (signal?.aborted || this.nextAt > deadline) return false
    const wait = this.nextAt - clock.now()
    if (wait > 0) await clock.sleep(wait, signal)
    if (signal?.aborted) return false
    this.lastAt = clock.now()
    this.nextAt = this.lastAt + Math.round(this.intervalMs * (1 + random() / 2))
    return true
  }

  /** The read was throttled (or failed in passing): back off before the next. */
  throttled(): void {
    const { random } = this.deps
    this.backoffMs = Math.min(
      BACKOFF_CAP_MS,
      this.backoffMs === 0 ? Math.max(2 * this.intervalMs, BACKOFF_BASE_MS) : 2 * this.backoffMs
    )
    const gap = Math.max(this.intervalMs, this.backoffMs * (0.5 + random()))
    this.nextAt = Math.max(this.nextAt, this.lastAt + Math.round(gap))
  }

  /** The read was answered: recover slowly. */
  answered(): void {
    const lowered = this.backoffMs * RECOVERY
    this.backoffMs = lowered <= this.intervalMs ? 0 : Math.round(lowered)
  }
}
