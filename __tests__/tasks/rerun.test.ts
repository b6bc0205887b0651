import type { LedgerEntry } from '../../src/model/ledger.js'
import { describe, expect, it } from '@jest/globals'
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import {
  parseRunRecord,
  planRerun,
  entryOfRunRecord,
  readRunRecords,
  recordOf,
  runAttemptOf,
  runRecordPlace,
  specFingerprint,
  writeRunRecords,
  type RunRecord
} from '../../src/tasks/rerun.js'
import type { TaskRecord } from '../../src/model/outcome.js'
import type { TaskSpec } from '../../src/model/task.js'
import { snapshotFromEvent } from '../../src/model/task-state.js'
import { memoryLogger } from '../doubles/logger.js'
import { arn, stateEvent } from './fakes.js'

const specs: TaskSpec[] = Array.from({ length: 6 }, (_, i) => ({
  env: { ONESHOT_INDEX: String(i), ONESHOT_COUNT: '6' }
}))
const PLACE = { bucket: 'notes', keyPrefix: 'oneshot/runs/4242/shard/' }

function ended(index: number, exitCode: number, attempts = 0): TaskRecord {
  const detail = (JSON.parse(stateEvent(arn(index), { exitCode })) as { detail: unknown }).detail
  return {
    index,
    state: 'ended',
    taskArn: arn(index),
    end: { kind: 'stopped', task: snapshotFromEvent(detail) },
    stopRequested: false,
    ...(attempts > 0
      ? {
          attempts: Array.from({ length: attempts }, (_, a) => ({
            attempt: a + 1,
            taskArn: arn(`${index}-${a}`),
            end: { kind: 'lost' as const, taskArn: arn(`${index}-${a}`), reason: 'x' },
            endClass: { kind: 'infrastructure' as const, cause: 'spot-interruption' },
            why: 'the default rule (kind=infrastructure)'
          }))
        }
      : {})
  }
}

/** An in-memory bucket behind a mocked S3Client. */
function bucket() {
  const client = new S3Client({ region: 'us-east-1' })
  const mock = mockClient(client)
  const objects = new Map<string, string>()
  const requests: string[] = []
  mock.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
    requests.push(`PUT ${input.Key}`)
    objects.set(input.Key, input.Body)
    return {}
  })
  mock
    .on(ListObjectsV2Command)
    .callsFake((input: { Prefix: string; ContinuationToken?: string }) => {
      requests.push(
        `LIST ${input.Prefix}${input.ContinuationToken ? ` after ${input.ContinuationToken}` : ''}`
      )
      const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix)).sort()
      const from = input.ContinuationToken ? keys.indexOf(input.ContinuationToken) + 1 : 0
      const page = keys.slice(from, from + 2)
      const truncated = from + 2 < keys.length
      return {
        Contents: page.map((Key) => ({ Key })),
        IsTruncated: truncated,
        ...(truncated ? { NextContinuationToken: page[page.length - 1] } : {})
      }
    })
  mock.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    requests.push(`GET ${input.Key}`)
    const body = objects.get(input.Key)
    if (body === undefined) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' })
    return { Body: { transformToString: () => Promise.resolve(body) } }
  })
  return { client, mock, objects, requests }
}

describe('runRecordPlace and runAttemptOf', () => {
  it('names the run, the job, the matrix job and the step', () => {
    const env = { GITHUB_RUN_ID: '4242', GITHUB_JOB: 'shard', GITHUB_ACTION: 'run step' }
    expect(runRecordPlace({ bucket: 'b', prefix: 'p/q', env, jobIndex: 3, jobTotal: 8 })).toEqual({
      bucket: 'b',
      keyPrefix: 'p/q/runs/4242/shard.m3.run_step/'
    })
    expect(
      runRecordPlace({
        bucket: 'b',
        prefix: '',
        env: { GITHUB_RUN_ID: '1', GITHUB_JOB: 'j' },
        jobIndex: 0,
        jobTotal: 1
      })
    ).toEqual({
      bucket: 'b',
      keyPrefix: 'runs/1/j/'
    })
    expect(
      runRecordPlace({ bucket: 'b', prefix: 'p', env: {}, jobIndex: 0, jobTotal: 1 })
    ).toBeUndefined()
  })

  it('GITHUB_RUN_ATTEMPT starts at 1', () => {
    expect(runAttemptOf({ GITHUB_RUN_ATTEMPT: '3' })).toBe(3)
    expect(runAttemptOf({})).toBe(1)
    expect(runAttemptOf({ GITHUB_RUN_ATTEMPT: 'x' })).toBe(1)
  })
})

describe('recordOf', () => {
  it('keeps the result, the attempts and a fingerprint, never an env value', () => {
    const r = recordOf(ended(2, 0, 1), { runAttempt: 1, specs })
    expect(r).toEqual({
      version: 1,
      index: 2,
      runAttempt: 1,
      status: 'succeeded',
      exitCode: 0,
      taskArn: arn(2),
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      attempts: 2,
      startedAt: '2026-11-28T10:00:05.000Z',
      stoppedAt: '2026-11-28T10:00:35.000Z',
      tasks: 6,
      spec: specFingerprint(specs[2] as TaskSpec)
    })
    expect(JSON.stringify(r)).not.toContain('ONESHOT_INDEX')
    // Names only: another value of the same env is the same task.
    expect(specFingerprint({ env: { A: '1' } })).toBe(specFingerprint({ env: { A: 'secret' } }))
    expect(specFingerprint({ env: { A: '1' } })).not.toBe(specFingerprint({ env: { B: '1' } }))
    expect(specFingerprint({ command: ['a'], env: {} })).not.toBe(specFingerprint({ env: {} }))
  })

  it('a failed start is a failure; a task still running or never started has no record', () => {
    expect(
      recordOf(
        { index: 1, state: 'start-failed', error: 'x', stopRequested: false },
        { runAttempt: 2, specs }
      )
    ).toMatchObject({ status: 'failed', taskArn: null, exitCode: null, attempts: 0, runAttempt: 2 })
    expect(
      recordOf(
        { index: 1, state: 'running', taskArn: arn(1), stopRequested: false },
        { runAttempt: 1, specs }
      )
    ).toBeUndefined()
    expect(
      recordOf({ index: 1, state: 'not-started', stopRequested: false }, { runAttempt: 1, specs })
    ).toBeUndefined()
  })
})

describe('planRerun', () => {
  const record = (
    index: number,
    status: 'succeeded' | 'failed',
    extra: Partial<RunRecord> = {}
  ): RunRecord => ({
    ...(recordOf(ended(index, status === 'succeeded' ? 0 : 1), {
      runAttempt: 1,
      specs
    }) as RunRecord),
    ...extra
  })
  const records = new Map(
    [0, 1, 2, 3, 4, 5].map((i) => [i, record(i, i === 1 || i === 4 ? 'failed' : 'succeeded')])
  )
  const entries = new Map([...records].map(([i, r]) => [i, entryOfRunRecord(r)]))
  const ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'

  it('a re-run after 2 failed indexes of 6 starts those 2, their task attempts counting on', () => {
    const plan = planRerun({ runAttempt: 2, rerun: 'failed', specs, entries })
    expect(plan.only).toEqual([1, 4])
    expect([...plan.earlier.keys()]).toEqual([0, 2, 3, 5])
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
    const base = entries.get(2) as LedgerEntry
    lost.set(2, {
      ...base,
      status: 'unfinished',
      taskArn: ARN,
      clientToken: 'tok-2',
      taskAttempt: 1
    })
    lost.set(3, { ...base, index: 3, status: 'intent', taskArn: null, clientToken: 'tok-3' })
    for (const rerun of ['failed', 'all'] as const) {
      const plan = planRerun({ runAttempt: 3, rerun, specs, entries: lost })
      expect(plan.adopt).toEqual(
        new Map([[2, { index: 2, taskAttempt: 1, clientToken: 'tok-2', taskArn: ARN }]])
      )
      expect(plan.resend).toEqual(
        new Map([[3, { index: 3, taskAttempt: 1, clientToken: 'tok-3' }]])
      )
      expect(plan.firstAttempt?.get(2)).toBe(1)
      expect(plan.firstAttempt?.get(3)).toBe(1)
    }
    expect(planRerun({ runAttempt: 3, rerun: 'failed', specs, entries: lost }).only).toEqual([
      1, 2, 3, 4
    ])
  })

  it('a record that does not fit the task is not trusted', () => {
    const changed = new Map(records)
    changed.set(0, record(0, 'succeeded', { spec: 'other' }))
    changed.set(2, record(2, 'succeeded', { tasks: 7 }))
    changed.set(3, record(3, 'succeeded', { runAttempt: 2 }))
    changed.delete(5)
    const changedEntries = new Map([...changed].map(([i, r]) => [i, entryOfRunRecord(r)]))
    const plan = planRerun({ runAttempt: 2, rerun: 'failed', specs, entries: changedEntries })
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

describe('readRunRecords and writeRunRecords', () => {
  it('writes one object per task and reads them back, page by page', async () => {
    const b = bucket()
    const logger = memoryLogger()
    const records = [0, 1, 2].map(
      (i) => recordOf(ended(i, i === 1 ? 1 : 0), { runAttempt: 1, specs }) as RunRecord
    )
    expect(await writeRunRecords({ s3: b.client, logger }, PLACE, records)).toEqual({
      written: 3,
      failed: 0
    })
    b.objects.set(`${PLACE.keyPrefix}notes.txt`, 'not a record')
    b.objects.set(`${PLACE.keyPrefix}9.json`, '{"version":1}')
    const read = await readRunRecords({ s3: b.client, logger }, PLACE)
    expect([...read.entries()].map(([i, r]) => [i, r.status])).toEqual(
      expect.arrayContaining([
        [0, 'succeeded'],
        [1, 'failed'],
        [2, 'succeeded']
      ])
    )
    expect(read.size).toBe(3)
    expect(b.requests.filter((r) => r.startsWith('LIST'))).toEqual([
      `LIST ${PLACE.keyPrefix}`,
      `LIST ${PLACE.keyPrefix} after ${PLACE.keyPrefix}1.json`,
      `LIST ${PLACE.keyPrefix} after ${PLACE.keyPrefix}9.json`
    ])
    expect(logger.of('warning')).toEqual([
      `1 result(s) of earlier attempts under s3://notes/${PLACE.keyPrefix} could not be read; their tasks run again`
    ])
    b.mock.restore()
  })

  it('a denied LIST or PUT is a warning with the grant to add, never a failure', async () => {
    const b = bucket()
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 }
    })
    b.mock.on(ListObjectsV2Command).rejects(denied)
    b.mock.on(PutObjectCommand).rejects(denied)
    const logger = memoryLogger()
    expect((await readRunRecords({ s3: b.client, logger }, PLACE)).size).toBe(0)
    const record = recordOf(ended(0, 0), { runAttempt: 1, specs }) as RunRecord
    expect(await writeRunRecords({ s3: b.client, logger }, PLACE, [record])).toEqual({
      written: 0,
      failed: 1
    })
    expect(logger.of('warning')).toEqual([
      `Could not list the results of earlier attempts under s3://notes/${PLACE.keyPrefix}, so every task runs again: Access Denied; grant s3:ListBucket on arn:aws:s3:::notes/${PLACE.keyPrefix}*`,
      `Could not record 1 of 1 task result(s) under s3://notes/${PLACE.keyPrefix}, so a re-run starts those tasks again: Access Denied; grant s3:PutObject on arn:aws:s3:::notes/${PLACE.keyPrefix}*`
    ])
    b.mock.restore()
  })

  it('parseRunRecord refuses what is not a record', () => {
    expect(parseRunRecord('nope')).toBeUndefined()
    expect(parseRunRecord('{"version":2,"index":0}')).toBeUndefined()
  })
})
