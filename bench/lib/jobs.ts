/**
 * Runs job processes for the demo and the benchmark: the action's bundle through
 * sim/action-runner.ts (exactly as the runner starts it), or any Node script, each with its own
 * `AWS_SDK_UA_APP_ID` so the recording proxy can attribute its requests, and the time its log
 * says it saw the task stop.
 */
import { runAction, runNode, type ActionResult } from '../../sim/action-runner.js'

/**
 * The lines the action prints when its wait sees the stop: the S3 waiter's
 * `Task <id> stopped at ...` (or, when its verify check finds the stop first, `ECS reports task
 * <id> STOPPED ...`) and the DescribeTasks waiter's `Task <id> is STOPPED`; the bench's
 * SDK-waiter script prints the latter too.
 */
export const STOP_LINE = /(?:Task \S+ (?:stopped\b|is STOPPED)|ECS reports task \S+ STOPPED)/

/** What one job process did. */
export interface JobOutcome {
  /** The job's id: its `AWS_SDK_UA_APP_ID` and RunTask `startedBy`. */
  id: string
  exitCode: number | null
  /** Epoch ms just before the process was spawned. */
  startedAt: number
  /** Epoch ms when its stdout first showed STOP_LINE; undefined if it never did. */
  noticedAt?: number
  /** Epoch ms when the process ended. */
  endedAt: number
  maxRssBytes?: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
}

/** Watches a growing stdout for STOP_LINE; returns the time it first appeared. */
export function stopWatcher(): { check(stdout: string): void; noticedAt(): number | undefined } {
  let noticed: number | undefined
  let from = 0
  return {
    check(stdout) {
      if (noticed !== undefined) return
      // Only the text not looked at yet (plus a line's worth of overlap for split chunks).
      if (STOP_LINE.test(stdout.slice(Math.max(0, from - 200)))) noticed = Date.now()
      from = stdout.length
    },
    noticedAt: () => noticed
  }
}

/** Runs dist/index.js as one job. */
export async function runActionJob(options: {
  id: string
  inputs: Record<string, string>
  env: Record<string, string>
  cwd: string
  killAfterMs?: number
}): Promise<JobOutcome> {
  const watcher = stopWatcher()
  const result: ActionResult = await runAction({
    inputs: options.inputs,
    env: { ...options.env, AWS_SDK_UA_APP_ID: options.id },
    cwd: options.cwd,
    killAfterMs: options.killAfterMs,
    onStdout: (stdout) => watcher.check(stdout)
  })
  return {
    id: options.id,
    exitCode: result.exitCode,
    startedAt: result.startedAt,
    noticedAt: watcher.noticedAt(),
    endedAt: result.startedAt + result.durationMs,
    maxRssBytes: result.maxRssBytes,
    stdout: result.stdout,
    stderr: result.stderr,
    outputs: result.outputs
  }
}

/** Runs `node <script>` as one job, with the same bookkeeping as runActionJob. */
export async function runScriptJob(options: {
  id: string
  script: string
  args?: string[]
  env: Record<string, string>
  cwd: string
  killAfterMs?: number
}): Promise<JobOutcome> {
  const watcher = stopWatcher()
  const { exitCode, stdout, stderr, startedAt, durationMs, maxRssBytes } = await runNode({
    script: options.script,
    args: options.args,
    env: { ...options.env, AWS_SDK_UA_APP_ID: options.id },
    cwd: options.cwd,
    killAfterMs: options.killAfterMs ?? 600_000,
    onStdout: (out) => watcher.check(out)
  })
  return {
    id: options.id,
    exitCode,
    startedAt,
    noticedAt: watcher.noticedAt(),
    endedAt: startedAt + durationMs,
    maxRssBytes,
    stdout,
    stderr,
    outputs: {}
  }
}
