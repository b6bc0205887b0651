/**
 * Many jobs, one registration: the claim / wait / take-over loop over the cache entry of
 * revision-cache.ts (docs/registration.md, "The claim loop"). A claim is refreshed every
 * heartbeatMs while its job works, so it only goes stale when that job stopped. Pure logic over
 * injected S3, clock and random: the tests drive it on a fake clock.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs'
import type { Runtime } from '../util/runtime.js'
import { s3Url } from '../aws/s3.js'
import { describeError } from './errors.js'
import { RECHECK_WINDOW_MS, type RegisterResult } from './register.js'
import {
  cacheKey,
  cacheResourceArn,
  isTrustedArn,
  readEntry,
  writeEntry,
  type CacheEntry,
  type CacheLocation,
  type EntryWrite,
  type TrustScope
} from './revision-cache.js'

export interface RaceDeps extends Runtime {
  s3: Pick<S3Client, 'send'>
  /** Shorter waits than RACE_TIMINGS, for a race on the system clock; the action sets none. */
  timings?: Partial<RaceTimings>
}

export interface RaceTimings {
  /** First re-read delay of a waiting job, doubled per read up to pollCapMs (equal jitter). */
  pollBaseMs: number
  pollCapMs: number
  /** A claim whose ETag this job has seen unchanged this long is taken over. */
  takeoverMs: number
  /** How often the claimant refreshes its claim (well under takeoverMs). */
  heartbeatMs: number
  /** A job that has waited this long stops waiting and resolves on its own. */
  maxWaitMs: number
}

/**
 * A winner describes and registers in about a second; waiting jobs re-read after 0.1-0.2 s,
 * then 0.2-0.4 s, ... up to 1-2 s, so most see the ARN within one read of its write and 200
 * jobs read at most about 200 times a second (S3 serves 5,500 GETs a second per prefix,
 * docs/limits.md, "S3 request rates"). A claim is refreshed every 10 s, so 30 s without a change means its
 * job stopped: a dead job delays the others by 30 s once, never blocks them.
 */
export const RACE_TIMINGS: RaceTimings = {
  pollBaseMs: 200,
  pollCapMs: 2000,
  takeoverMs: 30000,
  heartbeatMs: 10000,
  maxWaitMs: 300000
}

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
    return await race(deps, options, key, url)
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
 * Which permission on the cache a job lacks, as far as S3's answers tell: 403 on a PUT is
 * s3:PutObject; 403 on a GET of an entry that a conditional PUT found there is s3:GetObject (a
 * 403 alone may be a missing key read without s3:ListBucket, docs/limits.md, "S3 403 versus
 * 404"); 403 on both leaves s3:GetObject in doubt.
 */
export type MissingPermission = 'put' | 'get' | 'get-and-put'

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

class NoPermission extends Error {
  constructor(readonly missing: MissingPermission) {
    super(`no ${missing} permission`)
  }
}
/** The claimant's own resolve failed: its error, not the bucket's, fails the job. */
class ClaimFailed extends Error {}

async function race(
  deps: RaceDeps,
  options: RaceOptions,
  key: string,
  url: string
): Promise<RaceResult> {
  const { clock, random, logger, s3 } = deps
  const t = { ...RACE_TIMINGS, ...deps.timings }
  const started = clock.now()
  let seen: { etag: string; since: number } | undefined
  let reads = 0
  for (;;) {
    const read = await readEntry(s3, options.location, key)
    let write: EntryWrite | undefined
    if (read.kind === 'missing' || read.kind === 'denied') {
      write = await claim(deps, options, key, { ifNoneMatch: '*' })
      if (write.kind === 'conflict' && read.kind === 'denied') {
        // It exists but this role cannot read it: no way to learn what it holds.
        throw new NoPermission('get')
      }
    } else if (read.entry?.state === 'resolved' && usable(read.entry, options)) {
      logger.info(`Task definition from ${url}: ${read.entry.taskDefinitionArn}`)
      return { taskDefinitionArn: read.entry.taskDefinitionArn, registered: false, source: 'hit' }
    } else if (read.entry?.state === 'claimed') {
      if (seen?.etag !== read.etag) seen = { etag: read.etag, since: clock.now() }
      if (clock.now() - seen.since >= t.takeoverMs) {
        logger.info(
          `The claim on ${url} by ${read.entry.claimant} has not changed for ` +
            `${Math.floor((clock.now() - seen.since) / 1000)} s; taking it over`
        )
        write = await claim(deps, options, key, { ifMatch: read.etag })
      } else if (clock.now() - started >= t.maxWaitMs) {
        throw new Error(`waited ${Math.round(t.maxWaitMs / 1000)} s for ${read.entry.claimant}`)
      } else {
        if (reads === 0) logger.info(`${read.entry.claimant} is resolving it; waiting for ${url}`)
        const ceiling = Math.min(t.pollCapMs, t.pollBaseMs * 2 ** Math.min(reads, 20))
        reads++
        await clock.sleep(Math.floor(ceiling / 2 + (random() * ceiling) / 2))
        continue
      }
    } else {
      logger.warning(replaceReason(read.entry, read.size, options, url))
      write = await claim(deps, options, key, { ifMatch: read.etag })
    }
    if (write.kind === 'written') return holdClaim(deps, options, key, url, write.etag)
    if (write.kind === 'denied') {
      throw new NoPermission(read.kind === 'denied' ? 'get-and-put' : 'put')
    }
    // Someone else wrote first: read what they wrote (after a short pause on 409).
    if (write.status === 409) await clock.sleep(Math.floor(random() * t.pollBaseMs))
  }
}

function usable(entry: { taskDefinitionArn: string }, options: RaceOptions): boolean {
  return (
    isTrustedArn(entry.taskDefinitionArn, options.scope) &&
    entry.taskDefinitionArn !== options.staleArn
  )
}

function replaceReason(
  entry: CacheEntry | undefined,
  size: number,
  options: RaceOptions,
  url: string
): string {
  if (entry === undefined) {
    return `Ignoring ${url}: not a task definition cache entry (${size} bytes); rewriting it`
  }
  if (entry.state === 'abandoned') {
    return `${entry.claimant} could not resolve ${url} (${entry.reason}); trying again`
  }
  if (entry.state === 'resolved' && entry.taskDefinitionArn === options.staleArn) {
    return `${entry.taskDefinitionArn} from ${url} can no longer run; resolving it again`
  }
  const region = options.scope.region
  const account = options.scope.account ?? 'any account'
  return (
    `Ignoring ${url}: it names ${entry.state === 'resolved' ? entry.taskDefinitionArn : '?'}, ` +
    `not a revision of '${options.scope.family}' in ${region} (${account}); rewriting it`
  )
}

function claim(
  deps: RaceDeps,
  options: RaceOptions,
  key: string,
  condition: { ifNoneMatch: '*' } | { ifMatch: string }
): Promise<EntryWrite> {
  const entry: CacheEntry = {
    version: 1,
    state: 'claimed',
    claimedAt: new Date(deps.clock.now()).toISOString(),
    claimant: options.claimant
  }
  return writeEntry(deps.s3, options.location, key, entry, condition)
}

/**
 * This job holds the claim: resolve (describe, compare, register if needed) while refreshing
 * the claim, then write the ARN, or `abandoned` when resolving failed so the others take over
 * at once instead of after takeoverMs.
 */
async function holdClaim(
  deps: RaceDeps,
  options: RaceOptions,
  key: string,
  url: string,
  claimEtag: string
): Promise<RaceResult> {
  const { clock, logger, s3 } = deps
  const t = { ...RACE_TIMINGS, ...deps.timings }
  logger.info(
    `Claimed ${url}; resolving the task definition` +
      (options.alone === true ? '' : ' for the other jobs')
  )
  let etag: string | undefined = claimEtag
  const stop = new AbortController()
  const heartbeat = (async () => {
    for (;;) {
      await clock.sleep(t.heartbeatMs, stop.signal)
      if (stop.signal.aborted || etag === undefined) return
      const w: EntryWrite | undefined = await claim(deps, options, key, { ifMatch: etag }).catch(
        () => undefined
      )
      if (w?.kind === 'written') etag = w.etag
      // 412: taken over, stop refreshing; 409 (a write in progress): the next beat tries again.
      else if (w?.kind === 'conflict' && w.status === 412) etag = undefined
    }
  })()
  let result: RegisterResult
  try {
    result = await options.resolve()
  } catch (error) {
    stop.abort()
    await heartbeat
    if (etag !== undefined) {
      const abandoned: CacheEntry = {
        version: 1,
        state: 'abandoned',
        claimant: options.claimant,
        reason: describeError(error).slice(0, 300)
      }
      await writeEntry(s3, options.location, key, abandoned, { ifMatch: etag }).catch(() => {})
    }
    throw new ClaimFailed('resolving failed', { cause: error })
  }
  stop.abort()
  await heartbeat
  const resolved: CacheEntry = {
    version: 1,
    state: 'resolved',
    taskDefinitionArn: result.taskDefinitionArn,
    resolvedAt: new Date(clock.now()).toISOString()
  }
  const written =
    etag === undefined
      ? undefined
      : await writeUntilSettled(deps, options, key, url, resolved, etag)
  if (written?.kind === 'written') logger.info(`Wrote ${result.taskDefinitionArn} to ${url}`)
  else if (written?.kind === 'conflict') {
    logger.info(`Another job took the claim on ${url} over; not writing it`)
  }
  return {
    taskDefinitionArn: result.taskDefinitionArn,
    registered: result.registered,
    source: 'claim'
  }
}

/** Attempts at the final write while S3 answers 409 ConditionalRequestConflict. */
const CONFLICT_ATTEMPTS = 10

/**
 * The claimant's final write, If-Match its claim. 409 ConditionalRequestConflict means another
 * write of the key was in progress (a late job's claim attempt), not that the claim is lost, and
 * S3 says to retry; 412 means another job took the claim over. Other errors are logged: the job
 * still runs what it resolved, and the others take over after takeoverMs.
 */
async function writeUntilSettled(
  deps: RaceDeps,
  options: RaceOptions,
  key: string,
  url: string,
  entry: CacheEntry,
  etag: string
): Promise<EntryWrite | undefined> {
  const t = { ...RACE_TIMINGS, ...deps.timings }
  for (let attempt = 1; ; attempt++) {
    let written: EntryWrite
    try {
      written = await writeEntry(deps.s3, options.location, key, entry, { ifMatch: etag })
    } catch (error) {
      deps.logger.warning(`Could not write ${url}: ${describeError(error)}`)
      return undefined
    }
    if (written.kind !== 'conflict' || written.status !== 409 || attempt >= CONFLICT_ATTEMPTS) {
      return written
    }
    await deps.clock.sleep(Math.floor(t.pollBaseMs / 2 + (deps.random() * t.pollBaseMs) / 2))
  }
}
