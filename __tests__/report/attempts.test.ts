import { describe, expect, it } from '@jest/globals'
import { attemptOutputs, attemptsSummary, withEarlier } from '../../src/report/attempts.js'
import type { TaskRecord } from '../../src/model/outcome.js'
import type { RecordedResult } from '../../src/model/result.js'
import { snapshotFromEvent } from '../../src/model/task-state.js'
import { arn, stateEvent } from '../tasks/fakes.js'

function end(taskArn: string, options: Parameters<typeof stateEvent>[1] = {}) {
  const detail = (JSON.parse(stateEvent(taskArn, options)) as { detail: unknown }).detail
  return { kind: 'stopped' as const, task: snapshotFromEvent(detail) }
}

const SPOT = {
  stopCode: 'SpotInterruption',
  stoppedReason: 'Your Spot Task was interrupted.',
  exitCode: 143
}

const retried: TaskRecord = {
  index: 1,
  state: 'ended',
  taskArn: arn('1b'),
  launchedAt: 40_000,
  endedAt: 70_000,
  end: end(arn('1b')),
  stopRequested: false,
  attempts: [
    {
      attempt: 1,
      taskArn: arn('1a'),
      launchedAt: 0,
      endedAt: 35_000,
      end: end(arn('1a'), SPOT),
      endClass: { kind: 'infrastructure', cause: 'spot-interruption' },
      why: 'the default rule (kind=infrastructure)'
    }
  ]
}
const plain: TaskRecord = {
  index: 0,
  state: 'ended',
  taskArn: arn(0),
  end: end(arn(0)),
  stopRequested: false
}
const notStarted: TaskRecord = { index: 2, state: 'not-started', stopRequested: false }

const earlierRecord: RecordedResult = {
  index: 2,
  runAttempt: 1,
  status: 'succeeded',
  exitCode: 0,
  taskArn: arn('2old'),
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  attempts: 2,
  startedAt: '2026-11-28T10:00:05.000Z',
  stoppedAt: '2026-11-28T10:01:05.000Z'
}

describe('attemptOutputs', () => {
  it('one task: attempts, and the lists', () => {
    expect(attemptOutputs([retried], { runAttempt: 1 })).toEqual({
      attempts: '2',
      'task-attempts': '[2]',
      'run-attempts': '[1]'
    })
  })

  it('a re-run: the earlier results keep their run attempt and attempts', () => {
    expect(
      attemptOutputs([plain, retried, notStarted], {
        runAttempt: 2,
        earlier: new Map([[2, earlierRecord]])
      })
    ).toEqual({
      'task-attempts': '[1,2,2]',
      'run-attempts': '[2,2,1]'
    })
    expect(attemptOutputs([plain, notStarted], { runAttempt: 1 })).toEqual({
      'task-attempts': '[1,0]',
      'run-attempts': '[1,null]'
    })
  })
})

describe('withEarlier', () => {
  it('fills the tasks a re-run did not start from their records', () => {
    const results = withEarlier(
      [
        { index: 0, status: 'succeeded', taskArn: arn(0), exitCode: 0 },
        { index: 2, status: 'not-started' }
      ],
      new Map([[2, earlierRecord]])
    )
    expect(results).toEqual([
      { index: 0, status: 'succeeded', taskArn: arn(0), exitCode: 0 },
      { index: 2, status: 'succeeded', taskArn: arn('2old'), exitCode: 0, durationMs: 60_000 }
    ])
  })
})

describe('attemptsSummary', () => {
  it('lists each attempt of the retried tasks: task id, stop code, reason, run time, outcome', () => {
    expect(attemptsSummary([plain, retried], { runAttempt: 1 })).toBe(
      [
        '#### Attempts (1 task(s) retried, 2 attempts)',
        '',
        '| # | Attempt | Task | Stop code | Reason | Run time | Outcome |',
        '|---:|---:|---|---|---|---:|---|',
        // Every text is escaped: reasons are foreign text, rules are the workflow's.
        '| 1 | 1 | <code>t1a</code> | SpotInterruption | Your Spot Task was interrupted&#46; | 30s | ' +
          'infrastructure &#40;spot&#45;interruption&#41;&#58; retried by the default rule &#40;kind&#61;infrastructure&#41; |',
        '| 1 | 2 | <code>t1b</code> | EssentialContainerExited | Essential container in task exited | 30s | exit code 0 |',
        ''
      ].join('\n')
    )
  })

  it('says which tasks a re-run adopted, and how many it started', () => {
    const adopted = { ...plain, index: 0, adopted: true }
    expect(
      attemptsSummary([adopted, { ...notStarted, index: 1 }, { ...notStarted, index: 2 }], {
        runAttempt: 2,
        earlier: new Map([[2, earlierRecord]])
      })
    ).toBe(
      [
        '#### Re-run (attempt 2)',
        '',
        '1 of 3 tasks succeeded before and were not started again (1 in run attempt 1); 1 were started in this attempt.',
        '',
        '1 task(s) started by an earlier attempt, whose end it never recorded, were adopted and waited on, not started again: #0.',
        ''
      ].join('\n')
    )
  })

  it('says which tasks a re-run took from earlier attempts, and the storm guard', () => {
    expect(
      attemptsSummary([plain, notStarted, { ...notStarted, index: 2 }], {
        runAttempt: 2,
        earlier: new Map([[2, earlierRecord]]),
        storm: ['5 of 6 tasks failed the same way']
      })
    ).toBe(
      [
        '#### Re-run (attempt 2)',
        '',
        '1 of 3 tasks succeeded before and were not started again (1 in run attempt 1); 2 were started in this attempt.',
        '',
        '> 5 of 6 tasks failed the same way',
        ''
      ].join('\n')
    )
  })

  it('nothing retried, no re-run: nothing', () => {
    expect(attemptsSummary([plain, notStarted], { runAttempt: 1 })).toBe('')
  })
})
