/**
 * The race through a real S3 protocol server (sim/s3-server.ts: s3rver with S3's conditional
 * writes, 412 and 409): the SDK's IfNoneMatch/IfMatch headers, ETags and error names as the
 * action meets them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'
import { seededRandom } from '../../sim/random.js'
import { cacheKey } from '../../src/ecs/revision-cache.js'
import { resolveThroughBucket } from '../../src/ecs/revision-race.js'
import { systemClock } from '../../src/util/clock.js'
import { memoryLogger } from '../doubles/logger.js'
import { registerRequest } from './fixtures.js'

const ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:8'

describe('resolveThroughBucket on the S3 server', () => {
  let server: S3Server
  beforeAll(async () => {
    server = await startS3Server({ buckets: ['notes'], putLatencyMs: 5 })
  })
  afterAll(async () => {
    await server.close()
  })

  it('30 jobs racing on one key: one claims and resolves, 29 read its ARN', async () => {
    const s3 = server.client()
    const random = seededRandom(7)
    let resolves = 0
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        resolveThroughBucket(
          {
            s3,
            clock: systemClock,
            random,
            logger: memoryLogger(),
            timings: { pollBaseMs: 20, pollCapMs: 100 }
          },
          {
            location: { bucket: 'notes', prefix: 'oneshot' },
            request: registerRequest('batch'),
            scope: { family: 'batch-oneshot', region: 'ap-northeast-1' },
            claimant: `job ${i}`,
            resolve: async () => {
              resolves++
              await systemClock.sleep(200)
              return { taskDefinitionArn: ARN, revision: 8, registered: true }
            },
            fallback: () => Promise.reject(new Error('no fallback expected'))
          }
        )
      )
    )
    expect(resolves).toBe(1)
    expect(results.filter((r) => r.source === 'claim')).toHaveLength(1)
    expect(results.filter((r) => r.source === 'hit')).toHaveLength(29)
    expect(new Set(results.map((r) => r.taskDefinitionArn))).toEqual(new Set([ARN]))
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: 'notes', Key: cacheKey('oneshot', registerRequest('batch')) })
    )
    expect(JSON.parse((await stored.Body?.transformToString()) ?? '')).toMatchObject({
      version: 1,
      state: 'resolved',
      taskDefinitionArn: ARN
    })
  })
})
