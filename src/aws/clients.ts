/**
 * Every AWS client the action uses, built in one place and passed to the code that calls AWS.
 *
 * - Region: the `region` input, else the definition's `scheduler.region`, else the SDK's
 *   default chain (AWS_REGION, AWS_DEFAULT_REGION, the shared config file's profile).
 * - Credentials: never passed, so the SDK's standard chain applies and
 *   aws-actions/configure-aws-credentials (env vars or web identity) just works.
 * - Endpoints: the SDK v3 reads AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL itself
 *   (service ids ECS, S3, CLOUDWATCH_LOGS, AUTO_SCALING, SNS), which is how tests and the
 *   simulators point the action elsewhere without any hook of ours.
 */
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { ECSClient } from '@aws-sdk/client-ecs'
import { S3Client } from '@aws-sdk/client-s3'
import type { SNSClient } from '@aws-sdk/client-sns'
import { UserError, foreignErrorMessage } from '../util/errors.js'
import { VERSION } from '../util/version.js'

/** The user agent entry naming this action, appended to the SDK's own. */
export const USER_AGENT: [string, string] = ['hako-oneshot-action', VERSION]

/**
 * SDK attempts per ECS call: 1, i.e. no SDK retry. Every ECS call of the action sits in a loop
 * of its own that backs off with full jitter (register, RunTask, StopTask, the DescribeTasks
 * waiter), and RegisterTaskDefinition must describe and compare again before it is re-sent
 * (another job may have registered the same content meanwhile), which an SDK retry would skip.
 * SDK retries under our loops would also multiply the attempts (3 x ours) and spend the
 * account-wide ECS token buckets (docs/limits.md, "Token buckets") faster.
 */
export const ECS_MAX_ATTEMPTS = 1

/**
 * SDK attempts per CloudWatch Logs call: 1. The log follower (src/logs/follow.ts) paces its
 * reads and backs off on ThrottlingException itself; SDK retries under it would triple its calls
 * exactly when the account-wide read quota is exhausted (docs/limits.md, "CloudWatch Logs read quotas").
 */
export const LOGS_MAX_ATTEMPTS = 1

/**
 * SDK attempts for the other services: the standard mode's 3 (docs/limits.md, "SDK retry mode"). Their calls
 * are few (a scale-out step, an SNS publish) or already polled on a
 * schedule (S3 reads), so a quick SDK retry of a transient error is cheap and welcome.
 */
export const OTHER_MAX_ATTEMPTS = 3

/** The clients, all in one region except S3, which may read a prefix in another region. */
export interface AwsClients {
  /** The region every client except `s3(other)` talks to. */
  region: string
  ecs: ECSClient
  logs: CloudWatchLogsClient
  /** Only when `scaleOut` was asked for (autoscaling_group_for_oneshot). */
  autoScaling?: AutoScalingClient
  /** Only when `publish` was asked for (autoscaling_topic_for_oneshot). */
  sns?: SNSClient
  /** An S3 client for `region` (default: the main region); one client per region, cached. */
  s3(region?: string): S3Client
}

/** Where the region comes from, in order of preference. */
export interface ClientOptions {
  /** The `region` input, when given. */
  inputRegion?: string
  /** The definition's scheduler.region, when set. */
  definitionRegion?: string
  /** Environment to read endpoint settings from (default: process.env). */
  env?: NodeJS.ProcessEnv
  /** Build the Auto Scaling client (the definition names autoscaling_group_for_oneshot). */
  scaleOut?: boolean
  /** Build the SNS client (the definition names autoscaling_topic_for_oneshot). */
  publish?: boolean
}

/**
 * Builds the clients. Resolves the region first so that a missing one fails here with a
 * message saying how to set it, not later inside some SDK call.
 */
export async function createAwsClients(options: ClientOptions = {}): Promise<AwsClients> {
  const env = options.env ?? process.env
  const region =
    nonEmpty(options.inputRegion) ?? nonEmpty(options.definitionRegion) ?? (await defaultRegion())
  const common = { region, customUserAgent: [USER_AGENT], retryMode: 'standard' as const }
  const other = { ...common, maxAttempts: OTHER_MAX_ATTEMPTS }
  const ecs = new ECSClient({ ...common, maxAttempts: ECS_MAX_ATTEMPTS })
  const logs = new CloudWatchLogsClient({ ...common, maxAttempts: LOGS_MAX_ATTEMPTS })
  // Loaded only when used: each SDK client costs a job process about 3 MB of memory and some
  // start-up time, and few definitions scale out (a fan-out runs hundreds of such processes).
  const autoScaling = options.scaleOut
    ? new (await import('@aws-sdk/client-auto-scaling')).AutoScalingClient(other)
    : undefined
  const sns = options.publish
    ? new (await import('@aws-sdk/client-sns')).SNSClient(other)
    : undefined
  const s3Clients = new Map<string, S3Client>()
  const s3 = (r: string = region): S3Client => {
    let client = s3Clients.get(r)
    if (!client) {
      client = new S3Client({ ...other, region: r, ...s3EndpointOptions(env) })
      s3Clients.set(r, client)
    }
    return client
  }
  return { region, ecs, logs, autoScaling, sns, s3 }
}

/**
 * `forcePathStyle` only when an S3 endpoint URL is configured. A local S3 server (s3rver,
 * MinIO, LocalStack) on 127.0.0.1 cannot answer virtual-hosted names such as
 * `bucket.127.0.0.1`, so requests must put the bucket in the path. Real S3 keeps the default
 * virtual-hosted style, which AWS recommends and which path style lacks for newer buckets.
 */
export function s3EndpointOptions(env: NodeJS.ProcessEnv): { forcePathStyle?: boolean } {
  return nonEmpty(env.AWS_ENDPOINT_URL_S3) || nonEmpty(env.AWS_ENDPOINT_URL)
    ? { forcePathStyle: true }
    : {}
}

/** The SDK's default region chain, or a UserError saying how to set a region. */
async function defaultRegion(): Promise<string> {
  // A client built without a region resolves it through the SDK's own provider chain; its
  // `config.region` is that provider, so we ask it rather than re-implement the chain.
  const probe = new ECSClient({ customUserAgent: [USER_AGENT] })
  try {
    const region = await probe.config.region()
    if (nonEmpty(region)) return region
  } catch (error) {
    throw noRegion(foreignErrorMessage(error))
  } finally {
    probe.destroy()
  }
  throw noRegion('the SDK found an empty region')
}

function noRegion(detail: string): UserError {
  return new UserError(
    `No AWS region is set (${detail}). Set the 'region' input, or scheduler.region in the ` +
      `definition, or AWS_REGION in the environment (aws-actions/configure-aws-credentials ` +
      `sets it from its 'aws-region' input).`
  )
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined
}
