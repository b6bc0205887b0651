/**
 * The fan-out benchmark's runs of job processes: each job is `node dist/index.js` (or, for the
 * baseline, the bundled SDK-waiter script) with its own `AWS_SDK_UA_APP_ID`, behind recording
 * proxies that attribute every request and answer to its job.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TaskTimeline } from '../../sim/index.js'
import {
  DEFINITION,
  ROOT,
  SLACK_SECONDS,
  countOps,
  groupBy,
  jobId,
  OVERRIDE_INPUTS,
  proxiedSim,
  reasonOf,
  registerPrevious,
  type Context
} from './fanout-sim.js'
import { jobEnd, runActionJob, runScriptJob, type JobOutcome } from './jobs.js'
import { requestBarrier } from './proxy.js'
import type { RunResult, SoloResult, Variant } from './report.js'
import { median, percentile, splitAtRunTask, total } from './stats.js'
import { Tally } from './tally.js'

/**
 * Variants whose jobs race before their first RunTask (a registration, a describe, a revision
 * cache read), so the proxies hold every job's first request until all have sent one. In the
 * others the first request is the RunTask each job has already placed in the fan-out's spread
 * (docs/limits.md, "Spreading RunTask over a fan-out"): holding it would undo the spread.
 */
const RACE_BEFORE_RUN: readonly Variant[] = ['a-register', 'a-overrides', 'c']
/** The barrier opens anyway after this long (a job that died before its first request). */
const BARRIER_TIMEOUT_MS = 300_000

/** One run of `jobs` job processes of `variant`, all started at once, on a fresh simulator. */
export async function processRun(ctx: Context, variant: Variant, jobs: number): Promise<RunResult> {
  const barrier = RACE_BEFORE_RUN.includes(variant)
    ? requestBarrier(jobs, BARRIER_TIMEOUT_MS)
    : undefined
  const { local, ecsProxy, s3Proxy, env } = await proxiedSim(ctx, barrier)
  try {
    let taskDefinition: string | undefined
    if (variant === 'a' || variant === 'b') {
      const prep = await runActionJob({
        id: 'prepare',
        inputs: { definition: DEFINITION, mode: 'register', 'notification-prefix': local.prefix },
        env,
        cwd: ROOT
      })
      taskDefinition = prep.outputs['task-definition-arn']
      if (!taskDefinition)
        throw new Error(`the prepare step failed: ${reasonOf(prep, jobEnd(prep, []))}`)
    }
    if (variant === 'a-register' || variant === 'a-overrides') await registerPrevious(local, ctx)
    const baseline = local.stats()
    const outcomes = await launchJobs(ctx, variant, jobs, {
      env,
      prefix: local.prefix,
      taskDefinition
    })
    await local.settled()
    const stats = local.stats()
    const timelines = new Map<string, TaskTimeline>(stats.tasks.map((t) => [t.startedBy ?? '', t]))
    const ecsRequests = groupBy(ecsProxy.requests(), (r) => r.appId)
    const s3Requests = groupBy(s3Proxy.requests(), (r) => r.appId)
    const tally = new Tally(timelines, variant !== 'b' && variant !== 'c')
    const firstRequest: number[] = []
    for (const o of outcomes) {
      const mine = ecsRequests.get(o.id) ?? []
      const s3 = s3Requests.get(o.id) ?? []
      const all = [...mine, ...s3]
      if (all.length > 0) firstRequest.push(Math.min(...all.map((r) => r.at)) - o.startedAt)
      // Success from the step's exit code and the job's `exit-code` output; the stop seen from
      // the first answer that told it (never from its log).
      const end = jobEnd(o, all)
      const runTaskAt = mine.filter((r) => r.operation === 'RunTask' && r.status === 200).pop()?.at
      tally.add(o.id, {
        ...splitAtRunTask(mine),
        ok: end.ok,
        reason: () => reasonOf(o, end),
        ...(end.noticedAt !== undefined ? { noticedAt: end.noticedAt } : {}),
        ...(runTaskAt !== undefined ? { runTaskAt } : {}),
        endedAt: o.endedAt,
        s3Reads: s3.filter((r) => r.operation === 'GetObject').length
      })
    }
    const rss = outcomes.map((o) => o.maxRssBytes).filter((v): v is number => v !== undefined)
    const prepareCalls = countOps(ecsRequests.get('prepare') ?? [])
    return {
      variant,
      mode: 'processes',
      ...tally.result(
        jobs,
        { now: stats.ecs.calls, before: baseline.ecs.calls },
        { now: stats.ecs.throttled, before: baseline.ecs.throttled }
      ),
      ...(total(prepareCalls) > 0 ? { prepareCalls } : {}),
      rss: { median: median(rss), max: percentile(rss, 100) },
      firstRequest: { median: median(firstRequest), p95: percentile(firstRequest, 95) },
      wallMs:
        Math.max(...outcomes.map((o) => o.endedAt)) - Math.min(...outcomes.map((o) => o.startedAt))
    }
  } finally {
    await ecsProxy.close()
    await s3Proxy.close()
    await local.close()
  }
}

/** Spawns every job process of the run at once: the action's bundle, or the baseline script. */
function launchJobs(
  ctx: Context,
  variant: Variant,
  jobs: number,
  run: { env: Record<string, string>; prefix: string; taskDefinition: string | undefined }
): Promise<JobOutcome[]> {
  const killAfterMs = (ctx.options.taskSeconds * ctx.options.timeScale + SLACK_SECONDS) * 1000
  const specFile = join(ctx.work, `spec-${variant}-${jobs}.json`)
  writeFileSync(specFile, JSON.stringify({ ...ctx.spec, maxWaitSeconds: killAfterMs / 1000 }))
  return Promise.all(
    Array.from({ length: jobs }, (_, i) => {
      const id = jobId(variant, i)
      if (variant === 'c') {
        return runScriptJob({
          id,
          script: ctx.sdkJob,
          env: { ...run.env, BENCH_SPEC: specFile, BENCH_JOB: id },
          cwd: ROOT,
          killAfterMs
        })
      }
      return runActionJob({
        id,
        inputs: {
          definition: DEFINITION,
          'notification-prefix': variant === 'b' ? 'none' : run.prefix,
          ...(run.taskDefinition ? { 'task-definition': run.taskDefinition } : {}),
          ...(variant === 'a-overrides' ? OVERRIDE_INPUTS : {}),
          'started-by': id,
          env: `SIM_RUN_SECONDS=${ctx.options.taskSeconds}\nSHARD=${i}`
        },
        // A matrix job: the runner gives it its strategy values (sim/action-runner.ts).
        strategy: { jobIndex: i, jobTotal: jobs },
        env: { ...run.env, GITHUB_JOB: `shard-${i}` },
        cwd: ROOT,
        killAfterMs
      })
    })
  )
}

/** Jobs one at a time on an idle machine: start-up and memory without contention. */
export async function soloRuns(ctx: Context, runs: number): Promise<SoloResult> {
  const { local, ecsProxy, s3Proxy, env } = await proxiedSim(ctx)
  try {
    const prep = await runActionJob({
      id: 'prepare',
      inputs: { definition: DEFINITION, mode: 'register', 'notification-prefix': local.prefix },
      env,
      cwd: ROOT
    })
    const taskDefinition = prep.outputs['task-definition-arn'] ?? ''
    const firsts: number[] = []
    const rss: number[] = []
    for (let i = 0; i < runs; i++) {
      const id = `solo-${i}`
      const o = await runActionJob({
        id,
        inputs: {
          definition: DEFINITION,
          'notification-prefix': local.prefix,
          'task-definition': taskDefinition,
          'started-by': id,
          env: 'SIM_RUN_SECONDS=2'
        },
        env,
        cwd: ROOT,
        killAfterMs: 60_000
      })
      const first = ecsProxy.requests().find((r) => r.appId === id)
      if (first) firsts.push(first.at - o.startedAt)
      if (o.maxRssBytes !== undefined) rss.push(o.maxRssBytes)
    }
    const nodeStarts: number[] = []
    for (let i = 0; i < 5; i++) {
      const t = Date.now()
      spawnSync(process.execPath, ['-e', '0'])
      nodeStarts.push(Date.now() - t)
    }
    return {
      runs,
      firstRequest: { median: median(firsts), max: percentile(firsts, 100) },
      rss: { median: median(rss), max: percentile(rss, 100) },
      nodeStartMs: median(nodeStarts)
    }
  } finally {
    await ecsProxy.close()
    await s3Proxy.close()
    await local.close()
  }
}
