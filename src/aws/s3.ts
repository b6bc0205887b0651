/**
 * S3 keys under a key prefix, and the names S3 objects go by in messages: `s3://` URLs and
 * ARNs in the partition of the caller's region (`arn:aws-cn:s3:::...` in the China regions,
 * docs/ecs-events.md, "Console links"). Every key built from the notification prefix is joined
 * here, so a prefix of '' (the bucket's root) never gives a key that starts with `/`.
 */
import { partitionOf } from './console.js'

/**
 * `parts` joined with `/` under `prefix` (no leading or trailing `/`; '' for the bucket's root):
 * `prefixKey('p', 'a', 'b.json')` is `p/a/b.json`, `prefixKey('', 'a')` is `a`. A last part of
 * '' gives the folder form: `prefixKey('p', '')` is `p/`, `prefixKey('', '')` is ''.
 */
export function prefixKey(prefix: string, ...parts: string[]): string {
  return (prefix === '' ? parts : [prefix, ...parts]).join('/')
}

/** `s3://bucket/key`, for messages. */
export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`
}

/** The ARN of a bucket in the partition of `region` (undefined: the `aws` partition). */
export function s3BucketArn(region: string | undefined, bucket: string): string {
  return `arn:${partitionOf(region ?? '')}:s3:::${bucket}`
}

/** The ARN of an object, or of a key pattern such as `prefix/*`, in the partition of `region`. */
export function s3ObjectArn(region: string | undefined, bucket: string, key: string): string {
  return `${s3BucketArn(region, bucket)}/${key}`
}
