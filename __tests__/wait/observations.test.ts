/**
 * The pure apply step of the wait engine (src/wait/observations.ts): what each observation of a
 * task changes in its record, whether it starts or ends the task, and the exact lines to log.
 */
import { describe, expect, it } from '@jest/globals'
import type { NotificationPrefix, TaskSnapshot } from '../../src/model/task.js'
import { deniedMessage } from '../../src/wait/messages.js'
import {
  applyObservation,
  type Applied,
  type ApplyContext,
  type Observation
} from '../../src/wait/observations.js'
import { watchTask, type WatchedTask } from '../../src/wait/watched-task.js'

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task/batch/t1'
const STOPPED_KEY = `oneshot/${ARN}/stopped.json`
const STARTED_KEY = `oneshot/${ARN}/started.json`
const ctx: ApplyContext = {
  now: 50_000,
  cluster: 'batch',
  prefix: { bucket: 'notes', prefix: 'oneshot', region: 'us-east-1' }
}

/** The record of task t1, watched since time 0, with `fields` over it. */
function task(fields: Partial<WatchedTask> = {}): WatchedTask {
  return {
    ...watchTask({ arn: ARN, prefix: 'oneshot', now: 0, firstReadAt: 1000, verifyMs: 300_000 }),
    ...fields
  }
}

function snapshot(fields: Partial<TaskSnapshot> & { exit?: number } = {}): TaskSnapshot {
  const { exit, ...rest } = fields
  return {
    taskArn: ARN,
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    containers: [exit === undefined ? { name: 'app' } : { name: 'app', exitCode: exit }],
    source: 's3',
    version: 3,
    ...rest
  }
}

const complete = snapshot({ exit: 0, version: 4 })
const incomplete = snapshot({ version: 3 })
const running = snapshot({
  lastStatus: 'RUNNING',
  stopCode: undefined,
  startedAt: new Date('2026-11-28T10:00:05Z'),
  source: 'describe-tasks',
  version: undefined
})
const incompleteNote =
  'stopped.json for task t1 has no exit code or reason for the app container yet ' +
  '(EssentialContainerExited); re-reading it for up to 10 s for a newer event'

describe('applyObservation', () => {
  it.each<{ case: string; w: WatchedTask; obs: Observation; applied: Applied }>([
    {
      case: 'a complete stopped.json ends the task',
      w: task(),
      obs: { kind: 'stopped', arn: ARN, task: complete, etag: '"e1"' },
      applied: {
        patch: { etag: '"e1"', stopped: complete },
        end: { kind: 'stopped', task: complete },
        logs: [{ level: 'debug', message: 'stopped.json of task t1: EssentialContainerExited' }]
      }
    },
    {
      case: 'an incomplete stopped.json opens the grace, once',
      w: task(),
      obs: { kind: 'stopped', arn: ARN, task: incomplete, etag: '"e0"' },
      applied: {
        patch: { etag: '"e0"', stopped: incomplete, incompleteSince: 50_000 },
        logs: [{ level: 'info', message: incompleteNote }]
      }
    },
    {
      case: 'the same incomplete version again changes only the ETag',
      w: task({ stopped: incomplete, incompleteSince: 40_000 }),
      obs: { kind: 'stopped', arn: ARN, task: incomplete, etag: '"e2"' },
      applied: { patch: { etag: '"e2"' }, logs: [] }
    },
    {
      case: 'an older event than the one kept is ignored',
      w: task({ stopped: snapshot({ version: 5 }), incompleteSince: 40_000 }),
      obs: { kind: 'stopped', arn: ARN, task: complete },
      applied: { patch: {}, logs: [] }
    },
    {
      case: 'started.json read: started, with the line',
      w: task(),
      obs: { kind: 'started', arn: ARN, task: running },
      applied: {
        patch: { startedSeen: true },
        start: { task: running },
        logs: [{ level: 'info', message: 'Task t1 started at 2026-11-28T10:00:05.000Z' }]
      }
    },
    {
      case: 'started.json listed: started, without a state',
      w: task(),
      obs: { kind: 'started', arn: ARN },
      applied: {
        patch: { startedSeen: true },
        start: { task: undefined },
        logs: [{ level: 'debug', message: 'started.json of task t1 appeared' }]
      }
    },
    {
      case: 'started again: nothing',
      w: task({ startedSeen: true }),
      obs: { kind: 'started', arn: ARN },
      applied: { patch: {}, logs: [] }
    },
    {
      case: 'an unusable stopped.json keeps its ETag and warns once per ETag',
      w: task(),
      obs: { kind: 'unusable', arn: ARN, name: 'stopped', why: 'it is not JSON', etag: '"x"' },
      applied: {
        patch: { etag: '"x"' },
        logs: [
          {
            level: 'warning',
            message: `Ignoring s3://notes/${STOPPED_KEY}: it is not JSON`,
            once: `${STOPPED_KEY}@"x"`
          }
        ]
      }
    },
    {
      case: 'an unusable started.json leaves the ETag of stopped.json alone',
      w: task(),
      obs: { kind: 'unusable', arn: ARN, name: 'started', why: 'it is not JSON', etag: '"y"' },
      applied: {
        patch: {},
        logs: [
          {
            level: 'warning',
            message: `Ignoring s3://notes/${STARTED_KEY}: it is not JSON`,
            once: `${STARTED_KEY}@"y"`
          }
        ]
      }
    },
    {
      case: 'DescribeTasks shows it RUNNING: found and started',
      w: task(),
      obs: { kind: 'described', arn: ARN, task: running },
      applied: {
        patch: { lastFoundAt: 50_000, startedSeen: true },
        start: { task: running },
        logs: [{ level: 'info', message: 'Task t1 started at 2026-11-28T10:00:05.000Z' }]
      }
    },
    {
      case: 'DescribeTasks shows it PENDING: found only',
      w: task(),
      obs: {
        kind: 'described',
        arn: ARN,
        task: { ...running, lastStatus: 'PENDING', startedAt: undefined }
      },
      applied: { patch: { lastFoundAt: 50_000 }, logs: [] }
    },
    {
      case: 'DescribeTasks shows it STOPPED with the exit code: the end',
      w: task({ startedSeen: true }),
      obs: { kind: 'described', arn: ARN, task: { ...complete, source: 'describe-tasks' } },
      applied: {
        patch: { lastFoundAt: 50_000 },
        end: { kind: 'stopped', task: { ...complete, source: 'describe-tasks' } },
        logs: []
      }
    },
    {
      case: 'DescribeTasks shows it STOPPED without one: the grace opens',
      w: task({ startedSeen: true }),
      obs: { kind: 'described', arn: ARN, task: { ...incomplete, source: 'describe-tasks' } },
      applied: { patch: { lastFoundAt: 50_000, incompleteSince: 50_000 }, logs: [] }
    },
    {
      case: 'DescribeTasks shows it STOPPED without one after the grace: settled on',
      w: task({ startedSeen: true, incompleteSince: 40_000 }),
      obs: { kind: 'described', arn: ARN, task: { ...incomplete, source: 'describe-tasks' } },
      applied: {
        patch: { lastFoundAt: 50_000, incompleteSince: 40_000 },
        end: { kind: 'stopped', task: { ...incomplete, source: 'describe-tasks' } },
        logs: [
          {
            level: 'info',
            message:
              'Task t1 stopped (EssentialContainerExited) without an exit code or reason for ' +
              'the app container after 10 s of re-reading'
          }
        ]
      }
    },
    {
      case: 'DescribeTasks does not find it for 50 s: still waiting',
      w: task(),
      obs: { kind: 'missing', arn: ARN, reason: 'MISSING' },
      applied: { patch: {}, logs: [] }
    },
    {
      case: 'DescribeTasks does not find it for 60 s: lost',
      w: task({ lastFoundAt: -10_000 }),
      obs: { kind: 'missing', arn: ARN, reason: 'MISSING' },
      applied: {
        patch: {},
        end: {
          kind: 'lost',
          taskArn: ARN,
          reason:
            "DescribeTasks has not found the task in cluster 'batch' for 60 s (MISSING). " +
            'Check that the cluster and region are the ones the task was started in.'
        },
        logs: []
      }
    },
    {
      case: '404: nothing changes',
      w: task(),
      obs: { kind: 'absent', arn: ARN, name: 'stopped' },
      applied: { patch: {}, logs: [] }
    },
    {
      case: '403 on stopped.json: noted with its time, and the warning said once',
      w: task(),
      obs: { kind: 'denied', arn: ARN, name: 'stopped' },
      applied: {
        patch: { stoppedDeniedAt: 50_000 },
        logs: [
          {
            level: 'warning',
            once: 'access-denied',
            message: deniedMessage(ctx.prefix as NotificationPrefix, STOPPED_KEY)
          }
        ]
      }
    },
    {
      case: '403 on started.json: noted apart from stopped.json',
      w: task({ stoppedDeniedAt: 40_000 }),
      obs: { kind: 'denied', arn: ARN, name: 'started' },
      applied: {
        patch: { startedDeniedAt: 50_000 },
        logs: [
          {
            level: 'warning',
            once: 'access-denied',
            message: deniedMessage(ctx.prefix as NotificationPrefix, STARTED_KEY)
          }
        ]
      }
    },
    {
      case: 'a 404 after a 403 clears the 403 of that object only',
      w: task({ startedDeniedAt: 30_000, stoppedDeniedAt: 40_000 }),
      obs: { kind: 'absent', arn: ARN, name: 'stopped' },
      applied: { patch: { stoppedDeniedAt: undefined }, logs: [] }
    },
    {
      case: 'started.json read after a 403 clears it',
      w: task({ startedDeniedAt: 30_000 }),
      obs: { kind: 'started', arn: ARN, task: running },
      applied: {
        patch: { startedDeniedAt: undefined, startedSeen: true },
        start: { task: running },
        logs: [{ level: 'info', message: 'Task t1 started at 2026-11-28T10:00:05.000Z' }]
      }
    }
  ])('$case', ({ w, obs, applied }) => {
    const before = structuredClone(w)
    expect(applyObservation(w, obs, ctx)).toStrictEqual(applied)
    // Pure: the record is the engine's to change.
    expect(w).toEqual(before)
  })
})
