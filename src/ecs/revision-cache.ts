/**
 * The bucket as a cache of resolved task definition revisions, and the place where jobs that
 * race on one changed definition agree on who registers it.
 *
 * The canonical RegisterTaskDefinition request (the form the comparison sees) hashes to
 * `<prefix>/task-definitions/<family>/<sha256>.json`. The object is one of:
 *   - `resolved`: names the revision ARN of that content; a job that reads it runs the ARN with
 *     no DescribeTaskDefinition and no RegisterTaskDefinition call;
 *   - `claimed`: one job is describing and registering it right now;
 *   - `abandoned`: that job failed; the next reader takes the claim over at once.
 * The format and its checks live here; the claim/wait/take-over loop is in revision-race.ts.
 */
import { createHash } from 'node:crypto'
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs'
import { errorName, httpStatus } from '../util/errors.js'
import { isAccessDenied, isNotFound } from '../aws/errors.js'
import { prefixKey, s3ObjectArn } from '../aws/s3.js'
import { parseJson } from '../util/objects.js'
import { canonicalRequestText } from './compare.js'

/** Where the cache lives: the notification bucket and prefix. */
export interface CacheLocation {
  bucket: string
  /** Key prefix without leading or trailing `/`; '' for the bucket's root. */
  prefix: string
  /** The caller's region, for the partition of the ARNs in messages (undefined: `aws`). */
  region?: string
}

/** Bumped when the entry format or the canonical form changes, so old entries are not read. */
export const ENTRY_VERSION = 1

export type CacheEntry =
  | { version: 1; state: 'claimed'; claimedAt: string; claimant: string }
  | { version: 1; state: 'abandoned'; claimant: string; reason: string }
  | { version: 1; state: 'resolved'; taskDefinitionArn: string; resolvedAt: string }

/** The hex SHA-256 of the canonical request: equal definitions, equal digests. */
export function requestDigest(request: RegisterTaskDefinitionCommandInput): string {
  return createHash('sha256')
    .update(`v${ENTRY_VERSION}\n${canonicalRequestText(request)}`)
    .digest('hex')
}

/** `<prefix>/task-definitions/<family>/<sha256>.json`. */
export function cacheKey(prefix: string, request: RegisterTaskDefinitionCommandInput): string {
  return prefixKey(
    prefix,
    'task-definitions',
    request.family ?? '',
    `${requestDigest(request)}.json`
  )
}

/** The key pattern the action's role must be allowed to write, for messages and docs. */
export function cacheResourceArn(location: CacheLocation): string {
  return s3ObjectArn(
    location.region,
    location.bucket,
    prefixKey(location.prefix, 'task-definitions/*')
  )
}

/** Objects larger than this are not entries (a resolved entry is about 200 bytes). */
export const MAX_ENTRY_BYTES = 4096

/** The entry in `text`, or undefined when it is not a well-formed entry of this version. */
export function parseEntry(text: string): CacheEntry | undefined {
  if (text.length > MAX_ENTRY_BYTES) return undefined
  const value = parseJson(text)
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (v.version !== ENTRY_VERSION) return undefined
  const isText = (x: unknown): x is string => typeof x === 'string' && x !== ''
  if (v.state === 'resolved' && isText(v.taskDefinitionArn) && isText(v.resolvedAt)) {
    return {
      version: 1,
      state: 'resolved',
      taskDefinitionArn: v.taskDefinitionArn,
      resolvedAt: v.resolvedAt
    }
  }
  if (v.state === 'claimed' && isText(v.claimedAt) && isText(v.claimant)) {
    return { version: 1, state: 'claimed', claimedAt: v.claimedAt, claimant: v.claimant }
  }
  if (v.state === 'abandoned' && isText(v.claimant) && typeof v.reason === 'string') {
    return { version: 1, state: 'abandoned', claimant: v.claimant, reason: v.reason }
  }
  return undefined
}

/** Who may be named by an entry: the family, and the region and account when known. */
export interface TrustScope {
  family: string
  region: string
  /** The account, when known (from the role ARNs of the definition); else any account. */
  account?: string
}

/**
 * true when `arn` is a revision of `scope.family` in its region (and account, when known). An
 * entry naming anything else is ignored and rewritten: whoever may write the cache path
 * chooses which revision of the family runs, but never another family, account or region.
 */
export function isTrustedArn(arn: string, scope: TrustScope): boolean {
  const match = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):task-definition\/([^:/]+):(\d+)$/.exec(
    arn
  )
  if (!match) return false
  const [, region, account, family] = match
  return (
    region === scope.region &&
    family === scope.family &&
    (scope.account === undefined || account === scope.account)
  )
}

/** The account of the task or execution role ARN in the request, when it names one. */
export function accountOfRequest(request: RegisterTaskDefinitionCommandInput): string | undefined {
  for (const arn of [request.taskRoleArn, request.executionRoleArn]) {
    const match = arn ? /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(arn) : null
    if (match?.[1]) return match[1]
  }
  return undefined
}

// ---- S3 reads and writes ---------------------------------------------------------------------

export type EntryRead =
  | { kind: 'missing' }
  /** 403: denied, or a missing key read without s3:ListBucket (docs/limits.md, "S3 403 versus 404"). */
  | { kind: 'denied' }
  /** `entry` is undefined when the object is not a well-formed entry. */
  | { kind: 'found'; etag: string; entry: CacheEntry | undefined; size: number }

export type EntryWrite =
  | { kind: 'written'; etag: string }
  /** 412 PreconditionFailed or 409 ConditionalRequestConflict: someone else wrote first. */
  | { kind: 'conflict'; status: number }
  | { kind: 'denied' }

/** One GET of the entry. Other S3 errors are thrown. */
export async function readEntry(
  s3: Pick<S3Client, 'send'>,
  location: CacheLocation,
  key: string
): Promise<EntryRead> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }))
    const text = (await out.Body?.transformToString()) ?? ''
    return { kind: 'found', etag: out.ETag ?? '', entry: parseEntry(text), size: text.length }
  } catch (error) {
    if (isNotFound(error, { anyStatus: true })) return { kind: 'missing' }
    if (isAccessDenied(error, { anyStatus: true })) return { kind: 'denied' }
    throw error
  }
}

/**
 * A conditional PUT: `ifNoneMatch` creates the key only when it does not exist, `ifMatch`
 * replaces it only when its ETag is still that one (S3 conditional writes; the SDK sends
 * IfMatch from 3.700.0, docs/limits.md, "S3 conditional writes"). Other S3 errors are thrown.
 */
export async function writeEntry(
  s3: Pick<S3Client, 'send'>,
  location: CacheLocation,
  key: string,
  entry: CacheEntry,
  condition: { ifNoneMatch: '*' } | { ifMatch: string }
): Promise<EntryWrite> {
  try {
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: key,
        Body: JSON.stringify(entry),
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
    if (isAccessDenied(error, { anyStatus: true })) return { kind: 'denied' }
    throw error
  }
}
