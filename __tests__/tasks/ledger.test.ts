import { describe, expect, it } from '@jest/globals'
import type { LedgerTask } from '../../src/ledger/records.js'
import { entriesOf } from '../../src/tasks/ledger.js'

const ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'

function stored(index: number, runAttempt: number, status: LedgerTask['status']): LedgerTask {
  return {
    version: 2,
    kind: 'task',
    job: 'batch',
    step: '__run',
    matrixIndex: null,
    jobTotal: 1,
    index,
    tasks: 3,
    runAttempt,
    taskAttempt: 1,
    spec: 'abc',
    clientToken: `tok-${index}-${runAttempt}`,
    status,
    adopted: false,
    taskArn: ARN,
    cluster: 'batch',
    region: 'ap-northeast-1',
    exitCode: status === 'succeeded' ? 0 : null,
    stopCode: null,
    stoppedReason: null,
    stopRequest: null,
    startedAt: null,
    stoppedAt: null,
    logsUrl: null,
    recordedAt: '2026-12-07T10:00:00.000Z',
    key: `runs/1/batch.__run/tasks/${index}/${runAttempt}-1.json`
  }
}

describe('entriesOf', () => {
  it('takes each task record, and the newest intent where no record of its attempt follows it', () => {
    const entries = entriesOf({
      tasks: new Map([
        [0, stored(0, 2, 'succeeded')],
        [1, stored(1, 1, 'failed')]
      ]),
      intent: {
        runAttempt: 2,
        tasks: 3,
        indexes: [
          { index: 0, spec: 'abc', taskAttempt: 1, clientToken: 'i-0' },
          { index: 1, spec: 'abc', taskAttempt: 2, clientToken: 'i-1' },
          { index: 2, spec: 'abc', taskAttempt: 1, clientToken: 'i-2' }
        ]
      }
    })
    expect(entries.get(0)).toMatchObject({
      status: 'succeeded',
      runAttempt: 2,
      clientToken: 'tok-0-2'
    })
    expect(entries.get(1)).toMatchObject({
      status: 'intent',
      runAttempt: 2,
      taskAttempt: 2,
      clientToken: 'i-1',
      taskArn: null
    })
    expect(entries.get(2)).toMatchObject({ status: 'intent', clientToken: 'i-2', tasks: 3 })
  })

  it('without an intent, is the task records as they are', () => {
    const entries = entriesOf({ tasks: new Map([[1, stored(1, 1, 'unfinished')]]) })
    expect([...entries.keys()]).toEqual([1])
    expect(entries.get(1)).toMatchObject({ status: 'unfinished', taskArn: ARN, version: 2 })
  })
})
