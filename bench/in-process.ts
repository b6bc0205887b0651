/**
 * Many jobs in ONE process through the action's own library code: each job resolves the task
 * definition (resolveTaskDefinition: the shared `task-definition`, or registerIfChanged), starts
 * its task with runTask and waits with the S3 or the DescribeTasks waiter, all concurrently, on
 * one set of clients built by createAwsClients. Variant c runs the baseline
 * (bench/lib/sdk-waiter.ts) the same way. bench/run.ts bundles this file with ncc and runs it
 * as a child process, so its memory is measured apart from the simulator's.
 *
 * argv[2]: a JSON InProcessConfig file; argv[3]: where to write the InProcessReport JSON.
 * Endpoints, region and credentials come from the environment, as for the action.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { ECSClient, type RunTaskCommandInput } from '@aws-sdk/client-ecs'
import { createAwsClients } from '../src/aws/clients.js'
import { newClientToken } from '../src/ecs/run-task-fields.js'
import { cacheSetting, resolveTaskDefinition } from '../src/ecs/resolve.js'
import { runTask } from '../src/ecs/run-task.js'
import { systemClock } from '../src/util/clock.js'
import { gitHubContextOf } from '../src/util/github.js'
import type { Logger } from '../src/util/logger.js'
import { WaitEngine, type TaskEnd } from '../src/wait/engine.js'
import { parseNotificationPrefix } from '../src/wait/prefix.js'
import { exitCodeOf } from '../src/model/task-state.js'
import { runSdkWaiterJob, type SdkWaiterSpec } from './lib/sdk-waiter.js'

export type InProcessVariant = 'a' | 'a-register' | 'b' | 'c'

/** What bench/run.ts asks for. */
export interface InProcessConfig {
  variant: InProcessVariant
  jobs: number
  /** The rendered requests (and, for c, the per-job spec without env). */
  spec: SdkWaiterSpec
  /** `s3://bucket/prefix` for variant a. */
  prefix: string
  /** The shared task definition for a and b. */
  taskDefinition?: string
  /** Every job gives up at this epoch ms (the bench is bounded). */
  deadline: number
  /** Job i starts i * spreadMs / jobs after the first (0: all at once). */
  spreadMs: number
}

/** One job's record. */
export interface InProcessJob {
  index: number
  id: string
  ok: boolean
  error?: string
  exitCode?: number
  taskArn?: string
  /** Epoch ms of the job's first request, and when RunTask answered (the wait began). */
  firstRequestAt?: number
  runTaskAt?: number
  /** Epoch ms when the waiter returned the stop. */
  noticedAt?: number
  before: Record<string, number>
  during: Record<string, number>
  throttled: number
  s3Reads: number
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

/**
 * A client whose `send` also counts the job's calls into the phase in force (the ECS calls
 * before the wait, or during it) and its throttled answers.
 */
function counted<C extends { send: (...args: never[]) => Promise<unknown> }>(
  client: C,
  job: InProcessJob,
  phase: () => 'before' | 'during' | 's3'
): C {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown
      return async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
        job.firstRequestAt ??= Date.now()
        const where = phase()
        const operation = command.constructor.name.replace(/Command$/, '')
        if (where === 's3') job.s3Reads += operation === 'GetObject' ? 1 : 0
        else job[where][operation] = (job[where][operation] ?? 0) + 1
        try {
          return await (target.send as (...a: unknown[]) => Promise<unknown>).call(
            target,
            command,
            ...rest
          )
        } catch (error) {
          if ((error as { name?: string } | null)?.name === 'ThrottlingException') job.throttled++
          throw error
        }
      }
    }
  })
}

function withEnv(request: RunTaskCommandInput, env: Record<string, string>): RunTaskCommandInput {
  const overrides = request.overrides?.containerOverrides ?? []
  const app = overrides.find((o) => o.name === 'app') ?? { name: 'app' }
  const environment = [
    ...(app.environment ?? []).filter((e) => !(e.name !== undefined && e.name in env)),
    ...Object.entries(env).map(([name, value]) => ({ name, value }))
  ]
  return {
    ...request,
    overrides: {
      ...request.overrides,
      containerOverrides: [...overrides.filter((o) => o.name !== 'app'), { ...app, environment }]
    }
  }
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as InProcessConfig
  const startedAt = Date.now()
  let warnings = 0
  const logger = quiet(() => warnings++)
  const region = process.env.AWS_REGION
  const clients = await createAwsClients({ definitionRegion: region })
  const baselineEcs = new ECSClient({})
  const parsed = parseNotificationPrefix(config.prefix, region, 'bench prefix')
  if (parsed === 'none') throw new Error('the bench needs a notification prefix')
  const prefix = parsed
  const stopAll = AbortSignal.timeout(Math.max(1, config.deadline - Date.now()))

  const one = async (index: number): Promise<InProcessJob> => {
    const id = `bench-${String(index).padStart(4, '0')}`
    const job: InProcessJob = {
      index,
      id,
      ok: false,
      before: {},
      during: {},
      throttled: 0,
      s3Reads: 0
    }
    let phase: 'before' | 'during' = 'before'
    const env = { ...config.spec.env, SHARD: String(index) }
    // Jobs of a matrix start as runners pick them up, not in one millisecond.
    if (config.spreadMs > 0) await systemClock.sleep((index * config.spreadMs) / config.jobs)
    try {
      if (config.variant === 'c') {
        const ecs = counted(baselineEcs, job, () => phase)
        const result = await runSdkWaiterJob(ecs, { ...config.spec, env }, id, (line) => {
          if (line.startsWith('Started ')) {
            job.runTaskAt = Date.now()
            phase = 'during'
          }
        })
        job.noticedAt = Date.now()
        job.taskArn = result.taskArn
        job.exitCode = result.exitCode
        job.ok = result.exitCode === 0
        return job
      }
      const ecs = counted(clients.ecs, job, () => phase)
      const deps = { ecs, clock: systemClock, random: Math.random, logger }
      // As the action resolves it: through the bucket's task definition cache (its requests are
      // not counted as waiter reads).
      const resolved = await resolveTaskDefinition(deps, {
        registerRequest: config.spec.registerRequest,
        taskDefinitionInput: config.variant === 'a-register' ? undefined : config.taskDefinition,
        cache: cacheSetting({
          enabled: true,
          prefix,
          s3: (r) => clients.s3(r),
          region: clients.region,
          github: gitHubContextOf({ GITHUB_JOB: id }),
          random: Math.random
        })
      })
      const request = withEnv(
        {
          ...config.spec.runTaskRequest,
          taskDefinition: resolved.taskDefinitionArn,
          startedBy: id
        },
        env
      )
      const tasks = await runTask(deps, {
        request,
        clientToken: newClientToken(),
        deadline: config.deadline,
        signal: stopAll
      })
      job.runTaskAt = Date.now()
      phase = 'during'
      const taskArn = tasks[0]?.taskArn
      if (!taskArn) throw new Error('RunTask returned no task')
      job.taskArn = taskArn
      const s3 = counted(clients.s3(prefix.region), job, () => 's3')
      // The action's wait engine, watching this job's one task.
      const watching = new AbortController()
      let end: TaskEnd | undefined
      const engine = new WaitEngine(
        { ...deps, ecs, s3: config.variant === 'b' ? undefined : s3 },
        {
          cluster: config.spec.runTaskRequest.cluster,
          prefix: config.variant === 'b' ? undefined : prefix,
          pollIntervalSeconds: 1,
          verifyIntervalSeconds: 300,
          onEnd: (e) => {
            end = e
            watching.abort()
          }
        }
      )
      engine.add(taskArn)
      await engine.run(AbortSignal.any([watching.signal, stopAll]))
      const outcome = end
      if (outcome?.kind !== 'stopped') throw new Error('the bench deadline passed before the stop')
      job.noticedAt = Date.now()
      job.exitCode = exitCodeOf(outcome.task)
      job.ok = job.exitCode === 0
    } catch (error) {
      job.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
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
