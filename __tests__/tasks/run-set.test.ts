import { afterAll, afterEach, describe, expect, it } from '@jest/globals'
import {
  ECSClient,
  RunTaskCommand,
  StopTaskCommand,
  type RunTaskCommandInput
} from '@aws-sdk/client-ecs'
import { mockClient } from 'aws-sdk-client-mock'
import { fanOutOf } from '../../src/model/fan-out.js'
import { reportTaskSet } from '../../src/report/set.js'
import type { TaskSpec } from '../../src/model/task.js'
import { appOverrideOf } from '../../src/tasks/batch.js'
import { runTaskSet, type TaskSetOptions } from '../../src/tasks/run-set.js'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger } from '../doubles/logger.js'
import {
  BUCKET,
  CLUSTER,
  PREFIX,
  REGION,
  arn,
  fakeBucket,
  startedKey,
  stateEvent,
  stoppedKey
} from './fakes.js'

const ecsMock = mockClient(ECSClient)
const ecs = new ECSClient({ region: REGION })
afterEach(() => {
  ecsMock.reset()
})
afterAll(() => {
  ecsMock.restore()
})

const BASE: RunTaskCommandInput = {
  cluster: CLUSTER,
  taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/batch-oneshot:7',
  startedBy: 'gha-1-1',
  overrides: {
    containerOverrides: [
      { name: 'app', cpu: 256, memory: 512 },
      { name: 'log-router', environment: [{ name: 'KEEP', value: 'yes' }] }
    ]
  }
}

/** The step's `command` and `env`, under each task's own. */
const STEP = { command: ['run'], env: { STEP: 's', A: '0' } }

/**
 * Runs runTaskSet and reportTaskSet against a mocked ECS whose tasks write stopped.json into the fake bucket: each
 * task runs RUN_MS of its env (default 5000) and exits with EXIT (default 0); StopTask ends a
 * task 1 s later with 143.
 */
async function fanOut(
  options: Partial<TaskSetOptions> & { cancelAt?: number; specs?: TaskSpec[] }
) {
  const clock = new FakeClock(0)
  const bucket = fakeBucket(clock)
  const logger = memoryLogger()
  const runCalls: RunTaskCommandInput[] = []
  const stopCalls: string[] = []
  const saved: string[][] = []
  const outputs: Record<string, string> = {}
  const summaries: string[] = []
  const timers = new Map<string, AbortController>()
  let next = 0
  const finish = (taskArn: string, ms: number, exitCode: number, stopped = false): void => {
    timers.get(taskArn)?.abort()
    const timer = new AbortController()
    timers.set(taskArn, timer)
    void clock.sleep(ms, timer.signal).then(() => {
      if (timer.signal.aborted) return
      bucket.put(
        stoppedKey(taskArn),
        stateEvent(
          taskArn,
          stopped ? { exitCode, stopCode: 'UserInitiated', stoppedReason: 'stop' } : { exitCode }
        )
      )
    })
  }
  const runTimes: number[] = []
  const refused = new Map<string, number>()
  ecsMock.on(RunTaskCommand).callsFake((input: RunTaskCommandInput) => {
    runCalls.push(input)
    runTimes.push(clock.now())
    const env = new Map(
      (input.overrides?.containerOverrides?.[0]?.environment ?? []).map((e) => [e.name, e.value])
    )
    // QUOTA_REFUSALS=n: the account's vCPU quota refuses this spec's first n calls.
    const key = JSON.stringify([...env])
    const refusals = refused.get(key) ?? 0
    if (refusals < Number(env.get('QUOTA_REFUSALS') ?? 0)) {
      refused.set(key, refusals + 1)
      return {
        tasks: [],
        failures: [
          { reason: "You've reached the limit on the number of vCPUs you can run concurrently" }
        ]
      }
    }
    const tasks = Array.from({ length: input.count ?? 1 }, () => {
      const taskArn = arn(next++)
      bucket.put(startedKey(taskArn), stateEvent(taskArn, { lastStatus: 'RUNNING' }))
      finish(taskArn, Number(env.get('RUN_MS') ?? 5000), Number(env.get('EXIT') ?? 0))
      return { taskArn, lastStatus: 'PROVISIONING' }
    })
    return { tasks, failures: [] }
  })
  ecsMock.on(StopTaskCommand).callsFake((input: { task: string; reason: string }) => {
    stopCalls.push(`${clock.now()} ${input.task} ${input.reason}`)
    finish(input.task, 1000, 143, true)
    return { task: { taskArn: input.task } }
  })
  const events: string[] = []
  const cancel = new AbortController()
  if (options.cancelAt !== undefined) void clock.sleep(options.cancelAt).then(() => cancel.abort())
  const outcome = await clock.run(
    runTaskSet(
      {
        ecs,
        s3: bucket.client,
        clock,
        random: () => 0.5,
        logger,
        saveStartedArns: (arns) => saved.push(arns),
        events: {
          started: (taskArn) => events.push(`${clock.now()} started ${taskArn}`),
          stopped: (taskArn, end) => events.push(`${clock.now()} ${end.kind} ${taskArn}`)
        }
      },
      {
        baseRequest: BASE,
        apps: (options.specs ?? []).map((spec) => appOverrideOf(spec, STEP)),
        launchRate: 10,
        failFast: false,
        prefix: { bucket: BUCKET, prefix: PREFIX, region: REGION },
        pollIntervalSeconds: 1,
        verifyIntervalSeconds: 300,
        stopOnCancel: true,
        signal: cancel.signal,
        runUrl: 'https://github.com/acme/batch/actions/runs/7',
        ...options
      }
    )
  )
  const failureMessage = await reportTaskSet(
    {
      clock,
      logger,
      setOutput: (name, value) => {
        outputs[name] = value
      },
      writeSummary: (md) => {
        summaries.push(md)
        return Promise.resolve()
      }
    },
    outcome,
    {
      clients: { region: REGION },
      rendered: {
        appLogConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': '/batch', 'awslogs-stream-prefix': 'oneshot' }
        }
      },
      logLines: 0,
      failOnError: true,
      stopOnCancel: options.stopOnCancel ?? true,
      ...(options.timeoutSeconds !== undefined ? { timeoutSeconds: options.timeoutSeconds } : {}),
      ...(options.onTimeout !== undefined ? { onTimeout: options.onTimeout } : {}),
      wait: options.wait ?? true
    }
  )
  const result = { ...outcome, failureMessage }
  bucket.restore()
  return { result, runCalls, runTimes, stopCalls, saved, outputs, summaries, logger, events }
}

describe('runTaskSet', () => {
  it('shares a RunTask call between identical overrides, each call with its own client token; saves ARNs at once', async () => {
    const { runCalls, saved, outputs, result } = await fanOut({
      specs: [
        { env: { A: '1' } },
        { command: ['other'], env: {} },
        { env: { A: '1' } },
        { env: { A: '1' } }
      ]
    })
    const app = (command: string[], a: string) => ({
      name: 'app',
      cpu: 256,
      memory: 512,
      command,
      environment: [
        { name: 'STEP', value: 's' },
        { name: 'A', value: a }
      ]
    })
    const sidecar = { name: 'log-router', environment: [{ name: 'KEEP', value: 'yes' }] }
    const tokens = runCalls.map((c) => c.clientToken)
    expect(runCalls).toEqual([
      {
        ...BASE,
        count: 3,
        clientToken: tokens[0],
        overrides: { containerOverrides: [app(['run'], '1'), sidecar] }
      },
      {
        ...BASE,
        count: 1,
        clientToken: tokens[1],
        overrides: { containerOverrides: [app(['other'], '0'), sidecar] }
      }
    ])
    expect(tokens[0]).toMatch(/^[0-9a-f-]{36}$/)
    expect(tokens[1]).toMatch(/^[0-9a-f-]{36}$/)
    expect(tokens[0]).not.toBe(tokens[1])
    expect(saved).toEqual([
      [arn(0), arn(1), arn(2)],
      [arn(0), arn(1), arn(2), arn(3)]
    ])
    // Specs 0, 2 and 3 shared the first call; spec 1 got the second.
    expect(outputs['task-arns']).toBe(JSON.stringify([arn(0), arn(3), arn(1), arn(2)]))
    expect(outputs['exit-codes']).toBe('[0,0,0,0]')
    expect([outputs.succeeded, outputs.failed]).toEqual(['4', '0'])
    expect(outputs['exit-code']).toBeUndefined()
    expect(result.failureMessage).toBeUndefined()
    expect(result.settledArns).toEqual([arn(0), arn(3), arn(1), arn(2)])
  })

  it('with max-run-time, gives each RunTask its own deadline: its launch + max-run-time', async () => {
    const tags = [
      { key: 'team', value: 'data' },
      { key: 'hako-oneshot:deadline', value: '1' },
      { key: 'github:run-id', value: '7' }
    ]
    const { runCalls, runTimes } = await fanOut({
      baseRequest: { ...BASE, tags },
      attemptDeadlineSeconds: 600,
      maxParallel: 1,
      specs: [{ env: { RUN_MS: '90000' } }, { env: { RUN_MS: '1000' } }]
    })
    expect(runCalls).toHaveLength(2)
    // The second task starts after the first stopped, 90 s later: its deadline is 90 s later.
    expect(runTimes[1]! - runTimes[0]!).toBeGreaterThanOrEqual(90_000)
    expect(runCalls.map((c) => c.tags)).toEqual(
      runTimes.map((at) => [
        { key: 'team', value: 'data' },
        { key: 'hako-oneshot:deadline', value: String(Math.ceil(at / 1000) + 600) },
        { key: 'github:run-id', value: '7' }
      ])
    )
  })

  it("without max-run-time deciding, every RunTask carries the plan's deadline as it is", async () => {
    const tags = [{ key: 'hako-oneshot:deadline', value: '1800002100' }]
    const { runCalls } = await fanOut({
      baseRequest: { ...BASE, tags },
      maxParallel: 1,
      specs: [{ env: { RUN_MS: '90000' } }, { env: { RUN_MS: '1000' } }]
    })
    expect(runCalls.map((c) => c.tags)).toEqual([tags, tags])
  })

  it('names the failed tasks, and sets the single-task outputs when exactly one task ran', async () => {
    const { outputs, result } = await fanOut({
      specs: [{ env: { EXIT: '4' } }, { env: { B: '1' } }],
      failFast: true,
      maxParallel: 1
    })
    expect(outputs['task-arns']).toBe(JSON.stringify([arn(0), null]))
    expect(outputs['exit-codes']).toBe('[4,null]')
    expect(outputs['exit-code']).toBe('4')
    expect(outputs['task-arn']).toBe(arn(0))
    expect(outputs['logs-url']).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Fbatch/log-events/oneshot$252Fapp$252Ft0'
    )
    expect(result.failureMessage).toBe(
      `1 of 2 tasks failed: #0 (exit code 4, ${arn(0)}) (1 not started). See the job summary for every task.`
    )
  })

  it('on cancel stops every task this job started, within the launch budget, and fails the step', async () => {
    const { stopCalls, result, outputs } = await fanOut({
      specs: Array.from({ length: 5 }, (_, i) => ({ env: { I: String(i), RUN_MS: '60000' } })),
      maxParallel: 3,
      cancelAt: 2000
    })
    const reason =
      'Stopped by hako-oneshot-action: the workflow run was cancelled ' +
      '(https://github.com/acme/batch/actions/runs/7)'
    // The bucket holds one second of launch-rate (10 tokens) and refilled during the wait.
    expect(stopCalls).toEqual([
      `2000 ${arn(0)} ${reason}`,
      `2000 ${arn(1)} ${reason}`,
      `2000 ${arn(2)} ${reason}`
    ])
    expect(result.halt).toBe('cancelled')
    expect(outputs['exit-codes']).toBe('[143,143,143,null,null]')
    expect(result.settledArns).toEqual([arn(0), arn(1), arn(2)])
    expect(result.failureMessage).toBe(
      'The workflow run was cancelled while tasks were running (3 stopped, 2 not started). See the job summary for every task.'
    )
  })

  it('tells a follower when each task is seen started and when it stopped', async () => {
    const { events } = await fanOut({
      specs: [{ env: { RUN_MS: '5000' } }, { env: { RUN_MS: '8000' } }]
    })
    expect(events).toEqual([
      // Reads 1.25 s apart (random 0.5); every third read is of started.json until seen.
      `3750 started ${arn(0)}`,
      `3750 started ${arn(1)}`,
      `5000 stopped ${arn(0)}`,
      `8750 stopped ${arn(1)}`
    ])
  })

  it('stops a task at the timeout even with stop-on-cancel: false, which governs cancel only', async () => {
    const { result, stopCalls } = await fanOut({
      specs: [{ env: { RUN_MS: '600000' } }],
      timeoutSeconds: 10,
      stopOnCancel: false
    })
    expect(stopCalls).toEqual([
      `10000 ${arn(0)} Stopped by hako-oneshot-action: the timeout of 10s was reached (https://github.com/acme/batch/actions/runs/7)`
    ])
    expect(result.halt).toBe('timed-out')
    expect(result.failureMessage).toBe(`Timed out after 10s waiting for ${arn(0)} to stop`)
  })

  it('detaches a set of one at the timeout: left running, reported with the state it was seen started in, the step passes', async () => {
    const { outputs, result, stopCalls, summaries, logger } = await fanOut({
      specs: [{ env: { RUN_MS: '600000' } }],
      timeoutSeconds: 10,
      onTimeout: 'detach'
    })
    expect(stopCalls).toEqual([])
    expect(result.halt).toBe('timed-out')
    expect(result.settledArns).toEqual([arn(0)])
    expect(outputs).toMatchObject({
      'task-arn': arn(0),
      'exit-code': '',
      'started-at': '2026-11-28T10:00:05.000Z',
      'task-arns': JSON.stringify([arn(0)]),
      'exit-codes': '[null]'
    })
    expect(summaries).toHaveLength(1)
    expect(result.failureMessage).toBeUndefined()
    expect(logger.of('notice')).toEqual([
      `The timeout was reached: on-timeout is detach, so ${arn(0)} is left running.`,
      `The timeout was reached and on-timeout is detach: 1 task(s) left running (${arn(0)}). ` +
        "Wait on them later with a step of mode: wait (task-arns from this step's task-arns " +
        'output, or empty for every task of this workflow run still running). They have no ' +
        'deadline (max-run-time is not set): nothing stops them but their own end or a StopTask.'
    ])
  })
})

describe('runTaskSet in a wide fan-out (src/model/run-task-pacing.ts)', () => {
  it("spreads a matrix job's first RunTask by its slot: job 151 of 200 waits 150 / 20 s, jittered", async () => {
    const { runTimes, logger, result } = await fanOut({
      specs: [{ env: {} }],
      launchRate: undefined,
      fanOut: fanOutOf({ jobIndex: 150, jobTotal: 200, tasks: 1 })
    })
    expect(runTimes).toEqual([7525])
    expect(logger.of('info').slice(0, 3)).toEqual([
      "Running 1 task on cluster 'batch'",
      'fan-out width 200 (job 151 of 200)',
      "The fan-out's 200 tasks start their first RunTask spread over 10.0 s (half of RunTask's " +
        "bucket (100 burst, 40 a second)): this job's first call waits 7.5 s (slot 151 of 200)."
    ])
    expect(result.failureMessage).toBeUndefined()
  })

  it("paces a job's own tasks at its share: 4 tasks of a 100-wide fan-out take 4 × 20 / 100 a second", async () => {
    const { runTimes, logger } = await fanOut({
      specs: [{ env: { A: '1' } }, { env: { A: '2' } }, { env: { A: '3' } }, { env: { A: '4' } }],
      launchRate: undefined,
      fanOut: fanOutOf({ jobIndex: 0, jobTotal: 25, tasks: 4 })
    })
    expect(runTimes).toEqual([25, 1275, 2525, 3775])
    expect(logger.of('info')[0]).toBe(
      "Running 4 tasks on cluster 'batch': all at once, 0.8 RunTask call(s) per second"
    )
  })

  it('waits out an account quota and says how long in the summary (one task)', async () => {
    const { runTimes, summaries, result } = await fanOut({
      specs: [{ env: { QUOTA_REFUSALS: '2' } }]
    })
    // Width 1: retries back off as RESOURCE:* do, equal jitter, random 0.5: 1.5 s, then 3 s.
    expect(runTimes).toEqual([0, 1500, 4500])
    expect(result.roomWaits).toEqual([
      {
        index: 0,
        waitedMs: 4500,
        quota:
          'Fargate vCPU quota (Fargate On-Demand vCPU resource count, L-3032A538; Spot: L-36FBB829)'
      }
    ])
    expect(summaries.at(-1)).toBe(
      "⏳ The task waited 5s for room under the account's Fargate vCPU quota &#40;Fargate On&#45;Demand " +
        'vCPU resource count, L&#45;3032A538; Spot&#58; L&#45;36FBB829&#41; before it started.\n'
    )
    expect(result.failureMessage).toBeUndefined()
  })

  it('counts the tasks of a set that waited, with median and longest wait, and announces the quota once', async () => {
    const { summaries, logger, result } = await fanOut({
      specs: [
        { env: { A: '1', QUOTA_REFUSALS: '1' } },
        { env: { A: '2', QUOTA_REFUSALS: '1' } },
        { env: { A: '3' } }
      ]
    })
    expect(result.roomWaits.map((w) => [w.index, w.waitedMs])).toEqual([
      [0, 1500],
      [1, 1500]
    ])
    expect(logger.of('info').filter((l) => l.startsWith('Waiting for room'))).toHaveLength(1)
    expect(summaries).toHaveLength(1)
    expect(summaries[0]).toContain(
      "\n⏳ 2 of 3 tasks waited for room under the account's Fargate vCPU quota"
    )
    expect(summaries[0]).toContain('before they started: 2s median, 2s at most.\n')
  })
})
