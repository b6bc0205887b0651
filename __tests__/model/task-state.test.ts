import { taskExitCode, isIncompleteStop } from '../../src/model/result.js'
import { describe, expect, it } from '@jest/globals'
import type { Task } from '@aws-sdk/client-ecs'
import {
  describeContainers,
  regionOfArn,
  snapshotFromDescribe,
  snapshotFromEvent,
  taskIdOf
} from '../../src/model/task-state.js'
import type { TaskSnapshot } from '../../src/model/task.js'
import { TASK_ARN, TASK_ID, fixture, type FixtureName } from '../wait/fixtures.js'

const snap = (name: FixtureName): TaskSnapshot => snapshotFromEvent(fixture(name).detail)

describe('snapshotFromEvent', () => {
  it('normalises a STOPPED event: ISO timestamps to Dates, containers, version', () => {
    expect(snap('stopped-oom')).toEqual({
      taskArn: TASK_ARN,
      clusterArn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch',
      taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:42',
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      createdAt: new Date('2026-11-28T16:10:00.123Z'),
      startedAt: new Date('2026-11-28T16:10:05.330Z'),
      stoppingAt: new Date('2026-11-28T16:12:31.004Z'),
      stoppedAt: new Date('2026-11-28T16:12:33.250Z'),
      executionStoppedAt: new Date('2026-11-28T16:12:30.998Z'),
      containers: [
        {
          name: 'app',
          lastStatus: 'STOPPED',
          exitCode: 137,
          reason: 'OutOfMemoryError: Container killed due to memory usage'
        },
        { name: 'log-router', lastStatus: 'STOPPED', exitCode: 0 }
      ],
      containerInstanceArn:
        'arn:aws:ecs:ap-northeast-1:123456789012:container-instance/batch/5f0e6c1d2b3a49a8b7c6d5e4f3a2b1c0',
      availabilityZone: 'ap-northeast-1a',
      launchType: 'EC2',
      version: 6,
      source: 's3'
    })
  })

  it('ignores fields it does not know and accepts nulls (new fields may appear, docs/ecs-events.md, "Detail")', () => {
    const detail = { ...fixture('running').detail, someNewField: { a: 1 }, stopCode: null }
    const s = snapshotFromEvent(detail)
    expect(s.lastStatus).toBe('RUNNING')
    expect(s.stopCode).toBeUndefined()
    expect(s).not.toHaveProperty('someNewField')
  })

  it.each([
    [undefined, 'detail: Invalid input: expected object, received undefined'],
    [
      { lastStatus: 'STOPPED', containers: [] },
      'detail.taskArn: Invalid input: expected string, received undefined'
    ],
    [
      { taskArn: TASK_ARN, lastStatus: 'STOPPED', containers: [{ exitCode: 1 }] },
      'detail.containers.0.name: Invalid input: expected string, received undefined'
    ],
    [
      { taskArn: TASK_ARN, lastStatus: 'STOPPED', stoppedAt: 'yesterday' },
      'detail.stoppedAt: Invalid ISO datetime'
    ],
    [
      { taskArn: TASK_ARN, lastStatus: 'STOPPED', version: 'six' },
      'detail.version: Invalid input: expected number, received string'
    ]
  ])('rejects %j', (detail, message) => {
    expect(() => snapshotFromEvent(detail)).toThrow(message)
  })
})

describe('snapshotFromDescribe', () => {
  it('normalises a DescribeTasks task (Dates already parsed by the SDK)', () => {
    const task: Task = {
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: not found',
      stoppedAt: new Date('2026-11-28T16:10:07.002Z'),
      executionStoppedAt: new Date('2026-11-28T16:10:06.500Z'),
      launchType: 'FARGATE',
      containers: [
        { name: 'app', lastStatus: 'STOPPED', reason: 'CannotPullContainerError: not found' }
      ]
    }
    expect(snapshotFromDescribe(task)).toEqual({
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: not found',
      stoppedAt: new Date('2026-11-28T16:10:07.002Z'),
      executionStoppedAt: new Date('2026-11-28T16:10:06.500Z'),
      launchType: 'FARGATE',
      containers: [
        { name: 'app', lastStatus: 'STOPPED', reason: 'CannotPullContainerError: not found' }
      ],
      source: 'describe-tasks'
    })
  })
})

describe('exitCodeOf (hako: the app container, 127 without one, docs/hako.md, "Exit code")', () => {
  const base: TaskSnapshot = {
    taskArn: TASK_ARN,
    lastStatus: 'STOPPED',
    containers: [],
    source: 's3'
  }
  it.each<[string, TaskSnapshot, number]>([
    ['app exited 0', snap('stopped-success'), 0],
    ['app killed for memory, sidecar 0', snap('stopped-oom'), 137],
    ['app exited 3', snap('stopped-failure'), 3],
    ['image pull failure: app has a reason but no exit code', snap('stopped-pull-failure'), 127],
    ['incomplete stop', snap('stopped-incomplete'), 127],
    ['no app in the task', { ...base, containers: [{ name: 'worker', exitCode: 0 }] }, 127],
    [
      'a sidecar failed, app 0',
      {
        ...base,
        containers: [
          { name: 'app', exitCode: 0 },
          { name: 'sidecar', exitCode: 1 }
        ]
      },
      0
    ],
    [
      'a sidecar exited 2 before app, app 143',
      {
        ...base,
        containers: [
          { name: 'sidecar', exitCode: 2 },
          { name: 'app', exitCode: 143 }
        ]
      },
      143
    ]
  ])('%s: %d', (_, snapshot, code) => {
    expect(taskExitCode(snapshot)).toBe(code)
  })
})

describe('isIncompleteStop (the agent may complete a STOPPED event later, docs/ecs-events.md, "STOPPED without exit codes")', () => {
  const base: TaskSnapshot = {
    taskArn: TASK_ARN,
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    containers: [{ name: 'app', lastStatus: 'STOPPED' }],
    source: 's3'
  }
  it.each<[string, TaskSnapshot, boolean]>([
    ['app without exit code or reason', base, true],
    ['the incomplete fixture', snap('stopped-incomplete'), true],
    ['app with an exit code', snap('stopped-success'), false],
    [
      'app with a reason only',
      { ...base, containers: [{ name: 'app', reason: 'OutOfMemoryError' }] },
      false
    ],
    ['TaskFailedToStart', snap('stopped-pull-failure'), false],
    ['UserInitiated without codes', { ...base, stopCode: 'UserInitiated' }, false],
    ['no app container', { ...base, containers: [{ name: 'worker' }] }, false],
    ['RUNNING', { ...base, lastStatus: 'RUNNING' }, false]
  ])('%s: %s', (_, snapshot, incomplete) => {
    expect(isIncompleteStop(snapshot)).toBe(incomplete)
  })
})

describe('describeContainers', () => {
  it('gives one line per container with code and reason', () => {
    expect(describeContainers(snap('stopped-oom'))).toEqual([
      'app (STOPPED): exit code 137: OutOfMemoryError: Container killed due to memory usage',
      'log-router (STOPPED): exit code 0'
    ])
    expect(describeContainers(snap('stopped-incomplete'))).toEqual([
      'app (STOPPED): no exit code',
      'log-router (STOPPED): no exit code'
    ])
  })
})

describe('ARN helpers', () => {
  it('takes the task id and region from a task ARN', () => {
    expect(taskIdOf(TASK_ARN)).toBe(TASK_ID)
    expect(regionOfArn(TASK_ARN)).toBe('ap-northeast-1')
    expect(regionOfArn('not-an-arn')).toBeUndefined()
  })
})
