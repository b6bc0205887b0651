/**
 * The register race's job (bench/register.ts bundles it with ncc, as the action is bundled):
 * the action's register-then-run path, src/ecs/resolve.ts `resolveTaskDefinition` and
 * `staleRevisionRefusal` around src/ecs/run-task.ts `runTask`, for `jobs` jobs in this process (1 per
 * process, or 1,000 in one). Each job has its own clients with its own user-agent app id, so the
 * recording proxy can tell them apart. Prints one JSON line per job and exits 0, or 1 when a job
 * failed.
 *
 *   node register-job.js <spec.json>
 */
import { readFileSync } from 'node:fs'
import { ECSClient, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs'
import { S3Client } from '@aws-sdk/client-s3'
import {
  resolveTaskDefinition,
  staleRevisionRefusal,
  type CacheSetting,
  type ResolvedTaskDefinition
} from '../src/ecs/resolve.js'
import { newClientToken } from '../src/ecs/run-task-fields.js'
import { runTask } from '../src/ecs/run-task.js'
import { systemClock } from '../src/util/clock.js'
import type { Logger } from '../src/util/logger.js'
import type { RaceVariant } from './lib/register-report.js'

export interface RegisterJobSpec {
  variant: RaceVariant
  /** Job ids: one per job this process runs. */
  ids: string[]
  region: string
  bucket: string
  prefix: string
  cluster: string
  registerRequest: RegisterTaskDefinitionCommandInput
}

export interface RegisterJobLine {
  id: string
  ok: boolean
  taskDefinitionArn?: string
  registered?: boolean
  warnings: number
  error?: string
}

function quietLogger(counts: { warnings: number }): Logger {
  const nothing = (): void => {}
  return {
    debug: nothing,
    info: nothing,
    notice: nothing,
    warning: () => {
      counts.warnings++
    },
    error: nothing,
    group: (_name, fn) => fn()
  }
}

async function job(spec: RegisterJobSpec, id: string): Promise<RegisterJobLine> {
  const counts = { warnings: 0 }
  const logger = quietLogger(counts)
  // The action's ECS client makes one attempt per call (src/aws/clients.ts, ECS_MAX_ATTEMPTS).
  const ecs = new ECSClient({ region: spec.region, maxAttempts: 1, userAgentAppId: id })
  const s3 = new S3Client({ region: spec.region, forcePathStyle: true, userAgentAppId: id })
  const random = Math.random
  const cache: CacheSetting | undefined =
    spec.variant === 'today'
      ? undefined
      : spec.variant === 'jittered'
        ? 'off'
        : {
            location: { bucket: spec.bucket, prefix: spec.prefix },
            s3,
            region: spec.region,
            claimant: `job ${id}`
          }
  try {
    let resolved: ResolvedTaskDefinition = await resolveTaskDefinition(
      { ecs, clock: systemClock, random, logger },
      { registerRequest: spec.registerRequest, ...(cache ? { cache } : {}) }
    )
    const run = (taskDefinition: string) =>
      runTask(
        { ecs, clock: systemClock, random, logger },
        {
          request: { cluster: spec.cluster, taskDefinition, count: 1, startedBy: id },
          clientToken: newClientToken(),
          deadline: Date.now() + 300_000
        }
      )
    try {
      await run(resolved.taskDefinitionArn)
    } catch (error) {
      // A revision from the bucket that was deregistered since is replaced once, as main does.
      if (staleRevisionRefusal(resolved, { error }) === undefined || !resolved.replaceStale) {
        throw error
      }
      resolved = await resolved.replaceStale()
      await run(resolved.taskDefinitionArn)
    }
    return {
      id,
      ok: true,
      taskDefinitionArn: resolved.taskDefinitionArn,
      registered: resolved.registered,
      warnings: counts.warnings
    }
  } catch (error) {
    return {
      id,
      ok: false,
      warnings: counts.warnings,
      error: error instanceof Error ? error.message : String(error)
    }
  } finally {
    ecs.destroy()
    s3.destroy()
  }
}

async function main(): Promise<number> {
  const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as RegisterJobSpec
  const lines = await Promise.all(spec.ids.map((id) => job(spec, id)))
  for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`)
  return lines.every((l) => l.ok) ? 0 : 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  }
)
