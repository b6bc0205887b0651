/**
 * The notifier: an EventBridge "ECS Task State Change" event in, a notification object out, at
 * `<prefix>/<task ARN>/started.json` or `.../stopped.json`, the layout hako and its example
 * Lambda use (docs/hako.md). Deployed inline by notifier/template.yml, where CloudFormation
 * writes it to index.js and the Node.js runtime loads it as CommonJS with the AWS SDK v3 it
 * ships (docs/ecs-events.md); scripts/build-notifier.js compiles this file into the template.
 * So: one import, @aws-sdk/client-s3, and nothing else.
 *
 * The object holds the event's envelope and a `detail` cut down to what readers use (see
 * `KEPT`): an event carries the task's RunTask `overrides`, whose environment values may be
 * secrets, and the bucket keeps objects for weeks, readable by anyone who may read the prefix.
 */
import {
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput
} from '@aws-sdk/client-s3'

/** What processEvent needs from outside. */
export interface NotifierDeps {
  /** The client that reads and writes the notification objects. */
  s3: S3Client
  /** The notification bucket. */
  bucket: string
  /** Key prefix without leading or trailing '/'; '' puts the task ARN at the bucket's root. */
  prefix: string
  /** One log line (CloudWatch Logs in Lambda). */
  log: (line: string) => void
}

/** What happened to one event. */
export interface EventOutcome {
  /** `written` when this event is now the stored notification. */
  action: 'written' | 'skipped'
  /** The notification key the event was for, when it had one. */
  key?: string
  /** Why, for the log. */
  reason: string
}

/**
 * How many times one event re-reads and retries after another invocation changed its object
 * first. Each retry means a competing writer succeeded, so this bounds the racing invocations
 * for one key (a task sends a handful of events), not the time.
 */
const ATTEMPTS = 10

type Notice = { file: 'started' | 'stopped'; arn: string; version: number } | string

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** The notification an event makes, or why it makes none. */
function classify(event: unknown): Notice {
  if (!isObject(event) || event.source !== 'aws.ecs') return 'not an aws.ecs event'
  if (event['detail-type'] !== 'ECS Task State Change') return 'not an ECS Task State Change'
  const d = event.detail
  if (!isObject(d)) return 'no detail'
  const arn = d.taskArn
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) return 'no detail.taskArn'
  const version = d.version as number
  if (!Number.isSafeInteger(version)) return `no integer detail.version for ${arn}`
  // hako's example Lambda writes started.json once the task and every container run, and
  // stopped.json on STOPPED (docs/hako.md); other statuses are progress nobody waits for.
  if (d.lastStatus === 'STOPPED') return { file: 'stopped', arn, version }
  const containers = d.containers
  if (
    d.lastStatus === 'RUNNING' &&
    Array.isArray(containers) &&
    containers.every((c) => isObject(c) && c.lastStatus === 'RUNNING')
  )
    return { file: 'started', arn, version }
  return `${arn} is ${String(d.lastStatus)}, not every container RUNNING`
}

/**
 * The only property names a notification keeps, at any depth (JSON.stringify's allowlist): the
 * envelope, the task fields readers use and each container's name, status, exit code and
 * reason. hako's S3 poller reads started.json's containerInstanceArn and startedAt, and
 * stopped.json's whole detail as a Task: stoppedAt, stoppedReason and each container's name,
 * exitCode and reason (docs/hako.md); this action's reader takes TaskSnapshot's fields
 * (src/model/task-state.ts). `overrides` is left out, since its environment values may be secrets,
 * and so is any field ECS adds later, until someone decides it is safe to keep.
 */
const KEPT =
  'version id detail-type source account time region resources detail taskArn clusterArn taskDefinitionArn containerInstanceArn lastStatus desiredStatus stopCode stoppedReason createdAt startedAt stoppingAt stoppedAt executionStoppedAt launchType availabilityZone group startedBy containers name exitCode reason'

/** `detail.version` of a stored notification; -1 when unreadable, so any event replaces it. */
function storedVersion(text: string): number {
  try {
    const v: unknown = (JSON.parse(text) as { detail?: { version?: unknown } }).detail?.version
    return Number.isSafeInteger(v) ? (v as number) : -1
  } catch {
    return -1
  }
}

const errorName = (e: unknown): string => (isObject(e) ? String(e.name) : '')

/**
 * Handles one EventBridge event; never throws for a bad event (logs and skips), since a throw
 * only gets the same bad event retried. S3 errors other than a lost race (AccessDenied,
 * NoSuchBucket, throttling past the SDK's own retries) do throw: the invocation then fails and
 * is retried, and the function's error metric shows the broken setup.
 */
export async function processEvent(event: unknown, deps: NotifierDeps): Promise<EventOutcome> {
  const notice = classify(event)
  if (typeof notice === 'string') {
    deps.log(`skipped: ${notice}`)
    return { action: 'skipped', reason: notice }
  }
  const { s3, bucket } = deps
  const key = `${deps.prefix ? deps.prefix + '/' : ''}${notice.arn}/${notice.file}.json`
  const done = (action: EventOutcome['action'], reason: string): EventOutcome => {
    deps.log(`${action} s3://${bucket}/${key}: ${reason}`)
    return { action, key, reason }
  }
  const put: PutObjectCommandInput = {
    Bucket: bucket,
    Key: key,
    Body: JSON.stringify(event, KEPT.split(' ')),
    ContentType: 'application/json'
  }
  // Newest detail.version wins (events come at least once and out of order, docs/ecs-events.md),
  // made safe against racing invocations with S3 conditional writes: a PUT with
  // `If-None-Match: *` creates the object only if it is absent, and a PUT with `If-Match: <ETag>`
  // replaces it only if nobody wrote since we read that ETag. Either fails with 412
  // PreconditionFailed (or 409 ConditionalRequestConflict while another conditional write is in
  // flight) when another invocation got there first; we then read again and compare with what
  // it wrote. The first try creates without reading, the common case (one event per key), so a
  // missing key is never read.
  let etag: string | undefined
  for (let i = 0; i < ATTEMPTS; i++) {
    if (i > 0) {
      try {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        const stored = storedVersion((await got.Body?.transformToString()) ?? '')
        if (stored >= notice.version)
          return done('skipped', `holds version ${stored}, event has ${notice.version}`)
        etag = got.ETag
      } catch (e) {
        // Deleted since (lifecycle expiry): create it again.
        if (errorName(e) !== 'NoSuchKey') throw e
        etag = undefined
      }
    }
    try {
      await s3.send(
        new PutObjectCommand(etag ? { ...put, IfMatch: etag } : { ...put, IfNoneMatch: '*' })
      )
      return done('written', `version ${notice.version}`)
    } catch (e) {
      const name = errorName(e)
      if (name !== 'PreconditionFailed' && name !== 'ConditionalRequestConflict') throw e
    }
  }
  throw new Error(`s3://${bucket}/${key}: still changing after ${ATTEMPTS} conditional writes`)
}

/**
 * Makes `s3` refuse to send a PutObject whose IfMatch or IfNoneMatch did not become a header.
 * The runtime's bundled SDK decides: client-s3 sends If-None-Match from 3.635.0 and If-Match
 * from 3.700.0, and an older one drops the field without a word (docs/limits.md, "S3
 * conditional writes in the SDK"), which would turn "newest version wins" into "last write
 * wins". Checked on every PutObject, after serialization: the serializer names headers in lower
 * case; were one ever spelt otherwise, this fails loudly rather than quietly. The handler
 * installs it on its client at cold start.
 */
export function requireConditionalHeaders(s3: S3Client): S3Client {
  s3.middlewareStack.add(
    (next) => (args) => {
      const { IfMatch, IfNoneMatch } = args.input as PutObjectCommandInput
      const h = (args.request as { headers: Record<string, string | undefined> }).headers
      if ((IfMatch && !h['if-match']) || (IfNoneMatch && !h['if-none-match']))
        throw new Error(
          "This runtime's @aws-sdk/client-s3 is older than 3.700.0: it drops If-Match, so no write"
        )
      return next(args)
    },
    { step: 'finalizeRequest', name: 'conditionalHeaders' }
  )
  return s3
}

let client: S3Client | undefined

/** The Lambda entry: bucket and prefix from env (NOTIFICATION_BUCKET, NOTIFICATION_PREFIX). */
export async function handler(event: unknown): Promise<EventOutcome> {
  const bucket = process.env.NOTIFICATION_BUCKET
  if (!bucket) throw new Error('Set NOTIFICATION_BUCKET to the notification bucket name')
  client ??= requireConditionalHeaders(new S3Client({}))
  return processEvent(event, {
    s3: client,
    bucket,
    prefix: (process.env.NOTIFICATION_PREFIX ?? '').replace(/^\/+|\/+$/g, ''),
    // Lambda sends console output to CloudWatch Logs, tagged with the request id.
    // eslint-disable-next-line no-console
    log: (line) => console.log(line)
  })
}
