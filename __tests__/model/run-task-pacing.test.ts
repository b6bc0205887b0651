import { describe, expect, it } from '@jest/globals'
import {
  FARGATE_RUN_TASK_BUDGET,
  RUN_TASK_BUDGET,
  firstLaunchDelayMs,
  jobLaunchRate,
  quotaRetryDelayMs,
  runTaskBudgetOf
} from '../../src/model/run-task-pacing.js'
import { fanOutOf } from '../../src/model/fan-out.js'

describe('runTaskBudgetOf (docs/limits.md, "Token buckets" and "Fargate")', () => {
  it.each([
    [{}, RUN_TASK_BUDGET],
    [{ launchType: 'EC2' }, RUN_TASK_BUDGET],
    [{ launchType: 'FARGATE' }, FARGATE_RUN_TASK_BUDGET],
    [
      { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] },
      FARGATE_RUN_TASK_BUDGET
    ],
    [
      {
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', weight: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 3 }
        ]
      },
      FARGATE_RUN_TASK_BUDGET
    ],
    [
      { capacityProviderStrategy: [{ capacityProvider: 'batch-asg-cp', weight: 1 }] },
      RUN_TASK_BUDGET
    ]
  ])('%j binds on %j', (request, budget) => {
    expect(runTaskBudgetOf(request)).toBe(budget)
  })
})

describe('firstLaunchDelayMs', () => {
  it('lets every first call go at once while N fits half the burst (50 of 100)', () => {
    const fanOut = fanOutOf({ jobIndex: 49, jobTotal: 50, tasks: 1 })
    expect(firstLaunchDelayMs(fanOut, RUN_TASK_BUDGET, () => 0.9, 1234)).toBe(0)
  })

  it('spreads slots over N / (½ × 40) s beyond it: slot s at s / 20 s, jittered within the slot', () => {
    const at = (jobIndex: number, r: number, now = 0) =>
      firstLaunchDelayMs(
        fanOutOf({ jobIndex, jobTotal: 200, tasks: 1 }),
        RUN_TASK_BUDGET,
        () => r,
        now
      )
    expect([at(0, 0), at(1, 0), at(199, 0), at(199, 0.999)]).toEqual([0, 50, 9950, 9999])
    // On the wall clock: a job that starts 3 s into a period (or 3 s after another) still takes
    // its own place, slot 1 at 10.05 s and slot 199 at 9.95 s; never two jobs in one place.
    expect([at(1, 0, 3000), at(199, 0, 3000), at(100, 0, 23_000)]).toEqual([7050, 6950, 2000])
  })

  it('on Fargate (20 a second) a fan-out of 60 spreads over 6 s', () => {
    const fanOut = fanOutOf({ jobIndex: 59, jobTotal: 60, tasks: 1 })
    expect(firstLaunchDelayMs(fanOut, FARGATE_RUN_TASK_BUDGET, () => 0.5, 0)).toBe(5950)
  })
})

describe('quotaRetryDelayMs (equal jitter over [m, 2m])', () => {
  const delay = (width: number, round: number, r: number, untilDeadlineMs = 1e9) =>
    quotaRetryDelayMs({
      round,
      fanOut: { width },
      budget: RUN_TASK_BUDGET,
      random: () => r,
      untilDeadlineMs
    })

  it('1,000 waiting tasks: every retry 50 to 100 s after the last, so together at most 20 a second', () => {
    expect([delay(1000, 0, 0), delay(1000, 0, 0.999999), delay(1000, 9, 0.5)]).toEqual([
      50000, 99999, 75000
    ])
  })

  it('a lone job backs off from 1-2 s to 15-30 s, as RESOURCE:* failures do', () => {
    expect([0, 1, 2, 3, 4, 5].map((round) => delay(1, round, 0))).toEqual([
      1000, 2000, 4000, 8000, 15000, 15000
    ])
  })

  it('never waits past the deadline', () => {
    expect(delay(1000, 0, 0.5, 12_345)).toBe(12_345)
    expect(delay(1000, 0, 0.5, -5)).toBe(0)
  })
})

describe('jobLaunchRate', () => {
  it("is the job's tasks-at-once share of half the refill, at most the launch-rate bound", () => {
    const matrixJob = fanOutOf({ jobIndex: 3, jobTotal: 60, tasks: 1 })
    const alone = fanOutOf({ tasks: 1000, maxParallel: 200 })
    expect(jobLaunchRate(matrixJob, RUN_TASK_BUDGET)).toBeCloseTo(20 / 60)
    expect(jobLaunchRate(alone, RUN_TASK_BUDGET)).toBe(20)
    expect(jobLaunchRate(alone, FARGATE_RUN_TASK_BUDGET)).toBe(10)
    expect(jobLaunchRate(alone, RUN_TASK_BUDGET, 5)).toBe(5)
    expect(jobLaunchRate(alone, RUN_TASK_BUDGET, 40)).toBe(20)
    expect(jobLaunchRate(alone, RUN_TASK_BUDGET, 100)).toBe(20)
  })
})
