import { describe, expect, it } from '@jest/globals'
import { WorkQueue, haltMessage, type QueueOptions } from '../../src/tasks/queue.js'
import { TokenBucket } from '../../src/tasks/token-bucket.js'
import { FakeClock } from '../doubles/clock.js'
import { UserError } from '../../src/util/errors.js'
import { memoryLogger } from '../doubles/logger.js'
import { snapshotFromEvent } from '../../src/model/task-state.js'
import { arn, stateEvent } from './fakes.js'

interface Plan {
  /** Run time of each task in ms; its length is the number of tasks. */
  durations: number[]
  exitCodes?: Record<number, number>
  /** Identical override keys share a RunTask call; default: all distinct. */
  keys?: string[]
  maxParallel?: number
  failFast?: boolean
  stopOnCancel?: boolean
  launchRate?: number
  deadline?: number
  /** Fake time at which the job is cancelled. */
  cancelAt?: number
  /** Paces the stops of a halt apart from launches: [rate per second, burst]. */
  stopRate?: [number, number]
  /** Launch calls (by call number) that throw this error. */
  launchErrors?: Record<number, Error>
  /** Launch calls (by call number) that start fewer tasks than asked. */
  startOnly?: Record<number, number>
}

/**
 * Runs a WorkQueue against fake tasks: launching starts a task that ends after its duration
 * (exit code from the plan); StopTask ends it 1 s later with exit code 143.
 */
async function runPlan(plan: Plan) {
  const clock = new FakeClock(0)
  const logger = memoryLogger()
  const bucket = new TokenBucket(clock, { ratePerSecond: plan.launchRate ?? 10, burst: 1 })
  const events: string[] = []
  let running = 0
  let peak = 0
  let calls = 0
  const natural = new Map<string, AbortController>()
  const cancel = new AbortController()
  const stopAt = (taskArn: string, index: number, ms: number, code: number): void => {
    const controller = new AbortController()
    natural.get(taskArn)?.abort()
    natural.set(taskArn, controller)
    void clock.sleep(ms, controller.signal).then(() => {
      if (controller.signal.aborted) return
      running--
      events.push(`${clock.now()} end #${index} ${code}`)
      queue.onEnd({
        kind: 'stopped',
        task: snapshotFromEvent(
          (JSON.parse(stateEvent(taskArn, { exitCode: code })) as { detail: unknown }).detail
        )
      })
    })
  }
  const indexOf = new Map<string, number>()
  const options: QueueOptions = {
    keys: plan.keys ?? plan.durations.map((_, i) => `k${i}`),
    maxParallel: plan.maxParallel,
    failFast: plan.failFast ?? false,
    stopOnCancel: plan.stopOnCancel ?? true,
    signal: cancel.signal,
    deadline: plan.deadline,
    stopReasons: {
      'fail-fast': 'fail-fast',
      cancelled: 'cancelled',
      'timed-out': 'timed out',
      'wait-error': 'wait error'
    }
  }
  const queue: WorkQueue = new WorkQueue(
    {
      clock,
      logger,
      bucket,
      ...(plan.stopRate
        ? {
            stopBucket: new TokenBucket(clock, {
              ratePerSecond: plan.stopRate[0],
              burst: plan.stopRate[1]
            })
          }
        : {}),
      launch: (indexes) => {
        const call = calls++
        events.push(`${clock.now()} RunTask #${indexes.join(',#')}`)
        const error = plan.launchErrors?.[call]
        if (error) return Promise.reject(error)
        const arns = indexes.slice(0, plan.startOnly?.[call] ?? indexes.length).map((i) => {
          const taskArn = arn(`${i}-${call}`)
          indexOf.set(taskArn, i)
          running++
          peak = Math.max(peak, running)
          stopAt(taskArn, i, plan.durations[i] ?? 0, plan.exitCodes?.[i] ?? 0)
          return taskArn
        })
        return Promise.resolve(arns)
      },
      watch: () => {},
      stop: (taskArn, reason) => {
        events.push(`${clock.now()} StopTask #${indexOf.get(taskArn)} (${reason})`)
        stopAt(taskArn, indexOf.get(taskArn) ?? -1, 1000, 143)
        return Promise.resolve(true)
      }
    },
    options
  )
  if (plan.cancelAt !== undefined) {
    void clock.sleep(plan.cancelAt).then(() => cancel.abort())
  }
  const outcome = await clock.run(queue.run())
  return { outcome, events, peak, logger, states: outcome.records.map((r) => r.state) }
}

describe('WorkQueue', () => {
  it('starts in spec order, never more than max-parallel at once, the next when one stops', async () => {
    const { events, peak, outcome } = await runPlan({
      durations: [5000, 1000, 3000, 1000, 1000, 1000],
      maxParallel: 2
    })
    expect(events).toEqual([
      '0 RunTask #0',
      '100 RunTask #1',
      '1100 end #1 0',
      '1100 RunTask #2',
      '4100 end #2 0',
      '4100 RunTask #3',
      '5000 end #0 0',
      '5000 RunTask #4',
      '5100 end #3 0',
      '5100 RunTask #5',
      '6000 end #4 0',
      '6100 end #5 0'
    ])
    expect(peak).toBe(2)
    expect(outcome.halt).toBeUndefined()
    expect(outcome.records.map((r) => r.state)).toEqual(Array.from({ length: 6 }, () => 'ended'))
  })

  it('paces launches by the launch rate when every slot is free (4 per second: 250 ms apart)', async () => {
    const { events } = await runPlan({ durations: [10_000, 10_000, 10_000, 10_000], launchRate: 4 })
    expect(events.filter((e) => e.includes('RunTask'))).toEqual([
      '0 RunTask #0',
      '250 RunTask #1',
      '500 RunTask #2',
      '750 RunTask #3'
    ])
  })

  it('batches identical overrides into one call, up to the free slots (RunTask count <= 10, docs/limits.md, "RunTask count")', async () => {
    const { events, peak } = await runPlan({
      durations: Array.from({ length: 14 }, () => 1000),
      keys: ['a', 'a', 'b', 'a', ...Array.from({ length: 10 }, () => 'c')],
      maxParallel: 12
    })
    expect(events.filter((e) => e.includes('RunTask'))).toEqual([
      '0 RunTask #0,#1,#3',
      '100 RunTask #2',
      '200 RunTask #4,#5,#6,#7,#8,#9,#10,#11',
      // The first end at 1000 frees one slot and the launcher takes it at once.
      '1000 RunTask #12',
      '1100 RunTask #13'
    ])
    expect(peak).toBe(12)
  })

  it('puts tasks ECS did not start back at the front of the queue, for a new call', async () => {
    const { events, states } = await runPlan({
      durations: [1000, 1000, 1000, 1000],
      keys: ['a', 'a', 'a', 'b'],
      startOnly: { 0: 1 }
    })
    expect(events.filter((e) => e.includes('RunTask'))).toEqual([
      '0 RunTask #0,#1,#2',
      '100 RunTask #1,#2',
      '200 RunTask #3'
    ])
    expect(states).toEqual(['ended', 'ended', 'ended', 'ended'])
  })

  it('fail-fast: the first failed task stops the running ones, and no more start', async () => {
    const { events, outcome, states, logger } = await runPlan({
      durations: [5000, 2000, 5000, 5000, 5000],
      exitCodes: { 1: 3 },
      maxParallel: 3,
      failFast: true
    })
    expect(events).toEqual([
      '0 RunTask #0',
      '100 RunTask #1',
      '200 RunTask #2',
      '2100 end #1 3',
      '2100 StopTask #0 (fail-fast)',
      '2200 StopTask #2 (fail-fast)',
      '3100 end #0 143',
      '3200 end #2 143'
    ])
    expect(outcome.halt).toBe('fail-fast')
    expect(states).toEqual(['ended', 'ended', 'ended', 'not-started', 'not-started'])
    expect(outcome.records.map((r) => r.stopRequested)).toEqual([true, false, true, false, false])
    expect(logger.of('warning')).toEqual([
      'Stopping the fan-out: a task failed and fail-fast is set. Stopping 2 running task(s); 2 queued task(s) will not start.'
    ])
  })

  it('without fail-fast, a failed task changes nothing', async () => {
    const { outcome, states } = await runPlan({
      durations: [1000, 1000, 1000],
      exitCodes: { 0: 1 },
      maxParallel: 1
    })
    expect(outcome.halt).toBeUndefined()
    expect(states).toEqual(['ended', 'ended', 'ended'])
  })

  it('cancel stops every task this job started, StopTask calls paced by the bucket, and starts no more', async () => {
    const { events, outcome, states } = await runPlan({
      durations: Array.from({ length: 6 }, () => 60_000),
      maxParallel: 4,
      cancelAt: 1000
    })
    expect(events).toEqual([
      '0 RunTask #0',
      '100 RunTask #1',
      '200 RunTask #2',
      '300 RunTask #3',
      '1000 StopTask #0 (cancelled)',
      '1100 StopTask #1 (cancelled)',
      '1200 StopTask #2 (cancelled)',
      '1300 StopTask #3 (cancelled)',
      '2000 end #0 143',
      '2100 end #1 143',
      '2200 end #2 143',
      '2300 end #3 143'
    ])
    expect(outcome.halt).toBe('cancelled')
    expect(states).toEqual(['ended', 'ended', 'ended', 'ended', 'not-started', 'not-started'])
  })

  it('paces the stops of a cancel with their own bucket, faster than launches', async () => {
    const { events } = await runPlan({
      durations: Array.from({ length: 5 }, () => 60_000),
      launchRate: 1,
      stopRate: [10, 3],
      cancelAt: 10_000
    })
    expect(events.filter((e) => e.includes('StopTask'))).toEqual([
      '10000 StopTask #0 (cancelled)',
      '10000 StopTask #1 (cancelled)',
      '10000 StopTask #2 (cancelled)',
      '10100 StopTask #3 (cancelled)',
      '10200 StopTask #4 (cancelled)'
    ])
  })

  it('cancel with stop-on-cancel false leaves the tasks running and returns at once', async () => {
    const { events, outcome, states } = await runPlan({
      durations: [60_000, 60_000],
      cancelAt: 500,
      stopOnCancel: false
    })
    expect(events).toEqual(['0 RunTask #0', '100 RunTask #1'])
    expect(outcome.halt).toBe('cancelled')
    expect(states).toEqual(['running', 'running'])
  })

  it('timeout stops the running tasks and watches 60 s for their ends', async () => {
    const { events, outcome, states } = await runPlan({
      durations: [1000, 600_000, 600_000],
      maxParallel: 2,
      deadline: 30_000
    })
    expect(events).toEqual([
      '0 RunTask #0',
      '100 RunTask #1',
      '1000 end #0 0',
      '1000 RunTask #2',
      '30000 StopTask #1 (timed out)',
      '30100 StopTask #2 (timed out)',
      '31000 end #1 143',
      '31100 end #2 143'
    ])
    expect(outcome.halt).toBe('timed-out')
    expect(states).toEqual(['ended', 'ended', 'ended'])
  })

  it('a RunTask call that fails for good marks its tasks and starts no more; running tasks finish', async () => {
    const { outcome, states, events } = await runPlan({
      durations: [3000, 1000, 1000, 1000],
      maxParallel: 2,
      launchErrors: { 1: new UserError('Could not start: AccessDeniedException') }
    })
    expect(events).toEqual(['0 RunTask #0', '100 RunTask #1', '3000 end #0 0'])
    expect(outcome.halt).toBe('start-error')
    expect(states).toEqual(['ended', 'start-failed', 'not-started', 'not-started'])
    expect(outcome.records[1]?.error).toBe('Could not start: AccessDeniedException')
  })
})

describe('haltMessage', () => {
  const arnOf = 'arn:aws:ecs:us-east-1:123456789012:task/batch/t0'
  const running = [{ index: 0, state: 'running' as const, taskArn: arnOf, stopRequested: false }]
  it.each([
    {
      set: { running, queued: 0, stopping: true, total: 1 },
      halt: 'timed-out' as const,
      text: `Stopping ${arnOf}: the timeout was reached.`
    },
    {
      set: { running, queued: 0, stopping: false, total: 1 },
      halt: 'cancelled' as const,
      text: `The workflow run was cancelled: stop-on-cancel is false, so ${arnOf} is left running.`
    },
    {
      set: { running, queued: 3, stopping: false, total: 4 },
      halt: 'timed-out' as const,
      text:
        'Stopping the fan-out: the timeout was reached. stop-on-cancel is false, so 1 running ' +
        'task(s) are left running; 3 queued task(s) will not start.'
    }
  ])('$text', ({ set, halt, text }) => {
    expect(haltMessage(halt, set)).toBe(text)
  })
})
