import { describe, expect, it } from '@jest/globals'
import {
  APP_RULE,
  TASK_STATUSES,
  decidingContainer,
  isIncompleteStop,
  statusOf,
  succeeded,
  taskExitCode
} from '../../src/model/result.js'
import { resultRuleOf } from '../../src/plan.js'
import { UserError } from '../../src/util/errors.js'
import type { TaskEnd, TaskSnapshot } from '../../src/model/task.js'

const ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'

function stopped(containers: TaskSnapshot['containers']): TaskEnd {
  return {
    kind: 'stopped',
    task: { taskArn: ARN, lastStatus: 'STOPPED', containers, source: 's3' }
  }
}

describe('the result model', () => {
  it("takes the app container's exit code by default, 127 when it has none or is missing", () => {
    const end = stopped([
      { name: 'app', exitCode: 3 },
      { name: 'worker', exitCode: 0 }
    ])
    if (end.kind !== 'stopped') throw new Error('stopped')
    expect(taskExitCode(end.task)).toBe(3)
    expect(taskExitCode(end.task, APP_RULE)).toBe(3)
    expect(taskExitCode(end.task, { container: 'worker' })).toBe(0)
    expect(taskExitCode(end.task, { container: 'absent' })).toBe(127)
    expect(decidingContainer(end.task, { container: 'worker' })).toEqual({
      name: 'worker',
      exitCode: 0
    })
    const noCode = stopped([{ name: 'app', reason: 'CannotPullContainerError' }])
    if (noCode.kind !== 'stopped') throw new Error('stopped')
    expect(taskExitCode(noCode.task)).toBe(127)
  })

  it('succeeds only on a seen stop whose deciding container exited 0', () => {
    expect(succeeded(stopped([{ name: 'app', exitCode: 0 }]))).toBe(true)
    expect(succeeded(stopped([{ name: 'app', exitCode: 1 }]))).toBe(false)
    expect(
      succeeded(
        stopped([
          { name: 'app', exitCode: 1 },
          { name: 'w', exitCode: 0 }
        ]),
        { container: 'w' }
      )
    ).toBe(true)
    expect(succeeded({ kind: 'lost', taskArn: ARN, reason: 'MISSING' })).toBe(false)
    expect(succeeded(undefined)).toBe(false)
  })

  it('names one status for every state of a record', () => {
    const ok = stopped([{ name: 'app', exitCode: 0 }])
    const bad = stopped([{ name: 'app', exitCode: 2 }])
    const lost: TaskEnd = { kind: 'lost', taskArn: ARN, reason: 'MISSING' }
    const rows = [
      statusOf({ state: 'not-started', stopRequested: false }),
      statusOf({ state: 'start-failed', stopRequested: false }),
      statusOf({ state: 'running', stopRequested: false }),
      statusOf({ state: 'ended', end: ok, stopRequested: true }),
      statusOf({ state: 'ended', end: bad, stopRequested: false }),
      statusOf({ state: 'ended', end: bad, stopRequested: true }),
      statusOf({ state: 'ended', end: lost, stopRequested: true }),
      statusOf({ state: 'ended', stopRequested: false })
    ]
    expect(rows).toEqual([
      'not-started',
      'failed',
      'unfinished',
      'succeeded',
      'failed',
      'stopped',
      'failed',
      'not-started'
    ])
    expect(rows.every((s) => (TASK_STATUSES as readonly string[]).includes(s))).toBe(true)
  })
})

describe('a chosen container, or every essential one', () => {
  const task = (containers: TaskSnapshot['containers'], stopCode = 'EssentialContainerExited') =>
    ({ taskArn: ARN, lastStatus: 'STOPPED', stopCode, containers, source: 's3' }) as TaskSnapshot

  it('every essential container: the first code that is not 0 in definition order, else 0', () => {
    const rule = { essential: ['app', 'worker'] }
    expect(
      taskExitCode(
        task([
          { name: 'app', exitCode: 0 },
          { name: 'worker', exitCode: 0 }
        ]),
        rule
      )
    ).toBe(0)
    const t = task([
      { name: 'worker', exitCode: 5 },
      { name: 'app', exitCode: 2 },
      { name: 'sidecar', exitCode: 9 }
    ])
    expect(taskExitCode(t, rule)).toBe(2)
    expect(decidingContainer(t, rule)).toEqual({ name: 'app', exitCode: 2 })
    expect(taskExitCode(task([{ name: 'app', exitCode: 0 }]), rule)).toBe(127)
  })

  it('an incomplete stop waits for the deciding containers only', () => {
    const t = task([{ name: 'app', exitCode: 0 }, { name: 'worker' }])
    expect(isIncompleteStop(t)).toBe(false)
    expect(isIncompleteStop(t, { container: 'worker' })).toBe(true)
    expect(isIncompleteStop(t, { essential: ['app', 'worker'] })).toBe(true)
    expect(
      isIncompleteStop(task([{ name: 'worker' }], 'UserInitiated'), { container: 'worker' })
    ).toBe(false)
  })
})

describe('resultRuleOf (exit-code-container)', () => {
  const containers = [
    { name: 'app' },
    { name: 'worker', essential: true },
    { name: 'log-router', essential: false }
  ]
  it('is the app container when empty, a named container, or the essential ones in order', () => {
    expect(resultRuleOf(undefined, containers)).toEqual(APP_RULE)
    expect(resultRuleOf('worker', containers)).toEqual({ container: 'worker' })
    expect(resultRuleOf('all-essential', containers)).toEqual({ essential: ['app', 'worker'] })
  })

  it('names the input and the containers for one that is not in the task', () => {
    expect(() => resultRuleOf('db', containers)).toThrow(
      new UserError(
        "Input 'exit-code-container' names 'db', which is not a container of this task " +
          '(app, worker, log-router): give one of them, or all-essential'
      )
    )
  })
})
