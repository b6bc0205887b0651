/**
 * readNotification against a real S3 server, with objects of both shapes a bucket may hold:
 * the reduced event this project's notifier writes (no `overrides`, an allowlisted `detail`),
 * and the whole event written by notifiers already running elsewhere (hako's example Lambda and
 * its ports store `JSON.stringify(event)` / `json.dumps(event)`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { processEvent } from '../../notifier/handler.js'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'
import { MAX_OBJECT_BYTES, readNotification } from '../../src/wait/notification.js'
import type { TaskSnapshot } from '../../src/model/task.js'

const BUCKET = 'notes'

type Event = { detail: Record<string, unknown> & { taskArn: string } }
const fixture = (name: string): Event =>
  JSON.parse(
    readFileSync(new URL(`../../__fixtures__/events/${name}`, import.meta.url), 'utf8')
  ) as Event

const whole = { stopped: fixture('task-stopped.json'), started: fixture('task-running.json') }
const reduced = {
  stopped: fixture('task-stopped.stored.json'),
  started: fixture('task-running.stored.json')
}
const TASK_ARN = whole.stopped.detail.taskArn

/** What the reader makes of the fixture task's stopped.json, whichever shape it has. */
const STOPPED: TaskSnapshot = {
  taskArn: TASK_ARN,
  clusterArn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch',
  taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:42',
  lastStatus: 'STOPPED',
  desiredStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  createdAt: new Date('2025-03-14T09:26:40.021Z'),
  startedAt: new Date('2025-03-14T09:26:58.310Z'),
  stoppingAt: new Date('2025-03-14T09:31:06.002Z'),
  stoppedAt: new Date('2025-03-14T09:31:11.870Z'),
  executionStoppedAt: new Date('2025-03-14T09:31:05.441Z'),
  containers: [
    { name: 'app', lastStatus: 'STOPPED', exitCode: 0 },
    { name: 'fluentd', lastStatus: 'STOPPED', exitCode: 143 }
  ],
  containerInstanceArn:
    'arn:aws:ecs:ap-northeast-1:123456789012:container-instance/batch/9a8b7c6d5e4f40312a1b2c3d4e5f6a7b',
  availabilityZone: 'ap-northeast-1a',
  launchType: 'EC2',
  version: 6,
  source: 's3'
}

describe('readNotification reads both object shapes', () => {
  let server: S3Server
  let s3: S3Client
  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] })
    s3 = server.client()
  })
  afterAll(async () => {
    await server.close()
  })

  const put = async (key: string, body: string): Promise<void> => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
  }
  const read = (key: string, name: 'started' | 'stopped', taskArn = TASK_ARN) =>
    readNotification(s3, { bucket: BUCKET, key, taskArn, name })

  it.each([
    ['a whole event (hako-style notifier)', 'whole', whole.stopped],
    ['a reduced event (this notifier)', 'reduced', reduced.stopped]
  ])('reads stopped.json holding %s', async (_shape, dir, event) => {
    const key = `${dir}/${TASK_ARN}/stopped.json`
    await put(key, JSON.stringify(event))
    await expect(read(key, 'stopped')).resolves.toEqual({
      kind: 'event',
      task: STOPPED,
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/)
    })
  })

  it('makes the same snapshot of the started event in either shape', async () => {
    await put(`whole/${TASK_ARN}/started.json`, JSON.stringify(whole.started))
    await put(`reduced/${TASK_ARN}/started.json`, JSON.stringify(reduced.started))
    const a = await read(`whole/${TASK_ARN}/started.json`, 'started')
    const b = await read(`reduced/${TASK_ARN}/started.json`, 'started')
    expect(a).toMatchObject({ kind: 'event', task: { lastStatus: 'RUNNING', version: 3 } })
    expect(a.kind === 'event' && b.kind === 'event' && b.task).toEqual(a.kind === 'event' && a.task)
  })

  it("reads what the project's notifier wrote from an event whose overrides held a secret", async () => {
    const event = structuredClone(whole.stopped)
    event.detail.overrides = {
      containerOverrides: [{ name: 'app', environment: [{ name: 'TOKEN', value: 'sekrit-91' }] }]
    }
    await processEvent(event, { s3, bucket: BUCKET, prefix: 'notifier', log: () => {} })
    const got = await read(`notifier/${TASK_ARN}/stopped.json`, 'stopped')
    expect(got).toMatchObject({ kind: 'event', task: STOPPED })
  })

  it('ignores, naming why, an object of either shape for another task or not yet STOPPED', async () => {
    const other = `${TASK_ARN}ff`
    await put(`mixed/${other}/stopped.json`, JSON.stringify(reduced.stopped))
    await expect(read(`mixed/${other}/stopped.json`, 'stopped', other)).resolves.toMatchObject({
      kind: 'ignored',
      why: `it holds an event for another task, ${TASK_ARN}`
    })
    await put(`mixed/${TASK_ARN}/stopped.json`, JSON.stringify(whole.started))
    await expect(read(`mixed/${TASK_ARN}/stopped.json`, 'stopped')).resolves.toMatchObject({
      kind: 'ignored',
      why: 'its detail.lastStatus is RUNNING, not STOPPED'
    })
  })

  it('ignores an object that is not JSON, or larger than an event can be', async () => {
    await put(`bad/${TASK_ARN}/stopped.json`, 'not json')
    await expect(read(`bad/${TASK_ARN}/stopped.json`, 'stopped')).resolves.toMatchObject({
      kind: 'ignored',
      why: 'it is not JSON'
    })
    await put(`big/${TASK_ARN}/stopped.json`, 'x'.repeat(MAX_OBJECT_BYTES + 1))
    await expect(read(`big/${TASK_ARN}/stopped.json`, 'stopped')).resolves.toMatchObject({
      kind: 'ignored',
      why: `it is ${MAX_OBJECT_BYTES + 1} bytes, more than the ${MAX_OBJECT_BYTES} an ECS task state event can be`
    })
  })

  it('reads a missing key as absent', async () => {
    await expect(read(`none/${TASK_ARN}/stopped.json`, 'stopped')).resolves.toEqual({
      kind: 'absent'
    })
  })
})
