/** The fan-out's summary from the ledger (pure): entries, counts, outputs, budget, failure. */
import { describe, expect, it } from '@jest/globals'
import type { JobLedger, RunLedger } from '../../src/ledger/reader.js'
import type { LedgerTask } from '../../src/ledger/records.js'
import {
  batchFailure,
  batchOf,
  batchOutputs,
  batchSummary
} from '../../src/report/batch-summary.js'
import { SUMMARY_BUDGET_BYTES } from '../../src/report/set-summary.js'

function task(fields: Partial<LedgerTask> & { index: number }): LedgerTask {
  return {
    version: 2,
    kind: 'task',
    job: 'shard',
    step: null,
    matrixIndex: null,
    jobTotal: 1,
    tasks: 1,
    runAttempt: 1,
    taskAttempt: 1,
    spec: 's',
    clientToken: 't',
    status: 'succeeded',
    adopted: false,
    taskArn: `arn:aws:ecs:ap-northeast-1:1:task/c/t${fields.index}`,
    cluster: 'c',
    region: 'ap-northeast-1',
    exitCode: 0,
    stopCode: null,
    stoppedReason: null,
    stopRequest: null,
    startedAt: null,
    stoppedAt: null,
    logsUrl: null,
    recordedAt: null,
    key: `k${fields.index}`,
    ...fields
  }
}

function job(segment: string, tasks: LedgerTask[], extra: Partial<JobLedger> = {}): JobLedger {
  const [name = segment, leg] = segment.split('.')
  return {
    jobSegment: segment,
    job: name,
    matrixIndex: leg === undefined ? null : Number(leg.slice(1)),
    step: null,
    tasks: new Map(tasks.map((t) => [t.index, t])),
    ...extra
  }
}

const ledger = (jobs: JobLedger[], ignored = 0): RunLedger => ({
  jobs,
  listed: true,
  listPages: 1,
  gets: 0,
  ignored
})

describe('batchOf', () => {
  it('counts a leg below the largest recorded job total with no record as one not run entry', () => {
    const batch = batchOf(
      ledger([
        job('shard.m0', [task({ index: 0, matrixIndex: 0, jobTotal: 4 })]),
        job('shard.m3', [task({ index: 0, matrixIndex: 3, jobTotal: 4 })])
      ])
    )
    expect(batch.entries.map((e) => [e.matrixIndex, e.index, e.status])).toEqual([
      [0, 0, 'succeeded'],
      [1, null, 'not-started'],
      [2, null, 'not-started'],
      [3, 0, 'succeeded']
    ])
  })

  it('counts stopped tasks as failed, retried and adopted ones, and the p50 and max', () => {
    const times = (s: number) => ({
      startedAt: '2026-12-07T10:00:00.000Z',
      stoppedAt: new Date(Date.parse('2026-12-07T10:00:00Z') + s * 1000).toISOString()
    })
    const batch = batchOf(
      ledger([
        job('shard', [
          task({ index: 0, ...times(10) }),
          task({ index: 1, ...times(20), taskAttempt: 3 }),
          task({
            index: 2,
            ...times(40),
            status: 'stopped',
            exitCode: 137,
            stopRequest: 'timeout'
          }),
          task({ index: 3, status: 'unfinished', exitCode: null, adopted: true })
        ])
      ])
    )
    expect(batch.jobs).toEqual([
      {
        job: 'shard',
        total: 4,
        succeeded: 2,
        failed: 1,
        notRun: 0,
        running: 1,
        retried: 1,
        adopted: 1,
        p50Ms: 20_000,
        maxMs: 40_000
      }
    ])
    expect(batchSummary(batch, { runId: '1', location: 's3://b/runs/1/' })).toContain(
      '| shard |  | 2 | 137 | stopped by the action &#40;timeout&#41; | <code>t2</code> |  |'
    )
  })

  it('names the jobs asked for that have no record, and fails for them', () => {
    const batch = batchOf(ledger([job('build', [task({ index: 0, job: 'build' })])]), [
      'build',
      'deploy'
    ])
    expect(batch.missingJobs).toEqual(['deploy'])
    expect(batchFailure(batch, { failOnError: true, listed: true, location: 'x' })).toBe(
      'No record of job(s) deploy. See the job summary.'
    )
  })
})

describe('batchSummary', () => {
  it('keeps 20,000 failures under the 1 MiB budget and says how many rows it left out', () => {
    const tasks = Array.from({ length: 20_000 }, (_, index) =>
      task({
        index,
        status: 'failed',
        exitCode: 1,
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'x'.repeat(256)
      })
    )
    const batch = batchOf(ledger([job('shard', tasks)]))
    const md = batchSummary(batch, { runId: '1', location: 's3://b/runs/1/' })
    expect(new TextEncoder().encode(md).length).toBeLessThanOrEqual(SUMMARY_BUDGET_BYTES)
    const shown = md.split('\n').filter((l) => l.startsWith('| shard | ') && l.includes('| 1 |'))
    expect(md).toContain(
      `_${20_000 - shown.length} of 20000 rows were left out to keep this summary under ` +
        "GitHub's 1 MiB step summary limit; the failures output lists every one._"
    )
    expect(JSON.parse(batchOutputs(batch).failures ?? '')).toHaveLength(20_000)
  })

  it('escapes a job name and a reason, and links only https logs', () => {
    const batch = batchOf(
      ledger([
        job('a', [
          task({
            index: 0,
            job: '<b>x</b>',
            status: 'failed',
            exitCode: 1,
            stoppedReason: '[click](javascript:alert(1))',
            logsUrl: 'javascript:alert(1)'
          })
        ])
      ])
    )
    const md = batchSummary(batch, { runId: '1', location: 's3://b/runs/1/' })
    expect(md).toContain(
      '| a |  | 0 | 1 | &#91;click&#93;&#40;javascript&#58;alert&#40;1&#41;&#41; | <code>t0</code> |  |'
    )
    expect(md).not.toContain('<b>')
  })

  it('says when the run has no record, and that ignored records were not trusted', () => {
    const md = batchSummary(batchOf(ledger([], 2)), { runId: '5', location: 's3://b/runs/5/' })
    expect(md).toBe(
      [
        '### ❌ ECS fan-out of workflow run 5: 0 succeeded, 0 failed or not run, 0 running (0 in all)',
        '',
        'No task of this workflow run is recorded under s3&#58;//b/runs/5/.',
        '',
        '2 record(s) were not trusted (malformed or of an unknown version).',
        ''
      ].join('\n')
    )
  })
})

describe('batchFailure', () => {
  it('passes when every task succeeded, and with fail-on-error false', () => {
    const ok = batchOf(ledger([job('a', [task({ index: 0 })])]))
    expect(batchFailure(ok, { failOnError: true, listed: true, location: 'x' })).toBeUndefined()
    const none = batchOf(ledger([]))
    expect(batchFailure(none, { failOnError: false, listed: true, location: 'x' })).toBeUndefined()
  })
  it('fails when the ledger could not be listed', () => {
    expect(
      batchFailure(batchOf(ledger([])), { failOnError: true, listed: false, location: 's3://b/r/' })
    ).toBe('Could not read the ledger under s3://b/r/; see the warning above.')
  })
})
