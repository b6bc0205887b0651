import { describe, expect, it } from '@jest/globals'
import { WorkQueue } from '../../src/tasks/queue.js'
import { RetryPolicy, defaultRetryRules, parseRetryOn } from '../../src/tasks/retry.js'
import { TokenBucket } from '../../src/tasks/token-bucket.js'
import { attemptsOf } from '../../src/model/outcome.js'
import { snapshotFromEvent } from '../../src/model/task-state.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger } from '../doubles/logger.js'
import { arn, stateEvent } from './fakes.js'

/** How one attempt of a task ends, after `ms` (default 10 s). */
interface AttemptEnd {
  ms?: number
  exitCode?: number
  stopCode?: string
  stoppedReason?: string
}

const SPOT: AttemptEnd = {
  stopCode: 'SpotInterruption',
  stoppedReason: 'Your Spot Task was interrupted.',
  exitCode: 143
}
const LIMIT: AttemptEnd = {
  ms: 2000,
  stopCode: 'TaskFailedToStart',
  stoppedReason:
    'CannotPullContainerError: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit'
}
const APP_FAILS: AttemptEnd = { exitCode: 1 }

/**
 * Runs a WorkQueue whose tasks end as `plan[index][attempt - 1]` says (exit 0 after 10 s when
 * the plan says nothing); StopTask ends a task 1 s later with exit code 143.
 */
async function run(options: {
  tasks: number
  plan?: Record<number, AttemptEnd[]>
  attempts?: number
  retryOn?: string
  maxParallel?: number
  failFast?: boolean
  deadline?: number
  cancelAt?: number
  only?: number[]
}) {
  const clock = new FakeClock(0)
  const logger = memoryLogger()
  const events: string[] = []
  const started = new Map<number, number>()
  const indexOf = new Map<string, number>()
  const timers = new Map<string, AbortController>()
  const cancel = new AbortController()
  let calls = 0
  const endAt = (taskArn: string, ms: number, e: AttemptEnd): void => {
    timers.get(taskArn)?.abort()
    const timer = new AbortController()
    timers.set(taskArn, timer)
    void clock.sleep(ms, timer.signal).then(() => {
      if (timer.signal.aborted) return
      events.push(
        `${clock.now()} end ${taskArn.split('/').pop()} ${e.stopCode ?? 'EssentialContainerExited'} ${e.exitCode ?? '-'}`
      )
      const detail = (
        JSON.parse(
          stateEvent(taskArn, {
            exitCode: e.exitCode ?? 0,
            ...(e.stopCode !== undefined ? { stopCode: e.stopCode } : {}),
            ...(e.stoppedReason !== undefined ? { stoppedReason: e.stoppedReason } : {})
          })
        ) as { detail: Record<string, unknown> }
      ).detail
      if (e.exitCode === undefined && e.stopCode === 'TaskFailedToStart') {
        detail.containers = [{ name: 'app', lastStatus: 'STOPPED' }]
      }
      queue.onEnd({ kind: 'stopped', task: snapshotFromEvent(detail) })
    })
  }
  const queue: WorkQueue = new WorkQueue(
    {
      clock,
      logger,
      bucket: new TokenBucket(clock, { ratePerSecond: 10, burst: 1 }),
      launch: (indexes) => {
        calls++
        events.push(`${clock.now()} RunTask #${indexes.join(',#')}`)
        return Promise.resolve(
          indexes.map((i) => {
            const attempt = (started.get(i) ?? 0) + 1
            started.set(i, attempt)
            const taskArn = arn(`${i}a${attempt}`)
            indexOf.set(taskArn, i)
            const e = options.plan?.[i]?.[attempt - 1] ?? { exitCode: 0 }
            endAt(taskArn, e.ms ?? 10_000, e)
            return taskArn
          })
        )
      },
      watch: () => {},
      stop: (taskArn) => {
        events.push(`${clock.now()} StopTask ${taskArn.split('/').pop()}`)
        endAt(taskArn, 1000, { exitCode: 143, stopCode: 'UserInitiated', stoppedReason: 'stopped' })
        return Promise.resolve(true)
      }
    },
    {
      keys: Array.from({ length: options.tasks }, (_, i) => `k${i}`),
      ...(options.maxParallel !== undefined ? { maxParallel: options.maxParallel } : {}),
      failFast: options.failFast ?? false,
      stopOnCancel: true,
      signal: cancel.signal,
      ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
      stopReasons: { 'fail-fast': 'ff', cancelled: 'c', 'timed-out': 't', 'wait-error': 'w' },
      retry: new RetryPolicy(
        {
          attempts: options.attempts ?? 3,
          rules:
            options.retryOn !== undefined
              ? parseRetryOn('retry-on', options.retryOn)
              : defaultRetryRules()
        },
        options.tasks
      ),
      ...(options.only !== undefined ? { only: options.only } : {})
    }
  )
  if (options.cancelAt !== undefined) void clock.sleep(options.cancelAt).then(() => cancel.abort())
  const outcome = await clock.run(queue.run())
  return { outcome, events, logger, calls, started }
}

describe('WorkQueue retries', () => {
  it('one task, one Spot interruption: a second RunTask, exit 0, 2 attempts', async () => {
    const { outcome, events, logger } = await run({ tasks: 1, plan: { 0: [SPOT] } })
    expect(events).toEqual([
      '0 RunTask #0',
      '10000 end t0a1 SpotInterruption 143',
      '10000 RunTask #0',
      '20000 end t0a2 EssentialContainerExited 0'
    ])
    const record = outcome.records[0]
    expect(record).toMatchObject({ state: 'ended', taskArn: arn('0a2') })
    expect(attemptsOf(record!)).toBe(2)
    expect(record?.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        taskArn: arn('0a1'),
        launchedAt: 0,
        endedAt: 10_000,
        endClass: { kind: 'infrastructure', cause: 'spot-interruption' },
        why: 'the default rule (kind=infrastructure)'
      })
    ])
    expect(outcome.halt).toBeUndefined()
    expect(logger.of('info')).toContain(
      'The task ended by infrastructure (spot-interruption) on attempt 1 of 3: starting attempt 2 (the default rule (kind=infrastructure))'
    )
  })

  it('an app exit is not retried by default', async () => {
    const { outcome, events } = await run({ tasks: 1, plan: { 0: [APP_FAILS] } })
    expect(events).toEqual(['0 RunTask #0', '10000 end t0a1 EssentialContainerExited 1'])
    expect(outcome.records[0]?.attempts).toBeUndefined()
    expect(outcome.records[0]?.retry).toEqual({
      endClass: { kind: 'app-exit', cause: 'exit-code-1' },
      why: 'no retry-on rule matches'
    })
  })

  it('ten tasks, three interrupted: 13 tasks started, all ten succeed', async () => {
    const { outcome, calls } = await run({ tasks: 10, plan: { 2: [SPOT], 5: [SPOT], 7: [SPOT] } })
    expect(calls).toBe(13)
    expect(
      outcome.records.map((r) => [
        r.state,
        attemptsOf(r),
        r.end?.kind === 'stopped' ? r.end.task.stopCode : ''
      ])
    ).toEqual(
      Array.from({ length: 10 }, (_, i) => [
        'ended',
        [2, 5, 7].includes(i) ? 2 : 1,
        'EssentialContainerExited'
      ])
    )
  })

  it('stops at `attempts`: the last attempt ends the task, its exit code is the last one', async () => {
    const { outcome, calls, logger } = await run({
      tasks: 1,
      attempts: 2,
      plan: { 0: [SPOT, SPOT] }
    })
    expect(calls).toBe(2)
    expect(attemptsOf(outcome.records[0]!)).toBe(2)
    expect(
      outcome.records[0]?.end?.kind === 'stopped' && outcome.records[0].end.task.stopCode
    ).toBe('SpotInterruption')
    expect(logger.of('info')).toContain(
      'The task ended by infrastructure (spot-interruption) on attempt 2; not retried: attempt 2 of 2 was the last'
    )
  })

  it('attempts: 1 turns retries off', async () => {
    const { calls } = await run({ tasks: 1, attempts: 1, plan: { 0: [SPOT] } })
    expect(calls).toBe(1)
  })

  it('a retry takes a free slot under max-parallel, in front of the queued tasks', async () => {
    const { events } = await run({ tasks: 3, maxParallel: 1, plan: { 0: [LIMIT] } })
    expect(events).toEqual([
      '0 RunTask #0',
      '2000 end t0a1 TaskFailedToStart -',
      '2000 RunTask #0',
      '12000 end t0a2 EssentialContainerExited 0',
      '12000 RunTask #1',
      '22000 end t1a1 EssentialContainerExited 0',
      '22000 RunTask #2',
      '32000 end t2a1 EssentialContainerExited 0'
    ])
  })

  it('a timeout starts no other attempt', async () => {
    const { outcome, events } = await run({
      tasks: 1,
      deadline: 15_000,
      plan: { 0: [SPOT, { ms: 20_000 }] }
    })
    expect(events).toEqual([
      '0 RunTask #0',
      '10000 end t0a1 SpotInterruption 143',
      '10000 RunTask #0',
      '15000 StopTask t0a2',
      '16000 end t0a2 UserInitiated 143'
    ])
    expect(outcome.halt).toBe('timed-out')
    expect(attemptsOf(outcome.records[0]!)).toBe(2)
  })

  it('a cancel starts no other attempt', async () => {
    const { outcome, calls, events } = await run({
      tasks: 2,
      cancelAt: 5000,
      plan: { 0: [{ ...SPOT, ms: 5500 }], 1: [{ ms: 60_000 }] }
    })
    expect(calls).toBe(2)
    expect(events.filter((e) => e.includes('RunTask'))).toEqual(['0 RunTask #0', '100 RunTask #1'])
    expect(outcome.halt).toBe('cancelled')
  })

  it('fail-fast: a retried interruption is no failure; an app failure halts and starts no attempt', async () => {
    const { outcome, events } = await run({
      tasks: 2,
      failFast: true,
      plan: { 0: [SPOT], 1: [{ ...APP_FAILS, ms: 15_000 }] }
    })
    expect(events).toEqual([
      '0 RunTask #0',
      '100 RunTask #1',
      '10000 end t0a1 SpotInterruption 143',
      '10000 RunTask #0',
      '15100 end t1a1 EssentialContainerExited 1',
      '15100 StopTask t0a2',
      '16100 end t0a2 UserInitiated 143'
    ])
    expect(outcome.halt).toBe('fail-fast')
  })

  it('a retry-on rule can retry an exit code the user names', async () => {
    const { calls, outcome } = await run({
      tasks: 1,
      retryOn: 'exit-code=137\ndefaults',
      plan: { 0: [{ exitCode: 137 }] }
    })
    expect(calls).toBe(2)
    expect(outcome.records[0]?.attempts?.[0]?.why).toBe('line 1 (exit-code=137)')
  })

  it('the storm guard stops retrying what fails everywhere, and warns once', async () => {
    const plan = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [i, [LIMIT, LIMIT, LIMIT]]))
    const { calls, logger } = await run({ tasks: 6, plan })
    // Five retried once each before the fifth failure (of six tasks) trips the bar of five.
    expect(calls).toBe(6 + 4)
    expect(logger.of('warning')).toEqual([
      '5 of 6 tasks failed the same way (start-transient (pull-rate-limit)): not retrying it any more, since every retry would meet the same failure. Fix the cause and re-run the job; a re-run starts only the tasks that did not succeed.'
    ])
  })

  it('`only` runs just the tasks a re-run asks for', async () => {
    const { outcome, events } = await run({ tasks: 6, only: [1, 4] })
    expect(events.filter((e) => e.includes('RunTask'))).toEqual(['0 RunTask #1', '100 RunTask #4'])
    expect(outcome.records.map((r) => r.state)).toEqual([
      'not-started',
      'ended',
      'not-started',
      'not-started',
      'ended',
      'not-started'
    ])
  })
})
