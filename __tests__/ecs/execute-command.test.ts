/** The ECS Exec line: exact text, once per lone task, the pattern once for a set. */
import { describe, expect, it } from '@jest/globals'
import { ExecHints, executeCommandLine, taskIdOf } from '../../src/ecs/execute-command.js'
import { memoryLogger } from '../doubles/logger.js'

const ARN = (id: string) => `arn:aws:ecs:ap-northeast-1:123456789012:task/batch/${id}`
const LINE = (task: string) =>
  `aws ecs execute-command --cluster batch --task ${task} --container app --interactive ` +
  `--command /bin/sh --region ap-northeast-1`

describe('executeCommandLine', () => {
  it('is the exact aws ecs execute-command line for the app container', () => {
    expect(executeCommandLine({ cluster: 'batch', task: 'abc123', region: 'ap-northeast-1' })).toBe(
      LINE('abc123')
    )
    expect(taskIdOf(ARN('abc123'))).toBe('abc123')
    expect(taskIdOf('abc123')).toBe('abc123')
  })
})

describe('ExecHints', () => {
  const o = { cluster: 'batch', region: 'ap-northeast-1' }

  it('prints a lone task its line once, when it is seen running; a retry is a new task', () => {
    const logger = memoryLogger()
    const hints = new ExecHints(logger, { ...o, tasks: 1, wait: true })
    hints.launched(ARN('t1'))
    hints.running(ARN('t1'))
    hints.running(ARN('t1'))
    hints.running(ARN('t2'))
    expect(logger.of('info')).toEqual([
      `ECS Exec into the task while it runs: ${LINE('t1')}`,
      `ECS Exec into the task while it runs: ${LINE('t2')}`
    ])
  })

  it('prints the pattern once for a set, at the first task seen running', () => {
    const logger = memoryLogger()
    const hints = new ExecHints(logger, { ...o, tasks: 30, wait: true })
    for (let i = 0; i < 30; i++) hints.running(ARN(`t${i}`))
    expect(logger.of('info')).toEqual([
      'ECS Exec into any of the 30 tasks while it runs (its ID is in the task-arns output and ' +
        `the summary): ${LINE('<task id>')}`
    ])
  })

  it('without waiting, prints at launch what to run once the task is RUNNING', () => {
    const logger = memoryLogger()
    const hints = new ExecHints(logger, { ...o, tasks: 1, wait: false })
    hints.launched(ARN('t1'))
    hints.launched(ARN('t1'))
    hints.running(ARN('t1'))
    expect(logger.of('info')).toEqual([`ECS Exec into the task once it is RUNNING: ${LINE('t1')}`])
  })
})
