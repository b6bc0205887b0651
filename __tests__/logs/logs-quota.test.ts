import { describe, expect, it } from '@jest/globals'
import { aloneShare, getLogEventsQuota, logsShareOf } from '../../src/logs/logs-quota.js'
import { filterLogEventsQuota } from '../../sim/logs.js'
import { fanOutOf } from '../../src/model/fan-out.js'

describe('the regional quotas (docs/limits.md, "CloudWatch Logs read quotas")', () => {
  it.each([
    ['us-east-1', 25],
    ['ap-northeast-1', 25],
    ['us-west-2', 10],
    ['eu-west-1', 10],
    ['eu-central-1', 10],
    ['ap-northeast-3', 10],
    ['ap-southeast-3', 10],
    ['ca-west-1', 10],
    ['il-central-1', 10],
    ['eu-west-3', 30],
    ['cn-north-1', 25]
  ])('GetLogEvents in %s: %d per second', (region, quota) => {
    expect(getLogEventsQuota(region)).toBe(quota)
  })

  it.each([
    ['us-east-1', 25],
    ['eu-central-1', 5],
    ['ap-northeast-1', 10]
  ])('FilterLogEvents in %s: %d per second', (region, quota) => {
    expect(filterLogEventsQuota(region)).toBe(quota)
  })
})

describe('logsShareOf: four fifths of half the quota over N, in ticks every job computes alike', () => {
  it('gives a lone task every tick of four fifths of half the quota', () => {
    expect(aloneShare('ap-northeast-1')).toEqual({ perSecond: 10, tickMs: 100, width: 1, slot: 0 })
    expect(aloneShare('eu-west-1')).toEqual({ perSecond: 4, tickMs: 250, width: 1, slot: 0 })
  })

  it('divides by the width and places the task at its slot', () => {
    const fanOut = fanOutOf({ jobIndex: 7, jobTotal: 60, tasks: 1 })
    expect(logsShareOf('eu-west-1', fanOut)).toEqual({
      perSecond: 4 / 60,
      tickMs: 250,
      width: 60,
      slot: 7
    })
    // Jobs of 3 tasks at once: the job's slots are 3 apart, each task takes one.
    const wide = fanOutOf({ jobIndex: 2, jobTotal: 4, tasks: 3 })
    expect(logsShareOf('us-east-1', wide, { slot: wide.firstSlot + 2 })).toMatchObject({
      width: 12,
      slot: 8,
      tickMs: 100
    })
  })

  it('takes another fraction, and wraps a slot beyond the width', () => {
    expect(logsShareOf('us-west-2', { width: 4, firstSlot: 0 }, { fraction: 1, slot: 5 })).toEqual({
      perSecond: 2,
      tickMs: 125,
      width: 4,
      slot: 1
    })
  })
})
