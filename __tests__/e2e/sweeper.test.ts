/**
 * End to end: a job whose runner is lost. The main step (the bundle of the current sources)
 * starts a task with `max-run-time` and is killed with SIGKILL, so neither it nor its post step
 * ever stops the task. The notifier stack's sweeper, its inline code from notifier/template.yml
 * run as Lambda runs it (sim/lambda.ts), is invoked by a simulated EventBridge schedule
 * (sim/schedule.ts) against the local ECS simulator, and stops the task once its deadline has
 * passed, and no other task: not another tool's untagged task, not a malformed or future
 * deadline, not a task past its deadline in a cluster the stack does not sweep.
 *
 * Deadlines are real epoch seconds; the schedule's minute is 2 s of real time here, so its even
 * minutes, when a fresh sweeper instance lists, come every 4 s.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DescribeTasksCommand, ECSClient, RunTaskCommand, type Task } from '@aws-sdk/client-ecs'
import { runAction } from '../../sim/action-runner.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'
import { inlineLambda, type InlineLambda } from '../../sim/lambda.js'
import { startSchedule } from '../../sim/schedule.js'
import { systemClock } from '../../src/util/clock.js'
import { at, loadNotifierTemplate } from '../notifier/cloudformation.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url))
const DEFINITION = '__fixtures__/e2e/oneshot.yml'
const CLUSTER = 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/e2e'
const REASON =
  /^Stopped by the hako-oneshot sweeper: past its deadline (\S+) \(tag hako-oneshot:deadline\)$/
// An even minute: the schedule's first run lists.
const FIRST_TIME = Date.UTC(2026, 11, 2, 4, 0, 0)

describe('a job killed with its post step never run', () => {
  let local: LocalAws
  let ecs: ECSClient
  let sweeper: InlineLambda

  beforeAll(async () => {
    local = await startLocalAws({ timeScale: 0.1, clusters: ['e2e', 'other'] })
    ecs = new ECSClient({ ...local.clientConfig('ecs'), maxAttempts: 1 })
    const code = at(loadNotifierTemplate(), 'Resources', 'SweeperFunction', 'Properties', 'Code')
    sweeper = inlineLambda((code as { ZipFile: string }).ZipFile, {
      sdkPath: NODE_MODULES,
      env: { ...local.env, CLUSTER_ARNS: CLUSTER }
    })
  })
  afterAll(async () => {
    sweeper.close()
    ecs.destroy()
    await local.close()
  })

  /** Another tool's task on `cluster`, with these tags, running until stopped. */
  async function otherTask(cluster: string, tags: { key: string; value: string }[]) {
    const out = await ecs.send(
      new RunTaskCommand({
        cluster,
        taskDefinition: 'oneshot-oneshot',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'] } },
        overrides: {
          containerOverrides: [
            { name: 'app', environment: [{ name: 'SIM_RUN_SECONDS', value: 'forever' }] }
          ]
        },
        ...(tags.length > 0 ? { tags } : {})
      })
    )
    return out.tasks?.[0]?.taskArn ?? ''
  }

  async function describe1(arn: string): Promise<Task | undefined> {
    const cluster = arn.split('/')[1]
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster, tasks: [arn], include: ['TAGS'] })
    )
    return out.tasks?.[0]
  }

  it('the sweeper stops its task once the deadline passes, and leaves every other task alone', async () => {
    const main = await runAction({
      inputs: {
        definition: DEFINITION,
        'notification-prefix': local.prefix,
        'poll-interval': '0.2',
        env: 'SIM_RUN_SECONDS=forever',
        'max-run-time': '3'
      },
      env: {
        ...local.env,
        GITHUB_REPOSITORY: 'acme/batch',
        GITHUB_RUN_ID: '77',
        GITHUB_JOB: 'lost'
      },
      cwd: ROOT,
      signal: { name: 'SIGKILL', when: (out) => / started at /.test(out) }
    })
    expect(main.exitCode).toBeNull()
    const [ours] = JSON.parse(main.state.taskArns ?? '[]') as string[]
    const tag = (await describe1(ours ?? ''))?.tags?.find((t) => t.key === 'hako-oneshot:deadline')
    const deadline = Number(tag?.value)
    expect(deadline * 1000).toBeGreaterThan(main.startedAt)
    expect(deadline * 1000).toBeLessThanOrEqual(main.startedAt + main.durationMs + 4000)

    const past = String(Math.floor(Date.now() / 1000) - 60)
    const others = {
      untagged: await otherTask('e2e', [{ key: 'owner', value: 'another-tool' }]),
      malformed: await otherTask('e2e', [{ key: 'hako-oneshot:deadline', value: 'tomorrow' }]),
      future: await otherTask('e2e', [
        { key: 'hako-oneshot:deadline', value: String(deadline + 3600) }
      ]),
      otherCluster: await otherTask('other', [{ key: 'hako-oneshot:deadline', value: past }])
    }

    const schedule = startSchedule({
      clock: systemClock,
      periodMs: 2000,
      firstTime: FIRST_TIME,
      account: '123456789012',
      region: local.region,
      target: (event) => sweeper.invoke(event)
    })
    let runs = 0
    while (runs < 10 && (await describe1(ours ?? ''))?.desiredStatus === 'RUNNING') {
      await schedule.ended(++runs)
    }
    await schedule.stop()

    const task = await describe1(ours ?? '')
    expect(task?.desiredStatus).toBe('STOPPED')
    expect(task?.stopCode).toBe('UserInitiated')
    const when = REASON.exec(task?.stoppedReason ?? '')?.[1]
    expect(when).toBe(new Date(deadline * 1000).toISOString())
    // Stopped after its deadline, never before.
    expect(task?.stoppingAt?.getTime()).toBeGreaterThanOrEqual(deadline * 1000)
    for (const arn of Object.values(others)) {
      expect((await describe1(arn))?.desiredStatus).toBe('RUNNING')
    }
    // One run stopped it, naming it in its outcome; the runs were scheduled events.
    const outcomes = schedule
      .runs()
      .map((r) => (r.result as string[]).at(-1) ?? '')
      .filter((line) => line.includes(ours ?? '-'))
    expect(outcomes).toHaveLength(1)
    expect(schedule.runs()[0]?.event).toMatchObject({
      source: 'aws.events',
      'detail-type': 'Scheduled Event',
      time: '2026-12-02T04:00:00Z'
    })
    expect(local.stats().ecs.throttled).toEqual({})
  }, 90_000)
})
