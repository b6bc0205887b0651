/**
 * How an S3 answer reads for a caller that writes or reads small objects and must never fail the
 * step: SlowDown, timeouts, 429, 5xx and network errors (no HTTP answer at all) are worth another
 * try after a backoff; anything else (AccessDenied, NoSuchBucket, a 4xx) will answer the same
 * again. S3 answers 503 SlowDown when a prefix passes its request rate (3,500 PUT and 5,500 GET a
 * second per partitioned prefix, docs/limits.md).
 */
import { errorName, httpStatus } from '../util/errors.js'
import { partitionOf } from './console.js'

/** True for an S3 error worth retrying: SlowDown, timeouts, 429, 5xx and network errors. */
export function isRetryableS3Error(error: unknown): boolean {
  const name = errorName(error)
  const status = httpStatus(error)
  return (
    name === 'SlowDown' ||
    name === 'RequestTimeout' ||
    name === 'TimeoutError' ||
    status === 429 ||
    status === undefined ||
    status >= 500
  )
}

/** `arn:<partition>:s3:::<bucket>/<key pattern>`, the partition taken from the bucket's region. */
export function s3ObjectArn(region: string, bucket: string, keyPattern: string): string {
  return `arn:${partitionOf(region)}:s3:::${bucket}/${keyPattern}`
}
