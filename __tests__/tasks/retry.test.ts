import { describe, expect, it } from '@jest/globals'
import {
  RetryPolicy,
  STORM_MIN_TASKS,
  defaultRetryRules,
  globMatches,
  matchingRule,
  parseRetryOn
} from '../../src/tasks/retry.js'
import { classifyEnd } from '../../src/model/task-end-kind.js'
import type { TaskEnd } from '../../src/model/task.js'

const ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'

function end(stopCode: string, stoppedReason: string, exitCode?: number, reason?: string): TaskEnd {
  return {
    kind: 'stopped',
    task: {
      taskArn: ARN,
      lastStatus: 'STOPPED',
      stopCode,
      stoppedReason,
      containers: [
        {
          name: 'app',
          ...(exitCode !== undefined ? { exitCode } : {}),
          ...(reason !== undefined ? { reason } : {})
        }
      ],
      source: 's3'
    }
  }
}

const SPOT = end('SpotInterruption', 'Your Spot Task was interrupted.', 143)
const APP_1 = end('EssentialContainerExited', 'Essential container in task exited', 1)
const APP_137 = end('EssentialContainerExited', 'Essential container in task exited', 137)
const OK = end('EssentialContainerExited', 'Essential container in task exited', 0)
const LIMIT = end(
  'TaskFailedToStart',
  'CannotPullContainerError: inspect image: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit'
)
const NOT_FOUND = end(
  'TaskFailedToStart',
  'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref app:nope: not found'
)
const ENI = end(
  'TaskFailedToStart',
  'Timeout waiting for network interface provisioning to complete.'
)

describe('globMatches', () => {
  it.each<[string, string, boolean]>([
    ['SpotInterruption', 'SpotInterruption', true],
    ['SpotInterruption', 'SpotInterruptionX', false],
    ['Spot*', 'SpotInterruption', true],
    ['*Interruption', 'SpotInterruption', true],
    ['*', '', true],
    [
      'CannotPullContainerError*toomanyrequests*',
      'CannotPullContainerError: 429 - toomanyrequests: limit',
      true
    ],
    ['CannotPullContainerError*toomanyrequests*', 'CannotPullContainerError: not found', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['13*', '137', true],
    ['13*', '37', false]
  ])('%s against %s: %s', (glob, text, expected) => {
    expect(globMatches(glob, text)).toBe(expected)
  })
})

describe('parseRetryOn', () => {
  it('reads rules, an exit action, comments, and the defaults line in place', () => {
    const rules = parseRetryOn(
      'retry-on',
      [
        '# Spot is fine, but not this one',
        'exit stop-code=SpotInterruption; reason=*do-not-retry*',
        'exit-code=137',
        '',
        'defaults',
        'retry reason=CannotPullContainerError*toomanyrequests*'
      ].join('\n')
    )
    expect(rules.map((r) => [r.source, r.action, r.text])).toEqual([
      ['line 2', 'exit', 'exit stop-code=SpotInterruption; reason=*do-not-retry*'],
      ['line 3', 'retry', 'exit-code=137'],
      ['the default rule', 'retry', 'kind=infrastructure'],
      ['the default rule', 'retry', 'kind=start-transient'],
      ['line 6', 'retry', 'reason=CannotPullContainerError*toomanyrequests*']
    ])
  })

  it('empty or only comments is the default set, which never names an exit code', () => {
    expect(parseRetryOn('retry-on', '')).toEqual(defaultRetryRules())
    expect(parseRetryOn('retry-on', '# nothing\n\n')).toEqual(defaultRetryRules())
    expect(defaultRetryRules().flatMap((r) => r.conditions.map((c) => c.key))).toEqual([
      'kind',
      'kind'
    ])
  })

  it.each([
    ['exitcode=1', "unknown key 'exitcode'; the keys are stop-code, reason, exit-code, kind"],
    ['SpotInterruption', "'SpotInterruption' has no ="],
    ['stop-code=', "'stop-code' has no value"],
    ['exit-code=1x', "exit-code '1x' must be digits, with * for any digits"],
    [
      'kind=infra',
      "kind 'infra' matches none of app-exit, infrastructure, start-transient, start-fix, start-unknown, stopped-by-other, stopped-by-action, lost, unknown"
    ]
  ])('refuses %s', (line, why) => {
    expect(() => parseRetryOn('retry-on', `kind=infrastructure\n${line}`)).toThrow(
      `Input 'retry-on' line 2 must be conditions like stop-code=SpotInterruption; ` +
        `reason=CannotPullContainerError*toomanyrequests*; exit-code=137 (optionally after ` +
        `'retry' or 'exit'), got '${line}': ${why}`
    )
  })

  it('refuses more than 50 rules', () => {
    expect(() => parseRetryOn('retry-on', Array(51).fill('exit-code=1').join('\n'))).toThrow(
      "Input 'retry-on' has 51 rules; at most 50"
    )
  })
})

describe('matchingRule', () => {
  const rules = parseRetryOn('retry-on', 'exit-code=137\nreason=*toomanyrequests*\nstop-code=Spot*')
  it.each<[string, TaskEnd, string | undefined]>([
    ['exit code 137', APP_137, 'exit-code=137'],
    ['exit code 1', APP_1, undefined],
    ['the pull limit by reason', LIMIT, 'reason=*toomanyrequests*'],
    ['Spot by stop code', SPOT, 'stop-code=Spot*'],
    [
      'a container reason',
      end('TaskFailedToStart', 'failed', undefined, 'CannotPullContainerError: toomanyrequests'),
      'reason=*toomanyrequests*'
    ],
    ['exit-code never matches a task without one', end('TaskFailedToStart', 'x'), undefined]
  ])('%s', (_, e, text) => {
    expect(matchingRule(rules, e, classifyEnd(e))?.text).toBe(text)
  })
})

describe('RetryPolicy with the default set', () => {
  const policy = (attempts = 3, tasks = 1): RetryPolicy =>
    new RetryPolicy({ attempts, rules: defaultRetryRules() }, tasks)

  it('retries a Spot interruption, a pull limit and an ENI timeout', () => {
    const p = policy()
    expect(p.decide({ index: 0, attempt: 1, end: SPOT, stopRequested: false })).toEqual({
      retry: true,
      class: { kind: 'infrastructure', cause: 'spot-interruption' },
      why: 'the default rule (kind=infrastructure)'
    })
    expect(p.decide({ index: 0, attempt: 2, end: LIMIT, stopRequested: false })).toMatchObject({
      retry: true,
      why: 'the default rule (kind=start-transient)'
    })
    expect(p.decide({ index: 0, attempt: 1, end: ENI, stopRequested: false }).retry).toBe(true)
  })

  it('never retries an app exit, an image that is not there, a success, a stop of its own or a lost task', () => {
    const p = policy()
    expect(p.decide({ index: 0, attempt: 1, end: APP_1, stopRequested: false })).toEqual({
      retry: false,
      class: { kind: 'app-exit', cause: 'exit-code-1' },
      why: 'no retry-on rule matches'
    })
    expect(p.decide({ index: 0, attempt: 1, end: APP_137, stopRequested: false }).retry).toBe(false)
    expect(p.decide({ index: 0, attempt: 1, end: NOT_FOUND, stopRequested: false }).why).toBe(
      'no retry-on rule matches'
    )
    expect(p.decide({ index: 0, attempt: 1, end: OK, stopRequested: false }).why).toBe(
      'it succeeded'
    )
    expect(p.decide({ index: 0, attempt: 1, end: SPOT, stopRequested: true })).toMatchObject({
      retry: false,
      why: 'a stopped-by-action task is never retried'
    })
    const lost: TaskEnd = { kind: 'lost', taskArn: ARN, reason: 'MISSING' }
    expect(p.decide({ index: 0, attempt: 1, end: lost, stopRequested: false }).why).toBe(
      'a lost task is never retried'
    )
  })

  it('stops at the last attempt; attempts 1 turns retries off', () => {
    expect(
      policy(3).decide({ index: 0, attempt: 3, end: SPOT, stopRequested: false })
    ).toMatchObject({
      retry: false,
      why: 'attempt 3 of 3 was the last'
    })
    expect(policy(1).decide({ index: 0, attempt: 1, end: SPOT, stopRequested: false }).why).toBe(
      'attempt 1 of 1 was the last'
    )
  })

  it('an exit rule before the defaults wins', () => {
    const p = new RetryPolicy(
      { attempts: 3, rules: parseRetryOn('retry-on', 'exit stop-code=SpotInterruption\ndefaults') },
      1
    )
    expect(p.decide({ index: 0, attempt: 1, end: SPOT, stopRequested: false })).toMatchObject({
      retry: false,
      why: 'line 1 (exit stop-code=SpotInterruption) says exit'
    })
  })
})

describe('the storm guard', () => {
  it('stops retrying a cause once half the set (and at least 5 tasks) failed with it, and says so once', () => {
    const p = new RetryPolicy({ attempts: 3, rules: defaultRetryRules() }, 10)
    expect(p.stormBar).toBe(5)
    const decisions = [0, 1, 2, 3, 4, 5].map((index) =>
      p.decide({ index, attempt: 1, end: LIMIT, stopRequested: false })
    )
    expect(decisions.map((d) => d.retry)).toEqual([true, true, true, true, false, false])
    expect(decisions[4]?.storm).toBe(
      '5 of 10 tasks failed the same way (start-transient (pull-rate-limit)): not retrying it any ' +
        'more, since every retry would meet the same failure. Fix the cause and re-run the job; a ' +
        're-run starts only the tasks that did not succeed.'
    )
    expect(decisions[5]).toEqual({
      retry: false,
      class: { kind: 'start-transient', cause: 'pull-rate-limit' },
      why: 'the storm guard stopped retrying start-transient (pull-rate-limit)'
    })
    // Another cause is still retried.
    expect(p.decide({ index: 6, attempt: 1, end: SPOT, stopRequested: false }).retry).toBe(true)
  })

  it('counts tasks, not attempts: one task failing again and again never trips it', () => {
    const p = new RetryPolicy({ attempts: 10, rules: defaultRetryRules() }, 1)
    for (let attempt = 1; attempt < 10; attempt++) {
      expect(p.decide({ index: 0, attempt, end: SPOT, stopRequested: false }).retry).toBe(true)
    }
    expect(p.stormBar).toBe(STORM_MIN_TASKS)
  })

  it('1,000 tasks: 2 % Spot interruptions stay far below the bar of 500', () => {
    const p = new RetryPolicy({ attempts: 3, rules: defaultRetryRules() }, 1000)
    expect(p.stormBar).toBe(500)
    const retried = Array.from({ length: 20 }, (_, index) =>
      p.decide({ index, attempt: 1, end: SPOT, stopRequested: false })
    ).filter((d) => d.retry)
    expect(retried).toHaveLength(20)
  })
})
