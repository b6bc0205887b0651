/**
 * Fakes for the fan-out tests: an in-memory S3 bucket behind aws-sdk-client-mock that records
 * every request at its fake time, and ECS task state events.
 */
import { createHash } from 'node:crypto'
import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type ListObjectsV2CommandOutput
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import type { Clock } from '../../src/util/clock.js'

export const REGION = 'us-east-1'
export const ACCOUNT = '123456789012'
export const CLUSTER = 'batch'
export const BUCKET = 'notes'
export const PREFIX = 'oneshot'
/** `<prefix>/arn:aws:ecs:<region>:<account>:task/<cluster>/`: what a LIST asks for. */
export const LIST_PREFIX = `${PREFIX}/arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/`

/** The ARN of test task `n`. */
export function arn(n: number | string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${CLUSTER}/t${n}`
}

export function stoppedKey(taskArn: string): string {
  return `${PREFIX}/${taskArn}/stopped.json`
}

export function startedKey(taskArn: string): string {
  return `${PREFIX}/${taskArn}/started.json`
}

/** An "ECS Task State Change" event for `taskArn` (docs/ecs-events.md, "Event envelope"). */
export function stateEvent(
  taskArn: string,
  options: {
    lastStatus?: string
    exitCode?: number
    version?: number
    stopCode?: string
    stoppedReason?: string
    appReason?: string
    /** Leave the app container without exit code or reason (an incomplete stop). */
    incomplete?: boolean
  } = {}
): string {
  const status = options.lastStatus ?? 'STOPPED'
  const app: Record<string, unknown> = { name: 'app', lastStatus: status }
  if (!options.incomplete && status === 'STOPPED') app.exitCode = options.exitCode ?? 0
  if (options.appReason !== undefined) app.reason = options.appReason
  const detail: Record<string, unknown> = {
    taskArn,
    clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`,
    lastStatus: status,
    desiredStatus: 'STOPPED',
    containers: [app],
    createdAt: '2026-11-28T10:00:00.000Z',
    startedAt: '2026-11-28T10:00:05.000Z',
    version: options.version ?? 3
  }
  if (status === 'STOPPED') {
    detail.stopCode = options.stopCode ?? 'EssentialContainerExited'
    detail.stoppedReason = options.stoppedReason ?? 'Essential container in task exited'
    detail.stoppedAt = '2026-11-28T10:00:35.000Z'
  }
  return JSON.stringify({
    version: '0',
    id: 'e1',
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: ACCOUNT,
    time: '2026-11-28T10:00:35.000Z',
    region: REGION,
    resources: [taskArn],
    detail
  })
}

export function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })
}

/** An in-memory bucket behind a mocked S3Client; `requests` records `<ms> <op> <key>`. */
export interface FakeBucket {
  client: S3Client
  objects: Map<string, { body: string; etag: string }>
  requests: string[]
  /** When set, every LIST fails with this S3 error name (HTTP 500). */
  listError?: string
  /** When set, every GET fails with what this returns for its key (undefined: no failure). */
  getError?: (key: string) => Error | undefined
  put(key: string, body: string): void
  restore(): void
}

export function fakeBucket(clock: Clock, origin = clock.now()): FakeBucket {
  const client = new S3Client({ region: REGION })
  const mock = mockClient(client)
  const objects = new Map<string, { body: string; etag: string }>()
  const requests: string[] = []
  const at = (): number => clock.now() - origin
  mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    requests.push(`${at()} GET ${input.Key}`)
    const failure = fake.getError?.(input.Key)
    if (failure !== undefined) throw failure
    const object = objects.get(input.Key)
    if (object === undefined) throw s3Error('NoSuchKey', 404)
    return {
      ETag: object.etag,
      ContentLength: Buffer.byteLength(object.body),
      Body: { transformToString: () => Promise.resolve(object.body) },
      $metadata: {}
    }
  })
  mock
    .on(ListObjectsV2Command)
    .callsFake((input: { Prefix: string; MaxKeys?: number; ContinuationToken?: string }) => {
      requests.push(
        `${at()} LIST ${input.Prefix}${input.ContinuationToken ? ` after ${input.ContinuationToken}` : ''}`
      )
      if (fake.listError !== undefined) throw s3Error(fake.listError, 500)
      const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix)).sort()
      const from = input.ContinuationToken ? keys.indexOf(input.ContinuationToken) + 1 : 0
      const max = input.MaxKeys ?? 1000
      const page = keys.slice(from, from + max)
      const truncated = from + max < keys.length
      return {
        Contents: page.map((Key) => ({ Key, ETag: objects.get(Key)?.etag })),
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: page[page.length - 1] } : {}),
        KeyCount: page.length,
        $metadata: {}
      } as ListObjectsV2CommandOutput
    })
  const fake: FakeBucket = {
    client,
    objects,
    requests,
    put(key, body) {
      const etag = `"${createHash('md5').update(body).digest('hex')}"`
      objects.set(key, { body, etag })
    },
    restore: () => mock.restore()
  }
  return fake
}
