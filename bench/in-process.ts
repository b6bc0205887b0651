/**
 * Many jobs in ONE process, each the action's own main step: `run(deps)` of src/main.ts with a
 * `MainDeps` of its own (inputs read by readInputs over a map, GITHUB_* env of a matrix job, its
 * own state store, outputs and summary kept in memory), all on one shared set of clients built by
 * createAwsClients against the simulator, each call counted for its job (bench/lib/job-clients.ts).
 * So the task set, its work queue and token bucket, the registration race and the wait engine
 * are the action's. Variant c runs the baseline (bench/lib/sdk-waiter.ts) the same way.
 * bench/run.ts bundles this file with ncc and runs it as a child process, so its memory is
 * measured apart from the simulator's.
 *
 * argv[2]: a JSON InProcessConfig file; argv[3]: where to write the InProcessReport JSON.
 * Endpoints, region and credentials come from the environment, as for the action.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { ECSClient } from '@aws-sdk/client-ecs'
import { createAwsClients, type AwsClients, type ClientOptions } from '../src/aws/clients.js'
import { readInputs } from '../src/inputs.js'
import { run, type MainDeps } from '../src/main.js'
import { systemClock } from '../src/util/clock.js'
import type { Logger } from '../src/util/logger.js'
import { counted, jobCalls, jobClients, type JobCalls } from './lib/job-clients.js'
import { runSdkWaiterJob, type SdkWaiterSpec } from './lib/sdk-waiter.js'
import { strategyInputs } from '../sim/action-runner.js'

export type InProcessVariant = 'a' | 'a-register' | 'a-overrides' | 'b' | 'c'

/** What bench/run.ts asks for. */
export interface InProcessConfig {
  variant: InProcessVariant
  jobs: number
  /** For variant c: the rendered requests and the per-job spec without SHARD. */
  spec: SdkWaiterSpec
  /** The action's inputs every job shares (job i adds `started-by` and SHARD=i to `env`). */
  inputs: Record<string, string>
  /** GITHUB_* variables every job shares (job i adds GITHUB_JOB). */
  github: Record<string, string>
  /** Every job is cancelled at this epoch ms (the bench is bounded). */
  deadline: number
  /** Job i starts i * spreadMs / jobs after the first (0: all at once). */
  spreadMs: number
}

/** One job's record. */
export interface InProcessJob extends JobCalls {
  index: number
  id: string
  /** The step did not fail, the task exited 0, and its stop was seen. */
  ok: boolean
  /** The step's failure message (setFailed), or the error a baseline job threw. */
  error?: string
  /** The `exit-code` output. */
  exitCode?: number
  taskArn?: string
  /** Epoch ms when the job set its `exit-code` output. */
  outputAt?: number
  /** Epoch ms when `run` resolved (the step's end). */
  endedAt?: number
}

export interface InProcessReport {
  startedAt: number
  jobs: InProcessJob[]
  /** Peak RSS of this process (resourceUsage().maxRSS), bytes. */
  peakRssBytes: number
  warnings: number
}

const quiet = (onWarning: () => void): Logger => ({
  debug: () => undefined,
  info: () => undefined,
  notice: () => undefined,
  warning: onWarning,
  error: onWarning,
  group: (_name, fn) => fn()
})

/** The action's main step as one job: its own MainDeps over the shared clients. */
async function actionJob(
  job: InProcessJob,
  config: InProcessConfig,
  shared: (options: ClientOptions) => Promise<AwsClients>,
  logger: Logger,
  cancelSignal: AbortSignal
): Promise<void> {
  const inputs: Record<string, string> = {
    // A matrix job: the strategy values the runner gives it (sim/action-runner.ts).
    ...strategyInputs({ jobIndex: job.index, jobTotal: config.jobs }),
    ...config.inputs,
    'started-by': job.id,
    env: `${config.inputs.env ?? ''}\nSHARD=${job.index}`.trim()
  }
  const outputs = new Map<string, string>()
  const state = new Map<string, string>()
  const failures: string[] = []
  const deps: MainDeps = {
    readInputs: () =>
      readInputs(
        (name) => inputs[name] ?? '',
        () => undefined
      ),
    createClients: async (options) => jobClients(await shared(options), job, Date.now),
    logger,
    clock: systemClock,
    random: Math.random,
    state: { save: (name, value) => state.set(name, value), get: (name) => state.get(name) ?? '' },
    env: { ...process.env, ...config.github, GITHUB_JOB: `shard-${job.index}` },
    cancelSignal,
    setFailed: (message) => failures.push(message),
    setOutput: (name, value) => {
      outputs.set(name, value)
      if (name === 'exit-code') job.outputAt ??= Date.now()
    },
    writeSummary: () => Promise.resolve()
  }
  await run(deps)
  job.endedAt = Date.now()
  const code = outputs.get('exit-code')
  if (code !== undefined && code !== '') job.exitCode = Number(code)
  const taskArn = outputs.get('task-arn')
  if (taskArn) job.taskArn = taskArn
  if (failures.length > 0) job.error = failures.join('; ')
  job.ok = failures.length === 0 && job.exitCode === 0 && job.noticedAt !== undefined
}

/** The baseline as one job, on its own counted view of one shared ECS client. */
async function baselineJob(
  job: InProcessJob,
  config: InProcessConfig,
  ecs: ECSClient
): Promise<void> {
  const env = { ...config.spec.env, SHARD: String(job.index) }
  try {
    const result = await runSdkWaiterJob(
      counted(ecs, 'ecs', job, Date.now),
      { ...config.spec, env },
      job.id,
      () => undefined
    )
    job.taskArn = result.taskArn
    job.exitCode = result.exitCode
    job.ok = result.exitCode === 0 && job.noticedAt !== undefined
  } catch (error) {
    job.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  }
  job.endedAt = Date.now()
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as InProcessConfig
  const startedAt = Date.now()
  let warnings = 0
  const logger = quiet(() => warnings++)
  // One set of clients for every job, built as the action builds its own.
  let clients: Promise<AwsClients> | undefined
  const shared = (options: ClientOptions): Promise<AwsClients> =>
    (clients ??= createAwsClients(options))
  const baselineEcs = new ECSClient({})
  const cancel = AbortSignal.timeout(Math.max(1, config.deadline - Date.now()))

  const one = async (index: number): Promise<InProcessJob> => {
    const job: InProcessJob = {
      ...jobCalls(),
      index,
      id: `bench-${String(index).padStart(4, '0')}`,
      ok: false
    }
    // Jobs of a matrix start as runners pick them up, not in one millisecond.
    if (config.spreadMs > 0) await systemClock.sleep((index * config.spreadMs) / config.jobs)
    try {
      if (config.variant === 'c') await baselineJob(job, config, baselineEcs)
      else await actionJob(job, config, shared, logger, cancel)
    } catch (error) {
      // run() fails the step itself; anything thrown here is the bench's own bug.
      job.error = `the bench job threw: ${error instanceof Error ? error.message : String(error)}`
    }
    return job
  }

  const jobs = await Promise.all(Array.from({ length: config.jobs }, (_, i) => one(i)))
  const report: InProcessReport = {
    startedAt,
    jobs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    warnings
  }
  writeFileSync(process.argv[3] ?? '', JSON.stringify(report))
}

main().then(
  () => {
    process.exitCode = 0
  },
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    )
    process.exitCode = 1
  }
)
