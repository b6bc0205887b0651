/**
 * The fan-out benchmark's runs in one process: bench/in-process.ts, bundled with ncc, runs
 * every job as the action's own main step (or the baseline) on one shared set of clients, and
 * reports each job's calls, outputs and the time it first learned its task stopped.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RegisterTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs'
import type { TaskTimeline } from '../../sim/index.js'
import type { InProcessConfig, InProcessJob, InProcessReport } from '../in-process.js'
import {
  DEFINITION,
  GITHUB,
  OVERRIDE_INPUTS,
  ROOT,
  SLACK_SECONDS,
  freshSim,
  maskIds,
  registerPrevious,
  type Context
} from './fanout-sim.js'
import { runScriptJob } from './jobs.js'
import type { RunResult, Variant } from './report.js'
import { Tally } from './tally.js'

/** Why an in-process job did not count as a success. */
export function inProcessReason(job: InProcessJob): string {
  if (job.error !== undefined) return job.error
  if (job.exitCode !== undefined && job.exitCode !== 0) return `task exit code ${job.exitCode}`
  if (job.exitCode === undefined) return 'no exit-code output'
  return 'no answer to the job showed its task stopped'
}

/**
 * One run of `jobs` jobs of `variant` in one process (bench/in-process.ts, bundled): each job
 * the action's own main step, or for c the baseline, on a fresh simulator.
 */
export async function inProcessRun(
  ctx: Context,
  variant: Variant,
  jobs: number
): Promise<RunResult> {
  const local = await freshSim(ctx)
  try {
    let taskDefinition: string | undefined
    if (variant === 'a' || variant === 'b') {
      const ecs = new ECSClient(local.clientConfig('ecs'))
      const out = await ecs.send(new RegisterTaskDefinitionCommand(ctx.spec.registerRequest))
      taskDefinition = out.taskDefinition?.taskDefinitionArn
      ecs.destroy()
    }
    if (variant === 'a-register' || variant === 'a-overrides') await registerPrevious(local, ctx)
    const baseline = local.stats()
    const spreadMs = ctx.options.spreadSeconds * 1000
    const limitMs =
      (ctx.options.taskSeconds * ctx.options.timeScale + SLACK_SECONDS) * 1000 + spreadMs
    const config: InProcessConfig = {
      spreadMs,
      variant,
      jobs,
      spec: { ...ctx.spec, maxWaitSeconds: limitMs / 1000 },
      // The inputs of the process runs' jobs (bench/lib/process-run.ts), job by job.
      inputs: {
        definition: DEFINITION,
        'notification-prefix': variant === 'b' ? 'none' : local.prefix,
        ...(taskDefinition ? { 'task-definition': taskDefinition } : {}),
        ...(variant === 'a-overrides' ? OVERRIDE_INPUTS : {}),
        env: `SIM_RUN_SECONDS=${ctx.options.taskSeconds}`
      },
      github: GITHUB,
      deadline: Date.now() + limitMs
    }
    const configFile = join(ctx.work, `in-process-${variant}-${jobs}.json`)
    const reportFile = join(ctx.work, `in-process-${variant}-${jobs}.out.json`)
    writeFileSync(configFile, JSON.stringify(config))
    const outcome = await runScriptJob({
      id: `${variant}-process`,
      script: ctx.inProcessJob,
      args: [configFile, reportFile],
      env: { ...local.env },
      cwd: ROOT,
      killAfterMs: limitMs + 60_000
    })
    if (outcome.exitCode !== 0 || !existsSync(reportFile)) {
      throw new Error(
        `the in-process run failed (exit ${String(outcome.exitCode)}): ${outcome.stderr.slice(-2000)}`
      )
    }
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as InProcessReport
    await local.settled()
    const stats = local.stats()
    const timelines = new Map<string, TaskTimeline>(stats.tasks.map((t) => [t.startedBy ?? '', t]))
    const tally = new Tally(timelines, variant !== 'b' && variant !== 'c')
    // Success from the step (setFailed) and the `exit-code` output; the stop seen from the
    // first answer that told the job (bench/lib/job-clients.ts), never from its log.
    for (const job of report.jobs) {
      tally.add(job.id, { ...job, reason: () => maskIds(inProcessReason(job)) })
    }
    const firsts = report.jobs
      .map((j) => j.firstRequestAt)
      .filter((v): v is number => v !== undefined)
    return {
      variant,
      mode: 'one process',
      ...tally.result(
        jobs,
        { now: stats.ecs.calls, before: baseline.ecs.calls },
        { now: stats.ecs.throttled, before: baseline.ecs.throttled }
      ),
      rss: {
        median: outcome.maxRssBytes,
        max: Math.max(outcome.maxRssBytes ?? 0, report.peakRssBytes)
      },
      firstRequest: {
        median: firsts.length > 0 ? Math.min(...firsts) - outcome.startedAt : undefined
      },
      wallMs: outcome.endedAt - outcome.startedAt
    }
  } finally {
    await local.close()
  }
}
