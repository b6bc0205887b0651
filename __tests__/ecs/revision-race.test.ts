/**
 * The claim / wait / take-over state machine on a fake clock and an in-memory bucket with S3's
 * conditional writes.
 */
import { beforeEach, describe, expect, it } from '@jest/globals'
import type { RegisterResult } from '../../src/ecs/register.js'
import { cacheKey } from '../../src/ecs/revision-cache.js'
import {
  RACE_TIMINGS,
  resolveThroughBucket,
  type RaceOptions
} from '../../src/ecs/revision-race.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'
import { FakeBucket, serverError } from './fake-bucket.js'
import { registerRequest } from './fixtures.js'

const ARN = (n: number) =>
  `arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:${n}`
const location = { bucket: 'notes', prefix: 'oneshot' }
const KEY = cacheKey('oneshot', registerRequest('batch'))
const URL = `s3://notes/${KEY}`

let clock: FakeClock
let bucket: FakeBucket
let logger: MemoryLogger
let calls: { resolve: number; fallback: number }

beforeEach(() => {
  clock = new FakeClock(Date.UTC(2026, 11, 1))
  bucket = new FakeBucket(clock)
  logger = memoryLogger()
  calls = { resolve: 0, fallback: 0 }
})

/** A job: resolving takes `resolveMs` and registers revision 8 (or answers `result`). */
function job(
  overrides: Partial<RaceOptions> & {
    resolveMs?: number
    result?: RegisterResult | Error
    log?: MemoryLogger
    random?: number
  } = {}
) {
  const { resolveMs = 1000, result, log = logger, random = 0.5, ...rest } = overrides
  return resolveThroughBucket(
    { s3: bucket, clock, random: () => random, logger: log },
    {
      location,
      request: registerRequest('batch'),
      scope: { family: 'batch-oneshot', region: 'ap-northeast-1', account: '123456789012' },
      claimant: 'job a',
      resolve: async () => {
        calls.resolve++
        await clock.sleep(resolveMs)
        if (result instanceof Error) throw result
        return result ?? { taskDefinitionArn: ARN(8), revision: 8, registered: true }
      },
      fallback: () => {
        calls.fallback++
        return Promise.resolve({ taskDefinitionArn: ARN(9), revision: 9, registered: true })
      },
      ...rest
    }
  )
}

const resolvedEntry = (arn: string) =>
  JSON.stringify({ version: 1, state: 'resolved', taskDefinitionArn: arn, resolvedAt: 't' })
const claimedEntry = (claimant = 'job b') =>
  JSON.stringify({ version: 1, state: 'claimed', claimedAt: 't', claimant })

describe('resolveThroughBucket', () => {
  it('hit: one GET names the ARN; nothing is described or registered', async () => {
    bucket.put(KEY, resolvedEntry(ARN(7)))
    const result = await clock.run(job())
    expect(result).toEqual({ taskDefinitionArn: ARN(7), registered: false, source: 'hit' })
    expect(calls).toEqual({ resolve: 0, fallback: 0 })
    expect(bucket.calls.map((c) => [c.op, c.status])).toEqual([['GetObject', 200]])
    expect(logger.of('info')).toEqual([`Task definition from ${URL}: ${ARN(7)}`])
  })

  it('miss: claims with If-None-Match, resolves, writes the ARN with If-Match on the claim', async () => {
    const result = await clock.run(job())
    expect(result).toEqual({ taskDefinitionArn: ARN(8), registered: true, source: 'claim' })
    expect(calls.resolve).toBe(1)
    const start = Date.UTC(2026, 11, 1)
    expect(bucket.calls).toEqual([
      { at: start, op: 'GetObject', key: KEY, status: 404 },
      { at: start, op: 'PutObject', key: KEY, ifNoneMatch: '*', status: 200 },
      { at: start + 1000, op: 'PutObject', key: KEY, ifMatch: '"etag-1"', status: 200 }
    ])
    expect(bucket.body(KEY)).toEqual({
      version: 1,
      state: 'resolved',
      taskDefinitionArn: ARN(8),
      resolvedAt: new Date(start + 1000).toISOString()
    })
    expect(logger.of('info')).toEqual([
      `Claimed ${URL}; resolving the task definition for the other jobs`,
      `Wrote ${ARN(8)} to ${URL}`
    ])
  })

  it('a job that is the whole fan-out says it resolves the task definition, not for other jobs', async () => {
    await clock.run(job({ alone: true }))
    expect(logger.of('info')).toEqual([
      `Claimed ${URL}; resolving the task definition`,
      `Wrote ${ARN(8)} to ${URL}`
    ])
  })

  it('waits on a jittered, doubling schedule while another job holds the claim, then runs its ARN', async () => {
    bucket.put(KEY, claimedEntry())
    const waiting = job()
    void clock.sleep(3500).then(() => bucket.put(KEY, resolvedEntry(ARN(8))))
    const result = await clock.run(waiting)
    expect(result).toEqual({ taskDefinitionArn: ARN(8), registered: false, source: 'hit' })
    expect(calls).toEqual({ resolve: 0, fallback: 0 })
    // Equal jitter at random 0.5: 3/4 of 200, 400, 800, 1600 ms (3.75 s in all).
    expect(clock.sleeps.filter((ms) => ms !== 3500)).toEqual([150, 300, 600, 1200, 1500])
    expect(bucket.calls.every((c) => c.op === 'GetObject')).toBe(true)
    expect(logger.of('info')[0]).toBe(`job b is resolving it; waiting for ${URL}`)
  })

  it('takes over a claim that has not changed for takeoverMs (its job died)', async () => {
    const dead = bucket.put(KEY, claimedEntry('job dead'))
    const result = await clock.run(job())
    expect(result).toEqual({ taskDefinitionArn: ARN(8), registered: true, source: 'claim' })
    const takeover = bucket.calls.find((c) => c.op === 'PutObject')
    expect(takeover).toMatchObject({ ifMatch: dead, status: 200 })
    expect(takeover?.at).toBeGreaterThanOrEqual(Date.UTC(2026, 11, 1) + RACE_TIMINGS.takeoverMs)
    expect(takeover?.at).toBeLessThan(
      Date.UTC(2026, 11, 1) + RACE_TIMINGS.takeoverMs + RACE_TIMINGS.pollCapMs
    )
    expect(logger.of('info')).toContain(
      `The claim on ${URL} by job dead has not changed for 30 s; taking it over`
    )
  })

  it('keeps a slow claim alive with heartbeats, so a waiting job never takes it over', async () => {
    const other = memoryLogger()
    const slow = job({ resolveMs: 45000 })
    const waiter = job({ log: other, claimant: 'job w' })
    const [a, b] = await clock.run(Promise.all([slow, waiter]))
    expect(a).toEqual({ taskDefinitionArn: ARN(8), registered: true, source: 'claim' })
    expect(b).toEqual({ taskDefinitionArn: ARN(8), registered: false, source: 'hit' })
    expect(calls.resolve).toBe(1)
    const puts = bucket.calls.filter((c) => c.op === 'PutObject' && c.status === 200)
    // The claim, heartbeats at 10, 20, 30 and 40 s, then the ARN.
    expect(puts.map((c) => (c.at - Date.UTC(2026, 11, 1)) / 1000)).toEqual([0, 10, 20, 30, 40, 45])
    expect(other.of('info').some((l) => l.includes('taking it over'))).toBe(false)
  })

  it('lets exactly one of 30 racing jobs resolve; the others run its ARN', async () => {
    const results = await clock.run(
      Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          job({ claimant: `job ${i}`, log: memoryLogger(), random: (i + 0.5) / 30 })
        )
      )
    )
    expect(calls.resolve).toBe(1)
    expect(results.filter((r) => r.registered)).toHaveLength(1)
    expect(new Set(results.map((r) => r.taskDefinitionArn))).toEqual(new Set([ARN(8)]))
    expect(results.filter((r) => r.source === 'claim')).toHaveLength(1)
  })

  it.each([
    [
      'malformed',
      '{"version":1,"state":',
      `Ignoring ${URL}: not a task definition cache entry (21 bytes); rewriting it`
    ],
    [
      'of another family',
      resolvedEntry('arn:aws:ecs:ap-northeast-1:123456789012:task-definition/evil:1'),
      `Ignoring ${URL}: it names arn:aws:ecs:ap-northeast-1:123456789012:task-definition/evil:1, not a revision of 'batch-oneshot' in ap-northeast-1 (123456789012); rewriting it`
    ],
    [
      'of another account',
      resolvedEntry('arn:aws:ecs:ap-northeast-1:999999999999:task-definition/batch-oneshot:1'),
      `Ignoring ${URL}: it names arn:aws:ecs:ap-northeast-1:999999999999:task-definition/batch-oneshot:1, not a revision of 'batch-oneshot' in ap-northeast-1 (123456789012); rewriting it`
    ],
    [
      'abandoned by a failed job',
      JSON.stringify({ version: 1, state: 'abandoned', claimant: 'job b', reason: 'boom' }),
      `job b could not resolve ${URL} (boom); trying again`
    ]
  ])(
    'replaces an entry %s: warns, claims it with If-Match and resolves',
    async (_n, body, warning) => {
      const etag = bucket.put(KEY, body)
      const result = await clock.run(job())
      expect(result).toEqual({ taskDefinitionArn: ARN(8), registered: true, source: 'claim' })
      expect(logger.of('warning')).toEqual([warning])
      expect(bucket.calls[1]).toMatchObject({ op: 'PutObject', ifMatch: etag, status: 200 })
      expect(bucket.body(KEY)).toMatchObject({ state: 'resolved', taskDefinitionArn: ARN(8) })
    }
  )

  it('replaces an entry naming the revision RunTask just refused, once', async () => {
    bucket.put(KEY, resolvedEntry(ARN(7)))
    const result = await clock.run(job({ staleArn: ARN(7) }))
    expect(result).toEqual({ taskDefinitionArn: ARN(8), registered: true, source: 'claim' })
    expect(logger.of('warning')).toEqual([
      `${ARN(7)} from ${URL} can no longer run; resolving it again`
    ])
  })

  const RESOURCE = 'arn:aws:s3:::notes/oneshot/task-definitions/*'
  const instead =
    'Instead, this job describes the family and, when it differs, waits a random delay of up ' +
    'to 20 s and describes again before registering (the jittered re-check). Add this ' +
    "statement to the action's role (docs/iam/action-policy.json): "
  const silence = ", or set 'task-definition-cache: false' to silence this warning."

  it('without s3:PutObject: one warning naming it, its resource and the jittered re-check, then the fallback', async () => {
    bucket.denyWrites = true
    const result = await clock.run(job())
    expect(result).toEqual({ taskDefinitionArn: ARN(9), registered: true, source: 'fallback' })
    expect(calls).toEqual({ resolve: 0, fallback: 1 })
    expect(logger.of('warning')).toEqual([
      `Cannot write ${URL} (403 AccessDenied): the action's role lacks s3:PutObject on ` +
        `${RESOURCE}, so jobs that start together on a changed task definition cannot agree ` +
        `on one registration. ${instead}{"Effect":"Allow","Action":"s3:PutObject","Resource":` +
        `"${RESOURCE}"}${silence}`
    ])
  })

  it('without s3:ListBucket (403 for a missing key) still claims by writing', async () => {
    bucket.noListBucket = true
    const result = await clock.run(job())
    expect(result.source).toBe('claim')
    expect(logger.of('warning')).toEqual([])
  })

  it('without s3:GetObject on an entry that exists: one warning naming it, then the fallback', async () => {
    bucket.put(KEY, resolvedEntry(ARN(7)))
    bucket.denyReads = true
    const result = await clock.run(job())
    expect(result).toEqual({ taskDefinitionArn: ARN(9), registered: true, source: 'fallback' })
    expect(calls).toEqual({ resolve: 0, fallback: 1 })
    expect(bucket.calls.map((c) => `${c.op} ${c.status}`)).toEqual([
      'GetObject 403',
      'PutObject 412'
    ])
    expect(logger.of('warning')).toEqual([
      `Cannot read ${URL} (403 AccessDenied, though a conditional write found it there): the ` +
        `action's role lacks s3:GetObject on ${RESOURCE}, so it cannot use the revision ` +
        `another job resolved. ${instead}{"Effect":"Allow","Action":"s3:GetObject",` +
        `"Resource":"${RESOURCE}"}${silence}`
    ])
  })

  it('when reading and writing both answer 403: names s3:PutObject, and s3:GetObject as likely, in one warning', async () => {
    bucket.denyReads = true
    bucket.denyWrites = true
    const result = await clock.run(job())
    expect(result.source).toBe('fallback')
    expect(logger.of('warning')).toEqual([
      `Cannot read or write ${URL} (403 AccessDenied): the action's role lacks s3:PutObject ` +
        `on ${RESOURCE}, and s3:GetObject there too unless the entry is only not written yet ` +
        `and s3:ListBucket is missing, so jobs that start together on a changed task ` +
        `definition cannot agree on one registration. ${instead}{"Effect":"Allow","Action":` +
        `["s3:GetObject","s3:PutObject"],"Resource":"${RESOURCE}"}${silence}`
    ])
  })

  it('never fails the job on an S3 error: warns and resolves on its own', async () => {
    bucket.failNext = { count: 1, error: serverError }
    const result = await clock.run(job())
    expect(result.source).toBe('fallback')
    expect(logger.of('warning')).toEqual([
      `Could not coordinate through ${URL} (InternalError: We encountered an error); ` +
        `resolving the task definition without it`
    ])
  })

  it('re-reads after 409 ConditionalRequestConflict', async () => {
    bucket.conflictNext = 1
    const result = await clock.run(job())
    expect(result.source).toBe('claim')
    expect(bucket.calls.map((c) => `${c.op} ${c.status}`)).toEqual([
      'GetObject 404',
      'PutObject 409',
      'GetObject 404',
      'PutObject 200',
      'PutObject 200'
    ])
  })

  it('retries its heartbeat and its final write after 409 ConditionalRequestConflict (a write in progress), keeping the claim', async () => {
    const result = await clock.run(
      job({
        resolveMs: 15000,
        // Resolving starts after the claim; every conditional write from now on answers 409
        // three times: the heartbeat at 10 s, then the final write twice.
        claimant: 'job a',
        resolve: async () => {
          calls.resolve++
          bucket.conflictNext = 3
          await clock.sleep(15000)
          return { taskDefinitionArn: ARN(8), revision: 8, registered: true }
        }
      })
    )
    expect(result).toEqual({ taskDefinitionArn: ARN(8), registered: true, source: 'claim' })
    const start = Date.UTC(2026, 11, 1)
    expect(
      bucket.calls.filter((c) => c.op === 'PutObject').map((c) => [(c.at - start) / 1000, c.status])
    ).toEqual([
      [0, 200],
      [10, 409],
      [15, 409],
      [15.15, 409],
      [15.3, 200]
    ])
    expect(bucket.body(KEY)).toMatchObject({ state: 'resolved', taskDefinitionArn: ARN(8) })
    expect(logger.of('info')).toContain(`Wrote ${ARN(8)} to ${URL}`)
  })

  it('when resolving fails: marks the entry abandoned, fails with that error, and the next job retries at once', async () => {
    const error = await clock.run(job({ result: new Error('denied') })).catch((e: unknown) => e)
    expect((error as Error).message).toBe('denied')
    expect(bucket.body(KEY)).toEqual({
      version: 1,
      state: 'abandoned',
      claimant: 'job a',
      reason: 'denied'
    })
    const next = await clock.run(job())
    expect(next.source).toBe('claim')
  })
})
