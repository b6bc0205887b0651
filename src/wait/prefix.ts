/**
 * The notification prefix: where the notifier writes `started.json` and `stopped.json` for each
 * task (docs/hako.md, "S3 notifications").
 */
import { UserError } from '../util/errors.js'
import { prefixKey } from '../aws/s3.js'
import type { NotificationPrefix } from '../model/task.js'

const EXPECTED =
  "expected 's3://<bucket>/<prefix>' (optionally '?region=<region>'), or 'none' to wait through DescribeTasks"

// S3 bucket names: 3-63 characters of lowercase letters, digits, dots and hyphens, starting and
// ending with a letter or digit. Legacy us-east-1 buckets may also hold upper case and '_'.
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/

/**
 * Parses `s3://bucket/prefix[?region=<region>]` as hako reads it (bucket = host, prefix = path
 * without its leading `/`, docs/hako.md, "S3 notifications"); a trailing `/` is tolerated. The `?region=` query
 * is honoured as cookpad/barbeque does, else `defaultRegion` (the scheduler's region) applies.
 * `none` returns 'none' (wait through DescribeTasks).
 *
 * @param source where the value came from, for messages: `input notification-prefix` or
 *   `batch.yml: scheduler.oneshot_notification_prefix`.
 * @throws UserError naming `source`, the bad value and the expected form.
 */
export function parseNotificationPrefix(
  value: string,
  defaultRegion: string | undefined,
  source: string
): NotificationPrefix | 'none' {
  const text = value.trim()
  if (text === 'none') return 'none'
  const fail = (what: string): never => {
    throw new UserError(`${source}: ${what}, got '${value}'; ${EXPECTED}`)
  }
  if (!text.startsWith('s3://')) fail('not an s3:// URL')
  const rest = text.slice('s3://'.length)
  const queryAt = rest.indexOf('?')
  const location = queryAt < 0 ? rest : rest.slice(0, queryAt)
  const query = queryAt < 0 ? '' : rest.slice(queryAt + 1)
  const slash = location.indexOf('/')
  const bucket = slash < 0 ? location : location.slice(0, slash)
  const path = slash < 0 ? '' : location.slice(slash + 1)
  if (bucket === '') fail('no bucket name')
  if (!BUCKET.test(bucket)) fail(`'${bucket}' is not a valid S3 bucket name`)
  const prefix = path.replace(/\/+$/, '')
  if (prefix.startsWith('/') || prefix.includes('//')) fail('empty segment in the key prefix')

  let region = defaultRegion
  if (query !== '') {
    const params = new URLSearchParams(query)
    for (const name of params.keys()) {
      if (name !== 'region') fail(`unknown query parameter '${name}' (only 'region' is read)`)
    }
    const given = params.get('region') ?? ''
    if (!REGION.test(given)) fail(`'${given}' is not an AWS region name such as ap-northeast-1`)
    region = given
  }
  return region === undefined ? { bucket, prefix, source } : { bucket, prefix, region, source }
}

/**
 * The prefix in force: the `notification-prefix` input, else the definition's
 * `scheduler.oneshot_notification_prefix`. Undefined when neither is set (wait through
 * DescribeTasks); 'none' when the one in force says `none`.
 * @throws UserError naming the input or the file and key when the value is malformed.
 */
export function resolveNotificationPrefix(options: {
  /** The `notification-prefix` input; undefined when empty. */
  input?: string
  /** scheduler.oneshot_notification_prefix, verbatim. */
  definitionValue?: string
  /** The definition file, for messages. */
  definitionFile: string
  /** The scheduler's region (or the region the action runs in). */
  defaultRegion?: string
}): NotificationPrefix | 'none' | undefined {
  const input = options.input?.trim()
  if (input) {
    return parseNotificationPrefix(input, options.defaultRegion, 'input notification-prefix')
  }
  const fromFile = options.definitionValue?.trim()
  if (fromFile) {
    return parseNotificationPrefix(
      fromFile,
      options.defaultRegion,
      `${options.definitionFile}: scheduler.oneshot_notification_prefix`
    )
  }
  return undefined
}

/**
 * The key of a task's notification: `<prefix>/<task ARN>/<name>.json`, the ARN verbatim with its
 * colons and slashes (docs/hako.md, "S3 notifications"); an empty prefix gives `<task ARN>/<name>.json`.
 */
export function notificationKey(
  prefix: string,
  taskArn: string,
  name: 'started' | 'stopped'
): string {
  return prefixKey(prefix, taskArn, `${name}.json`)
}
