/**
 * The deadline every task carries as its `hako-oneshot:deadline` tag, so that the notifier
 * stack's sweeper (notifier/sweeper.ts) can stop a task whose runner is gone: ECS itself has no
 * maximum run time for a task (docs/deadlines.md, "No run time limit in ECS").
 */

/** The tag key; the sweeper reads the same key (notifier/sweeper.ts, `DEADLINE_TAG`). */
export const DEADLINE_TAG = 'hako-oneshot:deadline'

/**
 * Seconds added to the action's own limit (`timeout`, or a GitHub-hosted job's 6 hours) before
 * the sweeper may act, so the action's own StopTask always comes first: at its timeout the
 * action stops a set of 1,000 tasks within about 40 s (50 at once, then 25 a second,
 * src/tasks/start-and-stop-rules.ts `STOP_RATE`), and a cancelled job's post step gets its turn after the
 * runner's signals (docs/deadlines.md, "Which deadline a task gets").
 */
export const DEADLINE_MARGIN_SECONDS = 300

/** A job on a GitHub-hosted runner ends after at most 6 hours (docs/deadlines.md, "GitHub's job limit"). */
export const HOSTED_JOB_LIMIT_SECONDS = 6 * 3600

/** What decides a task's deadline. */
export interface DeadlineSource {
  /** Epoch ms when the action began the run (the `timeout` counts from about then). */
  now: number
  /** Input `timeout`, seconds: the action stops the task itself then. */
  timeoutSeconds?: number
  /** Input `max-run-time`, seconds: the longest the task may run if nothing else stops it. */
  maxRunTimeSeconds?: number
  /** Input `wait`: false leaves the task running on purpose, past the job's end. */
  wait: boolean
  /** The process environment (`RUNNER_ENVIRONMENT`). */
  env: NodeJS.ProcessEnv
}

/**
 * The task's deadline in epoch seconds (UTC), or undefined for none: the first of `timeout`
 * (while the action waits, plus the margin), `max-run-time` (no margin), a GitHub-hosted job's
 * 6 hours (while the action waits, plus the margin), and none (docs/deadlines.md, "Which
 * deadline a task gets"). `now` is the set's start; a `max-run-time` deadline counts from each
 * attempt's own RunTask instead (`perAttemptSeconds`, `withAttemptDeadline`).
 */
export function taskDeadline(source: DeadlineSource): number | undefined {
  // Rounded up, so the tag never names a second before the limit it stands for.
  const start = Math.ceil(source.now / 1000)
  if (source.wait && source.timeoutSeconds !== undefined) {
    return start + source.timeoutSeconds + DEADLINE_MARGIN_SECONDS
  }
  if (source.maxRunTimeSeconds !== undefined) return start + source.maxRunTimeSeconds
  if (source.wait && source.env.RUNNER_ENVIRONMENT?.trim() === 'github-hosted') {
    return start + HOSTED_JOB_LIMIT_SECONDS + DEADLINE_MARGIN_SECONDS
  }
  return undefined
}

/**
 * The seconds each attempt's deadline counts from its own RunTask, when the `max-run-time` rule
 * is the one that decides (as AWS Batch's attempt timeout: a retry or a task a queue starts late
 * gets its whole run time); undefined when the deadline is the set's (`timeout`, the hosted
 * limit) or there is none.
 */
export function perAttemptSeconds(source: Omit<DeadlineSource, 'now'>): number | undefined {
  if (source.wait && source.timeoutSeconds !== undefined) return undefined
  return source.maxRunTimeSeconds
}

/**
 * The request with its deadline tag set to `launchedAt` (epoch ms, rounded up to the second) +
 * `seconds`: called for each RunTask (src/tasks/launcher.ts). The tag keeps its place; a request
 * without the tag is returned as it is. The plan gives `seconds` only when the tag is the
 * action's own, never over a `tags` entry of the user's with the same key (src/plan.ts).
 */
export function withAttemptDeadline<T extends { tags?: { key?: string; value?: string }[] }>(
  request: T,
  launchedAt: number,
  seconds: number | undefined
): T {
  if (seconds === undefined || !request.tags?.some((t) => t.key === DEADLINE_TAG)) return request
  const value = String(Math.ceil(launchedAt / 1000) + seconds)
  return {
    ...request,
    tags: request.tags.map((t) => (t.key === DEADLINE_TAG ? { ...t, value } : t))
  }
}
