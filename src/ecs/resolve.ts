/**
 * Which task definition to run: the `task-definition` input as given (the "prepare once, fan
 * out many" path: no describe, no register, so a fan-out spends no task-definition calls), or
 * the rendered one, registered only when it changed. Jobs that race on one changed definition
 * agree through the notification bucket (revision-race.ts) on one registration; without the
 * bucket, each describes again after a random delay before registering (register.ts).
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs'
import type { S3Client } from '@aws-sdk/client-s3'
import { errorMessage, foreignErrorMessage } from '../util/errors.js'
import type { GitHubContext } from '../util/github.js'
import { RECHECK_WINDOW_MS, registerIfChanged, type RegisterDeps } from './register.js'
import { accountOfRequest, type CacheLocation } from './revision-cache.js'
import { resolveThroughBucket } from './revision-race.js'

export interface ResolvedTaskDefinition {
  /** An ARN, or `family:revision` when the input gave one (RunTask accepts both). */
  taskDefinitionArn: string
  /** true when this run registered a new revision. */
  registered: boolean
  /**
   * Set when the ARN came from the bucket: RunTask may find it deregistered since; this
   * replaces the entry and resolves again (main calls it once, when staleRevisionRefusal names a refusal).
   */
  replaceStale?: () => Promise<ResolvedTaskDefinition>
}

/** The task definition cache: the bucket, or why there is none. */
export type CacheSetting =
  | {
      location: CacheLocation
      s3: Pick<S3Client, 'send'>
      /** The region of the ECS client: a cached ARN must be of this region. */
      region: string
      /** Who claims, for the other jobs' logs: the run URL and job. */
      claimant: string
    }
  /** `task-definition-cache: false`: the jittered re-check, no warning. */
  | 'off'
  /** No notification prefix: the jittered re-check, with a warning. */
  | 'no-prefix'

/**
 * The cache setting for the action: off by input, none without a notification prefix, else
 * the notification bucket and prefix (read with an S3 client of the bucket's region).
 */
export function cacheSetting(options: {
  /** The `task-definition-cache` input. */
  enabled: boolean
  /** The resolved notification prefix; 'none' or undefined when there is none. */
  prefix: { bucket: string; prefix: string; region?: string } | 'none' | undefined
  s3: (region?: string) => Pick<S3Client, 'send'>
  /** The ECS client's region. */
  region: string
  github: GitHubContext
  random: () => number
}): CacheSetting {
  if (!options.enabled) return 'off'
  const where = options.prefix
  if (where === undefined || where === 'none') return 'no-prefix'
  return {
    location: { bucket: where.bucket, prefix: where.prefix, region: options.region },
    s3: options.s3(where.region),
    region: options.region,
    claimant: claimantOf(options.github, options.random)
  }
}

/** `job <name> (<id>) of <run URL>`: the random id tells the jobs of one matrix apart. */
export function claimantOf(github: GitHubContext, random: () => number): string {
  const id = Math.floor(random() * 0x1000000)
    .toString(16)
    .padStart(6, '0')
  return `job ${github.job ?? '?'} (${id}) of ${github.runUrl ?? 'a run outside GitHub Actions'}`
}

export async function resolveTaskDefinition(
  deps: RegisterDeps,
  options: {
    /** The rendered RegisterTaskDefinition request. */
    registerRequest: RegisterTaskDefinitionCommandInput
    /** The `task-definition` input; undefined or empty to register if changed. */
    taskDefinitionInput?: string
    /** Undefined: describe and register at once, as without racing jobs. */
    cache?: CacheSetting
    /**
     * This job is the whole fan-out (`job-total` 1, one task, no `fan-out-width`): no other job
     * of it can race for the registration, so without a bucket it describes and registers at
     * once, with no random delay and no warning.
     */
    alone?: boolean
  }
): Promise<ResolvedTaskDefinition> {
  const given = options.taskDefinitionInput?.trim()
  if (given) {
    deps.logger.info(`Using the task definition given as input: ${given}`)
    return { taskDefinitionArn: given, registered: false }
  }
  const request = options.registerRequest
  const direct = () => registerIfChanged(deps, request)
  const jittered = () => registerIfChanged(deps, request, { recheckWindowMs: RECHECK_WINDOW_MS })
  const cache = options.cache
  if (cache === undefined || (options.alone === true && typeof cache === 'string')) {
    return pick(await direct())
  }
  if (cache === 'off') return pick(await jittered())
  if (cache === 'no-prefix') {
    deps.logger.warning(
      `No notification prefix is set, so jobs that start together on a changed task ` +
        `definition cannot agree on one registration through the bucket; each describes ` +
        `again after a random delay before registering. Set scheduler.` +
        `oneshot_notification_prefix (or the 'notification-prefix' input) and allow ` +
        `s3:PutObject on <prefix>/task-definitions/* (docs/iam/action-policy.json), or set ` +
        `'task-definition-cache: false' to silence this warning.`
    )
    return pick(await jittered())
  }
  const once = async (staleArn?: string): Promise<ResolvedTaskDefinition> => {
    const result = await resolveThroughBucket(
      { s3: cache.s3, clock: deps.clock, random: deps.random, logger: deps.logger },
      {
        location: cache.location,
        request,
        scope: {
          family: request.family ?? '',
          region: cache.region,
          account: accountOfRequest(request)
        },
        claimant: cache.claimant,
        resolve: direct,
        fallback: jittered,
        staleArn,
        ...(options.alone === true ? { alone: true } : {})
      }
    )
    const resolved = pick(result)
    if (result.source === 'hit' && staleArn === undefined) {
      resolved.replaceStale = () => once(result.taskDefinitionArn)
    }
    return resolved
  }
  return once()
}

function pick(result: { taskDefinitionArn: string; registered: boolean }): ResolvedTaskDefinition {
  return { taskDefinitionArn: result.taskDefinitionArn, registered: result.registered }
}

/**
 * RunTask's answer for a revision that was deregistered or never existed here: ClientException
 * "TaskDefinition is inactive", InvalidParameterException "TaskDefinition not found" (or
 * "Unable to find task definition"), also when a caller wrapped it in its own message.
 */
export function isStaleRevisionError(error: unknown): boolean {
  return /TaskDefinition is inactive|TaskDefinition not found|Unable to find task definition/i.test(
    errorMessage(error)
  )
}

/**
 * Why RunTask refused a revision that came from the bucket as inactive or unknown (someone
 * deregistered it), when `resolved` can be replaced (`replaceStale`); undefined otherwise. The
 * refusal is an error the run threw, or the RunTask error of a task set that started nothing.
 */
export function staleRevisionRefusal(
  resolved: ResolvedTaskDefinition,
  refusal: { error?: unknown; startError?: string }
): string | undefined {
  if (resolved.replaceStale === undefined) return undefined
  if (refusal.error !== undefined) {
    return isStaleRevisionError(refusal.error) ? foreignErrorMessage(refusal.error) : undefined
  }
  const { startError } = refusal
  return startError !== undefined && isStaleRevisionError(startError) ? startError : undefined
}
