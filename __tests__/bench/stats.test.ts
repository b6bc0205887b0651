import { describe, expect, it } from '@jest/globals'
import type { RecordedRequest } from '../../bench/lib/proxy.js'
import {
  addCounts,
  diffCounts,
  formatCounts,
  markdownTable,
  median,
  megabytes,
  percentile,
  perJob,
  seconds,
  splitAtRunTask,
  textTable,
  total
} from '../../bench/lib/stats.js'

describe('percentile (nearest rank)', () => {
  const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]
  it.each([
    [ten, 0, 1],
    [ten, 10, 1],
    [ten, 50, 5],
    [ten, 95, 10],
    [ten, 99, 10],
    [ten, 100, 10],
    [[42], 99, 42],
    [[3, 1, 2], 50, 2],
    [Array.from({ length: 200 }, (_, i) => i + 1), 99, 198],
    [Array.from({ length: 200 }, (_, i) => i + 1), 95, 190]
  ])('%j p%d = %d', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected)
  })

  it('is undefined for no values, and rejects p outside 0..100', () => {
    expect(percentile([], 50)).toBeUndefined()
    expect(median([])).toBeUndefined()
    expect(() => percentile([1], 101)).toThrow('percentile must be within 0..100, got 101')
  })

  it('takes the lower middle as the median of an even count, and leaves its input unsorted', () => {
    const values = [4, 3, 2, 1]
    expect(median(values)).toBe(2)
    expect(values).toEqual([4, 3, 2, 1])
  })
})

describe('counts', () => {
  it('adds, subtracts (dropping zeros), totals and divides per job', () => {
    expect(addCounts({ RunTask: 1 }, { RunTask: 2, DescribeTasks: 1 })).toEqual({
      RunTask: 3,
      DescribeTasks: 1
    })
    expect(diffCounts({ RunTask: 5, DescribeTasks: 2 }, { RunTask: 5, DescribeTasks: 1 })).toEqual({
      DescribeTasks: 1
    })
    expect(total({ a: 2, b: 3 })).toBe(5)
    expect(perJob({ RunTask: 61 }, 60)).toEqual({ RunTask: 61 / 60 })
    expect(perJob({ RunTask: 1 }, 0)).toEqual({})
  })

  it('formats in ECS order with short names, fractions with two decimals', () => {
    expect(
      formatCounts({ DescribeTasks: 10.4, RunTask: 1, DescribeTaskDefinition: 1, GetObject: 3 })
    ).toBe('DescribeTD 1, RunTask 1, DescribeTasks 10.40, GetObject 3')
    expect(formatCounts({ RunTask: 0 })).toBe('0')
    expect(formatCounts({})).toBe('0')
  })
})

describe('splitAtRunTask', () => {
  const req = (
    operation: string,
    at: number,
    status = 200,
    throttled = false
  ): RecordedRequest => ({
    appId: 'job-1',
    service: 'ecs',
    operation,
    at,
    status,
    throttled
  })

  it('puts every call up to the successful RunTask before the wait, the rest during it', () => {
    const split = splitAtRunTask([
      req('DescribeTasks', 50),
      req('RunTask', 20, 400, true),
      req('DescribeTaskDefinition', 10),
      req('RunTask', 30),
      { ...req('GetLogEvents', 60), service: 'logs' },
      req('DescribeTasks', 40)
    ])
    expect(split).toEqual({
      before: { DescribeTaskDefinition: 1, RunTask: 2 },
      during: { DescribeTasks: 2 },
      throttled: 1
    })
  })

  it('counts everything before the wait when RunTask never succeeded', () => {
    expect(splitAtRunTask([req('RegisterTaskDefinition', 1, 400, true)])).toEqual({
      before: { RegisterTaskDefinition: 1 },
      during: {},
      throttled: 1
    })
  })
})

describe('formatting', () => {
  it('prints seconds and megabytes, or - when unknown', () => {
    expect(seconds(540)).toBe('0.54 s')
    expect(seconds(undefined)).toBe('-')
    expect(megabytes(103_526_400)).toBe('104 MB')
    expect(megabytes(undefined)).toBe('-')
  })

  it('builds a Markdown table with escaped pipes', () => {
    expect(markdownTable(['a', 'b'], [['1', 'x|y']])).toBe(
      ['| a | b |', '| --- | --- |', '| 1 | x\\|y |'].join('\n')
    )
  })

  it('pads a text table to its widest cells', () => {
    expect(textTable(['from', 'median'], [['ECS task STOPPED', '1.05 s']])).toBe(
      ['from              median', '----------------  ------', 'ECS task STOPPED  1.05 s'].join(
        '\n'
      )
    )
  })
})
