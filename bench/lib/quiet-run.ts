/**
 * The simulated clock and the quiet logger of the benches that drive a task set in one process
 * (bench/fanout.ts, bench/retry.ts).
 */
import { systemClock, type Clock } from '../../src/util/clock.js'
import type { Logger } from '../../src/util/logger.js'

/** Simulated time: `scale` real ms per simulated ms. */
export function scaledClock(scale: number): Clock {
  const realStart = Date.now()
  return {
    now: () => realStart + (Date.now() - realStart) / scale,
    sleep: (ms, signal) => systemClock.sleep(ms * scale, signal)
  }
}

/** Counts log lines; prints notices, warnings and errors only. */
export function quietLogger(): Logger & { counts: Record<string, number> } {
  const counts: Record<string, number> = {}
  const count =
    (level: string, print: boolean) =>
    (m: string): void => {
      counts[level] = (counts[level] ?? 0) + 1
      if (print) process.stderr.write(`${level}: ${m}\n`)
    }
  return {
    counts,
    debug: count('debug', false),
    info: count('info', false),
    notice: count('notice', true),
    warning: count('warning', true),
    error: count('error', true),
    group: (_name, fn) => fn()
  }
}
