/**
 * End to end, once against each shape a notification bucket may hold: the reduced events the
 * project's notifier writes, and the whole events (RunTask overrides included) written by the
 * hako-style notifiers people already run (sim/delivery.ts `writeWholeEvent`). The action reads
 * both the same way, and prints, outputs and summarises no value passed through `env`.
 *
 * The simulator runs at a tenth of real time (timeScale 0.1): a 5 s task takes 0.5 s.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { resolve } from 'node:path'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { runAction, type ActionResult } from '../../sim/action-runner.js'
import { writeWholeEvent } from '../../sim/delivery.js'
import { startLocalAws, type LocalAws, type ProcessEvent } from '../../sim/index.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const SECRET = 'hunter2-7e1c0a'
const GITHUB = {
  GITHUB_REPOSITORY: 'acme/batch',
  GITHUB_RUN_ID: '4343',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'shard',
  GITHUB_SERVER_URL: 'https://github.com'
}

describe.each<[string, ProcessEvent | undefined]>([
  ["reduced events from the project's notifier", undefined],
  ['whole events from a hako-style notifier', writeWholeEvent]
])('dist/index.js reading %s', (shape, notifier) => {
  let local: LocalAws
  let result: ActionResult
  beforeAll(async () => {
    local = await startLocalAws({ timeScale: 0.1, ...(notifier ? { notifier } : {}) })
    result = await runAction({
      inputs: {
        definition: '__fixtures__/e2e/oneshot.yml',
        'notification-prefix': local.prefix,
        'poll-interval': '0.2',
        env: `SHARD=2\nAPI_TOKEN=${SECRET}\nSIM_EXIT_CODE=3`,
        'fail-on-error': 'false'
      },
      env: { ...local.env, ...GITHUB, RUNNER_DEBUG: '1' },
      cwd: ROOT
    })
  })
  afterAll(async () => {
    await local.close()
  })

  /** The stored text of one notification of the run's task. */
  const stored = async (file: 'started' | 'stopped'): Promise<string> => {
    const key = `${local.keyPrefix}/${result.outputs['task-arn'] ?? ''}/${file}.json`
    const got = await local.s3.send(new GetObjectCommand({ Bucket: local.bucket, Key: key }))
    return (await got.Body?.transformToString()) ?? ''
  }

  it('reports the task from S3 alone: exit code, stop code, containers, times', () => {
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({
      'exit-code': '3',
      'stop-code': 'EssentialContainerExited',
      'stopped-reason': 'Essential container in task exited',
      containers: '[{"name":"app","exitCode":3,"reason":null}]'
    })
    expect(result.outputs['started-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(result.outputs['stopped-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    // Zero ECS calls while S3 answers (the one DescribeTaskDefinition precedes registering).
    expect(local.stats().ecs.calls).toEqual({
      DescribeTaskDefinition: 1,
      RegisterTaskDefinition: 1,
      RunTask: 1
    })
    expect(result.summary).toContain(`### ECS task ${result.outputs['task-id'] ?? ''}:`)
  })

  it('holds objects of the shape under test', async () => {
    const stopped = JSON.parse(await stored('stopped')) as { detail: Record<string, unknown> }
    const started = await stored('started')
    if (notifier === undefined) {
      expect(stopped.detail).not.toHaveProperty('overrides')
      expect(`${JSON.stringify(stopped)}\n${started}`).not.toContain(SECRET)
    } else {
      expect(stopped.detail).toHaveProperty('overrides')
      expect(JSON.stringify(stopped)).toContain(SECRET)
    }
  })

  it(`prints, outputs and summarises env names but no env value (${shape})`, () => {
    expect(result.stdout).toContain('::debug::input env: "SHARD=***\\nAPI_TOKEN=***')
    for (const text of [result.stdout, result.stderr, result.summary])
      expect(text).not.toContain(SECRET)
    expect(JSON.stringify(result.outputs)).not.toContain(SECRET)
    expect(JSON.stringify(result.state)).not.toContain(SECRET)
  })
})
