/** The task set's timing and wording rules (src/tasks/start-and-stop-rules.ts). */
import { describe, expect, it } from '@jest/globals'
import {
  confirmWindowMs,
  startDeadline,
  stopReasons
} from '../../src/tasks/start-and-stop-rules.js'

describe('startDeadline: one capacity rule for every size', () => {
  it.each([
    { case: 'a timeout counts from the start of the set', now: 50_000, timeout: 30, at: 40_000 },
    { case: 'without one, 10 minutes from the call', now: 50_000, timeout: undefined, at: 650_000 }
  ])('$case', ({ now, timeout, at }) => {
    expect(
      startDeadline(now, {
        startedAt: 10_000,
        ...(timeout !== undefined ? { timeoutSeconds: timeout } : {})
      })
    ).toBe(at)
  })
})

describe('stopReasons', () => {
  it('names why and the workflow run, for every halt', () => {
    const url = 'https://github.com/acme/batch/actions/runs/7'
    expect(stopReasons({ timeoutSeconds: 3, runUrl: url })).toEqual({
      'fail-fast': `Stopped by hako-oneshot-action: another task of this job failed (fail-fast) (${url})`,
      cancelled: `Stopped by hako-oneshot-action: the workflow run was cancelled (${url})`,
      'timed-out': `Stopped by hako-oneshot-action: the timeout of 3s was reached (${url})`,
      'wait-error': `Stopped by hako-oneshot-action: the action could not wait for it (${url})`
    })
  })
})

describe('confirmWindowMs', () => {
  it.each([
    { halt: 'cancelled', stopping: true, ms: 4000 },
    { halt: 'timed-out', stopping: true, ms: 60_000 },
    { halt: 'timed-out', stopping: false, ms: 0 },
    { halt: 'wait-error', stopping: true, ms: 0 },
    { halt: 'fail-fast', stopping: true, ms: Infinity },
    { halt: 'start-error', stopping: false, ms: Infinity }
  ] as const)('$halt (stopping: $stopping): $ms', ({ halt, stopping, ms }) => {
    expect(confirmWindowMs(halt, stopping)).toBe(ms)
  })
})
