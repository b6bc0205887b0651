/**
 * The sweeper's load at 1,000 running tasks, counted against the simulator's ECS token buckets
 * (DescribeTasks and ListTasks share one: 100 burst, 20 a second;
 * docs/limits.md, "Token buckets"). The goal: within 1 % of that bucket's refill, 12 calls a minute, and no run longer
 * than its minute. Call counts are exact, so they are asserted here; time is the fake clock's.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs'
import { LIMITS, sweep, type SweepMemory, type SweepOutcome } from '../../notifier/sweeper.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'
import { FakeClock } from '../doubles/clock.js'

// An even minute.
const T0 = Date.UTC(2026, 11, 2, 4, 0, 0)
const CLUSTER = 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch'
const MINUTES = 10
/** 1 % of the DescribeTasks/ListTasks refill, per minute: 20/s × 60 s / 100. */
const ONE_PERCENT_PER_MINUTE = 12

describe('the sweeper at 1,000 running tasks', () => {
  let clock: FakeClock
  let local: LocalAws
  let ecs: ECSClient

  beforeEach(async () => {
    clock = new FakeClock(T0 - 30_000)
    local = await startLocalAws({ clock, notifier: false, clusters: ['batch'] })
    // The SDK's standard retry, as in Lambda: a throttled call is retried, and counted again.
    ecs = new ECSClient(local.clientConfig('ecs'))
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'batch-oneshot',
        containerDefinitions: [{ name: 'app', image: 'busybox', memory: 64 }]
      })
    )
    // 1,000 tasks in 100 RunTask calls of 10 (the RunTask bucket's burst). 50 of them are due
    // at minute 5; the rest have deadlines hours away.
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        ecs.send(
          new RunTaskCommand({
            cluster: 'batch',
            taskDefinition: 'batch-oneshot',
            count: 10,
            overrides: {
              containerOverrides: [
                { name: 'app', environment: [{ name: 'SIM_RUN_SECONDS', value: 'forever' }] }
              ]
            },
            tags: [
              {
                key: 'hako-oneshot:deadline',
                value: String(T0 / 1000 + (i < 5 ? 5 * 60 - 10 : 6 * 3600))
              }
            ]
          })
        )
      )
    )
    await clock.advance(30_000)
    await local.flush()
  })
  afterEach(async () => {
    ecs.destroy()
    await local.close()
  })

  /** Runs the sweeper once a minute for MINUTES minutes; `fresh` gives every run a new instance. */
  async function everyMinute(fresh: boolean): Promise<SweepOutcome[]> {
    let memory: SweepMemory = { listedAt: new Map(), tasks: new Map() }
    const outcomes: SweepOutcome[] = []
    const deps = {
      ecs,
      now: () => clock.now(),
      // The sweeper's pauses are the only time that passes in a run: each moves the shared
      // clock on (firing the simulator's timers due meanwhile), and a call takes no time.
      sleep: (ms: number) => clock.advance(Math.max(0, ms)),
      log: () => {}
    }
    for (let minute = 0; minute < MINUTES; minute++) {
      const scheduledAt = T0 + minute * 60_000
      await clock.advance(scheduledAt - clock.now())
      if (fresh) memory = { listedAt: new Map(), tasks: new Map() }
      outcomes.push(await sweep([CLUSTER], deps, memory, scheduledAt))
      // Each run ends well within its minute.
      expect(clock.now() - scheduledAt).toBeLessThan(LIMITS.budgetMs + 1000)
    }
    return outcomes
  }

  const reads = (o: SweepOutcome) => (o.calls.ListTasks ?? 0) + (o.calls.DescribeTasks ?? 0)

  it('a warm instance: 10 pages every other minute, tags read once, 0.5 % of the refill', async () => {
    const outcomes = await everyMinute(false)
    expect(outcomes.map((o) => o.calls)).toEqual([
      { ListTasks: 10, DescribeTasks: 10 },
      {},
      { ListTasks: 10 },
      {},
      { ListTasks: 10 },
      // The 50 due tasks: one DescribeTasks confirms them, then 50 StopTask calls.
      { DescribeTasks: 1, StopTask: 50 },
      { ListTasks: 10 },
      {},
      { ListTasks: 10 },
      {}
    ])
    const total = outcomes.reduce((n, o) => n + reads(o), 0)
    expect(total).toBe(61)
    expect(total / MINUTES).toBeLessThan(ONE_PERCENT_PER_MINUTE)
    expect(outcomes[5]?.stopped).toHaveLength(50)
    expect(outcomes.every((o) => o.cut === '')).toBe(true)
    expect(local.stats().ecs.throttled).toEqual({})
  }, 120_000)

  it('a fresh instance every run (the worst case): everything read every other minute, 0.83 %', async () => {
    const outcomes = await everyMinute(true)
    expect(outcomes.map((o) => o.calls)).toEqual([
      { ListTasks: 10, DescribeTasks: 10 },
      {},
      { ListTasks: 10, DescribeTasks: 10 },
      {},
      { ListTasks: 10, DescribeTasks: 10 },
      // Minute 5 is odd: a fresh instance knows nothing then, and the due tasks wait a minute.
      {},
      { ListTasks: 10, DescribeTasks: 10, StopTask: 50 },
      {},
      { ListTasks: 10, DescribeTasks: 10 },
      {}
    ])
    const total = outcomes.reduce((n, o) => n + reads(o), 0)
    expect(total).toBe(100)
    expect(total / MINUTES).toBeLessThan(ONE_PERCENT_PER_MINUTE)
    expect(outcomes[6]?.stopped).toHaveLength(50)
    expect(local.stats().ecs.throttled).toEqual({})
  }, 120_000)
})
