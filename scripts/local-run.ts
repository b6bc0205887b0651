/**
 * `npm run -s local -- <definition> [input=value ...]`: one real run of the action on this
 * machine, without AWS. Starts the ECS simulator and the S3 server (sim/), runs the bundle
 * (`dist/index.js`) as the runner does (inputs as `INPUT_*` variables, the notification prefix
 * of the simulator, fresh `GITHUB_OUTPUT`, `GITHUB_STATE` and `GITHUB_STEP_SUMMARY` files),
 * then the post step with the state the main step saved, prints the outputs, and stops
 * everything it started: also on Ctrl-C, which reaches the action as SIGINT, as a cancel does.
 */
import { spawn } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { BUNDLE, commandFiles, inputVariable, parseCommandFile } from '../sim/action-runner.js'
import { startLocalAws, type LocalAws } from '../sim/index.js'

const USAGE = `Usage: npm run -s local -- <definition> [input=value ...] [options]

Runs the action once against a local ECS simulator and S3 server, then its post step, prints
the outputs, and stops everything it started (Ctrl-C cancels the run as the runner would).

  <definition>             the hako definition (its scheduler.region should be ap-northeast-1,
                           the simulator's, or pass region=...)
  input=value              any action input, e.g. 'command=sh -c "exit 3"' or
                           env=SIM_RUN_SECONDS=20 (sim/README.md scripts a task with SIM_*)
  --time-scale <x>         real seconds per simulated second (default 1; 0.1 = ten times faster)
  --keep                   keep the GITHUB_OUTPUT/STATE/STEP_SUMMARY folder and print its path
  --debug                  show the action's ::debug:: lines (the runner hides them)
  --help

The simulator's notification prefix is passed as notification-prefix unless you give one.
The exit status is the main step's: 0 when the task exited 0 (or fail-on-error is false).
`

/** The parsed command line. */
export interface LocalRunOptions {
  /** The definition's path. */
  definition: string
  /** Action inputs by name, from `name=value` arguments. */
  inputs: Record<string, string>
  /** Real seconds per simulated second. */
  timeScale: number
  /** Keep the folder of the command files. */
  keep: boolean
  /** Show the action's ::debug:: lines. */
  debug: boolean
}

/** Parses `<definition> [name=value ...] [--time-scale x] [--keep]`; throws with the problem. */
export function parseLocalRunArgs(argv: string[]): LocalRunOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'time-scale': { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  })
  if (values.help) return 'help'
  const [definition, ...assignments] = positionals
  if (!definition) throw new Error('name the definition, e.g. __fixtures__/e2e/oneshot.yml')
  const inputs: Record<string, string> = { definition }
  for (const assignment of assignments) {
    const at = assignment.indexOf('=')
    if (at <= 0) throw new Error(`an input is name=value, got '${assignment}'`)
    inputs[assignment.slice(0, at)] = assignment.slice(at + 1)
  }
  const timeScale = Number(values['time-scale'])
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new Error(`--time-scale must be a positive number, got '${values['time-scale']}'`)
  }
  return { definition, inputs, timeScale, keep: values.keep, debug: values.debug }
}

function say(line: string): void {
  process.stderr.write(`[local] ${line}\n`)
}

/**
 * Runs `node <bundle>` with `env`, its output passed through as it comes; resolves with its
 * exit status. `cancel` is how the caller forwards a Ctrl-C: SIGINT now, then SIGTERM 7.5 s and
 * SIGKILL 10 s later if it is still running, the runner's own timing (docs/limits.md, "Cancel
 * timing").
 */
function runStep(
  env: Record<string, string>,
  debug: boolean
): {
  exited: Promise<number>
  cancel: () => void
} {
  const child = spawn(process.execPath, [BUNDLE], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  // The runner hides ::debug:: lines unless debug logging is on; so does this.
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity })
  lines.on('line', (line) => {
    if (debug || !line.startsWith('::debug::')) process.stdout.write(`${line}\n`)
  })
  const closed = new Promise<void>((resolve) => lines.once('close', resolve))
  const timers: NodeJS.Timeout[] = []
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => {
      for (const timer of timers) clearTimeout(timer)
      void closed.then(() => resolve(code ?? (signal === 'SIGKILL' ? 137 : 130)))
    })
  })
  let cancelled = false
  const cancel = (): void => {
    if (cancelled) return
    cancelled = true
    child.kill('SIGINT')
    timers.push(setTimeout(() => child.kill('SIGTERM'), 7_500))
    timers.push(setTimeout(() => child.kill('SIGKILL'), 10_000))
  }
  return { exited, cancel }
}

/** One quoted output line: `name: value`, a multi-line value shown as JSON. */
export function outputLine(name: string, value: string): string {
  return `${name}: ${value.includes('\n') ? JSON.stringify(value) : value}`
}

async function main(): Promise<number> {
  let options: LocalRunOptions | 'help'
  try {
    options = parseLocalRunArgs(process.argv.slice(2))
  } catch (error) {
    process.stderr.write(`local: ${error instanceof Error ? error.message : String(error)}\n\n`)
    process.stderr.write(USAGE)
    return 2
  }
  if (options === 'help') {
    process.stdout.write(USAGE)
    return 0
  }

  const { dir, files } = commandFiles('hako-oneshot-local-')

  let local: LocalAws | undefined
  let step: ReturnType<typeof runStep> | undefined
  let interrupted = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!interrupted) say(`${signal}: cancelling the run as the runner would`)
    interrupted = true
    step?.cancel()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    local = await startLocalAws({ timeScale: options.timeScale })
    say(`ECS + CloudWatch Logs ${local.ecsEndpoint}, S3 ${local.s3Endpoint}`)
    say(`notification prefix ${local.prefix}`)
    if (interrupted) return 130
    const inputs = { 'notification-prefix': local.prefix, ...options.inputs }
    const env: Record<string, string> = { ...local.env, ...files, RUNNER_TEMP: dir }
    // Hyphenated names such as INPUT_NOTIFICATION-PREFIX cannot be exported from a shell; the
    // runner sets them as they are, and so does this.
    for (const [name, value] of Object.entries(inputs)) env[inputVariable(name)] = value

    say(`main step: node ${BUNDLE}`)
    step = runStep(env, options.debug)
    const mainStatus = await step.exited

    // The runner runs the post step whatever happened, with the state the main step saved.
    const state = parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8'))
    const stateEnv = Object.fromEntries(
      Object.entries(state).map(([name, value]) => [`STATE_${name}`, value])
    )
    say('post step')
    step = runStep({ ...env, ...stateEnv }, options.debug)
    await step.exited

    const outputs = parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8'))
    process.stdout.write('\noutputs:\n')
    for (const [name, value] of Object.entries(outputs)) {
      process.stdout.write(`  ${outputLine(name, value)}\n`)
    }
    const summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')
    process.stdout.write(`job summary: ${summary.length} characters\n`)
    say(`main step exit status ${mainStatus}${interrupted ? ' (cancelled)' : ''}`)
    return mainStatus
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (local) {
      const stats = local.stats()
      await local.close()
      say(
        `stopped the simulator (ECS calls ${JSON.stringify(stats.ecs.calls)}, ` +
          `S3 requests ${JSON.stringify(stats.s3.byOperation)})`
      )
    }
    if (options.keep) say(`command files kept in ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

main().then(
  (status) => {
    process.exitCode = status
  },
  (error: unknown) => {
    process.stderr.write(`local: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
)
