/**
 * Runs the bundle (`dist/index.js`, see BUNDLE) as a child process exactly as the runner does:
 * inputs as `INPUT_*` variables, and the `GITHUB_OUTPUT`, `GITHUB_STATE` and
 * `GITHUB_STEP_SUMMARY` files. Used by the end-to-end tests, `npm run demo` and the benchmark.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { getPriority, setPriority, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * The bundle: `dist/index.js`, or the one named by HAKO_ONESHOT_BUNDLE (the test setup,
 * __tests__/setup/bundle.js, builds the current sources there for the e2e tests).
 */
export const BUNDLE = process.env.HAKO_ONESHOT_BUNDLE
  ? resolve(process.env.HAKO_ONESHOT_BUNDLE)
  : resolve(import.meta.dirname, '..', 'dist', 'index.js')

export interface ActionRun {
  /** Action inputs by name (`definition`, `mode`, ...). */
  inputs: Record<string, string>
  /** Extra environment (the simulator's AWS_* variables, GITHUB_* context). */
  env?: Record<string, string>
  /** Working directory (relative definition paths resolve from here). */
  cwd?: string
  /** State from the main step, for the post step (`STATE_*` variables). */
  state?: Record<string, string>
  /** Sends this signal once `when` says so (checked on every output chunk), e.g. SIGINT mid-wait. */
  signal?: { name: NodeJS.Signals; when: (stdout: string) => boolean }
  /** Kills the process after this many ms (a safety net; default 120 s). */
  killAfterMs?: number
  /** Called with the whole stdout so far on every chunk (e.g. to timestamp a log line). */
  onStdout?: (stdout: string) => void
  /**
   * The job's place in its matrix (default: a job outside a matrix, index 0 of 1). The runner
   * evaluates action.yml's `${{ strategy.* }}` input defaults with it (docs/limits.md, "The
   * strategy context in input defaults"), so every job gets `INPUT_JOB-INDEX`,
   * `INPUT_JOB-TOTAL` and `INPUT_JOB-MAX-PARALLEL`; `inputs` given by name still win.
   */
  strategy?: MatrixPlace
  /** The bundle to run (default BUNDLE), e.g. a baseline's for a before/after benchmark. */
  bundle?: string
  /** How much nicer than the caller the process runs (NodeRun.nice). */
  nice?: number
}

/** The strategy context of one job: its index (from 0), the matrix's jobs, and how many at once. */
export interface MatrixPlace {
  jobIndex: number
  jobTotal: number
  /** The matrix's max-parallel; default all of its jobs. */
  maxParallel?: number
}

/** The strategy inputs as the runner sets them from action.yml's defaults. */
export function strategyInputs(
  place: MatrixPlace = { jobIndex: 0, jobTotal: 1 }
): Record<string, string> {
  return {
    'job-index': String(place.jobIndex),
    'job-total': String(place.jobTotal),
    'job-max-parallel': String(place.maxParallel ?? place.jobTotal)
  }
}

export interface ActionResult {
  exitCode: number | null
  stdout: string
  stderr: string
  /** Outputs written to GITHUB_OUTPUT. */
  outputs: Record<string, string>
  /** State written to GITHUB_STATE. */
  state: Record<string, string>
  /** The job summary written to GITHUB_STEP_SUMMARY. */
  summary: string
  /** Wall time of the process, ms. */
  durationMs: number
  /** Peak resident set size of the child, bytes (from the kernel's accounting). */
  maxRssBytes?: number
  /** When the signal was sent (epoch ms), if it was. */
  signalledAt?: number
  startedAt: number
}

/** Parses the GITHUB_OUTPUT / GITHUB_STATE file format (`name<<delimiter` blocks). */
export function parseCommandFile(text: string): Record<string, string> {
  const result: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name = '', delimiter] = heredoc
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '')
      result[name] = value.join('\n')
    } else if (line.includes('=')) {
      result[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return result
}

/** `INPUT_<NAME>` as the runner sets it: upper case, spaces to underscores, dashes kept. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/**
 * A fresh folder with the empty command files the runner gives a step (GITHUB_OUTPUT,
 * GITHUB_STATE, GITHUB_STEP_SUMMARY), as env values by name.
 */
export function commandFiles(prefix: string): {
  dir: string
  files: { GITHUB_OUTPUT: string; GITHUB_STATE: string; GITHUB_STEP_SUMMARY: string }
} {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary')
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  return { dir, files }
}

export async function runAction(run: ActionRun): Promise<ActionResult> {
  const { dir, files } = commandFiles('action-run-')
  const env: Record<string, string> = {
    ...files,
    RUNNER_TEMP: dir,
    ...run.env
  }
  const inputs = { ...strategyInputs(run.strategy), ...run.inputs }
  for (const [name, value] of Object.entries(inputs)) env[inputVariable(name)] = value
  for (const [name, value] of Object.entries(run.state ?? {})) env[`STATE_${name}`] = value

  let signalledAt: number | undefined
  const ran = await runNode({
    script: run.bundle ?? BUNDLE,
    env,
    cwd: run.cwd ?? process.cwd(),
    killAfterMs: run.killAfterMs ?? 120_000,
    nice: run.nice,
    onStdout: (stdout, kill) => {
      run.onStdout?.(stdout)
      if (run.signal && signalledAt === undefined && run.signal.when(stdout)) {
        signalledAt = Date.now()
        kill(run.signal.name)
      }
    }
  })
  const { exitCode, stdout, stderr, durationMs, maxRssBytes, startedAt } = ran
  const result: ActionResult = {
    exitCode,
    stdout,
    stderr,
    outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state: parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    durationMs,
    maxRssBytes,
    signalledAt,
    startedAt
  }
  rmSync(dir, { recursive: true, force: true })
  return result
}

/** One `node <script>` child process to run. */
export interface NodeRun {
  script: string
  args?: string[]
  /** The child's whole environment, beside PATH and HOME. */
  env: Record<string, string>
  cwd: string
  /** Kills the process after this many ms. */
  killAfterMs: number
  /** Called with the whole stdout so far on every chunk, and a way to signal the child. */
  onStdout?: (stdout: string, kill: (signal: NodeJS.Signals) => void) => void
  /**
   * How much nicer than the caller the child runs, as `nice -n` (default 0; the result is capped
   * at 19). A benchmark that runs the simulator in its own process gives many job processes a
   * higher nice value, so they cannot starve the simulator: AWS does not share a CPU with its
   * callers, and a starved simulator holds requests sent apart and takes them in one burst.
   */
  nice?: number
}

export interface NodeResult {
  exitCode: number | null
  stdout: string
  stderr: string
  /** Epoch ms just before the spawn. */
  startedAt: number
  durationMs: number
  /** Peak resident set size of the child, bytes (VmHWM, sampled every 100 ms). */
  maxRssBytes?: number
}

/** Peak resident set (VmHWM) of a live process, bytes; undefined once it is gone or off Linux. */
export function peakRss(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb ? Number(kb) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** Runs `node <script>` to its end, sampling its peak memory. */
export async function runNode(run: NodeRun): Promise<NodeResult> {
  const startedAt = Date.now()
  const child = spawn(process.execPath, [run.script, ...(run.args ?? [])], {
    cwd: run.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...run.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  if (run.nice !== undefined && child.pid !== undefined) {
    setPriority(child.pid, Math.min(19, getPriority() + run.nice))
  }
  let stdout = ''
  let stderr = ''
  const kill = (signal: NodeJS.Signals): void => {
    child.kill(signal)
  }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    run.onStdout?.(stdout, kill)
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const killer = setTimeout(() => child.kill('SIGKILL'), run.killAfterMs)
  // VmHWM is the process's peak resident set so far; the last reading before exit is its peak.
  let maxRssBytes: number | undefined
  const sampler = setInterval(() => {
    const rss = peakRss(child.pid)
    if (rss !== undefined) maxRssBytes = Math.max(maxRssBytes ?? 0, rss)
  }, 100)
  const exitCode = await new Promise<number | null>((resolveExit) =>
    child.on('close', (code) => resolveExit(code))
  )
  clearTimeout(killer)
  clearInterval(sampler)
  return { exitCode, stdout, stderr, startedAt, durationMs: Date.now() - startedAt, maxRssBytes }
}

/** Runs the post step of a finished main step, with the state it saved. */
export async function runPost(
  main: ActionResult,
  run: Omit<ActionRun, 'state' | 'signal'>
): Promise<ActionResult> {
  return runAction({ ...run, state: main.state })
}
