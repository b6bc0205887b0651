/**
 * What the bucket's answers do to the S3 health (src/wait/s3-health.ts): the counters behind
 * the read backoff, the fall-backs, and the exact lines.
 */
import { describe, expect, it } from '@jest/globals'
import {
  FRESH_HEALTH,
  afterGet,
  afterList,
  afterListError,
  errorsInARow,
  type S3Health
} from '../../src/wait/s3-health.js'

const ctx = {
  prefix: { bucket: 'notes', prefix: 'oneshot', region: 'us-east-1' },
  endpoint: 'https://s3.us-east-1.amazonaws.com'
}
const LIST = 'oneshot/arn:aws:ecs:us-east-1:123456789012:task/batch/'
const withStatus = (name: string, status: number): Error =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
  code: 'ECONNREFUSED'
})

describe('afterGet', () => {
  it('an answer resets the errors in a row and marks S3 answered', () => {
    const health: S3Health = { ...FRESH_HEALTH, retries: 2, broken: 1 }
    expect(afterGet(health, { kind: 'answered' }, ctx)).toStrictEqual({
      health: { ...FRESH_HEALTH, answered: true },
      logs: []
    })
  })

  it.each([
    {
      case: 'a first SlowDown after answers: backs off, said as information',
      health: { ...FRESH_HEALTH, answered: true },
      error: withStatus('SlowDown', 503),
      retries: 1,
      said: { level: 'info', message: 'S3 answered SlowDown; backing off' }
    },
    {
      case: 'a second one in a row: only the debug line',
      health: { ...FRESH_HEALTH, answered: true, retries: 1 },
      error: withStatus('SlowDown', 503),
      retries: 2,
      said: undefined
    },
    {
      case: 'S3 never reached: unreachable, naming the endpoint',
      health: FRESH_HEALTH,
      error: refused,
      retries: 1,
      said: {
        level: 'warning',
        message:
          'S3 is unreachable: no request to https://s3.us-east-1.amazonaws.com (region ' +
          "us-east-1) for bucket 'notes' has been answered (ECONNREFUSED: connect ECONNREFUSED " +
          "127.0.0.1:9). Check the runner's network, proxy and DNS, and the region of the " +
          'notification prefix; still trying, and ECS is checked after verify-interval.'
      }
    }
  ])('$case', ({ health, error, retries, said }) => {
    const change = afterGet(health, { kind: 'retry', error, key: 'k' }, ctx)
    expect(change.health).toStrictEqual({ ...health, retries, broken: 0 })
    expect(change.logs).toStrictEqual([
      { level: 'debug', message: `S3 request for k failed (${error.message}); backing off` },
      ...(said === undefined ? [] : [said])
    ])
    expect(change.mode).toBeUndefined()
    expect(errorsInARow(change.health)).toBe(retries)
  })

  it('falls back to DescribeTasks on the third read in a row that cannot succeed', () => {
    const error = withStatus('NoSuchBucket', 404)
    const failure = 'Reading s3://notes/k failed: NoSuchBucket: NoSuchBucket.'
    const second = afterGet(
      { ...FRESH_HEALTH, broken: 1 },
      { kind: 'broken', error, key: 'k' },
      ctx
    )
    expect(second).toStrictEqual({
      health: { ...FRESH_HEALTH, broken: 2 },
      logs: [{ level: 'debug', message: failure }]
    })
    expect(afterGet(second.health, { kind: 'broken', error, key: 'k' }, ctx)).toStrictEqual({
      health: { ...FRESH_HEALTH, broken: 3 },
      logs: [
        {
          level: 'warning',
          message:
            `${failure} Waiting through DescribeTasks instead. Check that the bucket 'notes' ` +
            "exists in us-east-1 (a '?region=' on the prefix names another region) and that " +
            "the action's role may read it."
        }
      ],
      mode: 'describe'
    })
  })
})

describe('afterList and afterListError', () => {
  it('a LIST round answered resets every count and keeps its pages', () => {
    const health: S3Health = { ...FRESH_HEALTH, retries: 1, broken: 1, listErrors: 2 }
    expect(afterList(health, 3)).toStrictEqual({ ...FRESH_HEALTH, answered: true, pages: 3 })
    expect(afterList(health, 0).pages).toBe(1)
  })

  it('a denied LIST gives listing up for GETs, with the statement that allows it', () => {
    expect(
      afterListError(
        FRESH_HEALTH,
        { error: withStatus('AccessDenied', 403), listPrefix: LIST },
        ctx
      )
    ).toStrictEqual({
      health: { ...FRESH_HEALTH, listOff: 'listing the prefix was denied' },
      logs: [
        {
          level: 'warning',
          message:
            `Listing s3://notes/${LIST} answered 403 AccessDenied; reading each task's ` +
            'stopped.json instead, which costs more requests with many tasks. To let the ' +
            'action list, add to its role: {"Sid":"MissingNotificationsReadAs404","Effect":' +
            '"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::notes","Condition":' +
            '{"StringLike":{"s3:prefix":"oneshot/*"}}}'
        }
      ],
      mode: 'get'
    })
  })

  it('a failing LIST backs off, then gives listing up on the third in a row', () => {
    const error = withStatus('InternalError', 500)
    const first = afterListError(FRESH_HEALTH, { error, listPrefix: LIST }, ctx)
    expect(first.health).toStrictEqual({ ...FRESH_HEALTH, listErrors: 1, retries: 1 })
    expect(first.mode).toBeUndefined()
    const third = afterListError(
      { ...first.health, listErrors: 2 },
      { error, listPrefix: LIST },
      ctx
    )
    expect(third).toStrictEqual({
      health: {
        ...first.health,
        listErrors: 3,
        listOff: 'listing the prefix failed 3 times in a row'
      },
      logs: [
        {
          level: 'warning',
          message:
            `Listing s3://notes/${LIST} failed 3 times in a row (last: InternalError: ` +
            "InternalError); reading each task's stopped.json instead."
        }
      ],
      mode: 'get'
    })
  })
})
