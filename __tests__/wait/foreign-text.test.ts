/**
 * Foreign text never becomes a workflow command in the job log, on the run/wait path: fields
 * of notification objects (stopped reason, stop code, container reason, lastStatus, taskArn,
 * container instance, availability zone), a DescribeTasks failure reason, S3 error names and
 * messages, and a RunTask failure in a set of two, each carrying a line break before a command,
 * a carriage return before `::add-mask::`, a bare `::set-output` and U+2028. Each case asserts
 * exact lines, that no logged message holds a raw line break, and that what `coreLogger` writes
 * to stdout holds no command line but the action's own (one per warning and debug message).
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import {
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  type RunTaskCommandInput,
  type Task
} from '@aws-sdk/client-ecs'
import { mockClient } from 'aws-sdk-client-mock'
import { reportTaskSet } from '../../src/report/set.js'
import { appOverrideOf } from '../../src/tasks/batch.js'
import { runTaskSet } from '../../src/tasks/run-set.js'
import type { Logger } from '../../src/util/logger.js'
import { WaitEngine, type TaskEnd } from '../../src/wait/engine.js'
import { FakeClock } from '../doubles/clock.js'
import { captureLog } from '../doubles/captured-logger.js'
import type { MemoryLogger } from '../doubles/logger.js'
import { commandLines } from '../report/command-lines.js'
import {
  BUCKET,
  CLUSTER,
  PREFIX,
  REGION,
  arn,
  fakeBucket,
  s3Error,
  startedKey,
  stateEvent,
  stoppedKey,
  type FakeBucket
} from '../tasks/fakes.js'

/** A line break before a warning command, and how it prints. */
const WARN = 'bad\n::warning::x'
const WARN_SHOWN = 'bad\\n::warning::x'
/** A carriage return before add-mask. */
const MASK = 'bad\r::add-mask::y'
const MASK_SHOWN = 'bad\\r::add-mask::y'
/** A bare set-output: a backslash goes before it when it starts a field. */
const SET = '::set-output name=z::1'
const SET_SHOWN = '\\::set-output name=z::1'
/** The Unicode line separator (a line break for the log viewer). */
const SEP = 'bad\u2028::error::e'
const SEP_SHOWN = 'bad\\u2028::error::e'

const ecsMock = mockClient(ECSClient)
const ecs = new ECSClient({ region: REGION })
let stdout: string[]
let memory: MemoryLogger
/** Records every call in `memory` and prints it through coreLogger, as the action does. */
let logger: Logger

beforeEach(() => {
  ecsMock.reset()
  ;({ stdout, memory, logger } = captureLog())
})
afterEach(() => {
  jest.restoreAllMocks()
})
afterAll(() => ecsMock.restore())

/**
 * No logged message holds a raw line break, and the only command lines on stdout are the
 * action's own: one `::<level>::<message>` per warning, error and debug message.
 */
function expectNoInjectedCommand(): void {
  for (const line of memory.lines) expect(line).not.toMatch(/[\n\r\v\f\u0085\u2028\u2029]/)
  const own = memory.lines
    .filter((l) => /^(debug|warning|error|notice): /.test(l))
    .map((l) => `::${l.slice(0, l.indexOf(':'))}::${l.slice(l.indexOf(': ') + 2)}`)
  expect(commandLines(stdout.join(''))).toEqual(own)
  // The foreign text is still there to read, on one line each.
  expect(stdout.join('').split('\n').length).toBe(memory.lines.length + 1)
}

/** An ECS task state event whose detail is `detail`, as the notifier writes it. */
function event(detail: Record<string, unknown>): string {
  return JSON.stringify({ 'detail-type': 'ECS Task State Change', source: 'aws.ecs', detail })
}

/** Watches `arns` with a WaitEngine over the fake bucket until `until` ms of fake time. */
async function watch(options: {
  arns: string[]
  objects: (bucket: FakeBucket) => void
  describe?: (arns: string[]) => { tasks: Task[]; failures: { arn: string; reason: string }[] }
  until: number
  verify?: number
}): Promise<{ ends: string[]; bucket: FakeBucket }> {
  const clock = new FakeClock(0)
  const bucket = fakeBucket(clock)
  options.objects(bucket)
  ecsMock
    .on(DescribeTasksCommand)
    .callsFake((input: { tasks: string[] }) =>
      options.describe === undefined ? { tasks: [], failures: [] } : options.describe(input.tasks)
    )
  const ends: string[] = []
  const engine = new WaitEngine(
    { ecs, s3: bucket.client, clock, random: () => 0, logger },
    {
      cluster: CLUSTER,
      prefix: { bucket: BUCKET, prefix: PREFIX, region: REGION },
      pollIntervalSeconds: 1,
      verifyIntervalSeconds: options.verify ?? 300,
      onEnd: (end: TaskEnd) =>
        ends.push(end.kind === 'lost' ? `lost ${end.taskArn}` : `stopped ${end.task.taskArn}`)
    }
  )
  for (const a of options.arns) engine.add(a)
  const stop = new AbortController()
  void clock.sleep(options.until).then(() => stop.abort())
  await clock.run(engine.run(stop.signal))
  bucket.restore()
  return { ends, bucket }
}

const url = (key: string): string => `s3://${BUCKET}/${key}`

describe('the wait engine, given foreign text', () => {
  it('in notification objects and a DescribeTasks failure reason, logs each on one line, no command', async () => {
    const [one, two, three, four] = [arn(1), arn(2), arn(3), arn(4)]
    const other = `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/${WARN}`
    const { ends } = await watch({
      arns: [one, two, three, four],
      verify: 5,
      until: 8000,
      objects: (bucket) => {
        bucket.put(
          startedKey(one),
          event({
            taskArn: one,
            lastStatus: 'RUNNING',
            startedAt: '2026-11-28T10:00:05.000Z',
            containerInstanceArn: MASK,
            availabilityZone: SET,
            containers: [{ name: 'app', lastStatus: 'RUNNING' }]
          })
        )
        // A stopped.json that is not STOPPED, and one for another task: both ignored.
        bucket.put(stoppedKey(one), event({ taskArn: one, lastStatus: `RUNNING${SEP}` }))
        bucket.put(stoppedKey(two), event({ taskArn: other, lastStatus: 'STOPPED' }))
        bucket.put(
          stoppedKey(three),
          event({
            taskArn: three,
            lastStatus: 'STOPPED',
            stopCode: SET,
            stoppedReason: WARN,
            containers: [{ name: 'app', lastStatus: MASK, exitCode: 3, reason: SEP }]
          })
        )
      },
      // Task four is not found: ECS says why.
      describe: (arns) => ({
        tasks: arns
          .filter((a) => a !== four)
          .map((taskArn) => ({ taskArn, lastStatus: 'RUNNING', containers: [{ name: 'app' }] })),
        failures: arns.includes(four) ? [{ arn: four, reason: `MISSING${MASK}` }] : []
      })
    })
    expect(ends).toEqual([`stopped ${three}`])
    expect(memory.of('info')).toContain(
      `Task t1 started at 2026-11-28T10:00:05.000Z on container instance ${MASK_SHOWN} in ${SET_SHOWN}`
    )
    expect(memory.of('debug')).toContain(`stopped.json of task t3: ${SET_SHOWN}`)
    expect(memory.of('warning')).toEqual([
      `Ignoring ${url(stoppedKey(one))}: its detail.lastStatus is RUNNING${SEP_SHOWN}, not STOPPED`,
      `Ignoring ${url(stoppedKey(two))}: it holds an event for another task, ` +
        `arn:aws:ecs:${REGION}:123456789012:task/${CLUSTER}/${WARN_SHOWN}`,
      expect.stringMatching(
        new RegExp(
          `^ECS reports 1 task\\(s\\) RUNNING whose started.json has not appeared after 5 s: notifications are not arriving \\(${two}\\)\\. Check that`
        )
      ) as unknown as string,
      `DescribeTasks does not find 1 task(s) in cluster '${CLUSTER}': ${four} ` +
        `(MISSING${MASK_SHOWN}); still waiting for their stopped.json`
    ])
    expectNoInjectedCommand()
  })

  it('in an invalid field of a notification object, quotes the validation message on one line', async () => {
    const one = arn(1)
    await watch({
      arns: [one],
      until: 3000,
      objects: (bucket) =>
        bucket.put(stoppedKey(one), event({ taskArn: one, lastStatus: 'STOPPED', version: WARN }))
    })
    expect(memory.of('warning')).toEqual([
      `Ignoring ${url(stoppedKey(one))}: it is not an ECS task state event ` +
        `(detail.version: Invalid input: expected number, received string)`
    ])
    expectNoInjectedCommand()
  })

  it('in S3 error names and messages, logs them on one line, no command', async () => {
    const one = arn(1)
    const slow = Object.assign(new Error(`slow${WARN}`), {
      name: SET,
      $metadata: { httpStatusCode: 503 }
    })
    const missing = Object.assign(s3Error('NoSuchBucket', 404), { message: `gone${SEP}` })
    let reads = 0
    await watch({
      arns: [one],
      until: 20_000,
      objects: (bucket) => {
        bucket.getError = () => (reads++ === 0 ? slow : missing)
      },
      describe: (arns) => ({
        tasks: arns.map((taskArn) => ({ taskArn, lastStatus: 'RUNNING' })),
        failures: []
      })
    })
    expect(memory.of('info')[0]).toBe(`S3 answered ${SET_SHOWN}; backing off`)
    expect(memory.of('debug')).toContain(
      `S3 request for ${stoppedKey(one)} failed (slow${WARN_SHOWN}); backing off`
    )
    expect(memory.of('warning')).toEqual([
      `Reading ${url(stoppedKey(one))} failed: NoSuchBucket: gone${SEP_SHOWN}. Waiting through ` +
        `DescribeTasks instead. Check that the bucket '${BUCKET}' exists in ${REGION} (a ` +
        `'?region=' on the prefix names another region) and that the action's role may read it.`
    ])
    expectNoInjectedCommand()
  })
})

describe('a set of two, given foreign text', () => {
  it('logs a stopped reason, a stop code and a RunTask failure on one line each, and fails the step with them escaped', async () => {
    const clock = new FakeClock(0)
    const bucket = fakeBucket(clock)
    let next = 0
    ecsMock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
      const a = input.overrides?.containerOverrides?.[0]?.environment?.find((e) => e.name === 'A')
      if (a?.value === '2') {
        return { tasks: [], failures: [{ reason: `INVALID${WARN}`, detail: SET }] }
      }
      const taskArn = arn(next++)
      bucket.put(
        stoppedKey(taskArn),
        stateEvent(taskArn, { exitCode: 3, stopCode: SET, stoppedReason: MASK, appReason: SEP })
      )
      return { tasks: [{ taskArn, lastStatus: 'PROVISIONING' }], failures: [] }
    })
    const outcome = await clock.run(
      runTaskSet(
        {
          ecs,
          s3: bucket.client,
          clock,
          random: () => 0.5,
          logger,
          saveStartedArns: () => undefined
        },
        {
          baseRequest: { cluster: CLUSTER, taskDefinition: 'batch-oneshot:7' },
          apps: [{ env: { A: '1' } }, { env: { A: '2' } }].map((spec) =>
            appOverrideOf(spec, { command: ['run'], env: {} })
          ),
          launchRate: 10,
          failFast: false,
          prefix: { bucket: BUCKET, prefix: PREFIX, region: REGION },
          pollIntervalSeconds: 1,
          verifyIntervalSeconds: 300,
          stopOnCancel: true,
          signal: new AbortController().signal,
          runUrl: 'https://github.com/acme/batch/actions/runs/7'
        }
      )
    )
    const failure = await reportTaskSet(
      { clock, logger, setOutput: () => undefined, writeSummary: () => Promise.resolve() },
      outcome,
      {
        clients: { region: REGION },
        rendered: {},
        logLines: 0,
        failOnError: true,
        stopOnCancel: true,
        wait: true
      }
    )
    bucket.restore()
    const startFailure =
      `Could not start a task of 'batch-oneshot:7' on cluster 'batch': ECS answered ` +
      `INVALID${WARN_SHOWN} (${SET}).`
    expect(memory.of('error')).toEqual([`Task #1 could not start: ${startFailure}`])
    expect(memory.of('debug')).toContain(`stopped.json of task t0: ${SET_SHOWN}`)
    expect(memory.of('info')).toContain(
      `Task t0 stopped at 2026-11-28T10:00:35.000Z with exit code 3 (${SET_SHOWN}: ${MASK_SHOWN}) (#0)`
    )
    expect(failure).toBe(
      `2 of 2 tasks failed: #0 (exit code 3, ${arn(0)}); #1 (could not start: ${startFailure}). ` +
        'See the job summary for every task.'
    )
    expectNoInjectedCommand()
  })
})
