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
