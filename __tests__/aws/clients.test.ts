import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import { ListClustersCommand } from '@aws-sdk/client-ecs'
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import {
  createAwsClients,
  ECS_MAX_ATTEMPTS,
  OTHER_MAX_ATTEMPTS,
  s3EndpointOptions,
  USER_AGENT
} from '../../src/aws/clients.js'
import { VERSION } from '../../src/util/version.js'
import { UserError } from '../../src/util/errors.js'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'

const ENV_KEYS = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_ECS',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN'
]
let saved: Record<string, string | undefined> = {}

beforeEach(() => {
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]))
  for (const k of ENV_KEYS) delete process.env[k]
  // No shared config on this machine may leak a region or profile into the tests.
  process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config'
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials'
  process.env.AWS_ACCESS_KEY_ID = 'AKIDTEST'
  process.env.AWS_SECRET_ACCESS_KEY = 'secret'
})
afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
})

describe('VERSION', () => {
  it("equals package.json's version", () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
    ) as {
      version: string
    }
    expect(VERSION).toBe(pkg.version)
    expect(USER_AGENT).toEqual(['hako-oneshot-action', pkg.version])
  })
})

describe('createAwsClients region', () => {
  it.each([
    [
      'the region input first',
      { inputRegion: 'eu-west-1', definitionRegion: 'us-east-1' },
      'ap-south-1',
      'eu-west-1'
    ],
    ['scheduler.region next', { definitionRegion: 'us-east-1' }, 'ap-south-1', 'us-east-1'],
    ['the environment last', {}, 'ap-south-1', 'ap-south-1'],
    ['a blank input as unset', { inputRegion: ' ' }, 'ap-south-1', 'ap-south-1']
  ])('takes %s', async (_name, options, envRegion, expected) => {
    process.env.AWS_REGION = envRegion
    const clients = await createAwsClients({ ...options, scaleOut: true, publish: true })
    expect(clients.region).toBe(expected)
    expect(await clients.ecs.config.region()).toBe(expected)
    expect(await clients.logs.config.region()).toBe(expected)
    expect(await clients.autoScaling?.config.region()).toBe(expected)
    expect(await clients.sns?.config.region()).toBe(expected)
    expect(await clients.s3().config.region()).toBe(expected)
    expect(await clients.s3('us-west-2').config.region()).toBe('us-west-2')
  })

  it('fails with a UserError saying how to set the region when none is found', async () => {
    const error = await createAwsClients({}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message).toMatch(
      /^No AWS region is set \(.+\)\. Set the 'region' input, or scheduler\.region in the definition, or AWS_REGION in the environment \(aws-actions\/configure-aws-credentials sets it from its 'aws-region' input\)\.$/
    )
  })

  it('caches one S3 client per region', async () => {
    const clients = await createAwsClients({ inputRegion: 'eu-west-1' })
    expect(clients.s3()).toBe(clients.s3('eu-west-1'))
    expect(clients.s3('us-east-1')).not.toBe(clients.s3())
  })

  it('builds the Auto Scaling and SNS clients only when the definition uses them', async () => {
    const clients = await createAwsClients({ inputRegion: 'eu-west-1' })
    expect(clients.autoScaling).toBeUndefined()
    expect(clients.sns).toBeUndefined()
  })

  it('uses the retry attempts chosen per service', async () => {
    const clients = await createAwsClients({ inputRegion: 'eu-west-1', publish: true })
    expect(ECS_MAX_ATTEMPTS).toBe(1)
    expect(await clients.ecs.config.maxAttempts()).toBe(1)
    expect(await clients.logs.config.maxAttempts()).toBe(1)
    expect(await clients.sns?.config.maxAttempts()).toBe(OTHER_MAX_ATTEMPTS)
    expect(await clients.s3().config.maxAttempts()).toBe(OTHER_MAX_ATTEMPTS)
    expect(await clients.ecs.config.retryStrategy()).toMatchObject({ mode: 'standard' })
  })
})

describe('s3EndpointOptions', () => {
  it.each([
    [{}, {}],
    [{ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' }, { forcePathStyle: true }],
    [{ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }, { forcePathStyle: true }],
    [{ AWS_ENDPOINT_URL_S3: '' }, {}]
  ])('%j -> %j', (env, expected) => {
    expect(s3EndpointOptions(env)).toEqual(expected)
  })
})

describe('endpoints from the SDK standard environment settings', () => {
  let server: Server
  let url: string
  const seen: { headers: IncomingHttpHeaders; body: string }[] = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        seen.push({ headers: req.headers, body })
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        res.end(
          JSON.stringify({ clusterArns: ['arn:aws:ecs:eu-west-1:123456789012:cluster/local'] })
        )
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('sends ECS calls to AWS_ENDPOINT_URL_ECS with our user agent', async () => {
    process.env.AWS_ENDPOINT_URL_ECS = url
    const clients = await createAwsClients({ inputRegion: 'eu-west-1' })
    const out = await clients.ecs.send(new ListClustersCommand({}))
    clients.ecs.destroy()
    expect(out.clusterArns).toEqual(['arn:aws:ecs:eu-west-1:123456789012:cluster/local'])
    expect(seen).toHaveLength(1)
    expect(seen[0]?.headers['x-amz-target']).toBe('AmazonEC2ContainerServiceV20141113.ListClusters')
    const agent = `${String(seen[0]?.headers['user-agent'])} ${String(seen[0]?.headers['x-amz-user-agent'])}`
    expect(agent).toContain(`hako-oneshot-action/${VERSION}`)
  })

  describe('S3 with AWS_ENDPOINT_URL_S3 (path style on a loopback server)', () => {
    let s3server: S3Server
    beforeAll(async () => {
      s3server = await startS3Server({ buckets: ['notes'] })
    })
    afterAll(async () => {
      await s3server.close()
    })

    it('writes and reads through the configured endpoint', async () => {
      process.env.AWS_ENDPOINT_URL_S3 = s3server.endpoint
      // s3rver accepts only its own fixed key pair.
      process.env.AWS_ACCESS_KEY_ID = 'S3RVER'
      process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER'
      const clients = await createAwsClients({ inputRegion: 'eu-west-1' })
      const s3 = clients.s3()
      await s3.send(new PutObjectCommand({ Bucket: 'notes', Key: 'a/b.json', Body: '{}' }))
      const got = await s3.send(new GetObjectCommand({ Bucket: 'notes', Key: 'a/b.json' }))
      expect(await got.Body?.transformToString()).toBe('{}')
      expect(s3.config.forcePathStyle).toBe(true)
      s3.destroy()
    })
  })
})
