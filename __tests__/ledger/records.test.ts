/** The ledger's keys, tokens and record parsers (pure). */
import { describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import {
  clientTokenOf,
  jobIntentKey,
  ledgerPlace,
  parseJobIntent,
  parseTaskRecord,
  parseV1AsTask,
  recordedReason,
  segmentParts,
  taskRecordKey
} from '../../src/ledger/records.js'
import { classifyKey } from '../../src/ledger/reader.js'
import { TASK_RECORD } from './fixtures.js'

describe('ledgerPlace', () => {
  const cases = [
    { env: { GITHUB_RUN_ID: '9', GITHUB_JOB: 'build' }, jobIndex: 0, jobTotal: 1 },
    {
      env: { GITHUB_RUN_ID: '9', GITHUB_JOB: 'build', GITHUB_ACTION: '__run_2' },
      jobIndex: 5,
      jobTotal: 6
    },
    {
      env: { GITHUB_RUN_ID: '9', GITHUB_JOB: 'bu ild', GITHUB_ACTION: 'a/b' },
      jobIndex: 0,
      jobTotal: 2
    }
  ]
  it.each(cases.map((c, i) => [c, ['build/', 'build.m5.__run_2/', 'bu_ild.m0.a_b/'][i]] as const))(
    'keeps the version 1 keys: <prefix>/runs/<run id>/<job>[.m<index>][.<step>]/ (%#)',
    (c, segment) => {
      expect(ledgerPlace({ bucket: 'notes', prefix: '', ...c })?.keyPrefix).toBe(
        `runs/9/${segment}`
      )
      expect(ledgerPlace({ bucket: 'notes', prefix: 'oneshot', ...c })?.keyPrefix).toBe(
        `oneshot/runs/9/${segment}`
      )
      expect(ledgerPlace({ bucket: 'notes', prefix: 'a/b', ...c })?.keyPrefix).toBe(
        `a/b/runs/9/${segment}`
      )
    }
  )

  it('names the run, the job segment and the matrix leg', () => {
    const place = ledgerPlace({
      bucket: 'notes',
      prefix: 'oneshot',
      env: { GITHUB_RUN_ID: '9', GITHUB_JOB: 'build', GITHUB_ACTION: 'run' },
      jobIndex: 5,
      jobTotal: 6
    })
    expect(place).toEqual({
      bucket: 'notes',
      prefix: 'oneshot',
      runId: '9',
      jobSegment: 'build.m5.run',
      job: 'build',
      step: 'run',
      matrixIndex: 5,
      jobTotal: 6,
      runPrefix: 'oneshot/runs/9/',
      keyPrefix: 'oneshot/runs/9/build.m5.run/'
    })
    if (place === undefined) return
    expect(jobIntentKey(place, 2)).toBe('oneshot/runs/9/build.m5.run/attempts/2.json')
    expect(taskRecordKey(place, { index: 12, runAttempt: 2, taskAttempt: 3 })).toBe(
      'oneshot/runs/9/build.m5.run/tasks/12/2-3.json'
    )
  })

  it('is undefined outside a workflow run', () => {
    const input = { bucket: 'b', prefix: '', jobIndex: 0, jobTotal: 1 }
    expect(ledgerPlace({ ...input, env: { GITHUB_JOB: 'x' } })).toBeUndefined()
    expect(ledgerPlace({ ...input, env: { GITHUB_RUN_ID: '1' } })).toBeUndefined()
  })
})

describe('clientTokenOf', () => {
  const at = { runId: '9', jobSegment: 'build.m5.run', index: 12, runAttempt: 2, taskAttempt: 3 }
  it('is the first 32 hex digits of the SHA-256 of its inputs, the same on every call', () => {
    const expected = createHash('sha256')
      .update('9\nbuild.m5.run\n12\n2\n3')
      .digest('hex')
      .slice(0, 32)
    expect(clientTokenOf(at)).toBe(expected)
    expect(clientTokenOf({ ...at })).toBe(expected)
  })
  it.each(['runId', 'jobSegment', 'index', 'runAttempt', 'taskAttempt'] as const)(
    'changes with %s',
    (field) => {
      const other = { ...at, [field]: field === 'jobSegment' || field === 'runId' ? 'z' : 99 }
      expect(clientTokenOf(other)).not.toBe(clientTokenOf(at))
    }
  )
})

describe('parseTaskRecord and parseJobIntent', () => {
  it('reads a task record', () => {
    expect(parseTaskRecord(JSON.stringify(TASK_RECORD))).toEqual({ ok: true, value: TASK_RECORD })
  })
  it.each([
    ['{', 'not JSON'],
    ['[1]', 'version undefined is unknown'],
    [JSON.stringify({ ...TASK_RECORD, version: 3 }), 'version 3 is unknown'],
    [JSON.stringify({ ...TASK_RECORD, status: 'done' }), 'status: Invalid option'],
    [JSON.stringify({ ...TASK_RECORD, index: -1 }), 'index: Too small'],
    [JSON.stringify({ ...TASK_RECORD, stoppedReason: 'x'.repeat(257) }), 'stoppedReason: Too big']
  ])('does not trust %s', (body, why) => {
    const parsed = parseTaskRecord(body)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.why.startsWith(why)).toBe(true)
  })
  it('reads an intent, and refuses one with a token longer than 64 characters', () => {
    const intent = {
      version: 2,
      kind: 'job',
      job: 'batch',
      step: null,
      matrixIndex: null,
      jobTotal: 1,
      runAttempt: 1,
      tasks: 2,
      writtenAt: '2026-12-07T10:00:00.000Z',
      indexes: [{ index: 0, spec: 'aa', taskAttempt: 1, clientToken: 'a'.repeat(32) }]
    }
    expect(parseJobIntent(JSON.stringify(intent)).ok).toBe(true)
    const long = { ...intent, indexes: [{ ...intent.indexes[0], clientToken: 'a'.repeat(65) }] }
    expect(parseJobIntent(JSON.stringify(long)).ok).toBe(false)
  })
})

describe('parseV1AsTask', () => {
  it('reads a version 1 record in the version 2 shape', () => {
    const v1 = {
      version: 1,
      index: 3,
      runAttempt: 1,
      status: 'failed',
      exitCode: 137,
      taskArn: 'arn:aws:ecs:ap-northeast-1:1:task/c/t',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'OutOfMemory\u001b[31m',
      attempts: 2,
      startedAt: null,
      stoppedAt: null,
      tasks: 5,
      spec: 'abcd'
    }
    expect(parseV1AsTask(JSON.stringify(v1), { key: 'k', jobSegment: 'build.m1.__run' })).toEqual({
      ok: true,
      value: {
        version: 1,
        kind: 'task',
        job: 'build',
        matrixIndex: 1,
        step: '__run',
        jobTotal: null,
        index: 3,
        tasks: 5,
        runAttempt: 1,
        taskAttempt: 2,
        spec: 'abcd',
        clientToken: null,
        status: 'failed',
        adopted: false,
        taskArn: 'arn:aws:ecs:ap-northeast-1:1:task/c/t',
        cluster: null,
        region: null,
        exitCode: 137,
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'OutOfMemory\\x1b[31m',
        stopRequest: null,
        startedAt: null,
        stoppedAt: null,
        logsUrl: null,
        recordedAt: null,
        key: 'k'
      }
    })
  })
})

describe('segmentParts, classifyKey, recordedReason', () => {
  it.each([
    ['build', { job: 'build', matrixIndex: null, step: null }],
    ['build.m12', { job: 'build', matrixIndex: 12, step: null }],
    ['build.m2.__run_2', { job: 'build', matrixIndex: 2, step: '__run_2' }],
    ['build.oneshot', { job: 'build', matrixIndex: null, step: 'oneshot' }]
  ])('%s', (segment, parts) => {
    expect(segmentParts(segment)).toEqual(parts)
  })

  it('classifies the keys of a run', () => {
    const run = 'p/runs/9/'
    expect(classifyKey(run, 'p/runs/9/b.m1/4.json')).toEqual({
      kind: 'v1',
      segment: 'b.m1',
      index: 4
    })
    expect(classifyKey(run, 'p/runs/9/b/attempts/2.json')).toEqual({
      kind: 'intent',
      segment: 'b',
      runAttempt: 2
    })
    expect(classifyKey(run, 'p/runs/9/b/tasks/10/2-3.json')).toEqual({
      kind: 'task',
      segment: 'b',
      index: 10,
      runAttempt: 2,
      taskAttempt: 3
    })
    for (const other of ['p/runs/9/b/x.json', 'p/runs/9/b/tasks/1/2.json', 'p/runs/9/b/01.json']) {
      expect(classifyKey(run, other)).toBeUndefined()
    }
  })

  it('keeps at most 256 characters of a reason, its controls visible', () => {
    expect(recordedReason('a\nb')).toBe('a\\nb')
    expect(recordedReason('x'.repeat(300))).toHaveLength(256)
    expect(recordedReason('')).toBeNull()
    expect(recordedReason(undefined)).toBeNull()
  })
})
