/**
 * network-from-service: one DescribeServices per run attempt and service, shared through the
 * bucket's claim loop; exact requests, keys, entries and messages.
 */
import { beforeEach, describe, expect, it } from '@jest/globals'
import { DescribeServicesCommand, type DescribeServicesCommandOutput } from '@aws-sdk/client-ecs'
import {
  NETWORK_CODEC,
  describeServiceNetwork,
  serviceNetwork,
  serviceNetworkKey,
  type ServiceNetworkOptions
} from '../../src/ecs/service-network.js'
import { UserError } from '../../src/util/errors.js'
import { gitHubContextOf } from '../../src/util/github.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'
import { FakeBucket } from './fake-bucket.js'

const SERVICE = { cluster: 'prod', service: 'web' }
const GITHUB = gitHubContextOf({
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_REPOSITORY: 'acme/batch',
  GITHUB_JOB: 'shard'
})
const KEY = 'oneshot/service-networks/4242/ap-northeast-1/prod/web.json'
const URL = `s3://notes/${KEY}`
const VPC = {
  subnets: ['subnet-0a1', 'subnet-0b2'],
  securityGroups: ['sg-0c3'],
  assignPublicIp: 'DISABLED' as const
}
const SHOWN = 'subnets subnet-0a1, subnet-0b2; security groups sg-0c3; public IP DISABLED'

/** An ECS double answering DescribeServices after `delayMs`, counting the calls. */
class FakeEcs {
  readonly requests: unknown[] = []
  answer: () => Partial<DescribeServicesCommandOutput> = () => ({
    services: [{ serviceName: 'web', networkConfiguration: { awsvpcConfiguration: VPC } }],
    failures: []
  })
  constructor(
    private readonly clock: FakeClock,
    private readonly delayMs = 300
  ) {}
  async send(command: unknown): Promise<unknown> {
    if (!(command instanceof DescribeServicesCommand)) throw new Error('unexpected command')
    this.requests.push(command.input)
    await this.clock.sleep(this.delayMs)
    return this.answer()
  }
}

let clock: FakeClock
let bucket: FakeBucket
let ecs: FakeEcs
let logger: MemoryLogger

beforeEach(() => {
  clock = new FakeClock(Date.UTC(2026, 11, 7))
  bucket = new FakeBucket(clock)
  ecs = new FakeEcs(clock)
  logger = memoryLogger()
})

function job(options: Partial<ServiceNetworkOptions> = {}, log = logger, random = 0.5) {
  return serviceNetwork(
    { ecs, clock, random: () => random, logger: log },
    {
      service: SERVICE,
      region: 'ap-northeast-1',
      bucket: { location: { bucket: 'notes', prefix: 'oneshot' }, s3: bucket },
      github: GITHUB,
      claimant: 'job shard (a) of run 4242',
      ...options
    }
  )
}

describe('serviceNetworkKey', () => {
  it('keys the answer by run id (re-runs included), region and service', () => {
    expect(serviceNetworkKey('oneshot', { runId: '4242' }, 'ap-northeast-1', SERVICE)).toBe(KEY)
    expect(serviceNetworkKey('', { runId: '7' }, 'us-east-1', SERVICE)).toBe(
      'service-networks/7/us-east-1/prod/web.json'
    )
  })
})

describe('serviceNetwork', () => {
  it('the first job describes the service once and writes its network for the others', async () => {
    const network = await clock.run(job())
    expect(network).toEqual({ awsvpcConfiguration: VPC })
    expect(ecs.requests).toEqual([{ cluster: 'prod', services: ['web'] }])
    expect(bucket.body(KEY)).toEqual({
      version: 1,
      state: 'resolved',
      subnets: VPC.subnets,
      securityGroups: VPC.securityGroups,
      assignPublicIp: 'DISABLED',
      resolvedAt: '2026-12-07T00:00:00.300Z'
    })
    expect(logger.of('info')).toEqual([
      `Claimed ${URL}; resolving the network of service prod/web for the other jobs`,
      `Wrote the network of service prod/web (${SHOWN}) to ${URL}`
    ])
  })

  it('60 jobs at once: one DescribeServices, the other 59 read the answer', async () => {
    const logs = Array.from({ length: 60 }, () => memoryLogger())
    const results = await clock.run(
      Promise.all(logs.map((log, i) => job({ claimant: `job ${i}` }, log, (i % 10) / 10)))
    )
    expect(ecs.requests).toHaveLength(1)
    expect(new Set(results.map((r) => JSON.stringify(r)))).toEqual(
      new Set([JSON.stringify({ awsvpcConfiguration: VPC })])
    )
    const hits = logs.filter((l) =>
      l.of('info').includes(`Network of service prod/web from ${URL}: ${SHOWN}`)
    )
    expect(hits).toHaveLength(59)
  })

  it('a later job reads the stored answer with one GET and no ECS call', async () => {
    await clock.run(job())
    const later = memoryLogger()
    bucket.calls.length = 0
    const network = await clock.run(job({ claimant: 'job b' }, later))
    expect(network).toEqual({ awsvpcConfiguration: VPC })
    expect(ecs.requests).toHaveLength(1)
    expect(bucket.calls.map((c) => `${c.op} ${c.status}`)).toEqual(['GetObject 200'])
    expect(later.of('info')).toEqual([`Network of service prod/web from ${URL}: ${SHOWN}`])
  })

  it('takes a stale claim over after 30 s and describes the service itself', async () => {
    bucket.put(
      KEY,
      JSON.stringify({ version: 1, state: 'claimed', claimedAt: 't', claimant: 'job dead' })
    )
    const network = await clock.run(job())
    expect(network).toEqual({ awsvpcConfiguration: VPC })
    expect(ecs.requests).toHaveLength(1)
    expect(clock.now() - Date.UTC(2026, 11, 7)).toBeGreaterThanOrEqual(30000)
    expect(logger.of('info')[0]).toBe(`job dead is resolving it; waiting for ${URL}`)
    expect(logger.of('info')).toContain(
      `Claimed ${URL}; resolving the network of service prod/web for the other jobs`
    )
  })

  it('rewrites an entry whose network is not well formed, with a warning', async () => {
    bucket.put(
      KEY,
      JSON.stringify({ version: 1, state: 'resolved', subnets: ['eni-1'], resolvedAt: 't' })
    )
    await clock.run(job())
    expect(logger.of('warning')).toEqual([
      `Ignoring ${URL}: not a service network entry (69 bytes); rewriting it`
    ])
    expect(bucket.body(KEY)).toMatchObject({ state: 'resolved', subnets: VPC.subnets })
  })

  it('without a bucket or outside a workflow run, each job describes the service itself', async () => {
    const deps = { ecs, clock, random: () => 0.5, logger }
    const base = { service: SERVICE, region: 'ap-northeast-1', claimant: 'job a' }
    expect(await clock.run(serviceNetwork(deps, { ...base, github: GITHUB }))).toEqual({
      awsvpcConfiguration: VPC
    })
    const outside = {
      ...base,
      github: gitHubContextOf({}),
      bucket: { location: { bucket: 'notes', prefix: 'oneshot' }, s3: bucket }
    }
    expect(await clock.run(serviceNetwork(deps, outside))).toEqual({ awsvpcConfiguration: VPC })
    expect(bucket.calls).toEqual([])
    expect(ecs.requests).toHaveLength(2)
    expect(logger.of('info')).toEqual([
      `Network of service prod/web: ${SHOWN}`,
      `Network of service prod/web: ${SHOWN}`
    ])
  })

  it('without S3 permissions: one warning naming them, then its own DescribeServices', async () => {
    bucket.denyWrites = true
    expect(await clock.run(job())).toEqual({ awsvpcConfiguration: VPC })
    expect(logger.of('warning')).toEqual([
      `Could not share the network of service prod/web through ${URL} (the action's role ` +
        `lacks s3:GetObject or s3:PutObject on arn:aws:s3:::notes/oneshot/service-networks/* ` +
        `(docs/iam/action-policy-run-overrides.json)); this job describes the service itself`
    ])
    expect(ecs.requests).toHaveLength(1)
  })

  it("fails with the claimant's own error (no such service), leaving the claim abandoned for the next job", async () => {
    ecs.answer = () => ({ services: [], failures: [{ arn: 'web', reason: 'MISSING' }] })
    await expect(clock.run(job())).rejects.toThrow(
      new UserError(
        "Input 'network-from-service' (prod/web): DescribeServices found no service 'web' in " +
          "cluster 'prod' (ap-northeast-1): MISSING. Check the names, written cluster/service"
      )
    )
    expect(bucket.body(KEY)).toMatchObject({
      state: 'abandoned',
      claimant: 'job shard (a) of run 4242'
    })
  })
})

describe('describeServiceNetwork', () => {
  it('refuses a service without an awsvpc network, saying what to give instead', async () => {
    ecs.answer = () => ({ services: [{ serviceName: 'web' }], failures: [] })
    await expect(clock.run(describeServiceNetwork(ecs, SERVICE, 'ap-northeast-1'))).rejects.toThrow(
      new UserError(
        "Input 'network-from-service' (prod/web): the service has no awsvpc network configuration " +
          '(its tasks use another network mode), so there is no network to take. Give ' +
          "'subnets' and 'security-groups' instead"
      )
    )
  })

  it.each([
    [
      'ClusterNotFoundException',
      "Input 'network-from-service' (prod/web): there is no cluster 'prod' in ap-northeast-1. " +
        'Check the cluster name and the region'
    ],
    [
      'AccessDeniedException',
      "Input 'network-from-service' (prod/web): DescribeServices was denied " +
        '(AccessDeniedException: no). Allow ecs:DescribeServices on the service for the ' +
        "action's role (docs/iam/README.md)"
    ]
  ])('names the fix for %s', async (name, message) => {
    const failing = {
      send: () => Promise.reject(Object.assign(new Error('no'), { name }))
    }
    await expect(describeServiceNetwork(failing, SERVICE, 'ap-northeast-1')).rejects.toThrow(
      new UserError(message)
    )
  })
})

describe('NETWORK_CODEC', () => {
  it('reads subnets, security groups and the public IP setting, nothing else', () => {
    expect(NETWORK_CODEC.read({ subnets: ['subnet-01'], other: 'x' })).toEqual({
      subnets: ['subnet-01']
    })
    expect(NETWORK_CODEC.read({ subnets: [] })).toBeUndefined()
    expect(NETWORK_CODEC.read({ subnets: ['subnet-01'], securityGroups: ['x'] })).toBeUndefined()
    expect(NETWORK_CODEC.read({ subnets: ['subnet-01'], assignPublicIp: 'YES' })).toBeUndefined()
  })
})
