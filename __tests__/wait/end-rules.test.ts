/** The rules of waiting and their messages, one table each (src/wait/end-rules.ts, messages.ts). */
import { describe, expect, it } from '@jest/globals'
import {
  deniedAfterKnownState,
  graceOver,
  isLost,
  readsStartedNext,
  stopVerdict,
  verifyBatch,
  verifyVerdict
} from '../../src/wait/end-rules.js'
import {
  deniedMessage,
  getObjectDeniedMessage,
  getObjectStatement,
  listBucketStatement,
  notifierChecklist,
  stoppedByVerifyLine,
  unreachableMessage,
  waitingThrough
} from '../../src/wait/messages.js'
import type { TaskSnapshot } from '../../src/model/task.js'

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task/batch/abc'

function snapshot(options: Partial<TaskSnapshot> & { exit?: number; reason?: string }) {
  const { exit, reason, ...rest } = options
  const app: TaskSnapshot['containers'][number] = { name: 'app' }
  if (exit !== undefined) app.exitCode = exit
  if (reason !== undefined) app.reason = reason
  return {
    taskArn: ARN,
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    containers: [app],
    source: 's3',
    ...rest
  } as TaskSnapshot
}

describe('stopVerdict: the newest detail.version wins; STOPPED without exit code waits', () => {
  it.each([
    { case: 'first complete stop', current: undefined, read: snapshot({ exit: 0 }), v: 'end' },
    {
      case: 'first stop without the app exit code',
      current: undefined,
      read: snapshot({}),
      v: 'incomplete'
    },
    {
      case: 'a newer version completes it',
      current: snapshot({ version: 3 }),
      read: snapshot({ version: 4, exit: 1 }),
      v: 'end'
    },
    {
      case: 'the same version again (a duplicate)',
      current: snapshot({ version: 4 }),
      read: snapshot({ version: 4, exit: 1 }),
      v: 'ignore'
    },
    {
      case: 'an older version',
      current: snapshot({ version: 5 }),
      read: snapshot({ version: 4, exit: 1 }),
      v: 'ignore'
    },
    {
      case: 'a DescribeTasks answer (no version)',
      current: snapshot({ version: 5 }),
      read: snapshot({ exit: 2, source: 'describe-tasks' }),
      v: 'end'
    },
    {
      case: 'a reason instead of an exit code',
      current: undefined,
      read: snapshot({ reason: 'CannotPullContainerError' }),
      v: 'end'
    },
    {
      case: 'another stop code without exit code',
      current: undefined,
      read: snapshot({ stopCode: 'UserInitiated' }),
      v: 'end'
    }
  ])('$case: $v', ({ current, read, v }) => {
    expect(stopVerdict(current, read)).toBe(v)
  })
})

describe('timing rules', () => {
  it.each([
    { since: undefined, now: 50_000, over: false },
    { since: 1000, now: 10_999, over: false },
    { since: 1000, now: 11_000, over: true }
  ])('grace from $since at $now: $over', ({ since, now, over }) => {
    expect(graceOver(since, now)).toBe(over)
  })

  it.each([
    { reads: 0, seen: false, started: false },
    { reads: 1, seen: false, started: false },
    { reads: 2, seen: false, started: true },
    { reads: 5, seen: false, started: true },
    { reads: 5, seen: true, started: false }
  ])(
    'read $reads (started seen: $seen) reads started.json: $started',
    ({ reads, seen, started }) => {
      expect(readsStartedNext(reads, seen)).toBe(started)
    }
  )

  it.each([
    { last: 0, now: 59_999, lost: false },
    { last: 0, now: 60_000, lost: true }
  ])('unseen since $last at $now: lost $lost', ({ last, now, lost }) => {
    expect(isLost(last, now)).toBe(lost)
  })
})

describe('deniedAfterKnownState: a 403 more than 10 s after the start or stop ECS reports', () => {
  const startedAt = new Date(100_000)
  const stoppedAt = new Date(200_000)
  const running = snapshot({ lastStatus: 'RUNNING', stopCode: undefined, startedAt })
  const stopped = snapshot({ exit: 0, startedAt, stoppedAt })
  it.each([
    { case: 'no 403', reads: {}, task: stopped, denied: false },
    {
      case: 'started.json 403 9.999 s after the start',
      reads: { startedDeniedAt: 109_999 },
      task: running,
      denied: false
    },
    {
      case: 'started.json 403 10 s after the start',
      reads: { startedDeniedAt: 110_000 },
      task: running,
      denied: true
    },
    {
      case: 'started.json 403, no start reported',
      reads: { startedDeniedAt: 500_000 },
      task: snapshot({ lastStatus: 'RUNNING', stopCode: undefined }),
      denied: false
    },
    {
      case: 'stopped.json 403 while RUNNING (no stop yet)',
      reads: { stoppedDeniedAt: 500_000 },
      task: running,
      denied: false
    },
    {
      case: 'stopped.json 403 9.999 s after the stop',
      reads: { stoppedDeniedAt: 209_999 },
      task: stopped,
      denied: false
    },
    {
      case: 'stopped.json 403 10 s after the stop',
      reads: { stoppedDeniedAt: 210_000 },
      task: stopped,
      denied: true
    },
    {
      case: 'started.json 403 long after the start of a stopped task',
      reads: { startedDeniedAt: 150_000 },
      task: stopped,
      denied: true
    }
  ])('$case: $denied', ({ reads, task, denied }) => {
    expect(deniedAfterKnownState(reads, task)).toBe(denied)
  })
})

describe('verifyVerdict: what DescribeTasks says of a task without stopped.json', () => {
  const stoppedAt = new Date(100_000)
  it.each([
    { case: 'not found', task: undefined, seen: false, now: 0, v: 'missing' },
    {
      case: 'stopped 59 s ago (in flight)',
      task: snapshot({ exit: 0, stoppedAt }),
      seen: true,
      now: 159_000,
      v: 'stopped'
    },
    {
      case: 'stopped 60 s ago (missed)',
      task: snapshot({ exit: 0, stoppedAt }),
      seen: true,
      now: 160_000,
      v: 'stopped-late'
    },
    {
      case: 'running, started.json never seen',
      task: snapshot({ lastStatus: 'RUNNING', stopCode: undefined }),
      seen: false,
      now: 0,
      v: 'silent'
    },
    {
      case: 'running, started.json seen',
      task: snapshot({ lastStatus: 'RUNNING', stopCode: undefined }),
      seen: true,
      now: 0,
      v: 'pending'
    },
    {
      case: 'pending',
      task: snapshot({ lastStatus: 'PENDING', stopCode: undefined }),
      seen: false,
      now: 0,
      v: 'pending'
    }
  ])('$case: $v', ({ task, seen, now, v }) => {
    expect(verifyVerdict(task, seen, now)).toBe(v)
  })

  it('batches every task at least half-way to its check once one is due', () => {
    const tasks = [{ nextVerifyAt: 100 }, { nextVerifyAt: 140 }, { nextVerifyAt: 160 }]
    expect(verifyBatch(tasks, 80, 99)).toEqual([])
    expect(verifyBatch(tasks, 80, 100)).toEqual([tasks[0], tasks[1]])
    expect(verifyBatch(tasks, 0, 1000)).toEqual([])
  })
})

describe('messages', () => {
  const prefix = { bucket: 'notes', prefix: 'oneshot', region: 'us-east-1' }

  it('says how the set is waited on', () => {
    expect(waitingThrough('none')).toBe(
      "Waiting through DescribeTasks: the notification prefix is 'none'."
    )
    expect(waitingThrough({ ...prefix, source: 'input notification-prefix' })).toBe(
      'Waiting through S3 notifications under s3://notes/oneshot/ (us-east-1), from input ' +
        'notification-prefix.'
    )
    expect(waitingThrough(undefined)).toMatch(/^Waiting through DescribeTasks: no notification/)
  })

  it('gives the s3:ListBucket statement as docs/iam/action-policy.json words it, without a condition at the bucket root', () => {
    expect(listBucketStatement(prefix)).toBe(
      '{"Sid":"MissingNotificationsReadAs404","Effect":"Allow","Action":"s3:ListBucket",' +
        '"Resource":"arn:aws:s3:::notes","Condition":{"StringLike":{"s3:prefix":"oneshot/*"}}}'
    )
    expect(listBucketStatement({ ...prefix, prefix: '' })).toBe(
      '{"Sid":"MissingNotificationsReadAs404","Effect":"Allow","Action":"s3:ListBucket",' +
        '"Resource":"arn:aws:s3:::notes"}'
    )
  })

  it('gives the s3:GetObject statement as docs/iam/action-policy.json words it', () => {
    expect(getObjectStatement(prefix)).toBe(
      '{"Sid":"ReadNotifications","Effect":"Allow","Action":"s3:GetObject",' +
        '"Resource":"arn:aws:s3:::notes/oneshot/*"}'
    )
    expect(getObjectStatement({ ...prefix, prefix: '' })).toBe(
      '{"Sid":"ReadNotifications","Effect":"Allow","Action":"s3:GetObject",' +
        '"Resource":"arn:aws:s3:::notes/*"}'
    )
  })

  it('names the ARNs in the partition of the prefix region', () => {
    expect(getObjectStatement({ ...prefix, region: 'cn-north-1' })).toBe(
      '{"Sid":"ReadNotifications","Effect":"Allow","Action":"s3:GetObject",' +
        '"Resource":"arn:aws-cn:s3:::notes/oneshot/*"}'
    )
    expect(listBucketStatement({ ...prefix, prefix: '', region: 'us-gov-west-1' })).toBe(
      '{"Sid":"MissingNotificationsReadAs404","Effect":"Allow","Action":"s3:ListBucket",' +
        '"Resource":"arn:aws-us-gov:s3:::notes"}'
    )
    expect(notifierChecklist({ ...prefix, region: 'cn-northwest-1' }, 'batch')).toContain(
      'may s3:PutObject on arn:aws-cn:s3:::notes/oneshot/*, and that it writes to s3://notes/oneshot/ '
    )
  })

  it('words a 403 at the bucket root as both causes, with both statements', () => {
    expect(deniedMessage({ ...prefix, prefix: '' }, 'k/stopped.json')).toBe(
      'Reading s3://notes/k/stopped.json answered 403 AccessDenied, which has two possible ' +
        "causes: the object is not written yet and the action's role lacks s3:ListBucket (S3 " +
        'then answers 403 instead of 404), or the role lacks s3:GetObject on ' +
        'arn:aws:s3:::notes/*. It is read as "not written yet" for now. For the first, add to ' +
        'the action\'s role {"Sid":"MissingNotificationsReadAs404","Effect":"Allow","Action":' +
        '"s3:ListBucket","Resource":"arn:aws:s3:::notes"} (a missing key then answers 404, and ' +
        'the action may list the prefix, which is cheaper for many tasks); for the second, add ' +
        '{"Sid":"ReadNotifications","Effect":"Allow","Action":"s3:GetObject","Resource":' +
        '"arn:aws:s3:::notes/*"}.'
    )
  })

  it('names s3:GetObject on the prefix and some of the tasks', () => {
    expect(getObjectDeniedMessage(prefix, ['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toBe(
      'ECS reports 7 task(s) started or stopped whose started.json or stopped.json still ' +
        'answered 403 AccessDenied more than 10 s later (a, b, c, d, e and 2 more): the ' +
        "action's role is most likely denied s3:GetObject on arn:aws:s3:::notes/oneshot/*, so " +
        'each stop is learnt only from DescribeTasks, once per verify-interval. Add to the ' +
        'action\'s role: {"Sid":"ReadNotifications","Effect":"Allow","Action":"s3:GetObject",' +
        '"Resource":"arn:aws:s3:::notes/oneshot/*"}'
    )
  })

  it('names the endpoint and region when S3 cannot be reached', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED'
    })
    expect(unreachableMessage(prefix, 'https://s3.us-east-1.amazonaws.com', error)).toBe(
      'S3 is unreachable: no request to https://s3.us-east-1.amazonaws.com (region us-east-1) ' +
        "for bucket 'notes' has been answered (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9). " +
        "Check the runner's network, proxy and DNS, and the region of the notification prefix; " +
        'still trying, and ECS is checked after verify-interval.'
    )
  })

  it('finishes from DescribeTasks naming the object that did not appear', () => {
    expect(
      stoppedByVerifyLine(
        snapshot({ exit: 0, stoppedAt: new Date('2026-11-28T10:00:35Z') }),
        's3://notes/x'
      )
    ).toBe(
      'ECS reports task abc STOPPED at 2026-11-28T10:00:35.000Z, but s3://notes/x has not ' +
        'appeared; finishing from the DescribeTasks answer.'
    )
  })
})
