/**
 * The verify round's pure steps (src/wait/verify-check.ts): which tasks a round covers, how an
 * incomplete stop is settled, and what one DescribeTasks answer means for the tasks without
 * stopped.json, with the exact lines.
 */
import { describe, expect, it } from '@jest/globals'
import type { TaskSnapshot } from '../../src/model/task.js'
import type { DescribeAnswer } from '../../src/wait/describe-tasks.js'
import { judgeVerify, planVerify, settleStop } from '../../src/wait/verify-check.js'
import { watchTask, type WatchedTask } from '../../src/wait/watched-task.js'

const prefix = { bucket: 'notes', prefix: 'oneshot', region: 'us-east-1' }
const arnOf = (n: number): string => `arn:aws:ecs:us-east-1:123456789012:task/batch/t${n}`

function task(n: number, fields: Partial<WatchedTask> = {}): WatchedTask {
  const base = watchTask({
    arn: arnOf(n),
    prefix: 'oneshot',
    now: 0,
    firstReadAt: 1000,
    verifyMs: 30_000
  })
  return { ...base, ...fields }
}

function state(n: number, fields: Partial<TaskSnapshot> & { exit?: number } = {}): TaskSnapshot {
  const { exit, ...rest } = fields
  return {
    taskArn: arnOf(n),
    lastStatus: 'RUNNING',
    containers: [exit === undefined ? { name: 'app' } : { name: 'app', exitCode: exit }],
    source: 'describe-tasks',
    ...rest
  }
}

function answer(found: TaskSnapshot[], missing: [string, string][] = []): DescribeAnswer {
  return { found: new Map(found.map((t) => [t.taskArn, t])), missing: new Map(missing) }
}

const ctx = {
  now: 100_000,
  prefix,
  cluster: 'batch',
  verifyIntervalSeconds: 30,
  s3Answered: true
}

describe('planVerify', () => {
  it('settles stops whose grace is over and verifies tasks due, with those half-way', () => {
    const settle = task(1, {
      incompleteSince: 80_000,
      stopped: state(1, { lastStatus: 'STOPPED' })
    })
    const grace = task(2, { incompleteSince: 95_000, stopped: state(2, { lastStatus: 'STOPPED' }) })
    const due = task(3, { nextVerifyAt: 100_000 })
    const halfWay = task(4, { nextVerifyAt: 115_000 })
    const later = task(5, { nextVerifyAt: 116_000 })
    expect(planVerify([settle, grace, due, halfWay, later], 30_000, 100_000)).toEqual({
      settle: [settle],
      verify: [due, halfWay]
    })
    expect(planVerify([halfWay, later], 30_000, 100_000)).toEqual({ settle: [], verify: [] })
  })
})

describe('settleStop', () => {
  const open = state(1, {
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    source: 's3'
  })
  const w = task(1, { incompleteSince: 80_000, stopped: open })
  const complete = state(1, {
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    exit: 2
  })
  it.each([
    {
      case: 'verify-interval 0: on stopped.json, ECS not asked',
      found: undefined,
      asked: false,
      task: open,
      line:
        'stopped.json of task t1 still has no exit code or reason for the app container after ' +
        '10 s; settling on it (verify-interval is 0, so ECS is not asked)'
    },
    {
      case: 'ECS has the exit code',
      found: answer([complete]),
      asked: true,
      task: complete,
      line: 'DescribeTasks completes the stop of task t1 that stopped.json left open'
    },
    {
      case: 'ECS has none either',
      found: answer([{ ...open, source: 'describe-tasks' }]),
      asked: true,
      task: open,
      line: 'Settling on stopped.json of task t1: no exit code or reason for app'
    },
    {
      case: 'ECS did not answer',
      found: undefined,
      asked: true,
      task: open,
      line: 'Settling on stopped.json of task t1: no exit code or reason for app'
    }
  ])('$case', ({ found, asked, task: ended, line }) => {
    expect(settleStop(w, found, asked)).toStrictEqual({
      patch: {},
      end: { kind: 'stopped', task: ended },
      logs: [{ level: 'info', message: line }]
    })
  })
})

describe('judgeVerify', () => {
  const stoppedAt = new Date(90_000)
  const longAgo = new Date(10_000)
  const checklist =
    'Check that the EventBridge rule for "ECS Task State Change" events matches cluster ' +
    "'batch', that the notifier Lambda shows no errors in its logs and may s3:PutObject on " +
    'arn:aws:s3:::notes/oneshot/*, and that it writes to s3://notes/oneshot/ (the prefix this ' +
    'action reads).'
  const stopLine = (n: number, at: Date): string =>
    `ECS reports task t${n} STOPPED at ${at.toISOString()}, but ` +
    `s3://notes/oneshot/${arnOf(n)}/stopped.json has not appeared; finishing from the ` +
    'DescribeTasks answer.'

  it('ends stopped tasks, reports silent, late and missing ones, in that order', () => {
    const tasks = [task(1), task(2), task(3, { startedSeen: true }), task(4), task(5)]
    const judged = judgeVerify(
      tasks,
      answer(
        [
          state(1, { lastStatus: 'STOPPED', stoppedAt, exit: 0 }),
          state(2, { lastStatus: 'STOPPED', stoppedAt: longAgo, exit: 1 }),
          state(3),
          state(4)
        ],
        [[arnOf(5), 'MISSING']]
      ),
      ctx
    )
    expect(judged.tasks.map(({ w, applied }) => [w.id, applied])).toStrictEqual([
      [
        't1',
        {
          patch: {},
          end: { kind: 'stopped', task: state(1, { lastStatus: 'STOPPED', stoppedAt, exit: 0 }) },
          logs: [{ level: 'info', message: stopLine(1, stoppedAt) }]
        }
      ],
      [
        't2',
        {
          patch: {},
          end: {
            kind: 'stopped',
            task: state(2, { lastStatus: 'STOPPED', stoppedAt: longAgo, exit: 1 })
          },
          logs: [{ level: 'info', message: stopLine(2, longAgo) }]
        }
      ],
      [
        't3',
        {
          patch: {},
          logs: [
            {
              level: 'debug',
              message: 'ECS reports task t3 RUNNING; still waiting for stopped.json'
            }
          ]
        }
      ]
    ])
    expect(judged.logs).toStrictEqual([
      {
        level: 'warning',
        message:
          'ECS reports 1 task(s) stopped more than 60 s ago whose stopped.json has not ' +
          `appeared: the notifier missed the events. ${checklist}`
      },
      {
        level: 'warning',
        once: 'not-arriving',
        message:
          'ECS reports 1 task(s) RUNNING whose started.json has not appeared after 30 s: ' +
          `notifications are not arriving (${arnOf(4)}). ${checklist} Still waiting; ECS is ` +
          'checked again every 30 s.'
      },
      {
        level: 'warning',
        message:
          `DescribeTasks does not find 1 task(s) in cluster 'batch': ${arnOf(5)} (MISSING); ` +
          'still waiting for their stopped.json'
      }
    ])
  })

  it('blames no notifier before S3 has answered once', () => {
    const judged = judgeVerify([task(4)], answer([state(4)]), { ...ctx, s3Answered: false })
    expect(judged).toStrictEqual({ tasks: [], logs: [] })
  })

  it('names s3:GetObject instead of the notifier for tasks whose objects answer 403 after the grace', () => {
    const startedAt = new Date(20_000)
    const judged = judgeVerify(
      [
        task(1, { startedDeniedAt: 99_000 }),
        task(2, { stoppedDeniedAt: 99_000 }),
        // Within the grace of its start: still "not arriving".
        task(3, { startedDeniedAt: 99_000 })
      ],
      answer([
        state(1, { startedAt }),
        state(2, { lastStatus: 'STOPPED', startedAt, stoppedAt: longAgo, exit: 0 }),
        state(3, { startedAt: new Date(95_000) })
      ]),
      ctx
    )
    expect(judged.tasks.map(({ w, applied }) => [w.id, applied.end?.kind])).toEqual([
      ['t2', 'stopped']
    ])
    expect(judged.logs).toStrictEqual([
      {
        level: 'warning',
        once: 'not-arriving',
        message:
          'ECS reports 1 task(s) RUNNING whose started.json has not appeared after 30 s: ' +
          `notifications are not arriving (${arnOf(3)}). ${checklist} Still waiting; ECS is ` +
          'checked again every 30 s.'
      },
      {
        level: 'warning',
        once: 'get-object-denied',
        message:
          'ECS reports 2 task(s) started or stopped whose started.json or stopped.json still ' +
          "answered 403 AccessDenied more than 10 s later (t1, t2): the action's role is most " +
          'likely denied s3:GetObject on arn:aws:s3:::notes/oneshot/*, so each stop is learnt ' +
          "only from DescribeTasks, once per verify-interval. Add to the action's role: " +
          '{"Sid":"ReadNotifications","Effect":"Allow","Action":"s3:GetObject","Resource":' +
          '"arn:aws:s3:::notes/oneshot/*"}'
      }
    ])
  })
})
