/**
 * Many jobs, one registration: the claim / wait / take-over loop of bucket-race.ts over the
 * task definition cache entry of revision-cache.ts (docs/registration.md, "The claim loop").
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs'
import {
  ClaimFailed,
  NoPermission,
  claimRace,
  type CacheLocation,
  type MissingPermission,
  type RaceDeps,
  type RaceTimings
} from './bucket-race.js'
import { s3Url } from '../aws/s3.js'
import { describeError } from './errors.js'
import { RECHECK_WINDOW_MS, type RegisterResult } from './register.js'
import {
  REVISION_CODEC,
  cacheKey,
  cacheResourceArn,
  isTrustedArn,
  type CachedRevision,
  type TrustScope
} from './revision-cache.js'

export {
  RACE_TIMINGS,
  type MissingPermission,
  type RaceDeps,
  type RaceTimings
} from './bucket-race.js'

export interface RaceOptions {
  location: CacheLocation
  request: RegisterTaskDefinitionCommandInput
  scope: TrustScope
  /** Who claims, for the entry and for the logs of the others (a run URL and job). */
  claimant: string
  /** What the job holding the claim does: describe, compare, register if it differs. */
  resolve: () => Promise<RegisterResult>
  /** What a job does when the bucket cannot coordinate: resolve on its own. */
  fallback: () => Promise<RegisterResult>
  /** A revision RunTask just refused (inactive or unknown): an entry naming it is replaced. */
  staleArn?: string
  /** No other job of the fan-out waits on this claim (for the wording of the claim's line). */
  alone?: boolean
  timings?: Partial<RaceTimings>
}

export interface RaceResult {
  taskDefinitionArn: string
  /** true only in the job that registered. */
  registered: boolean
  /** hit: read from the bucket; claim: this job resolved it; fallback: without the bucket. */
  source: 'hit' | 'claim' | 'fallback'
}

/** Resolves the revision of `options.request` through the bucket. */
export async function resolveThroughBucket(
  deps: RaceDeps,
  options: RaceOptions
): Promise<RaceResult> {
  const { logger } = deps
  const key = cacheKey(options.location.prefix, options.request)
  const url = s3Url(options.location.bucket, key)
  try {
    const { value, source } = await claimRace<CachedRevision & { registered: boolean }>(deps, {
      location: options.location,
      key,
      codec: {
        read: (fields) => {
          const revision = REVISION_CODEC.read(fields)
          return revision && { ...revision, registered: false }
        },
        write: (value) => REVISION_CODEC.write(value)
      },
      claimant: options.claimant,
      what: 'the task definition',
      entryKind: 'a task definition cache entry',
      ...(options.alone !== undefined ? { alone: options.alone } : {}),
      refuse: (value) => refusal(value.taskDefinitionArn, options, url),
      hitLine: (value) => `Task definition from ${url}: ${value.taskDefinitionArn}`,
      shown: (value) => value.taskDefinitionArn,
      resolve: async () => {
        const result = await options.resolve()
        return { taskDefinitionArn: result.taskDefinitionArn, registered: result.registered }
      },
      ...(options.timings !== undefined ? { timings: options.timings } : {})
    })
    return { taskDefinitionArn: value.taskDefinitionArn, registered: value.registered, source }
  } catch (error) {
    if (error instanceof ClaimFailed) throw error.cause
    if (error instanceof NoPermission) {
      logger.warning(noPermissionMessage(options.location, url, error.missing))
    } else {
      logger.warning(
        `Could not coordinate through ${url} (${describeError(error)}); resolving the task ` +
          `definition without it`
      )
    }
    const result = await options.fallback()
    return {
      taskDefinitionArn: result.taskDefinitionArn,
      registered: result.registered,
      source: 'fallback'
    }
  }
}

/**
 * The one warning for a job that cannot use the cache: the permission and the resource it
 * lacks, the statement that grants it, and what the job does instead (the jittered re-check
 * of register.ts, RECHECK_WINDOW_MS).
 */
export function noPermissionMessage(
  location: CacheLocation,
  url: string,
  missing: MissingPermission
): string {
  const resource = cacheResourceArn(location)
  const actions = {
    put: 's3:PutObject',
    get: 's3:GetObject',
    'get-and-put': ['s3:GetObject', 's3:PutObject']
  }
  const statement = JSON.stringify({
    Effect: 'Allow',
    Action: actions[missing],
    Resource: resource
  })
  const what = {
    put:
      `Cannot write ${url} (403 AccessDenied): the action's role lacks s3:PutObject on ` +
      `${resource}, so jobs that start together on a changed task definition cannot agree on ` +
      `one registration.`,
    get:
      `Cannot read ${url} (403 AccessDenied, though a conditional write found it there): the ` +
      `action's role lacks s3:GetObject on ${resource}, so it cannot use the revision another ` +
      `job resolved.`,
    'get-and-put':
      `Cannot read or write ${url} (403 AccessDenied): the action's role lacks s3:PutObject on ` +
      `${resource}, and s3:GetObject there too unless the entry is only not written yet and ` +
      `s3:ListBucket is missing, so jobs that start together on a changed task definition ` +
      `cannot agree on one registration.`
  }[missing]
  return (
    `${what} Instead, this job describes the family and, when it differs, waits a random ` +
    `delay of up to ${RECHECK_WINDOW_MS / 1000} s and describes again before registering (the ` +
    `jittered re-check). Add this statement to the action's role ` +
    `(docs/iam/action-policy.json): ${statement}, or set 'task-definition-cache: false' to ` +
    `silence this warning.`
  )
}

/**
 * Why the revision an entry names may not run (the warning before the entry is rewritten), or
 * undefined when it may: a revision RunTask just refused, or one outside the family, region or
 * account.
 */
function refusal(arn: string, options: RaceOptions, url: string): string | undefined {
  if (isTrustedArn(arn, options.scope) && arn !== options.staleArn) return undefined
  if (arn === options.staleArn) return `${arn} from ${url} can no longer run; resolving it again`
  const region = options.scope.region
  const account = options.scope.account ?? 'any account'
  return (
    `Ignoring ${url}: it names ${arn}, ` +
    `not a revision of '${options.scope.family}' in ${region} (${account}); rewriting it`
  )
}
