/**
 * The timing and wording rules of a task set, in one place (pure): how long RunTask may retry
 * for capacity, how long to watch after StopTask, how fast to stop, and what StopTask says.
 */
import type { HaltReason, StoppingHalt } from '../model/outcome.js'

/** How long one RunTask call may retry capacity failures when no `timeout` is given. */
export const DEFAULT_START_SECONDS = 600

/**
 * How long to keep watching for the ends of stopped tasks after the last StopTask call: on a
 * cancel the runner sends SIGTERM 7.5 s after SIGINT (docs/limits.md, "GitHub Actions"); on a
 * timeout there is time to see how the tasks ended.
 */
export const CANCEL_CONFIRM_MS = 4_000
export const TIMEOUT_CONFIRM_MS = 60_000

/**
 * StopTask pace when a task set halts. A cancelled job has 7.5 s before SIGTERM and 10 s before
 * it is killed (docs/limits.md, "GitHub Actions"), so stops go faster than launches: 50 at
 * once, then 25 a second, within the account's RunTask/StopTask bucket (100 burst, 40 a second,
 * docs/limits.md, "ECS API") that this job's own launches no longer draw on once it halts.
 * About 230 tasks are stopped within 7.5 s; the post step stops any left.
 */
export const STOP_RATE = { ratePerSecond: 25, burst: 50 }

/**
 * Until when RunTask may retry capacity failures, for a call made at `now`: the `timeout`
 * (counted from when the set began) when one is given, else DEFAULT_START_SECONDS from now.
 */
export function startDeadline(
  now: number,
  run: { startedAt: number; timeoutSeconds?: number }
): number {
  return run.timeoutSeconds !== undefined
    ? run.startedAt + run.timeoutSeconds * 1000
    : now + DEFAULT_START_SECONDS * 1000
}

/** The StopTask reason of each halt, naming the workflow run (ECS shows it as stoppedReason). */
export function stopReasons(options: {
  timeoutSeconds?: number
  runUrl: string
}): Record<StoppingHalt, string> {
  const why = (text: string): string =>
    `Stopped by hako-oneshot-action: ${text} (${options.runUrl})`
  return {
    'fail-fast': why('another task of this job failed (fail-fast)'),
    cancelled: why('the workflow run was cancelled'),
    'timed-out': why(
      options.timeoutSeconds === undefined
        ? 'the timeout was reached'
        : `the timeout of ${options.timeoutSeconds}s was reached`
    ),
    'wait-error': why('the action could not wait for it')
  }
}

/**
 * How long after the last StopTask call of a halt the set keeps watching for the ends of its
 * tasks: Infinity (every end) after fail-fast or a start error; 0 when the tasks are left
 * running or nothing can watch any more (the wait failed).
 */
export function confirmWindowMs(halt: HaltReason, stopping: boolean): number {
  if (halt === 'fail-fast' || halt === 'start-error') return Infinity
  if (!stopping || halt === 'wait-error') return 0
  return halt === 'cancelled' ? CANCEL_CONFIRM_MS : TIMEOUT_CONFIRM_MS
}
