/**
 * Classifying ECS (and other AWS) errors by `instanceof <Service>ServiceException`-style names
 * and messages, for the retry loops in this folder.
 */
import { escapeLogText } from '../util/safe-text.js'
import { errorMessage, errorName, httpStatus } from '../util/errors.js'

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException'
])

/** Errors raised below HTTP: the request may or may not have reached AWS. */
const NETWORK_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN'
])

/** ECS is throttling this account (docs/limits.md, "Token buckets"). */
export function isThrottling(error: unknown): boolean {
  if (THROTTLING_NAMES.has(errorName(error))) return true
  if (httpStatus(error) === 429) return true
  // ECS has answered throttling as a ClientException "Rate exceeded" too.
  return errorName(error) === 'ClientException' && /rate exceeded/i.test(errorMessage(error))
}

/** Throttling, a 5xx answer (ServerException) or a network error: worth retrying as is. */
export function isTransient(error: unknown): boolean {
  if (isThrottling(error)) return true
  const name = errorName(error)
  if (name === 'ServerException' || name === 'ServiceUnavailable' || name === 'InternalError')
    return true
  const status = httpStatus(error)
  if (status !== undefined && status >= 500) return true
  if (NETWORK_NAMES.has(name)) return true
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && NETWORK_NAMES.has(code)
}

/** ECS refuses a register while another one of the same family is in progress. */
export function isTooManyConcurrentRevisions(error: unknown): boolean {
  return (
    errorName(error) === 'ClientException' &&
    errorMessage(error).includes('Too many concurrent attempts to create a new revision')
  )
}

/** DescribeTaskDefinition's answer for a family without an ACTIVE revision. */
export function isNoSuchTaskDefinition(error: unknown): boolean {
  return (
    errorName(error) === 'ClientException' &&
    errorMessage(error).includes('Unable to describe task definition')
  )
}

/**
 * `Name: message`, or the message alone when the error has no SDK name; without a final
 * period, so callers can end the sentence themselves. Safe for a log line (escapeLogText): an
 * AWS error message is foreign text, and may quote what the caller sent.
 */
export function describeError(error: unknown): string {
  const name = errorName(error)
  const message = errorMessage(error).replace(/\.+$/, '')
  return escapeLogText(
    name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message
  )
}

/** An account quota that refused a RunTask: which one, and its Service Quotas code. */
export interface AccountQuota {
  kind: 'fargate-vcpu' | 'fargate-tasks' | 'provisioning'
  /** The quota as Service Quotas names it, with its code. */
  name: string
}

/**
 * The account quotas RunTask answers with (docs/limits.md, "Account quotas"): each is a
 * case-insensitive part of the failure reason (or, for the PROVISIONING limit, of a
 * ClientException's message), and the quota it names.
 */
const ACCOUNT_QUOTAS: { text: string; quota: AccountQuota }[] = [
  {
    text: 'reached the limit on the number of vcpus you can run concurrently',
    quota: {
      kind: 'fargate-vcpu',
      name: 'Fargate vCPU quota (Fargate On-Demand vCPU resource count, L-3032A538; Spot: L-36FBB829)'
    }
  },
  {
    text: 'reached the limit on the number of tasks you can run concurrently',
    quota: {
      kind: 'fargate-tasks',
      name: 'Fargate task quota (Fargate On-Demand resource count, L-790AF391, now the vCPU quota L-3032A538)'
    }
  },
  {
    text: 'tasks provisioning capacity limit exceeded',
    quota: {
      kind: 'provisioning',
      name: 'limit of tasks in the PROVISIONING state (Tasks in PROVISIONING state per cluster, L-B7718569)'
    }
  }
]

/** The account quota a RunTask failure reason (or error message) names; undefined for others. */
export function accountQuotaOf(reason: string | undefined): AccountQuota | undefined {
  if (!reason) return undefined
  const text = reason.toLowerCase()
  return ACCOUNT_QUOTAS.find((q) => text.includes(q.text))?.quota
}
