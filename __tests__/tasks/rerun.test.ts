import { describe, expect, it } from '@jest/globals'
import type { LedgerEntry } from '../../src/model/ledger.js'
import type { TaskSpec } from '../../src/model/task.js'
import { planRerun, runAttemptOf, specFingerprint } from '../../src/tasks/rerun.js'

const specs: TaskSpec[] = Array.from({ length: 6 }, (_, i) => ({
  env: { ONESHOT_INDEX: String(i), ONESHOT_COUNT: '6' }
}))
const ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'

/** The newest ledger entry of task `index`: ended in run attempt 1, task attempt 1. */
function entry(
  index: number,
  status: LedgerEntry['status'],
  extra: Partial<LedgerEntry> = {}
): LedgerEntry {
  return {
    index,
    runAttempt: 1,
    taskAttempt: 1,
    spec: specFingerprint(specs[index] as TaskSpec),
    tasks: specs.length,
    status,
    taskArn: status === 'intent' ? null : `${ARN}${index}`,
    clientToken: `tok-${index}`,
    exitCode: status === 'succeeded' ? 0 : status === 'failed' ? 1 : null,
    stopCode: null,
    stoppedReason: null,
    stopRequest: null,
    startedAt: '2026-12-01T10:00:00.000Z',
    stoppedAt: status === 'succeeded' || status === 'failed' ? '2026-12-01T10:01:00.000Z' : null,
    version: 2,
    ...extra
  }
}

const entries = new Map(
  [0, 1, 2, 3, 4, 5].map((i) => [i, entry(i, i === 1 || i === 4 ? 'failed' : 'succeeded')])
)

describe('runAttemptOf and specFingerprint', () => {
  it('GITHUB_RUN_ATTEMPT starts at 1', () => {
    expect(runAttemptOf({ GITHUB_RUN_ATTEMPT: '3' })).toBe(3)
    expect(runAttemptOf({})).toBe(1)
    expect(runAttemptOf({ GITHUB_RUN_ATTEMPT: 'x' })).toBe(1)
  })

  it('fingerprints the command and the env names, never a value', () => {
    const a = specFingerprint({ command: ['rake', 'x'], env: { TOKEN: 'secret-1' } })
    expect(a).toMatch(/^[0-9a-f]{16}$/)
    expect(specFingerprint({ command: ['rake', 'x'], env: { TOKEN: 'other' } })).toBe(a)
    expect(specFingerprint({ command: ['rake', 'y'], env: { TOKEN: 'secret-1' } })).not.toBe(a)
    expect(specFingerprint({ command: ['rake', 'x'], env: { OTHER: 'secret-1' } })).not.toBe(a)
  })
})

describe('planRerun', () => {
  it('a re-run after 2 failed indexes of 6 starts those 2, their task attempts counting on', () => {
    const plan = planRerun({ runAttempt: 2, rerun: 'failed', specs, entries })
    expect(plan.only).toEqual([1, 4])
    expect([...plan.earlier.keys()]).toEqual([0, 2, 3, 5])
    expect(plan.earlier.get(0)).toEqual({
      index: 0,
      runAttempt: 1,
      status: 'succeeded',
      exitCode: 0,
      taskArn: `${ARN}0`,
      stopCode: null,
      stoppedReason: null,
      attempts: 1,
      startedAt: '2026-12-01T10:00:00.000Z',
      stoppedAt: '2026-12-01T10:01:00.000Z'
    })
    expect(plan.firstAttempt).toEqual(
      new Map([
        [1, 2],
        [4, 2]
      ])
    )
    expect(plan.adopt).toBeUndefined()
    expect(plan.resend).toBeUndefined()
  })

  it('the first attempt starts every task; rerun: all starts every ended one again', () => {
    expect(planRerun({ runAttempt: 1, rerun: 'failed', specs, entries })).toEqual({
      earlier: new Map()
    })
    const all = planRerun({ runAttempt: 2, rerun: 'all', specs, entries })
    expect(all.only).toBeUndefined()
    expect(all.earlier).toEqual(new Map())
    expect([...(all.firstAttempt ?? new Map()).values()]).toEqual([2, 2, 2, 2, 2, 2])
  })

  it('adopts a task whose end was never recorded under either setting, and resends an unrecorded start', () => {
    const lost = new Map(entries)
    lost.set(2, entry(2, 'unfinished', { taskArn: ARN }))
    lost.set(3, entry(3, 'intent', { taskAttempt: 2 }))
    for (const rerun of ['failed', 'all'] as const) {
      const plan = planRerun({ runAttempt: 3, rerun, specs, entries: lost })
      expect(plan.adopt).toEqual(
        new Map([[2, { index: 2, taskAttempt: 1, clientToken: 'tok-2', taskArn: ARN }]])
      )
      expect(plan.resend).toEqual(
        new Map([[3, { index: 3, taskAttempt: 2, clientToken: 'tok-3' }]])
      )
      expect(plan.firstAttempt?.get(2)).toBe(1)
      expect(plan.firstAttempt?.get(3)).toBe(2)
    }
    expect(planRerun({ runAttempt: 3, rerun: 'failed', specs, entries: lost }).only).toEqual([
      1, 2, 3, 4
    ])
  })

  it('runs again a task the action stopped, counting its attempts on', () => {
    const stopped = new Map(entries)
    stopped.set(0, entry(0, 'stopped', { taskAttempt: 3, stopRequest: 'cancel' }))
    const plan = planRerun({ runAttempt: 2, rerun: 'failed', specs, entries: stopped })
    expect(plan.only).toEqual([0, 1, 4])
    expect(plan.firstAttempt?.get(0)).toBe(4)
  })

  it('a record that does not fit the task is not trusted', () => {
    const changed = new Map(entries)
    changed.set(0, entry(0, 'succeeded', { spec: 'other' }))
    changed.set(2, entry(2, 'succeeded', { tasks: 7 }))
    changed.set(3, entry(3, 'succeeded', { runAttempt: 2 }))
    changed.delete(5)
    const plan = planRerun({ runAttempt: 2, rerun: 'failed', specs, entries: changed })
    expect(plan.only).toBeUndefined()
    expect(plan.earlier).toEqual(new Map())
    expect(plan.firstAttempt).toEqual(
      new Map([
        [1, 2],
        [4, 2]
      ])
    )
  })
})
