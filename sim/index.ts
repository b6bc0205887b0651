/**
 * Local AWS for end-to-end tests, the demo and the benchmark: an s3rver with a notification
 * bucket, and one loopback endpoint speaking ECS and CloudWatch Logs (AWS JSON 1.1), whose
 * task state events reach the project's notifier handler, which writes them into the s3rver.
 */
import type { FaultRates } from './faults.js'
import { setMaxListeners } from 'node:events'
import type { S3Client } from '@aws-sdk/client-s3'
import { processEvent as notifierProcessEvent } from '../notifier/handler.js'
import { systemClock, type Clock } from '../src/util/clock.js'
import {
  DeliveryChannel,
  type DeliveryOptions,
  type DeliveryRecord,
  type DeliveryStats,
  type EventSink
} from './delivery.js'
import {
  DEFAULT_TIMINGS,
  EcsSim,
  type FleetOptions,
  type LifecycleTimings,
  type SimServiceNetwork,
  type TaskTimeline
} from './ecs.js'
import type { TaskStateEvent } from './events.js'
import type { AccountQuotaOptions } from './account-quotas.js'
import { AwsError, startJsonServer, type JsonHandler } from './json-server.js'
import {
  DEFAULT_LOG_DELIVERY,
  filterLogEvents,
  getLogEvents,
  LogStore,
  logsLimitsOf
} from './logs.js'
import { seededRandom } from './random.js'
import { startS3Server, type S3ServerStats } from './s3-server.js'
import { Throttler, type BucketLimit, type ThrottleCategory } from './token-bucket.js'

export type { DeliveryOptions, DeliveryRecord, DeliveryStats, EventSink } from './delivery.js'
export type { FleetOptions, LifecycleTimings, TaskTimeline } from './ecs.js'
export type { AccountQuotaOptions } from './account-quotas.js'
export type { TaskStateEvent, TaskStateDetail } from './events.js'
export type { BucketLimit, ThrottleCategory } from './token-bucket.js'
export { DEFAULT_LIMITS } from './token-bucket.js'
export { DEFAULT_TIMINGS } from './ecs.js'
export type { LogEvent, LogStore } from './logs.js'

/** The account every ARN carries. */
export const ACCOUNT = '123456789012'

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113'
export const LOGS_TARGET_PREFIX = 'Logs_20140328'

/** What the notifier handler returns for one event. */
export interface NotifierResult {
  action: 'written' | 'skipped'
  key?: string
  reason: string
}

/** The notifier handler's entry (`processEvent` in notifier/handler.ts). */
export type ProcessEvent = (
  event: unknown,
  deps: { s3: S3Client; bucket: string; prefix: string; log: (line: string) => void }
) => Promise<NotifierResult>

export interface LocalAwsOptions {
  /** Region in ARNs and endpoints' env (default ap-northeast-1). */
  region?: string
  /** Real seconds per simulated second: 0.1 runs a 20 s task in 2 s (default 1). */
  timeScale?: number
  /** Clock for timers, timestamps and token buckets (default the system clock). */
  clock?: Clock
  /** Seed for ids, delivery delays, duplicates and drops (default 1). */
  seed?: number
  /** Notification bucket (default `oneshot-notifications`). */
  bucket?: string
  /** Key prefix inside the bucket, without slashes at the ends (default `oneshot`). */
  keyPrefix?: string
  /** Clusters that exist; others answer ClusterNotFoundException (default: every name exists). */
  clusters?: string[]
  /** EC2 container instances by cluster; a cluster without a fleet has unlimited capacity. */
  fleet?: Record<string, FleetOptions>
  /** The account's Fargate vCPU and task quotas (sim/account-quotas.ts); none by default. */
  quotas?: AccountQuotaOptions
  /** ECS services by `cluster/service` with their awsvpc network, for DescribeServices. */
  services?: Record<string, SimServiceNetwork>
  /** Lifecycle durations in simulated seconds (see DEFAULT_TIMINGS). */
  timings?: Partial<LifecycleTimings>
  /**
   * How container lines reach CloudWatch Logs, in simulated seconds: the awslogs driver's batch
   * interval (default 5, Docker's; 0 sends each line alone) and the ingestion delay of a batch
   * (default 0.1 to 0.5).
   */
  logDelivery?: { batchSeconds?: number; ingestSeconds?: [number, number] }
  /**
   * Token bucket limits by category (defaults: DEFAULT_LIMITS, and the Logs quotas of `region`,
   * sim/logs.ts `logsLimitsOf`); `false` turns throttling off.
   */
  throttling?: Partial<Record<ThrottleCategory, BucketLimit>> | false
  /** Event delay, duplication, reordering and loss. */
  delivery?: DeliveryOptions
  /**
   * Where events go. Default: notifier/handler.ts's `processEvent` writing into the s3rver.
   * A function: that handler instead. `false`: events are only recorded, never delivered.
   */
  notifier?: ProcessEvent | false
  /** Receives every delivered event instead of the notifier (tests of delivery itself). */
  sink?: EventSink
  /** Ports on 127.0.0.1 (default 0: free ones). */
  ports?: { aws?: number; s3?: number }
  /** PutObject of keys this matches answers 403 AccessDenied (a role without the grant). */
  s3DenyPut?: (key: string) => boolean
  /** Called with every event as it is emitted, before delay and loss (for logs and tools). */
  onEvent?: (event: TaskStateEvent) => void
  /** Where the notifier's log lines go (default: kept, see `notifierLog()`). */
  log?: (line: string) => void
  /** Random Spot interruptions, pull throttling and ENI timeouts of new tasks (faults.ts). */
  faults?: FaultRates
}

/** Calls by operation and throttled calls by operation. */
export interface CallStats {
  calls: Record<string, number>
  throttled: Record<string, number>
}

export interface LocalAwsStats {
  ecs: CallStats
  logs: CallStats
  s3: S3ServerStats
  events: DeliveryStats
  /** Every task with its timeline, in creation order. */
  tasks: TaskTimeline[]
}

export interface LocalAws {
  /** The ECS endpoint (http://127.0.0.1:<port>); also serves CloudWatch Logs. */
  ecsEndpoint: string
  logsEndpoint: string
  s3Endpoint: string
  region: string
  bucket: string
  /** Key prefix inside the bucket (`oneshot`). */
  keyPrefix: string
  /** `s3://<bucket>/<keyPrefix>`: the value for `oneshot_notification_prefix`. */
  prefix: string
  /** Environment a child process needs to reach these endpoints with dummy credentials. */
  env: Record<string, string>
  /** Client settings (region, endpoint, credentials) for SDK clients in the same process. */
  clientConfig(service: 'ecs' | 'logs' | 's3'): {
    region: string
    endpoint: string
    credentials: { accessKeyId: string; secretAccessKey: string }
    forcePathStyle?: boolean
  }
  /** An S3 client for the s3rver (path-style). */
  s3: S3Client
  /** The simulated CloudWatch Logs streams, for inspection (what was written, and when readable). */
  logs: LogStore
  /** The simulated ECS control plane, for direct inspection and fleet changes. */
  ecs: EcsSim
  stats(): LocalAwsStats
  /** Every event emitted so far, in emission order (before delay and loss). */
  events(): TaskStateEvent[]
  /** What happened to each event copy, in completion order. */
  deliveries(): DeliveryRecord[]
  /** Lines the notifier logged. */
  notifierLog(): string[]
  /** Resolves once every event emitted so far has been delivered, dropped or failed. */
  settled(): Promise<void>
  /**
   * Resolves once every event copy whose delay has elapsed has been written; with a fake clock,
   * call it after `advance`.
   */
  flush(): Promise<void>
  close(): Promise<void>
}

// s3rver accepts only this key pair (it checks signatures); the ECS endpoint accepts any.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

function bump(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1
}

/** Starts the s3rver and the ECS + Logs endpoint, wired through the event delivery channel. */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const region = options.region ?? 'ap-northeast-1'
  const clock = options.clock ?? systemClock
  const timeScale = options.timeScale ?? 1
  if (!(timeScale > 0)) throw new Error(`timeScale must be a positive number, got ${timeScale}`)
  const msPerSecond = 1000 * timeScale
  const random = seededRandom(options.seed ?? 1)
  const bucket = options.bucket ?? 'oneshot-notifications'
  const keyPrefix = (options.keyPrefix ?? 'oneshot').replace(/^\/+|\/+$/g, '')
  const abort = new AbortController()
  // Every pending timer listens on this signal; thousands of tasks are normal here.
  setMaxListeners(0, abort.signal)
  const notifierLines: string[] = []
  const log = options.log ?? ((line: string) => void notifierLines.push(line))

  const processEvent =
    options.sink || options.notifier === false
      ? undefined
      : typeof options.notifier === 'function'
        ? options.notifier
        : notifierProcessEvent

  const s3Server = await startS3Server({
    buckets: [bucket],
    port: options.ports?.s3,
    denyPut: options.s3DenyPut
  })
  const s3 = s3Server.client(region)
  const emitted: TaskStateEvent[] = []
  const records: DeliveryRecord[] = []
  const batchSeconds = options.logDelivery?.batchSeconds ?? DEFAULT_LOG_DELIVERY.batchMs / 1000
  const [ingestMin, ingestMax] = options.logDelivery?.ingestSeconds ?? [
    DEFAULT_LOG_DELIVERY.ingestMs[0] / 1000,
    DEFAULT_LOG_DELIVERY.ingestMs[1] / 1000
  ]
  const logs = new LogStore(clock, random, {
    batchMs: batchSeconds * msPerSecond,
    ingestMs: [ingestMin * msPerSecond, ingestMax * msPerSecond]
  })

  // The channel needs the sim (to record writes) and the sim needs the channel (to emit).
  let ecs: EcsSim | undefined // eslint-disable-line prefer-const -- assigned once both exist
  const sink: EventSink =
    options.sink ??
    (processEvent
      ? (event) => processEvent(event, { s3, bucket, prefix: keyPrefix, log })
      : () => Promise.resolve({ action: 'skipped', reason: 'delivery disabled' }))
  const channel = new DeliveryChannel(
    {
      sink,
      clock,
      random,
      msPerSecond,
      signal: abort.signal,
      onRecord: (record) => {
        records.push(record)
        const result = record.result as Partial<NotifierResult> | undefined
        if (record.outcome === 'delivered' && result?.action === 'written' && result.key) {
          if (result.key.endsWith('/stopped.json'))
            ecs?.markWritten(record.taskArn, 'stopped', record.at)
          if (result.key.endsWith('/started.json'))
            ecs?.markWritten(record.taskArn, 'started', record.at)
        }
      }
    },
    options.notifier === false && !options.sink
      ? { ...options.delivery, dropProbability: 1 }
      : options.delivery
  )
  ecs = new EcsSim({
    clock,
    random,
    region,
    account: ACCOUNT,
    msPerSecond,
    timings: { ...DEFAULT_TIMINGS, ...options.timings },
    clusters: options.clusters,
    fleet: options.fleet,
    quotas: options.quotas,
    ...(options.services !== undefined ? { services: options.services } : {}),
    logs,
    emit: (event) => {
      emitted.push(event)
      options.onEvent?.(event)
      channel.send(event)
    },
    signal: abort.signal,
    ...(options.faults !== undefined ? { faults: options.faults } : {})
  })
  const sim = ecs

  const throttler =
    options.throttling === false
      ? undefined
      : new Throttler(clock, { ...logsLimitsOf(region), ...options.throttling })
  const ecsStats: CallStats = { calls: {}, throttled: {} }
  const logsStats: CallStats = { calls: {}, throttled: {} }
  const metered =
    (
      stats: CallStats,
      handlers: Record<string, (body: Record<string, unknown>) => unknown>
    ): JsonHandler =>
    (operation, body) => {
      bump(stats.calls, operation)
      if (throttler && !throttler.allow(operation, body)) {
        bump(stats.throttled, operation)
        return Promise.reject(new AwsError('ThrottlingException', 'Rate exceeded'))
      }
      const handler = handlers[operation]
      if (!handler) {
        return Promise.reject(
          new AwsError('UnknownOperationException', `The simulator does not implement ${operation}`)
        )
      }
      try {
        return Promise.resolve(handler(body))
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)))
      }
    }
  // Request bodies are ECS's JSON, whose members are the SDK input types' members.
  const typed =
    <T>(fn: (body: T) => unknown) =>
    (body: Record<string, unknown>): unknown =>
      fn(body as T)
  const ecsHandlers: Record<string, (body: Record<string, unknown>) => unknown> = {
    RegisterTaskDefinition: typed(sim.registerTaskDefinition.bind(sim)),
    DescribeTaskDefinition: typed(sim.describeTaskDefinition.bind(sim)),
    DeregisterTaskDefinition: typed(sim.deregisterTaskDefinition.bind(sim)),
    ListTagsForResource: typed(sim.listTagsForResource.bind(sim)),
    RunTask: typed(sim.runTask.bind(sim)),
    DescribeTasks: typed(sim.describeTasks.bind(sim)),
    DescribeServices: typed(sim.describeServices.bind(sim)),
    StopTask: typed(sim.stopTask.bind(sim)),
    ListTasks: typed(sim.listTasks.bind(sim)),
    ListContainerInstances: typed(sim.listContainerInstances.bind(sim)),
    DescribeContainerInstances: typed(sim.describeContainerInstances.bind(sim))
  }
  let server
  try {
    server = await startJsonServer({
      port: options.ports?.aws,
      services: {
        [ECS_TARGET_PREFIX]: metered(ecsStats, ecsHandlers),
        [LOGS_TARGET_PREFIX]: metered(logsStats, {
          GetLogEvents: (b) => getLogEvents(logs, b),
          FilterLogEvents: (b) => filterLogEvents(logs, b)
        })
      }
    })
  } catch (error) {
    await s3Server.close()
    throw error
  }
  const endpoint = server.endpoint
  const config = (service: 'ecs' | 'logs' | 's3'): ReturnType<LocalAws['clientConfig']> =>
    service === 's3'
      ? { region, endpoint: s3Server.endpoint, credentials: CREDENTIALS, forcePathStyle: true }
      : { region, endpoint, credentials: CREDENTIALS }

  let closed = false
  return {
    ecsEndpoint: endpoint,
    logsEndpoint: endpoint,
    s3Endpoint: s3Server.endpoint,
    region,
    bucket,
    keyPrefix,
    prefix: `s3://${bucket}/${keyPrefix}`,
    env: {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_ECS: endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoint,
      AWS_ENDPOINT_URL_S3: s3Server.endpoint,
      // No instance metadata lookups when a credential is missing: fail fast instead.
      AWS_EC2_METADATA_DISABLED: 'true'
    },
    clientConfig: config,
    s3,
    logs,
    ecs: sim,
    stats: () => ({
      ecs: { calls: { ...ecsStats.calls }, throttled: { ...ecsStats.throttled } },
      logs: { calls: { ...logsStats.calls }, throttled: { ...logsStats.throttled } },
      s3: s3Server.stats(),
      events: channel.stats(),
      tasks: sim.timeline()
    }),
    events: () => [...emitted],
    deliveries: () => [...records],
    notifierLog: () => [...notifierLines],
    settled: () => channel.settled(),
    flush: () => channel.flush(),
    async close() {
      if (closed) return
      closed = true
      abort.abort()
      await channel.settled()
      await server.close()
      await s3Server.close()
    }
  }
}
