import { describe, expect, it } from '@jest/globals'
import { FakeClock } from '../doubles/clock.js'
import { categoryOf, DEFAULT_LIMITS, Throttler, TokenBucket } from '../../sim/token-bucket.js'

describe('TokenBucket', () => {
  it('allows the burst, then refills at the rate up to the burst', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket({ burst: 3, refillPerSecond: 2 }, clock)
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual([true, true, true, false])
    await clock.advance(499)
    expect(bucket.take()).toBe(false)
    await clock.advance(1)
    expect(bucket.take()).toBe(true)
    await clock.advance(60_000)
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual([true, true, true, false])
  })
})

describe('Throttler', () => {
  it.each([
    ['RunTask', 'run-stop'],
    ['StopTask', 'run-stop'],
    ['DescribeTasks', 'describe'],
    ['DescribeServices', 'describe'],
    ['ListContainerInstances', 'describe'],
    ['RegisterTaskDefinition', 'register'],
    ['DescribeTaskDefinition', 'describe-task-definition'],
    ['ListTagsForResource', 'ecs-other'],
    ['GetLogEvents', 'logs']
  ])('%s draws from %s', (operation, category) => {
    expect(categoryOf(operation)).toBe(category)
  })

  it('uses the documented ECS numbers of AWS by default (docs/limits.md, "Token buckets")', () => {
    expect(DEFAULT_LIMITS['run-stop']).toEqual({ burst: 100, refillPerSecond: 40 })
    expect(DEFAULT_LIMITS.describe).toEqual({ burst: 100, refillPerSecond: 20 })
    expect(DEFAULT_LIMITS.register).toEqual({ burst: 20, refillPerSecond: 1 })
    expect(DEFAULT_LIMITS['describe-task-definition']).toEqual({ burst: 50, refillPerSecond: 20 })
    const throttler = new Throttler(new FakeClock())
    const results = Array.from({ length: 21 }, () => throttler.allow('DeregisterTaskDefinition'))
    expect(results.filter(Boolean)).toHaveLength(20)
  })

  it('shares one bucket across the operations of a category', () => {
    const throttler = new Throttler(new FakeClock(), {
      'run-stop': { burst: 2, refillPerSecond: 1 }
    })
    expect([
      throttler.allow('RunTask'),
      throttler.allow('StopTask'),
      throttler.allow('StartTask')
    ]).toEqual([true, true, false])
    expect(throttler.allow('DescribeTasks')).toBe(true)
  })

  it("adds Fargate's RunTask rate and launch rate to RunTask calls that launch on Fargate", async () => {
    const clock = new FakeClock()
    const throttler = new Throttler(clock)
    const fargate = { launchType: 'FARGATE', count: 1 }
    // 20 RunTask calls a second, burst and sustained, below ECS's 100 / 40.
    const first = Array.from({ length: 21 }, () => throttler.allow('RunTask', fargate))
    expect(first.filter(Boolean)).toHaveLength(20)
    // EC2 launches draw only from ECS's bucket: 80 of its 100 tokens are left.
    const ec2 = Array.from({ length: 81 }, () => throttler.allow('RunTask', { launchType: 'EC2' }))
    expect(ec2.filter(Boolean)).toHaveLength(80)
    // Task launches: 100 at once, 20 a second; a refused call takes no token from any bucket.
    await clock.advance(5000)
    const spot = { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }], count: 10 }
    const tens = Array.from({ length: 11 }, () => throttler.allow('RunTask', spot))
    expect(tens.filter(Boolean)).toHaveLength(10)
    expect(tens[10]).toBe(false)
    expect(throttler.allow('RunTask', fargate)).toBe(false)
    await clock.advance(100)
    expect(throttler.allow('RunTask', { ...fargate, count: 2 })).toBe(true)
    expect(throttler.allow('RunTask', fargate)).toBe(false)
  })
})
