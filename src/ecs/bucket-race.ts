/**
 * Many jobs, one answer: the claim / wait / take-over loop over one object of the notification
 * bucket (docs/registration.md, "The claim loop"). The first job to create the object with a
 * conditional write (`claimed`) works out the answer (a task definition revision, a service's
 * network) and writes it (`resolved`); the others read it. A claim is refreshed every
 * heartbeatMs while its job works, so it only goes stale when that job stopped; a job that
 * fails writes `abandoned` so the next reader takes the claim over at once. What the answer is
 * and how it is checked come in as a codec; the loop is the same for every answer. Pure logic
 * over injected S3, clock and random: the tests drive it on a fake clock.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { errorName, httpStatus } from '../util/errors.js'
import { isAccessDenied, isNotFound } from '../aws/errors.js'
import { s3Url } from '../aws/s3.js'
import { parseJson } from '../util/objects.js'
import type { Runtime } from '../util/runtime.js'
import { describeError } from './errors.js'

/** Where the entries live: the notification bucket and prefix. */
export interface CacheLocation {
  bucket: string
  /** Key prefix without leading or trailing `/`; '' for the bucket's root. */
  prefix: string
  /** The caller's region, for the partition of the ARNs in messages (undefined: `aws`). */
  region?: string
}

/** Bumped when the entry format changes, so old entries are not read. */
export const ENTRY_VERSION = 1

/** One entry: a claim in progress, a failed claim, or the answer `T`. */
export type RaceEntry<T> =
  | { version: 1; state: 'claimed'; claimedAt: string; claimant: string }
  | { version: 1; state: 'abandoned'; claimant: string; reason: string }
  | { version: 1; state: 'resolved'; resolvedAt: string; value: T }

/**
 * How an answer is stored: its fields sit in the entry beside `version`, `state` and
 * `resolvedAt`. `read` returns undefined when the fields are not a well-formed answer.
 */
export interface Codec<T> {
  read(fields: Record<string, unknown>): T | undefined
  write(value: T): Record<string, unknown>
}

/** Objects larger than this are not entries (an entry is a few hundred bytes). */
export const MAX_ENTRY_BYTES = 4096

/** The entry in `text`, or undefined when it is not a well-formed entry of this version. */
export function parseRaceEntry<T>(text: string, codec: Codec<T>): RaceEntry<T> | undefined {
  if (text.length > MAX_ENTRY_BYTES) return undefined
  const value = parseJson(text)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const v = value as Record<string, unknown>
  if (v.version !== ENTRY_VERSION) return undefined
  const isText = (x: unknown): x is string => typeof x === 'string' && x !== ''
  if (v.state === 'resolved' && isText(v.resolvedAt)) {
    const read = codec.read(v)
    return read === undefined
      ? undefined
      : { version: 1, state: 'resolved', resolvedAt: v.resolvedAt, value: read }
  }
  if (v.state === 'claimed' && isText(v.claimedAt) && isText(v.claimant)) {
    return { version: 1, state: 'claimed', claimedAt: v.claimedAt, claimant: v.claimant }
  }
  if (v.state === 'abandoned' && isText(v.claimant) && typeof v.reason === 'string') {
    return { version: 1, state: 'abandoned', claimant: v.claimant, reason: v.reason }
  }
  return undefined
}

/** The entry as stored: a resolved one's answer fields between `state` and `resolvedAt`. */
function entryText<T>(entry: RaceEntry<T>, codec: Codec<T>): string {
  if (entry.state !== 'resolved') return JSON.stringify(entry)
  return JSON.stringify({
    version: entry.version,
    state: entry.state,
    ...codec.write(entry.value),
    resolvedAt: entry.resolvedAt
  })
}

// ---- S3 reads and writes ---------------------------------------------------------------------

export type EntryRead<T> =
  | { kind: 'missing' }
  /** 403: denied, or a missing key read without s3:ListBucket (docs/limits.md, "S3 403 versus 404"). */
  | { kind: 'denied' }
  /** `entry` is undefined when the object is not a well-formed entry. */
  | { kind: 'found'; etag: string; entry: RaceEntry<T> | undefined; size: number }

export type EntryWrite =
  | { kind: 'written'; etag: string }
  /** 412 PreconditionFailed or 409 ConditionalRequestConflict: someone else wrote first. */
  | { kind: 'conflict'; status: number }
  | { kind: 'denied' }

function isDenied(error: unknown): boolean {
  return isAccessDenied(error, { anyStatus: true })
}

/** One GET of the entry. Other S3 errors are thrown. */
export async function readRaceEntry<T>(
  s3: Pick<S3Client, 'send'>,
  location: CacheLocation,
  key: string,
  codec: Codec<T>
): Promise<EntryRead<T>> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }))
    const text = (await out.Body?.transformToString()) ?? ''
    return {
      kind: 'found',
      etag: out.ETag ?? '',
      entry: parseRaceEntry(text, codec),
      size: text.length
    }
  } catch (error) {
    if (isNotFound(error, { anyStatus: true })) return { kind: 'missing' }
    if (isDenied(error)) return { kind: 'denied' }
    throw error
  }
}

/**
 * A conditional PUT: `ifNoneMatch` creates the key only when it does not exist, `ifMatch`
 * replaces it only when its ETag is still that one (S3 conditional writes; the SDK sends
 * IfMatch from 3.700.0, docs/limits.md, "S3 conditional writes"). Other S3 errors are thrown.
 */
export async function writeRaceEntry<T>(
  s3: Pick<S3Client, 'send'>,
  target: { location: CacheLocation; key: string; codec: Codec<T> },
  entry: RaceEntry<T>,
  condition: { ifNoneMatch: '*' } | { ifMatch: string }
): Promise<EntryWrite> {
  try {
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: target.location.bucket,
        Key: target.key,
        Body: entryText(entry, target.codec),
        ContentType: 'application/json',
        ...('ifMatch' in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: '*' })
      })
    )
    return { kind: 'written', etag: out.ETag ?? '' }
  } catch (error) {
    const status = httpStatus(error)
    const name = errorName(error)
    if (status === 412 || status === 409 || name === 'PreconditionFailed') {
      return { kind: 'conflict', status: status ?? 412 }
    }
    if (name === 'ConditionalRequestConflict') return { kind: 'conflict', status: 409 }
    if (isDenied(error)) return { kind: 'denied' }
    throw error
  }
}

// ---- the loop ----------------------------------------------------------------------------------

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
 * A winner resolves in about a second; waiting jobs re-read after 0.1-0.2 s, then 0.2-0.4 s,
 * ... up to 1-2 s, so most see the answer within one read of its write and 200 jobs read at
 * most about 200 times a second (S3 serves 5,500 GETs a second per prefix, docs/limits.md, "S3
 * request rates"). A claim is refreshed every 10 s, so 30 s without a change means its job
 * stopped: a dead job delays the others by 30 s once, never blocks them.
 */
export const RACE_TIMINGS: RaceTimings = {
  pollBaseMs: 200,
  pollCapMs: 2000,
  takeoverMs: 30000,
  heartbeatMs: 10000,
  maxWaitMs: 300000
}

/** One race for the answer under `key`. */
export interface ClaimRace<T> {
  location: CacheLocation
  key: string
  codec: Codec<T>
  /** Who claims, for the entry and for the logs of the others (a run URL and job). */
  claimant: string
  /** What is resolved, for the claim's line: `the task definition`. */
  what: string
  /** What the object should be, for the line when it is not: `a task definition cache entry`. */
  entryKind: string
  /** No other job waits on this claim (for the wording of the claim's line). */
  alone?: boolean
  /** Why a stored answer may not be used (the warning before it is rewritten); undefined: use it. */
  refuse(value: T, url: string): string | undefined
  /** The line when a job reads the answer. */
  hitLine(value: T, url: string): string
  /** What the answer is, for `Wrote <it> to <url>`. */
  shown(value: T): string
  /** What the job holding the claim does to get the answer. */
  resolve(): Promise<T>
  timings?: Partial<RaceTimings>
}

/** The answer, and whether it was read (`hit`) or worked out by this job (`claim`). */
export interface RaceOutcome<T> {
  value: T
  source: 'hit' | 'claim'
}

/**
 * Which permission on the entries a job lacks, as far as S3's answers tell: 403 on a PUT is
 * s3:PutObject; 403 on a GET of an entry that a conditional PUT found there is s3:GetObject (a
 * 403 alone may be a missing key read without s3:ListBucket, docs/limits.md, "S3 403 versus
 * 404"); 403 on both leaves s3:GetObject in doubt.
 */
export type MissingPermission = 'put' | 'get' | 'get-and-put'

/** The bucket cannot coordinate: this permission is missing. */
export class NoPermission extends Error {
  constructor(readonly missing: MissingPermission) {
    super(`no ${missing} permission`)
  }
}

/** The claimant's own resolve failed: its error (the cause), not the bucket's, fails the job. */
export class ClaimFailed extends Error {}

/**
 * Runs the race: the answer read from the bucket, or worked out by this job under its claim.
 * Throws NoPermission when the bucket cannot coordinate for lack of a permission, ClaimFailed
 * when this job's resolve failed, and S3's other errors as they come.
 */
export async function claimRace<T>(deps: RaceDeps, race: ClaimRace<T>): Promise<RaceOutcome<T>> {
  const { clock, random, logger, s3 } = deps
  const t = { ...RACE_TIMINGS, ...deps.timings, ...race.timings }
  const url = s3Url(race.location.bucket, race.key)
  const started = clock.now()
  let seen: { etag: string; since: number } | undefined
  let reads = 0
  for (;;) {
    const read = await readRaceEntry(s3, race.location, race.key, race.codec)
    let write: EntryWrite | undefined
    if (read.kind === 'missing' || read.kind === 'denied') {
      write = await claim(deps, race, { ifNoneMatch: '*' })
      if (write.kind === 'conflict' && read.kind === 'denied') {
        // It exists but this role cannot read it: no way to learn what it holds.
        throw new NoPermission('get')
      }
    } else if (
      read.entry?.state === 'resolved' &&
      race.refuse(read.entry.value, url) === undefined
    ) {
      logger.info(race.hitLine(read.entry.value, url))
      return { value: read.entry.value, source: 'hit' }
    } else if (read.entry?.state === 'claimed') {
      if (seen?.etag !== read.etag) seen = { etag: read.etag, since: clock.now() }
      if (clock.now() - seen.since >= t.takeoverMs) {
        logger.info(
          `The claim on ${url} by ${read.entry.claimant} has not changed for ` +
            `${Math.floor((clock.now() - seen.since) / 1000)} s; taking it over`
        )
        write = await claim(deps, race, { ifMatch: read.etag })
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
      logger.warning(replaceReason(read.entry, read.size, race, url))
      write = await claim(deps, race, { ifMatch: read.etag })
    }
    if (write.kind === 'written') return holdClaim(deps, race, url, write.etag)
    if (write.kind === 'denied') {
      throw new NoPermission(read.kind === 'denied' ? 'get-and-put' : 'put')
    }
    // Someone else wrote first: read what they wrote (after a short pause on 409).
    if (write.status === 409) await clock.sleep(Math.floor(random() * t.pollBaseMs))
  }
}

/** The warning before an entry that cannot be used is rewritten. */
function replaceReason<T>(
  entry: RaceEntry<T> | undefined,
  size: number,
  race: ClaimRace<T>,
  url: string
): string {
  if (entry === undefined) {
    return `Ignoring ${url}: not ${race.entryKind} (${size} bytes); rewriting it`
  }
  if (entry.state === 'abandoned') {
    return `${entry.claimant} could not resolve ${url} (${entry.reason}); trying again`
  }
  // Only a refused answer gets here: claimed entries are waited on.
  return entry.state === 'resolved' ? (race.refuse(entry.value, url) ?? '') : ''
}

function claim<T>(
  deps: RaceDeps,
  race: ClaimRace<T>,
  condition: { ifNoneMatch: '*' } | { ifMatch: string }
): Promise<EntryWrite> {
  const entry: RaceEntry<T> = {
    version: 1,
    state: 'claimed',
    claimedAt: new Date(deps.clock.now()).toISOString(),
    claimant: race.claimant
  }
  return writeRaceEntry(deps.s3, race, entry, condition)
}

/**
 * This job holds the claim: resolve while refreshing the claim, then write the answer, or
 * `abandoned` when resolving failed so the others take over at once instead of after
 * takeoverMs.
 */
async function holdClaim<T>(
  deps: RaceDeps,
  race: ClaimRace<T>,
  url: string,
  claimEtag: string
): Promise<RaceOutcome<T>> {
  const { clock, logger, s3 } = deps
  const t = { ...RACE_TIMINGS, ...deps.timings, ...race.timings }
  logger.info(
    `Claimed ${url}; resolving ${race.what}` + (race.alone === true ? '' : ' for the other jobs')
  )
  let etag: string | undefined = claimEtag
  const stop = new AbortController()
  const heartbeat = (async () => {
    for (;;) {
      await clock.sleep(t.heartbeatMs, stop.signal)
      if (stop.signal.aborted || etag === undefined) return
      const w: EntryWrite | undefined = await claim(deps, race, { ifMatch: etag }).catch(
        () => undefined
      )
      if (w?.kind === 'written') etag = w.etag
      // 412: taken over, stop refreshing; 409 (a write in progress): the next beat tries again.
      else if (w?.kind === 'conflict' && w.status === 412) etag = undefined
    }
  })()
  let value: T
  try {
    value = await race.resolve()
  } catch (error) {
    stop.abort()
    await heartbeat
    if (etag !== undefined) {
      const abandoned: RaceEntry<T> = {
        version: 1,
        state: 'abandoned',
        claimant: race.claimant,
        reason: describeError(error).slice(0, 300)
      }
      await writeRaceEntry(s3, race, abandoned, { ifMatch: etag }).catch(() => {})
    }
    throw new ClaimFailed('resolving failed', { cause: error })
  }
  stop.abort()
  await heartbeat
  const resolved: RaceEntry<T> = {
    version: 1,
    state: 'resolved',
    resolvedAt: new Date(clock.now()).toISOString(),
    value
  }
  const written =
    etag === undefined ? undefined : await writeUntilSettled(deps, race, url, resolved, etag)
  if (written?.kind === 'written') logger.info(`Wrote ${race.shown(value)} to ${url}`)
  else if (written?.kind === 'conflict') {
    logger.info(`Another job took the claim on ${url} over; not writing it`)
  }
  return { value, source: 'claim' }
}

/** Attempts at the final write while S3 answers 409 ConditionalRequestConflict. */
const CONFLICT_ATTEMPTS = 10

/**
 * The claimant's final write, If-Match its claim. 409 ConditionalRequestConflict means another
 * write of the key was in progress (a late job's claim attempt), not that the claim is lost, and
 * S3 says to retry; 412 means another job took the claim over. Other errors are logged: the job
 * still uses what it resolved, and the others take over after takeoverMs.
 */
async function writeUntilSettled<T>(
  deps: RaceDeps,
  race: ClaimRace<T>,
  url: string,
  entry: RaceEntry<T>,
  etag: string
): Promise<EntryWrite | undefined> {
  const t = { ...RACE_TIMINGS, ...deps.timings, ...race.timings }
  for (let attempt = 1; ; attempt++) {
    let written: EntryWrite
    try {
      written = await writeRaceEntry(deps.s3, race, entry, { ifMatch: etag })
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
