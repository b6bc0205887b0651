/**
 * Runs job processes for the demo and the benchmark: the action's bundle through
 * sim/action-runner.ts (exactly as the runner starts it), or any Node script, each with its own
 * `AWS_SDK_UA_APP_ID` so the recording proxy can attribute its requests. How a job ended comes
 * from its process exit code, its outputs (the GITHUB_OUTPUT file) and the answers the recording
 * proxy saw it get, never from the words it logs: rewording a log line changes no figure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCommandFile, runAction, runNode, type MatrixPlace } from '../../sim/action-runner.js'
import type { RecordedRequest } from './proxy.js'

/**
 * How much nicer than the bench its job processes run (`nice -n`). The simulator, the S3 server and the recording proxies run in
 * the bench's own process and stand for AWS, which no runner takes CPU from: at one priority, 60
 * job processes loading on two cores starved them, and requests sent apart were taken in one
 * burst (in the follow bench, reads sent on their ticks 0.25 s apart, 19 within 0.2 s, in the
 * order they were sent), which AWS would have seen apart. The jobs still compete with each other.
 */
export const JOB_NICE = 10

/** What one job process did. */
export interface JobOutcome {
  /** The job's id: its `AWS_SDK_UA_APP_ID` and RunTask `startedBy`. */
  id: string
  exitCode: number | null
  /** Epoch ms just before the process was spawned. */
  startedAt: number
  /** Epoch ms when the process ended. */
  endedAt: number
  maxRssBytes?: number
  stdout: string
  stderr: string
  /** What the job wrote to GITHUB_OUTPUT. */
  outputs: Record<string, string>
}

/** How a job ended, as the bench and the demo count it. */
export interface JobEnd {
  /** The task's exit code from the job's `exit-code` output; undefined without one. */
  taskExitCode?: number
  /** Epoch ms of the first answer that told the job its task stopped (see stopSeenAt). */
  noticedAt?: number
  /** The step succeeded, the task exited 0, and the job saw it stop. */
  ok: boolean
}

/** The `exit-code` output as a number; undefined when absent or empty. */
export function taskExitCode(outputs: Readonly<Record<string, string>>): number | undefined {
  const raw = outputs['exit-code']
  return raw === undefined || raw === '' ? undefined : Number(raw)
}

/**
 * When a job first got an answer saying its task stopped: the earliest `answeredAt` of its
 * requests marked `sawStop` (a stopped.json read that answered 200, or a DescribeTasks answer
 * with the task STOPPED); undefined when none did.
 */
export function stopSeenAt(requests: readonly RecordedRequest[]): number | undefined {
  let first: number | undefined
  for (const r of requests) {
    if (!r.sawStop || r.answeredAt === undefined) continue
    if (first === undefined || r.answeredAt < first) first = r.answeredAt
  }
  return first
}

/** A job's end from its outcome and the requests the proxies recorded for it (any service). */
export function jobEnd(o: JobOutcome, requests: readonly RecordedRequest[]): JobEnd {
  const code = taskExitCode(o.outputs)
  const noticedAt = stopSeenAt(requests)
  return {
    ...(code !== undefined ? { taskExitCode: code } : {}),
    ...(noticedAt !== undefined ? { noticedAt } : {}),
    ok: o.exitCode === 0 && code === 0 && noticedAt !== undefined
  }
}

/** Runs dist/index.js as one job. */
export async function runActionJob(options: {
  id: string
  inputs: Record<string, string>
  env: Record<string, string>
  cwd: string
  killAfterMs?: number
  /** The job's place in its matrix, whose strategy values the runner gives it. */
  strategy?: MatrixPlace
}): Promise<JobOutcome> {
  const result = await runAction({
    inputs: options.inputs,
    ...(options.strategy ? { strategy: options.strategy } : {}),
    env: { ...options.env, AWS_SDK_UA_APP_ID: options.id },
    cwd: options.cwd,
    killAfterMs: options.killAfterMs,
    nice: JOB_NICE
  })
  return {
    id: options.id,
    exitCode: result.exitCode,
    startedAt: result.startedAt,
    endedAt: result.startedAt + result.durationMs,
    maxRssBytes: result.maxRssBytes,
    stdout: result.stdout,
    stderr: result.stderr,
    outputs: result.outputs
  }
}

/**
 * Runs `node <script>` as one job, with the same bookkeeping as runActionJob: a GITHUB_OUTPUT
 * file of its own, read back as its outputs.
 */
export async function runScriptJob(options: {
  id: string
  script: string
  args?: string[]
  env: Record<string, string>
  cwd: string
  killAfterMs?: number
}): Promise<JobOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-job-'))
  const outputFile = join(dir, 'output')
  writeFileSync(outputFile, '')
  try {
    const { exitCode, stdout, stderr, startedAt, durationMs, maxRssBytes } = await runNode({
      script: options.script,
      args: options.args,
      env: { ...options.env, AWS_SDK_UA_APP_ID: options.id, GITHUB_OUTPUT: outputFile },
      cwd: options.cwd,
      killAfterMs: options.killAfterMs ?? 600_000,
      nice: JOB_NICE
    })
    return {
      id: options.id,
      exitCode,
      startedAt,
      endedAt: startedAt + durationMs,
      maxRssBytes,
      stdout,
      stderr,
      outputs: parseCommandFile(readFileSync(outputFile, 'utf8'))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
