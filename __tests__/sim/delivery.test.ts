import { describe, expect, it } from '@jest/globals'
import { FakeClock } from '../doubles/clock.js'
import { DeliveryChannel, type DeliveryOptions } from '../../sim/delivery.js'
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
