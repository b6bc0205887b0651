/**
 * Time as a dependency: the action's logic never reads the wall clock or sleeps on its own,
 * so tests pass a fake clock and assert exact schedules without waiting.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /**
   * Resolves after `ms` milliseconds, or early (without throwing) when `signal` aborts.
   * Callers check `signal.aborted` afterwards.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** A source of uniformly distributed numbers in [0, 1), like Math.random. */
export type Random = () => number

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve()
        return
      }
      const onAbort = (): void => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        Math.max(0, ms)
      )
      signal?.addEventListener('abort', onAbort, { once: true })
    })
}
