/**
 * How the bucket has been answering, and what its failures mean (pure): SlowDown, 5xx and
 * network errors back the reads off (said once per run of errors, naming the endpoint when S3
 * was never reached); reads that cannot succeed (NoSuchBucket, wrong region ...) fall back to
 * DescribeTasks after BROKEN_READS_BEFORE_FALLBACK in a row; listing that is denied or keeps
 * failing is given up for a GET per task. The engine keeps the state and logs the lines.
 */
import { escapeLogText } from '../util/safe-text.js'
import { errorName, foreignErrorMessage } from '../util/errors.js'
import type { NotificationPrefix } from '../model/task.js'
import { BROKEN_READS_BEFORE_FALLBACK } from './end-rules.js'
import { fallbackMessage, listDeniedMessage, unreachableMessage } from './messages.js'
import { isAccessDenied, isRetryableS3, isUnreachable } from '../aws/errors.js'
import type { LogLine } from './observations.js'
import { s3Url } from '../aws/s3.js'

/** The bucket's recent answers. */
export interface S3Health {
  /** Retryable errors (SlowDown, 5xx, network) in a row. */
  retries: number
  /** Reads in a row that cannot succeed (NoSuchBucket, wrong region ...). */
  broken: number
  /** LISTs in a row that failed. */
  listErrors: number
  /** Some S3 request was answered (so S3 can be reached). */
  answered: boolean
  /** Why listing was given up (denied, or failing while GETs may work); undefined: it works. */
  listOff?: string
  /** LIST pages the prefix took last time. */
  pages: number
}

export const FRESH_HEALTH: S3Health = {
  retries: 0,
  broken: 0,
  listErrors: 0,
  answered: false,
  pages: 1
}

/** Errors in a row, for the read backoff. */
export function errorsInARow(health: S3Health): number {
  return health.retries + health.broken
}

/** Where the messages point. */
export interface HealthContext {
  prefix: NotificationPrefix
  /** The S3 endpoint the client talks to, for the message when it cannot be reached. */
  endpoint?: string
}

/** The health after a change, the lines to log, and whether to wait through DescribeTasks. */
export interface HealthChange {
  health: S3Health
  logs: LogLine[]
  /** 'describe': the bucket cannot be read; 'get': stop listing. */
  mode?: 'describe' | 'get'
}

/** What one GET's answer does to the health: `outcome` is its NotificationRead kind. */
export function afterGet(
  health: S3Health,
  outcome: { kind: 'answered' } | { kind: 'retry' | 'broken'; error: unknown; key: string },
  ctx: HealthContext
): HealthChange {
  const next: S3Health = {
    ...health,
    retries: outcome.kind === 'retry' ? health.retries + 1 : 0,
    broken: outcome.kind === 'broken' ? health.broken + 1 : 0,
    answered: health.answered || outcome.kind === 'answered'
  }
  if (outcome.kind === 'answered') return { health: next, logs: [] }
  if (outcome.kind === 'retry') return { health: next, logs: retryLogs(next, outcome, ctx) }
  const message =
    `Reading ${s3Url(ctx.prefix.bucket, outcome.key)} failed: ` +
    `${escapeLogText(errorName(outcome.error))}: ${foreignErrorMessage(outcome.error)}.`
  if (next.broken < BROKEN_READS_BEFORE_FALLBACK) {
    return { health: next, logs: [{ level: 'debug', message }] }
  }
  return {
    health: next,
    logs: [{ level: 'warning', message: fallbackMessage(ctx.prefix, message) }],
    mode: 'describe'
  }
}

/** A SlowDown, 5xx or network error: back off; said once per run of errors. */
function retryLogs(
  health: S3Health,
  failure: { error: unknown; key: string },
  ctx: HealthContext
): LogLine[] {
  const { error } = failure
  const logs: LogLine[] = [
    {
      level: 'debug',
      message: `S3 request for ${failure.key} failed (${foreignErrorMessage(error)}); backing off`
    }
  ]
  if (health.retries !== 1) return logs
  if (!health.answered && isUnreachable(error)) {
    logs.push({ level: 'warning', message: unreachableMessage(ctx.prefix, ctx.endpoint, error) })
  } else {
    const name = escapeLogText(errorName(error)) || 'an error'
    logs.push({ level: 'info', message: `S3 answered ${name}; backing off` })
  }
  return logs
}

/** A LIST round that was answered, page after page. */
export function afterList(health: S3Health, pages: number): S3Health {
  return {
    ...health,
    retries: 0,
    broken: 0,
    listErrors: 0,
    answered: true,
    pages: Math.max(1, pages)
  }
}

/** What a failed LIST of `listPrefix` means. */
export function afterListError(
  health: S3Health,
  failure: { error: unknown; listPrefix: string },
  ctx: HealthContext
): HealthChange {
  const { error } = failure
  const url = s3Url(ctx.prefix.bucket, failure.listPrefix)
  if (isAccessDenied(error)) {
    return {
      health: { ...health, listOff: 'listing the prefix was denied' },
      logs: [{ level: 'warning', message: listDeniedMessage(ctx.prefix, url) }],
      mode: 'get'
    }
  }
  const listErrors = health.listErrors + 1
  if (listErrors >= BROKEN_READS_BEFORE_FALLBACK) {
    // GETs of single keys may still work where listing does not.
    const message =
      `Listing ${url} failed ${listErrors} times in a row (last: ` +
      `${escapeLogText(errorName(error)) || 'error'}: ${foreignErrorMessage(error)}); reading ` +
      `each task's stopped.json instead.`
    return {
      health: {
        ...health,
        listErrors,
        listOff: `listing the prefix failed ${listErrors} times in a row`
      },
      logs: [{ level: 'warning', message }],
      mode: 'get'
    }
  }
  if (isRetryableS3(error)) {
    const next = { ...health, listErrors, retries: health.retries + 1 }
    return { health: next, logs: retryLogs(next, { error, key: failure.listPrefix }, ctx) }
  }
  const message = `Listing ${url} failed: ${escapeLogText(errorName(error))}: ${foreignErrorMessage(error)}`
  return { health: { ...health, listErrors }, logs: [{ level: 'debug', message }] }
}
