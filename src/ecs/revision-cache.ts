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
 * The key, the answer's format and its checks live here; the claim/wait/take-over loop is
 * bucket-race.ts, used by revision-race.ts.
 */
import { createHash } from 'node:crypto'
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs'
import {
  ENTRY_VERSION,
  parseRaceEntry,
  type CacheLocation,
  type Codec,
  type RaceEntry
} from './bucket-race.js'
import { canonicalRequestText } from './compare.js'
import { prefixKey, s3ObjectArn } from '../aws/s3.js'

export type { CacheLocation } from './bucket-race.js'

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

/** The answer of a task definition entry: the revision to run. */
export interface CachedRevision {
  taskDefinitionArn: string
}

/** A resolved entry holds `taskDefinitionArn`. */
export const REVISION_CODEC: Codec<CachedRevision> = {
  read: (fields) =>
    typeof fields.taskDefinitionArn === 'string' && fields.taskDefinitionArn !== ''
      ? { taskDefinitionArn: fields.taskDefinitionArn }
      : undefined,
  write: (value) => ({ taskDefinitionArn: value.taskDefinitionArn })
}

/** An entry, as stored: a resolved one names the revision beside `resolvedAt`. */
export type CacheEntry =
  | Exclude<RaceEntry<CachedRevision>, { state: 'resolved' }>
  | { version: 1; state: 'resolved'; taskDefinitionArn: string; resolvedAt: string }

/** The entry in `text`, or undefined when it is not a well-formed entry of this version. */
export function parseEntry(text: string): CacheEntry | undefined {
  const entry = parseRaceEntry(text, REVISION_CODEC)
  if (entry?.state !== 'resolved') return entry
  return {
    version: 1,
    state: 'resolved',
    taskDefinitionArn: entry.value.taskDefinitionArn,
    resolvedAt: entry.resolvedAt
  }
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
