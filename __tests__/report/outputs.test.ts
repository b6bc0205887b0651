import { taskExitCode } from '../../src/model/result.js'
import { describe, expect, it } from '@jest/globals'
import { resultOutputs } from '../../src/report/outputs.js'
import { snapshotFromEvent } from '../../src/model/task-state.js'
import { TASK_ARN, fixture } from '../wait/fixtures.js'

describe('resultOutputs', () => {
  it('gives every output of a stopped task, times in ISO 8601 and containers as JSON', () => {
    const task = snapshotFromEvent(fixture('stopped-oom').detail)
    expect(
      resultOutputs(
        { task, exitCode: taskExitCode(task) },
        { logsUrl: 'https://example.invalid/logs' }
      )
    ).toEqual({
      'task-arn': TASK_ARN,
      'task-id': '0123456789abcdef0123456789abcdef',
      'exit-code': '137',
      'stop-code': 'EssentialContainerExited',
      'stopped-reason': 'Essential container in task exited',
      'started-at': '2026-11-28T16:10:05.330Z',
      'stopped-at': '2026-11-28T16:12:33.250Z',
      containers:
        '[{"name":"app","exitCode":137,"reason":"OutOfMemoryError: Container killed due to memory usage"},{"name":"log-router","exitCode":0,"reason":null}]',
      'logs-url': 'https://example.invalid/logs'
    })
  })

  it('leaves unknown values empty on a timeout or cancel with nothing seen', () => {
    expect(resultOutputs({}, { taskArn: TASK_ARN })).toEqual({
      'task-arn': TASK_ARN,
      'task-id': '0123456789abcdef0123456789abcdef',
      'exit-code': '',
      'stop-code': '',
      'stopped-reason': '',
      'started-at': '',
      'stopped-at': '',
      containers: '[]',
      'logs-url': ''
    })
  })

  it('gives the 127 of a task whose image could not be pulled (hako, docs/hako.md, "Exit code")', () => {
    const task = snapshotFromEvent(fixture('stopped-pull-failure').detail)
    const out = resultOutputs({ task, exitCode: taskExitCode(task) })
    expect(out['exit-code']).toBe('127')
    expect(out['stop-code']).toBe('TaskFailedToStart')
    expect(out['started-at']).toBe('')
    expect(JSON.parse(out.containers ?? '')).toEqual([
      {
        name: 'app',
        exitCode: null,
        reason:
          'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/batch:0f3c2a1: not found'
      },
      { name: 'log-router', exitCode: null, reason: null }
    ])
  })
})
