import { describe, expect, it } from '@jest/globals'
import type { TaskRecord } from '../../src/model/outcome.js'
import {
  SUMMARY_LIMIT_BYTES,
  failureMessageOf,
  setOutputs,
  setSummary,
  indexRanges,
  resultsOf,
  type SetTaskResult
} from '../../src/report/set-summary.js'
import { snapshotFromEvent } from '../../src/model/task-state.js'
import { arn, stateEvent } from '../tasks/fakes.js'

function ended(
  index: number,
  options: Parameters<typeof stateEvent>[1] = {},
  stopRequested = false
): TaskRecord {
  const taskArn = arn(index)
  const task = snapshotFromEvent(
    (JSON.parse(stateEvent(taskArn, options)) as { detail: unknown }).detail
  )
  return {
    index,
    state: 'ended',
    taskArn,
    end: { kind: 'stopped', task },
    stopRequested,
    launchedAt: 0,
    endedAt: 40_000
  }
}

const MIXED: TaskRecord[] = [
  ended(0),
  ended(1, { exitCode: 3, stoppedReason: 'Essential container in task exited | <b>pwned</b>' }),
  {
    index: 2,
    state: 'start-failed',
    error: 'Could not start: ECS answered MISSING',
    stopRequested: false
  },
  ended(
    3,
    { exitCode: 143, stopCode: 'UserInitiated', stoppedReason: 'Stopped by hako-oneshot-action' },
    true
  ),
  { index: 4, state: 'running', taskArn: arn(4), stopRequested: true, launchedAt: 0 },
  { index: 5, state: 'not-started', stopRequested: false },
  { index: 6, state: 'not-started', stopRequested: false }
]
const logsUrl = (taskArn: string): string =>
  `https://logs.example/${taskArn.split('/').pop() ?? ''}`

describe('fan-out outputs', () => {
  it('lists ARNs and exit codes in task order, null where there is none', () => {
    expect(setOutputs(resultsOf(MIXED, logsUrl))).toEqual({
      'task-arns': JSON.stringify([arn(0), arn(1), null, arn(3), arn(4), null, null]),
      'exit-codes': '[0,3,null,143,null,null,null]',
      succeeded: '1',
      failed: '2'
    })
  })
})

describe('fan-out summary', () => {
  it('with on-timeout: detach, says the running tasks were left for a later mode: wait', () => {
    const records: TaskRecord[] = [
      ended(0),
      { index: 1, state: 'running', taskArn: arn(1), stopRequested: false, launchedAt: 0 }
    ]
    const summary = setSummary(resultsOf(records, logsUrl), { halt: 'timed-out', detached: true })
    expect(summary.split('\n').slice(0, 3)).toEqual([
      '### ❌ ECS tasks: 1 succeeded, 0 failed, 1 unfinished (2 in all)',
      '',
      'The timeout was reached and on-timeout is detach: the running tasks were left running; a ' +
        'later step with mode: wait waits on them.'
    ])
  })

  it('puts failures first, then stopped, then successes collapsed; escapes untrusted text', () => {
    expect(setSummary(resultsOf(MIXED, logsUrl), { halt: 'fail-fast' })).toBe(
      [
        '### ❌ ECS tasks: 1 succeeded, 2 failed, 1 stopped, 1 unfinished, 2 not started (7 in all)',
        '',
        'A task failed and fail-fast is set: the running tasks were stopped and no more started.',
        '',
        'Not started: 5-6',
        '',
        '#### Failed (2)',
        '',
        '| # | Task | Exit code | Duration | Stop reason | Logs |',
        '|---:|---|---:|---:|---|---|',
        '| 1 | <code>t1</code> | 3 | 30s | EssentialContainerExited&#58; Essential container in task exited &#124; &#60;b&#62;pwned&#60;/b&#62; | [logs](https://logs.example/t1) |',
        '| 2 |  |  |  | Could not start&#58; ECS answered MISSING |  |',
        '',
        '#### Stopped or unfinished (2)',
        '',
        '| # | Task | Exit code | Duration | Stop reason | Logs |',
        '|---:|---|---:|---:|---|---|',
        '| 3 | <code>t3</code> | 143 | 30s | UserInitiated&#58; Stopped by hako&#45;oneshot&#45;action | [logs](https://logs.example/t3) |',
        '| 4 | <code>t4</code> |  |  |  | [logs](https://logs.example/t4) |',
        '',
        '<details><summary>Succeeded (1)</summary>',
        '',
        '| # | Task | Exit code | Duration | Stop reason | Logs |',
        '|---:|---|---:|---:|---|---|',
        '| 0 | <code>t0</code> | 0 | 30s | EssentialContainerExited&#58; Essential container in task exited | [logs](https://logs.example/t0) |',
        '',
        '</details>',
        ''
      ].join('\n')
    )
  })

  it("stays under GitHub's 1 MiB step summary limit with a thousand long rows, saying how many were left out", () => {
    const long = 'x'.repeat(2000)
    const records = Array.from({ length: 1000 }, (_, i) =>
      ended(i, { exitCode: i % 2, stoppedReason: long })
    )
    const summary = setSummary(resultsOf(records, logsUrl))
    const bytes = Buffer.byteLength(summary)
    expect(bytes).toBeLessThan(SUMMARY_LIMIT_BYTES)
    const rows = summary.split('\n').filter((l) => /^\| \d+ \|/.test(l))
    const note =
      /_(\d+) of 1000 rows were left out to keep this summary under GitHub's 1 MiB step summary limit; the task-arns and exit-codes outputs list every task\._/.exec(
        summary
      )
    expect(note).not.toBeNull()
    expect(rows.length + Number(note?.[1])).toBe(1000)
    // Failures come first: every failed row is kept before any success.
    expect(rows.slice(0, 500).every((r) => / \| 1 \| /.test(r))).toBe(true)
    expect(rows.length).toBeGreaterThan(500)
    // Reasons are cut to 1,000 characters.
    expect(rows[0]).toContain(`${'x'.repeat(1000 - 'EssentialContainerExited: '.length)}…`)
  })
})

describe('failure message', () => {
  const results = resultsOf(MIXED, logsUrl)
  it('names how many failed and which, first few by index and ARN', () => {
    expect(failureMessageOf(results, { failOnError: true })).toBe(
      `2 of 7 tasks failed: #1 (exit code 3, ${arn(1)}); #2 (could not start: Could not start: ECS answered MISSING) ` +
        '(1 stopped, 1 unfinished, 2 not started). See the job summary for every task.'
    )
  })

  it('names the first 5 and counts the rest', () => {
    const many: SetTaskResult[] = Array.from({ length: 8 }, (_, index) => ({
      index,
      status: 'failed',
      taskArn: arn(index),
      exitCode: 1
    }))
    expect(failureMessageOf(many, { failOnError: true })).toBe(
      `8 of 8 tasks failed: ${[0, 1, 2, 3, 4].map((i) => `#${i} (exit code 1, ${arn(i)})`).join('; ')}; and 3 more. See the job summary for every task.`
    )
  })

  it('passes with fail-on-error false, but never after a cancel or timeout', () => {
    expect(failureMessageOf(results, { failOnError: false })).toBeUndefined()
    expect(failureMessageOf(results, { failOnError: false, halt: 'timed-out' })).toBe(
      'Timed out before every task stopped (1 stopped, 1 unfinished, 2 not started). See the job summary for every task.'
    )
  })
})

describe('indexRanges', () => {
  it.each([
    [[], ''],
    [[3], '3'],
    [[0, 1, 2, 3, 7, 9, 10], '0-3, 7, 9-10']
  ])('%j -> %s', (input, expected) => {
    expect(indexRanges(input)).toBe(expected)
  })
})
