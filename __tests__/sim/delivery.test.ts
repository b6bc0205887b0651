import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { FakeClock } from '../doubles/clock.js'
import { DeliveryChannel, writeWholeEvent, type DeliveryOptions } from '../../sim/delivery.js'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'
import type { TaskStateEvent } from '../../sim/events.js'

function event(version: number, lastStatus: string): TaskStateEvent {
  return {
    version: '0',
    id: `e${version}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '123456789012',
    time: '2025-06-01T00:00:00Z',
    region: 'ap-northeast-1',
    resources: ['arn:task'],
    detail: {
      taskArn: 'arn:task',
      clusterArn: 'arn:cluster',
      lastStatus,
      desiredStatus: 'RUNNING',
      version,
      containers: []
    }
  }
}

/**
 * Sends v1..v3 and returns "version@ms" in arrival order. `randoms` is the scripted sequence the
 * channel draws from, four per event: drop, late, jitter, duplicate.
 */
async function arrivals(options: DeliveryOptions, randoms: number[]): Promise<string[]> {
  const clock = new FakeClock()
  const got: string[] = []
  let i = 0
  const channel = new DeliveryChannel(
    {
      sink: (e) => Promise.resolve(got.push(`v${e.detail.version}@${clock.now()}`)),
      clock,
      random: () => randoms[i++ % randoms.length] ?? 0,
      msPerSecond: 1000,
      signal: new AbortController().signal
    },
    options
  )
  channel.send(event(1, 'PROVISIONING'))
  channel.send(event(2, 'RUNNING'))
  channel.send(event(3, 'STOPPED'))
  await clock.advance(10_000)
  await channel.flush()
  return got
}

describe('DeliveryChannel', () => {
  it.each<[string, DeliveryOptions, number[], string[]]>([
    [
      'fixed delay',
      { delaySeconds: 1, jitterSeconds: 0 },
      [0.5],
      ['v1@1000', 'v2@1000', 'v3@1000']
    ],
    [
      'jitter from the random source',
      { delaySeconds: 0, jitterSeconds: 2 },
      [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.9, 0.9, 0.9, 0.1, 0.9],
      ['v3@200', 'v2@1000', 'v1@1800']
    ],
    [
      'every STOPPED event lost',
      { delaySeconds: 0, jitterSeconds: 0, dropStatuses: ['STOPPED'] },
      [0.5],
      ['v1@0', 'v2@0']
    ],
    [
      'duplicates',
      { delaySeconds: 0, jitterSeconds: 0, duplicateProbability: 0.6 },
      [0.5],
      ['v1@0', 'v1@0', 'v2@0', 'v2@0', 'v3@0', 'v3@0']
    ],
    [
      'a late event arrives after newer ones',
      { delaySeconds: 0, jitterSeconds: 0, lateProbability: 0.3, lateSeconds: 3 },
      [0.9, 0.9, 0.9, 0.9, 0.9, 0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
      ['v1@0', 'v3@0', 'v2@3000']
    ]
  ])('%s', async (_, options, randoms, expected) => {
    expect(await arrivals(options, randoms)).toEqual(expected)
  })
})

describe("writeWholeEvent, a notifier that stores whole events as hako's example Lambda does", () => {
  let server: S3Server
  beforeAll(async () => {
    server = await startS3Server({ buckets: ['notes'] })
  })
  afterAll(async () => {
    await server.close()
  })
  const withOverrides = (version: number, lastStatus: string): TaskStateEvent => {
    const e = event(version, lastStatus)
    e.detail.containers = [{ name: 'app', lastStatus }]
    e.detail.overrides = {
      containerOverrides: [{ name: 'app', environment: [{ name: 'TOKEN', value: 'sekrit' }] }]
    }
    return e
  }
  const body = async (key: string): Promise<string> => {
    const got = await server.client().send(new GetObjectCommand({ Bucket: 'notes', Key: key }))
    return (await got.Body?.transformToString()) ?? ''
  }
  const keys = async (prefix: string): Promise<string[]> => {
    const listed = await server
      .client()
      .send(new ListObjectsV2Command({ Bucket: 'notes', Prefix: prefix }))
    return (listed.Contents ?? []).map((c) => c.Key ?? '').sort()
  }

  it('writes the whole event, overrides included, last write winning', async () => {
    const lines: string[] = []
    const deps = {
      s3: server.client(),
      bucket: 'notes',
      prefix: 'p',
      log: (l: string) => void lines.push(l)
    }
    await expect(writeWholeEvent(withOverrides(1, 'PENDING'), deps)).resolves.toEqual({
      action: 'skipped',
      reason: 'PENDING'
    })
    await expect(writeWholeEvent(withOverrides(2, 'RUNNING'), deps)).resolves.toEqual({
      action: 'written',
      key: 'p/arn:task/started.json',
      reason: 'version 2, whole event'
    })
    await writeWholeEvent(withOverrides(4, 'STOPPED'), deps)
    // An older STOPPED event delivered late replaces the newer one: no version check.
    await writeWholeEvent(withOverrides(3, 'STOPPED'), deps)
    expect(await keys('p/')).toEqual(['p/arn:task/started.json', 'p/arn:task/stopped.json'])
    expect(await body('p/arn:task/started.json')).toBe(JSON.stringify(withOverrides(2, 'RUNNING')))
    expect(await body('p/arn:task/stopped.json')).toBe(JSON.stringify(withOverrides(3, 'STOPPED')))
    expect(lines).toEqual([
      'skipped: arn:task is PENDING',
      'arn:task started',
      'arn:task stopped',
      'arn:task stopped'
    ])
  })
})
