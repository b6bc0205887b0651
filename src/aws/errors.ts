/**
 * What an AWS error means, for every service the action calls (ECS, S3, CloudWatch Logs): the
 * one place that reads SDK error names, HTTP statuses and network error codes. Callers decide
 * what to do (retry, warn, fail); these only classify.
 *
 * - throttled: the service asks to slow down (ThrottlingException and its kin, S3's SlowDown, 429);
 * - transient: throttled, a server's failure (5xx) or a network error: worth retrying as is;
 * - unreachable: no HTTP answer at all, the service was never reached (DNS, refused, TLS);
 * - access denied: AccessDenied (S3), AccessDeniedException (ECS, Logs), or a 403 without a name;
 * - not found: NoSuchKey, NotFound (S3), ResourceNotFoundException (Logs), or a 404 without a name.
 */
import { errorMessage, errorName, httpStatus } from '../util/errors.js'

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  // S3's word for it, with a 503.
  'SlowDown'
])

/** A server's own failure, whatever its status says. */
const SERVER_NAMES = new Set([
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError'
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

/** Network error codes that mean the service was never reached: DNS, refused, reset, TLS, timeout. */
const UNREACHABLE =
  /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|TimeoutError|CERT_|ERR_TLS_|UNABLE_TO_VERIFY_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT)/

const DENIED_NAMES = new Set(['AccessDenied', 'AccessDeniedException'])

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound', 'ResourceNotFoundException'])

/** The `code` a Node.js network error carries, or ''. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}

/** The service is throttling this account (docs/limits.md, "Token buckets"). */
export function isThrottling(error: unknown): boolean {
  if (THROTTLING_NAMES.has(errorName(error))) return true
  if (httpStatus(error) === 429) return true
  // ECS has answered throttling as a ClientException "Rate exceeded" too.
  return errorName(error) === 'ClientException' && /rate exceeded/i.test(errorMessage(error))
}

/** Throttling, a server's failure (5xx) or a network error: worth retrying as is. */
export function isTransient(error: unknown): boolean {
  if (isThrottling(error)) return true
  const name = errorName(error)
  if (SERVER_NAMES.has(name)) return true
  if ((error as { $fault?: unknown } | null)?.$fault === 'server') return true
  const status = httpStatus(error)
  if (status !== undefined && status >= 500) return true
  return NETWORK_NAMES.has(name) || NETWORK_NAMES.has(errorCode(error))
}

/**
 * An S3 read worth trying again: anything transient, and any error without an HTTP answer
 * (the bucket's answer is what the wait needs; a failure before it says nothing about it).
 */
export function isRetryableS3(error: unknown): boolean {
  return isTransient(error) || httpStatus(error) === undefined
}

/** True for an error without any HTTP answer that says the service could not be reached. */
export function isUnreachable(error: unknown): boolean {
  if (httpStatus(error) !== undefined) return false
  return UNREACHABLE.test(errorCode(error)) || UNREACHABLE.test(errorName(error))
}

/**
 * AccessDenied or AccessDeniedException, or a 403 without an error name (S3 answers a HEAD so).
 * With `anyStatus`, every 403 counts whatever its name (InvalidAccessKeyId, ...): for a caller
 * whose answer to any refusal is the same.
 */
export function isAccessDenied(error: unknown, options: { anyStatus?: boolean } = {}): boolean {
  const name = errorName(error)
  if (DENIED_NAMES.has(name)) return true
  return httpStatus(error) === 403 && (name === '' || options.anyStatus === true)
}

/**
 * NoSuchKey, NotFound or ResourceNotFoundException, or a 404 without an error name. With
 * `anyStatus`, every 404 counts whatever its name (NoSuchBucket, ...): for a caller whose answer
 * to anything missing is the same.
 */
export function isNotFound(error: unknown, options: { anyStatus?: boolean } = {}): boolean {
  const name = errorName(error)
  if (NOT_FOUND_NAMES.has(name)) return true
  return httpStatus(error) === 404 && (name === '' || options.anyStatus === true)
}
