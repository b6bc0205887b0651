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
})
