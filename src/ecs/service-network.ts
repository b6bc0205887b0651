/**
 * `network-from-service`: the awsvpc network of an existing ECS service, read with one
 * DescribeServices call per workflow run attempt and service, however many jobs ask. The jobs
 * agree through the notification bucket with the claim loop of bucket-race.ts: the first job
 * claims `<prefix>/service-networks/<run id>/<region>/<cluster>/<service>.json`,
 * describes the service and writes its network there; the others read it (docs/run-overrides.md,
 * "The network of a service"). Without a bucket, or outside a workflow run, each job describes
 * the service itself.
 */
import {
  DescribeServicesCommand,
  type AwsVpcConfiguration,
  type ECSClient,
  type NetworkConfiguration
} from '@aws-sdk/client-ecs'
import type { S3Client } from '@aws-sdk/client-s3'
import type { ServiceRef } from '../definition/run-overrides.js'
import { UserError, errorName } from '../util/errors.js'
import { prefixKey, s3ObjectArn } from '../aws/s3.js'
import type { GitHubContext } from '../util/github.js'
import type { Runtime } from '../util/runtime.js'
import {
  ClaimFailed,
  NoPermission,
  claimRace,
  type CacheLocation,
  type Codec,
  type RaceTimings
} from './bucket-race.js'
import { describeError } from './errors.js'
import { claimantOf } from './resolve.js'

export interface ServiceNetworkDeps extends Runtime {
  ecs: Pick<ECSClient, 'send'>
}

export interface ServiceNetworkOptions {
  service: ServiceRef
  /** The ECS client's region (the service's), in the key and the messages. */
  region: string
  /** Where to share the answer; undefined: this job describes the service itself. */
  bucket?: { location: CacheLocation; s3: Pick<S3Client, 'send'> }
  github: GitHubContext
  /** Who claims, for the other jobs' logs. */
  claimant: string
  timings?: Partial<RaceTimings>
}

/**
 * `<prefix>/service-networks/<run id>/<region>/<cluster>/<service>.json`: one answer for the
 * whole workflow run, its re-runs included.
 */
export function serviceNetworkKey(
  prefix: string,
  run: { runId: string },
  region: string,
  service: ServiceRef
): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_')
  return prefixKey(
    prefix,
    'service-networks',
    safe(run.runId),
    safe(region),
    service.cluster,
    `${service.service}.json`
  )
}

/** The key pattern the action's role must be allowed to write, for messages and docs. */
export function serviceNetworkResourceArn(location: CacheLocation): string {
  return s3ObjectArn(
    location.region,
    location.bucket,
    prefixKey(location.prefix, 'service-networks/*')
  )
}

const SUBNET = /^subnet-[0-9a-f]{1,32}$/
const SECURITY_GROUP = /^sg-[0-9a-f]{1,32}$/

const isIdList = (value: unknown, pattern: RegExp): value is string[] =>
  Array.isArray(value) &&
  value.every((id) => typeof id === 'string' && pattern.test(id)) &&
  value.length <= 16

/**
 * A stored network: subnet and security group IDs of the right form and a known public IP
 * setting, nothing else. Whoever may write the prefix chooses the network of the run, as they
 * choose its revision through the task definition cache; never anything but these fields.
 */
export const NETWORK_CODEC: Codec<AwsVpcConfiguration> = {
  read(fields) {
    const { subnets, securityGroups, assignPublicIp } = fields
    if (!isIdList(subnets, SUBNET) || subnets.length === 0) return undefined
    if (securityGroups !== undefined && !isIdList(securityGroups, SECURITY_GROUP)) return undefined
    if (
      assignPublicIp !== undefined &&
      assignPublicIp !== 'ENABLED' &&
      assignPublicIp !== 'DISABLED'
    )
      return undefined
    return {
      subnets,
      ...(securityGroups !== undefined ? { securityGroups } : {}),
      ...(assignPublicIp !== undefined ? { assignPublicIp } : {})
    }
  },
  write: (value) => ({
    subnets: value.subnets,
    ...(value.securityGroups !== undefined ? { securityGroups: value.securityGroups } : {}),
    ...(value.assignPublicIp !== undefined ? { assignPublicIp: value.assignPublicIp } : {})
  })
}

/** `subnets a, b; security groups c; public IP DISABLED`, for the log. */
export function describeNetwork(vpc: AwsVpcConfiguration): string {
  const parts = [`subnets ${(vpc.subnets ?? []).join(', ')}`]
  if (vpc.securityGroups !== undefined && vpc.securityGroups.length > 0) {
    parts.push(`security groups ${vpc.securityGroups.join(', ')}`)
  }
  if (vpc.assignPublicIp !== undefined) parts.push(`public IP ${vpc.assignPublicIp}`)
  return parts.join('; ')
}

/**
 * The service's network as RunTask's `networkConfiguration`: read from the bucket when another
 * job of the run attempt described the service, else described by this job (and shared).
 */
export async function serviceNetwork(
  deps: ServiceNetworkDeps,
  options: ServiceNetworkOptions
): Promise<NetworkConfiguration> {
  const { logger } = deps
  const name = `${options.service.cluster}/${options.service.service}`
  const describe = () => describeServiceNetwork(deps.ecs, options.service, options.region)
  const runId = options.github.runId
  if (options.bucket === undefined || runId === undefined) {
    const vpc = await describe()
    logger.info(`Network of service ${name}: ${describeNetwork(vpc)}`)
    return { awsvpcConfiguration: vpc }
  }
  const { location, s3 } = options.bucket
  const key = serviceNetworkKey(location.prefix, { runId }, options.region, options.service)
  const url = `s3://${location.bucket}/${key}`
  try {
    const { value } = await claimRace(
      { s3, clock: deps.clock, random: deps.random, logger },
      {
        location,
        key,
        codec: NETWORK_CODEC,
        claimant: options.claimant,
        what: `the network of service ${name}`,
        entryKind: 'a service network entry',
        refuse: () => undefined,
        hitLine: (vpc) => `Network of service ${name} from ${url}: ${describeNetwork(vpc)}`,
        shown: (vpc) => `the network of service ${name} (${describeNetwork(vpc)})`,
        resolve: describe,
        ...(options.timings !== undefined ? { timings: options.timings } : {})
      }
    )
    return { awsvpcConfiguration: value }
  } catch (error) {
    if (error instanceof ClaimFailed) throw error.cause
    const why =
      error instanceof NoPermission
        ? `the action's role lacks s3:GetObject or s3:PutObject on ` +
          `${serviceNetworkResourceArn(location)} (docs/iam/action-policy-run-overrides.json)`
        : describeError(error)
    logger.warning(
      `Could not share the network of service ${name} through ${url} (${why}); this job ` +
        `describes the service itself`
    )
    const vpc = await describe()
    logger.info(`Network of service ${name}: ${describeNetwork(vpc)}`)
    return { awsvpcConfiguration: vpc }
  }
}

/**
 * One DescribeServices call: the service's awsvpc configuration, or a UserError that names the
 * input and says how to fix it (no such service or cluster, no awsvpc network, no permission).
 */
export async function describeServiceNetwork(
  ecs: Pick<ECSClient, 'send'>,
  ref: ServiceRef,
  region: string
): Promise<AwsVpcConfiguration> {
  const name = `${ref.cluster}/${ref.service}`
  const where = `Input 'network-from-service' (${name})`
  let answer
  try {
    answer = await ecs.send(
      new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service] })
    )
  } catch (error) {
    const code = errorName(error)
    if (code === 'ClusterNotFoundException') {
      throw new UserError(
        `${where}: there is no cluster '${ref.cluster}' in ${region}. Check the cluster name ` +
          `and the region`
      )
    }
    if (code === 'AccessDeniedException' || code === 'AccessDenied') {
      throw new UserError(
        `${where}: DescribeServices was denied (${describeError(error)}). Allow ` +
          `ecs:DescribeServices on the service for the action's role (docs/iam/README.md)`
      )
    }
    throw new Error(`Could not describe service ${name}: ${describeError(error)}`, {
      cause: error
    })
  }
  const service = answer.services?.find((s) => s.serviceName === ref.service)
  if (service === undefined) {
    const reason = answer.failures?.[0]?.reason ?? 'MISSING'
    throw new UserError(
      `${where}: DescribeServices found no service '${ref.service}' in cluster ` +
        `'${ref.cluster}' (${region}): ${reason}. Check the names, written cluster/service`
    )
  }
  const vpc = service.networkConfiguration?.awsvpcConfiguration
  if (vpc?.subnets === undefined || vpc.subnets.length === 0) {
    throw new UserError(
      `${where}: the service has no awsvpc network configuration (its tasks use another ` +
        `network mode), so there is no network to take. Give 'subnets' and 'security-groups' ` +
        `instead`
    )
  }
  return {
    subnets: [...vpc.subnets],
    ...(vpc.securityGroups !== undefined ? { securityGroups: [...vpc.securityGroups] } : {}),
    ...(vpc.assignPublicIp !== undefined ? { assignPublicIp: vpc.assignPublicIp } : {})
  }
}

/**
 * The service's network for the action's run: shared through the notification prefix when
 * there is one (`prefix`), read with an S3 client of the bucket's region.
 */
export function serviceNetworkFor(
  deps: ServiceNetworkDeps,
  options: {
    service: ServiceRef
    region: string
    prefix: { bucket: string; prefix: string; region?: string } | 'none' | undefined
    s3: (region?: string) => Pick<S3Client, 'send'>
    github: GitHubContext
  }
): Promise<NetworkConfiguration> {
  const where = options.prefix
  return serviceNetwork(deps, {
    service: options.service,
    region: options.region,
    ...(where !== undefined && where !== 'none'
      ? {
          bucket: {
            location: { bucket: where.bucket, prefix: where.prefix },
            s3: options.s3(where.region)
          }
        }
      : {}),
    github: options.github,
    claimant: claimantOf(options.github, deps.random)
  })
}
