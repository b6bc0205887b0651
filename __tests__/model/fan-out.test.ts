import { describe, expect, it } from '@jest/globals'
import { describeFanOut, fanOutOf, shareOf } from '../../src/model/fan-out.js'

describe('fanOutOf', () => {
  it('is a fan-out of one outside a matrix', () => {
    expect(fanOutOf({ tasks: 1 })).toEqual({
      jobIndex: 0,
      jobTotal: 1,
      jobsAtOnce: 1,
      tasksAtOnce: 1,
      width: 1,
      firstSlot: 0,
      source: 'strategy'
    })
  })

  it.each([
    // [inputs, width, firstSlot]
    [{ jobIndex: 0, jobTotal: 60, tasks: 1 }, 60, 0],
    [{ jobIndex: 59, jobTotal: 60, tasks: 1 }, 60, 59],
    // max-parallel 20 of 60 jobs: job 45 takes the slot of job 5 when it starts
    [{ jobIndex: 45, jobTotal: 60, jobMaxParallel: 20, tasks: 1 }, 20, 5],
    // one job of 1,000 tasks, 100 at once
    [{ tasks: 1000, maxParallel: 100 }, 100, 0],
    // 4 jobs of 10 tasks each, all at once
    [{ jobIndex: 2, jobTotal: 4, tasks: 10 }, 40, 20],
    // a max-parallel larger than the matrix means the matrix
    [{ jobIndex: 1, jobTotal: 3, jobMaxParallel: 256, tasks: 1 }, 3, 1],
    // the user's width wins; slots wrap within it
    [{ jobIndex: 30, jobTotal: 60, width: 25, tasks: 1 }, 25, 5]
  ])('%j: width %d, first slot %d', (inputs, width, firstSlot) => {
    const fanOut = fanOutOf(inputs)
    expect(fanOut.width).toBe(width)
    expect(fanOut.firstSlot).toBe(firstSlot)
  })
})

describe('shareOf (docs/limits.md, "Shares of a budget")', () => {
  it.each([
    // GetLogEvents 10/s in eu-west-1, half of it shared by 60 tasks
    [10, 60, undefined, 10 / 2 / 60],
    [25, 1, undefined, 12.5],
    [40, 200, 0.5, 0.1],
    [20, 1000, 0.25, 0.005]
  ])('budget %d/s over %d tasks at fraction %s', (budget, width, fraction, share) => {
    expect(shareOf(budget, { width }, fraction)).toBeCloseTo(share, 12)
  })
})

describe('describeFanOut', () => {
  it.each([
    [{ tasks: 1 }, 'fan-out width 1 (one job)'],
    [{ jobIndex: 4, jobTotal: 60, tasks: 1 }, 'fan-out width 60 (job 5 of 60)'],
    [
      { jobIndex: 4, jobTotal: 60, jobMaxParallel: 20, tasks: 10, maxParallel: 2 },
      'fan-out width 40 (job 5 of 60, 20 at once × 2 tasks at once)'
    ],
    [{ jobTotal: 3, width: 90, tasks: 1 }, 'fan-out width 90 (input fan-out-width)']
  ])('%j', (inputs, text) => {
    expect(describeFanOut(fanOutOf(inputs))).toBe(text)
  })
})
