/**
 * `mode: summary` through main's `run` with doubles: the ledger of a workflow run written by
 * LedgerWriter into a real S3 protocol server (sim/s3-server.ts), ECS mocked to prove it is never
 * called, and the exact job summary, outputs and failure asserted.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { ECSClient } from '@aws-sdk/client-ecs'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling'
import { SNSClient } from '@aws-sdk/client-sns'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'
import type { AwsClients } from '../../src/aws/clients.js'
import { readInputs } from '../../src/inputs.js'
import { ledgerPlace } from '../../src/ledger/records.js'
import { LedgerWriter } from '../../src/ledger/writer.js'
import { run, type MainDeps } from '../../src/main.js'
import { systemClock } from '../../src/util/clock.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger, type MemoryLogger } from '../doubles/logger.js'

const ecsMock = mockClient(ECSClient)
const FIXTURE = '__fixtures__/e2e/oneshot.yml'
const RUN_ID = '900'
const T0 = Date.parse('2026-12-07T10:00:00Z')
const arn = (id: string): string => `arn:aws:ecs:ap-northeast-1:123456789012:task/e2e/${id}`
const at = (s: number): Date => new Date(T0 + s * 1000)

let server: S3Server

interface Harness {
  deps: MainDeps
  outputs: Record<string, string>
  failures: string[]
  summaries: string[]
  logger: MemoryLogger
}

function harness(inputs: Record<string, string>, runId = RUN_ID): Harness {
  const outputs: Record<string, string> = {}
  const failures: string[] = []
  const summaries: string[] = []
  const logger = memoryLogger()
  const region = 'ap-northeast-1'
  const clients: AwsClients = {
    region,
    ecs: new ECSClient({ region }),
    logs: new CloudWatchLogsClient({ region }),
    autoScaling: new AutoScalingClient({ region }),
    sns: new SNSClient({ region }),
    s3: () => server.client()
  }
  const deps: MainDeps = {
    readInputs: () =>
      readInputs(
        (name) => inputs[name] ?? '',
        () => {}
      ),
    createClients: () => Promise.resolve(clients),
    logger,
    clock: new FakeClock(T0),
    random: () => 0.5,
    state: { save: () => {}, get: () => '' },
    env: { GITHUB_REPOSITORY: 'acme/batch', GITHUB_RUN_ID: runId, GITHUB_JOB: 'report' },
    cancelSignal: new AbortController().signal,
    setFailed: (m) => failures.push(m),
    setOutput: (n, v) => (outputs[n] = v),
    writeSummary: (md) => {
      summaries.push(md)
      return Promise.resolve()
    }
  }
  return { deps, outputs, failures, summaries, logger }
}

function writerFor(job: string, jobIndex: number, jobTotal: number, runAttempt = 1): LedgerWriter {
  const place = ledgerPlace({
    bucket: 'notes',
    prefix: 'oneshot',
    env: { GITHUB_RUN_ID: RUN_ID, GITHUB_JOB: job },
    jobIndex,
    jobTotal
  })
  if (place === undefined) throw new Error('no place')
  return new LedgerWriter(
    { s3: server.client(), clock: systemClock, random: Math.random, logger: memoryLogger() },
    { place, runAttempt, tasks: 2, cluster: 'e2e', region: 'ap-northeast-1' }
  )
}

/**
 * The workflow run: `shard`, a matrix of 3 legs of 2 tasks each, and `migrate`, one job.
 * shard leg 0: index 0 succeeded in 60 s, index 1 exited 2 after 90 s (a reason with markdown
 * and a workflow command in it). Leg 1: index 0 succeeded in 30 s on its second task attempt,
 * index 1 meant to start but never recorded. Leg 2: no record at all.
 * migrate: index 0 a version 1 success; index 1 adopted by run attempt 2 and still running.
 */
async function writeRun(): Promise<void> {
  const leg0 = writerFor('shard', 0, 3)
  leg0.intent([0, 1].map((index) => ({ index, spec: 's', taskAttempt: 1 })))
  leg0.ended({
    index: 0,
    taskAttempt: 1,
    status: 'succeeded',
    exitCode: 0,
    spec: 's',
    taskArn: arn('a0'),
    startedAt: at(0),
    stoppedAt: at(60),
    logsUrl: 'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home#logsV2:a0'
  })
  leg0.ended({
    index: 1,
    taskAttempt: 1,
    status: 'failed',
    exitCode: 2,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'bad | input\n::error::x',
    spec: 's',
    taskArn: arn('a1'),
    startedAt: at(0),
    stoppedAt: at(90),
    logsUrl: 'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home#logsV2:a1 (x)'
  })
  await leg0.flush()
  const leg1 = writerFor('shard', 1, 3)
  leg1.intent([
    { index: 0, spec: 's', taskAttempt: 1 },
    { index: 1, spec: 's', taskAttempt: 1 }
  ])
  leg1.ended({
    index: 0,
    taskAttempt: 2,
    status: 'succeeded',
    exitCode: 0,
    spec: 's',
    taskArn: arn('b0'),
    startedAt: at(10),
    stoppedAt: at(40)
  })
  await leg1.flush()
  await server.client().send(
    new PutObjectCommand({
      Bucket: 'notes',
      Key: `oneshot/runs/${RUN_ID}/migrate/0.json`,
      Body: JSON.stringify({
        version: 1,
        index: 0,
        runAttempt: 1,
        status: 'succeeded',
        exitCode: 0,
        taskArn: arn('m0'),
        stopCode: 'EssentialContainerExited',
        stoppedReason: null,
        attempts: 1,
        startedAt: '2026-12-07T10:00:00.000Z',
        stoppedAt: '2026-12-07T10:02:00.000Z',
        tasks: 2,
        spec: 's'
      })
    })
  )
  const migrate = writerFor('migrate', 0, 1, 2)
  migrate.started({ index: 1, taskAttempt: 1, spec: 's', taskArn: arn('m1'), adopted: true })
  await migrate.flush()
}

beforeAll(async () => {
  server = await startS3Server({ buckets: ['notes'] })
  await writeRun()
})

afterAll(async () => {
  await server.close()
})

beforeEach(() => {
  ecsMock.reset()
})

const SUMMARY = [
  '### ❌ ECS fan-out of workflow run 900: 3 succeeded, 3 failed or not run, 1 running (7 in all)',
  '',
  '| Job | Tasks | Succeeded | Failed | Not run | Running | Retried | Adopted | p50 | Max |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  '| migrate | 2 | 1 | 0 | 0 | 1 | 0 | 1 | 2m 0s | 2m 0s |',
  '| shard | 5 | 2 | 1 | 2 | 0 | 1 | 0 | 1m 0s | 1m 30s |',
  '',
  '#### Failed or not run (3)',
  '',
  '| Job | Matrix index | Index | Exit code | Stop reason | Task | Logs |',
  '|---|---:|---:|---:|---|---|---|',
  '| shard | 0 | 1 | 2 | EssentialContainerExited&#58; bad &#124; input&#92;n&#58;&#58;error&#58;&#58;x | <code>a1</code> | [logs](https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home#logsV2:a1%20%28x%29) |',
  '| shard | 1 | 1 |  | not run |  |  |',
  '| shard | 2 |  |  | not run (no record of this leg) |  |  |',
  '',
  '#### Slowest tasks',
  '',
  '| Job | Matrix index | Index | Duration | Task |',
  '|---|---:|---:|---:|---|',
  '| migrate |  | 0 | 2m 0s | <code>m0</code> |',
  '| shard | 0 | 1 | 1m 30s | <code>a1</code> |',
  '| shard | 0 | 0 | 1m 0s | <code>a0</code> |',
  '| shard | 1 | 0 | 30s | <code>b0</code> |',
  ''
].join('\n')

describe('mode: summary', () => {
  it('writes one summary of every job of the run, sets the outputs, fails, and calls no ECS API', async () => {
    server.resetStats()
    const h = harness({
      definition: FIXTURE,
      mode: 'summary',
      'notification-prefix': 's3://notes/oneshot'
    })
    await run(h.deps)
    expect(h.summaries).toEqual([SUMMARY])
    expect(h.outputs).toEqual({
      total: '7',
      succeeded: '3',
      failed: '3',
      'not-run': '2',
      running: '1',
      failures: JSON.stringify([
        {
          job: 'shard',
          index: 1,
          matrixIndex: 0,
          exitCode: 2,
          reason: 'EssentialContainerExited: bad | input\\n::error::x',
          taskArn: arn('a1')
        },
        {
          job: 'shard',
          index: 1,
          matrixIndex: 1,
          exitCode: null,
          reason: 'not run',
          taskArn: null
        },
        {
          job: 'shard',
          index: null,
          matrixIndex: 2,
          exitCode: null,
          reason: 'not run',
          taskArn: null
        }
      ])
    })
    expect(h.failures).toEqual([
      `3 of 7 tasks failed or did not run: shard m0 #1 (exit code 2, ${arn('a1')}); ` +
        'shard m1 #1 (not run); shard m2 (not run). See the job summary for every task.'
    ])
    expect(ecsMock.calls()).toHaveLength(0)
    // One LIST page; a GET per index of each job segment and one per intent.
    expect(server.stats().byOperation).toEqual({ ListObjectsV2: 1, GetObject: 7 })
  })

  it('reads only the jobs asked for, and passes with fail-on-error false', async () => {
    const h = harness({
      definition: FIXTURE,
      mode: 'summary',
      'notification-prefix': 's3://notes/oneshot',
      jobs: '["migrate"]',
      'fail-on-error': 'false'
    })
    await run(h.deps)
    expect(h.outputs.total).toBe('2')
    expect(h.outputs.running).toBe('1')
    expect(h.failures).toEqual([])
    expect(ecsMock.calls()).toHaveLength(0)
  })

  it('fails when the run has no record at all', async () => {
    const h = harness(
      { definition: FIXTURE, mode: 'summary', 'notification-prefix': 's3://notes/oneshot' },
      '901'
    )
    await run(h.deps)
    expect(h.outputs).toMatchObject({ total: '0', failed: '0', failures: '[]' })
    expect(h.failures).toEqual([
      'No task of this workflow run is recorded under s3://notes/oneshot/runs/901/: check that ' +
        'the jobs input names the fan-out jobs and that they use the same notification prefix.'
    ])
  })

  it('says which two places give the prefix when neither does', async () => {
    const h = harness({ definition: FIXTURE, mode: 'summary' })
    await run(h.deps)
    expect(h.failures).toEqual([
      'mode: summary reads the ledger in the notification bucket, and there is none: set the ' +
        "input 'notification-prefix' or scheduler.oneshot_notification_prefix in " +
        '__fixtures__/e2e/oneshot.yml to the s3://bucket/prefix the fan-out jobs use'
    ])
    expect(h.summaries).toEqual([])
  })
})
