/**
 * A client-side budget of calls: a token bucket on the injected clock. The launch budget spends
 * at most `launch-rate` RunTask calls per second, and the stop budget STOP_RATE StopTask calls,
 * of the account's shared ECS bucket
 * (RunTask/StartTask/StopTask: 100 burst, 40 per second; Fargate: 20 RunTask calls per second,
 * docs/limits.md, "Token buckets" and "Fargate") and never starves the account's other users.
 *
 * It is kept as a theoretical arrival time (the "generic cell rate algorithm"), not a
 * fractional token count, so the times it grants are exact: at 10 per second with a burst of
 * 1 they are 0, 100, 200 ... ms, with no rounding drift.
 */
import type { Clock } from '../util/clock.js'

export interface TokenBucketOptions {
  /** Tokens added per second (> 0). */
  ratePerSecond: number
  /** Tokens the bucket holds when full: the largest burst (>= 1; default 1). */
  burst?: number
  /**
   * Clock ms of the first token (default now, full at start). Later: the bucket is empty until
   * then and fills from then on, so no burst waits behind the gate (a spread first call,
   * src/model/run-task-pacing.ts).
   */
  firstAt?: number
}

export class TokenBucket {
  /** Milliseconds between tokens. */
  private readonly intervalMs: number
  /** How far ahead of now the arrival time may run: (burst - 1) intervals. */
  private readonly toleranceMs: number
  /** When the bucket is next empty-and-refilled by one token (the theoretical arrival time). */
  private tat: number
  /** Takers wait in line: a token goes to the one that asked first. */
  private line: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly clock: Clock,
    options: TokenBucketOptions
  ) {
    if (!(options.ratePerSecond > 0)) {
      throw new Error(`TokenBucket: ratePerSecond must be > 0, got ${options.ratePerSecond}`)
    }
    const burst = Math.max(1, Math.floor(options.burst ?? 1))
    this.intervalMs = 1000 / options.ratePerSecond
    this.toleranceMs = (burst - 1) * this.intervalMs
    // Full at start, or empty until firstAt.
    const firstAt = options.firstAt ?? clock.now()
    this.tat = firstAt > clock.now() ? firstAt + this.toleranceMs : clock.now()
  }

  /**
   * Waits for a token, in the order of the calls. Resolves true with the token taken, or false
   * as soon as `signal` aborts (no token is taken then).
   */
  take(signal?: AbortSignal): Promise<boolean> {
    const mine = this.line.then(() => this.takeNow(signal))
    this.line = mine
    return mine
  }

  /** Milliseconds until a token is free (0: one is free now). */
  waitMs(): number {
    const now = this.clock.now()
    return Math.max(0, Math.max(this.tat, now) - this.toleranceMs - now)
  }

  private async takeNow(signal: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false
      const wait = this.waitMs()
      if (wait <= 0) {
        this.tat = Math.max(this.tat, this.clock.now()) + this.intervalMs
        return true
      }
      await this.clock.sleep(wait, signal)
    }
  }
}
