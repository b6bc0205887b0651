/**
 * End to end: the ncc bundle of the current sources (built by __tests__/setup/bundle.js; CI
 * also checks that it equals the committed `dist/index.js`), main and post step, run as child
 * processes exactly as the runner does (INPUT_* variables; GITHUB_OUTPUT, GITHUB_STATE and
 * GITHUB_STEP_SUMMARY files; AWS_ENDPOINT_URL_* at the local simulators), against the local
 * ECS simulator and s3rver, with events written by the project's notifier.
 *
 * The simulator runs at a tenth of real time (timeScale 0.1): a 5 s task takes 0.5 s.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { resolve } from 'node:path'
import { DeregisterTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs'
import { runAction, runPost, type ActionResult } from '../../sim/action-runner.js'
import { startLocalAws, type LocalAws, type LocalAwsOptions } from '../../sim/index.js'

/**
 * Each run is a step of its own, named as the runner names steps without an id (`__run`,
 * `__run_2`, ...): steps of one job never share a place in the ledger.
 */
let steps = 0
const nextStep = (): string => (++steps === 1 ? '__run' : `__run_${steps}`)

const ROOT = resolve(import.meta.dirname, '..', '..')
const DEFINITION = '__fixtures__/e2e/oneshot.yml'
const GITHUB = {
  GITHUB_REPOSITORY: 'acme/batch',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'shard',
  GITHUB_SERVER_URL: 'https://github.com'
}

async function withLocal(options: LocalAwsOptions = {}): Promise<LocalAws> {
  return startLocalAws({ timeScale: 0.1, ...options })
}

/** Runs the main step against `local`, with fast S3 polling for the scaled-down clock. */
function main(
  local: LocalAws,
  inputs: Record<string, string>,
  extra: { signal?: Parameters<typeof runAction>[0]['signal'] } = {}
): Promise<ActionResult> {
  return runAction({
    inputs: {
      definition: DEFINITION,
      'notification-prefix': local.prefix,
      'poll-interval': '0.2',
      ...inputs
    },
    env: { ...local.env, ...GITHUB, GITHUB_ACTION: nextStep() },
    cwd: ROOT,
    ...extra
  })
}

/** ECS calls by operation made between two stats readings. */
function callsSince(local: LocalAws, before: Record<string, number>): Record<string, number> {
  const now = local.stats().ecs.calls
  const diff: Record<string, number> = {}
  for (const [op, n] of Object.entries(now)) {
    const d = n - (before[op] ?? 0)
    if (d > 0) diff[op] = d
  }
  return diff
}

/** The `::error::` annotations a run printed. */
function errors(result: ActionResult): string[] {
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith('::error::'))
    .map((l) => l.slice('::error::'.length))
}

function warnings(result: ActionResult): string[] {
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith('::warning::'))
    .map((l) => l.slice('::warning::'.length))
}

describe('dist/index.js against the local simulator', () => {
  let local: LocalAws
  beforeAll(async () => {
    local = await withLocal()
  })
  afterAll(async () => {
    await local.close()
  })

  it('runs a task that exits 0: outputs, summary, one register and one RunTask, no ECS call while waiting', async () => {
    const before = { ...local.stats().ecs.calls }
    const result = await main(local, { env: 'SIM_LOG_LINES=["starting","done"]' })
    expect(result.exitCode).toBe(0)
    expect(errors(result)).toEqual([])
    expect(warnings(result)).toEqual([])
    const arn = result.outputs['task-arn'] ?? ''
    expect(arn).toMatch(/^arn:aws:ecs:ap-northeast-1:123456789012:task\/e2e\/[0-9a-f]{32}$/)
    const id = arn.split('/').pop() ?? ''
    expect(result.outputs).toMatchObject({
      'task-definition-arn':
        'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/oneshot-oneshot:1',
      registered: 'true',
      'task-id': id,
      cluster: 'e2e',
      'exit-code': '0',
      'stop-code': 'EssentialContainerExited',
      containers: '[{"name":"app","exitCode":0,"reason":null}]',
      'logs-url':
        'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1' +
        `#logsV2:log-groups/log-group/$252Fecs$252Foneshot/log-events/ecs$252Fapp$252F${id}`
    })
    expect(result.outputs['started-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(result.outputs['stopped-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    // follow-logs: every line of the app's log exactly once, after its timestamp, whether it
    // was followed and drained or (a task this short may stop before the first read) tailed.
    const printed = result.stdout.split('\n').filter((l) => / (starting|done)$/.test(l))
    expect(printed.map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ''))).toEqual([
      'starting',
      'done'
    ])
    expect(result.stdout).not.toContain('::group::Last')
    expect(result.summary).toContain(`### ECS task ${id}: ✅ succeeded`)
    // Zero ECS calls while S3 answers (README, the waiting bullet; src/wait/s3-waiter.ts).
    expect(callsSince(local, before)).toEqual({
      DescribeTaskDefinition: 1,
      RegisterTaskDefinition: 1,
      RunTask: 1
    })
    // The task carries the run's startedBy and tags.
    const task = local.ecs.describe(arn)
    expect(task?.startedBy).toBe('gha-4242-1')
    // Nothing left for the post step: it stops nothing.
    const post = await runPost(result, { inputs: {}, env: { ...local.env }, cwd: ROOT })
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain('::debug::post: no task left to stop')
  })

  it('prints the app log while the task runs, then drains it: every line once, no tail', async () => {
    const lines = Array.from({ length: 8 }, (_, i) => `line ${i}`)
    const result = await main(local, {
      env: `SIM_RUN_SECONDS=40\nSIM_LOG_LINES=${JSON.stringify(lines)}`
    })
    expect(result.exitCode).toBe(0)
    expect(warnings(result)).toEqual([])
    const out = result.stdout.split('\n')
    const printed = out.filter((l) => / line \d$/.test(l))
    expect(printed.map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ''))).toEqual(lines)
    // Lines came before the wait saw the stop: they were followed, not tailed.
    const stopAt = out.findIndex((l) => /^Task \S+ stopped\b/.test(l))
    expect(stopAt).toBeGreaterThan(0)
    expect(out.findIndex((l) => / line 0$/.test(l))).toBeLessThan(stopAt)
    expect(result.stdout).not.toContain('log lines of')
  })

  it('tails the last log-lines lines after the stop with follow-logs: false, in no group of its own', async () => {
    const result = await main(local, {
      env: 'SIM_LOG_LINES=["one","two","three"]',
      'follow-logs': 'false',
      'log-lines': '2'
    })
    const id = result.outputs['task-id'] ?? ''
    const out = result.stdout.split('\n')
    const header = out.findIndex(
      (l) => l === `Last 2 log lines of /ecs/oneshot ecs/app/${id} (ap-northeast-1):`
    )
    expect(header).toBeGreaterThan(0)
    expect(out.slice(header + 1, header + 3).map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'two',
      'three'
    ])
    // Inside the Report group, and no group opened within it.
    const groups = out
      .slice(0, header)
      .filter((l) => l.startsWith('::group::') || l === '::endgroup::')
    expect(groups.at(-1)).toBe('::group::Report')
  })

  it('reuses the registered revision on a second run: read from the bucket, so RunTask is the only ECS call', async () => {
    const before = { ...local.stats().ecs.calls }
    const result = await main(local, {})
    expect(result.exitCode).toBe(0)
    expect(result.outputs.registered).toBe('false')
    expect(result.outputs['task-definition-arn']).toBe(
      'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/oneshot-oneshot:1'
    )
    expect(callsSince(local, before)).toEqual({ RunTask: 1 })
    expect(result.stdout).toContain(
      'Task definition from s3://oneshot-notifications/oneshot/task-definitions/oneshot-oneshot/'
    )
  })

  it('fails the step on exit 3 with one annotation, and still sets every output', async () => {
    const result = await main(local, { env: 'SIM_EXIT_CODE=3' })
    expect(result.exitCode).toBe(1)
    const id = result.outputs['task-id']
    expect(errors(result)).toEqual([
      `Task ${id} exited with code 3; stop code EssentialContainerExited; stopped reason: Essential container in task exited`
    ])
    expect(result.outputs['exit-code']).toBe('3')
    expect(result.summary).toContain('failed')
  })

  it('keeps the step green on exit 3 with fail-on-error: false', async () => {
    const result = await main(local, { env: 'SIM_EXIT_CODE=3', 'fail-on-error': 'false' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['exit-code']).toBe('3')
  })

  it('reports 127 with the pull error when the image cannot be pulled (hako rule, docs/hako.md, "Exit code")', async () => {
    const result = await main(local, { env: 'SIM_PULL_FAILURE=1' })
    expect(result.exitCode).toBe(1)
    expect(result.outputs['exit-code']).toBe('127')
    expect(result.outputs['stop-code']).toBe('TaskFailedToStart')
    const containers = JSON.parse(result.outputs.containers ?? '[]') as {
      name: string
      exitCode: number | null
      reason: string | null
    }[]
    expect(containers).toHaveLength(1)
    expect(containers[0]?.exitCode).toBeNull()
    expect(containers[0]?.reason).toMatch(/^CannotPullContainerError: /)
    const [annotation] = errors(result)
    expect(annotation).toMatch(/exited with code 127; stop code TaskFailedToStart/)
    expect(annotation).toContain('CannotPullContainerError')
  })

  it('retries RunTask capacity failures, each under a fresh clientToken, until the task starts', async () => {
    const before = { ...local.stats().ecs.calls }
    // The simulator fails the same request twice, whatever its token: nothing started, so each
    // retry takes a new token (a replayed answer could otherwise repeat the failure).
    const result = await main(local, { env: 'SIM_CAPACITY_FAILURES=2' })
    expect(result.exitCode).toBe(0)
    // The revision comes from the bucket (an earlier test registered it).
    expect(callsSince(local, before)).toEqual({ RunTask: 3 })
  })

  it('registers once in a register job, then fans out jobs that spend one ECS call each', async () => {
    const register = await main(local, { mode: 'register', tag: 'fanout' })
    expect(register.exitCode).toBe(0)
    expect(register.outputs).toEqual({
      'task-definition-arn':
        'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/oneshot-oneshot:2',
      registered: 'true'
    })
    const before = { ...local.stats().ecs.calls }
    const jobs = await Promise.all(
      [0, 1, 2, 3].map((shard) =>
        main(local, {
          'task-definition': register.outputs['task-definition-arn'] ?? '',
          env: `SHARD=${shard}`
        })
      )
    )
    expect(jobs.map((j) => j.exitCode)).toEqual([0, 0, 0, 0])
    expect(jobs.map((j) => j.outputs.registered)).toEqual(['false', 'false', 'false', 'false'])
    expect(callsSince(local, before)).toEqual({ RunTask: 4 })
  })

  it('stops the task at once on SIGINT mid-wait, reports, and leaves nothing to the post step', async () => {
    const before = { ...local.stats().ecs.calls }
    const result = await main(
      local,
      { env: 'SIM_RUN_SECONDS=forever' },
      { signal: { name: 'SIGINT', when: (out) => / started at /.test(out) } }
    )
    expect(result.signalledAt).toBeDefined()
    expect(result.exitCode).toBe(1)
    expect(errors(result)).toEqual(['The workflow run was cancelled while the task was running'])
    const arn = result.outputs['task-arn'] ?? ''
    const task = local.ecs.describe(arn)
    expect(task?.stopCode).toBe('UserInitiated')
    expect(task?.stoppedReason).toBe(
      'Stopped by hako-oneshot-action: the workflow run was cancelled ' +
        '(https://github.com/acme/batch/actions/runs/4242)'
    )
    expect(callsSince(local, before).StopTask).toBe(1)
    const post = await runPost(result, { inputs: {}, env: { ...local.env }, cwd: ROOT })
    expect(post.stdout).toContain('::debug::post: no task left to stop')
  })

  it('lets the post step stop a task whose main step was killed', async () => {
    const result = await main(
      local,
      { env: 'SIM_RUN_SECONDS=forever' },
      { signal: { name: 'SIGKILL', when: (out) => / started at /.test(out) } }
    )
    expect(result.exitCode).toBeNull()
    const arn = JSON.parse(result.state.taskArns ?? '[]') as string[]
    expect(arn).toHaveLength(1)
    const post = await runPost(result, { inputs: {}, env: { ...local.env }, cwd: ROOT })
    expect(post.exitCode).toBe(0)
    expect(post.stdout).toContain(`Stopped ${arn[0]}`)
    expect(local.ecs.describe(arn[0] ?? '')?.desiredStatus).toBe('STOPPED')
  })

  it('stops the task when the timeout is reached and fails saying so', async () => {
    const result = await main(local, { env: 'SIM_RUN_SECONDS=forever', timeout: '3' })
    expect(result.exitCode).toBe(1)
    const arn = result.outputs['task-arn'] ?? ''
    expect(errors(result)).toEqual([`Timed out after 3s waiting for ${arn} to stop`])
    const task = local.ecs.describe(arn)
    expect(task?.stoppedReason).toMatch(/the timeout of 3s was reached/)
    // The wait went on until ECS stopped the task, so the outputs say how it ended.
    expect(result.outputs['stop-code']).toBe('UserInitiated')
    expect(result.outputs['exit-code']).toBe('143')
  })

  it('waits through DescribeTasks with notification-prefix: none', async () => {
    const before = { ...local.stats().ecs.calls }
    const result = await main(local, { 'notification-prefix': 'none', env: 'SIM_EXIT_CODE=2' })
    expect(result.outputs['exit-code']).toBe('2')
    const calls = callsSince(local, before)
    expect(calls.DescribeTasks).toBeGreaterThan(0)
  })

  it('rejects a bad definition before any AWS call, naming file and key', async () => {
    const before = { ...local.stats().ecs.calls }
    const result = await runAction({
      inputs: { definition: '__fixtures__/e2e/bad.yml' },
      env: { ...local.env },
      cwd: ROOT
    })
    expect(result.exitCode).toBe(1)
    expect(errors(result)).toEqual([
      expect.stringContaining('__fixtures__/e2e/bad.yml:9:3: app.cpu: ')
    ])
    expect(errors(result)[0]).toContain(
      "__fixtures__/e2e/bad.yml:8:3: app.memroy: unknown key; did you mean 'memory'?"
    )
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /)
    expect(callsSince(local, before)).toEqual({})
  })
})

describe('dist/index.js when the notifier loses or repeats events', () => {
  it('finds the stop through one DescribeTasks after verify-interval when STOPPED events are lost', async () => {
    const local = await withLocal({ delivery: { dropStatuses: ['STOPPED'] } })
    try {
      const result = await main(local, { 'verify-interval': '3', env: 'SIM_EXIT_CODE=4' })
      expect(result.outputs['exit-code']).toBe('4')
      // Within a minute of the stop the event may still be in flight, so this is logged as
      // information, and the task's end is taken from ECS.
      expect(result.stdout).toMatch(
        /ECS reports task [0-9a-f]{32} STOPPED at .*, but s3:\/\/oneshot-notifications\/oneshot\/arn:aws:ecs:.*\/stopped\.json has not appeared; finishing from the DescribeTasks answer\./
      )
      expect(local.stats().ecs.calls.DescribeTasks).toBe(1)
    } finally {
      await local.close()
    }
  })

  it('ends the same way when every event is delivered twice', async () => {
    const local = await withLocal({ delivery: { duplicateProbability: 1 } })
    try {
      const result = await main(local, { env: 'SIM_EXIT_CODE=5' })
      expect(result.outputs['exit-code']).toBe('5')
      expect(warnings(result)).toEqual([])
      expect(local.stats().ecs.calls.DescribeTasks).toBeUndefined()
    } finally {
      await local.close()
    }
  })
})

describe('dist/index.js in a register race', () => {
  /** 30 processes start on this machine's few cores in tens of seconds; not a timing goal. */
  const RACE_TIMEOUT_MS = 300_000
  /** Every job's outputs, ECS calls and throttled answers of one race. */
  async function race(local: LocalAws, jobs: number, inputs: Record<string, string> = {}) {
    const before = local.stats().ecs
    const results = await Promise.all(
      Array.from({ length: jobs }, (_, i) =>
        // No log reads: 30 tasks stopping together would share the simulated Logs quota, and a
        // throttled tail's one warning is not what these races are about.
        main(local, {
          tag: 'race',
          env: `SIM_RUN_SECONDS=1\nSHARD=${i}`,
          'follow-logs': 'false',
          'log-lines': '0',
          ...inputs
        })
      )
    )
    const after = local.stats().ecs
    const since = (now: Record<string, number>, then: Record<string, number>, op: string) =>
      (now[op] ?? 0) - (then[op] ?? 0)
    return {
      results,
      calls: (op: string) => since(after.calls, before.calls, op),
      throttled: (op: string) => since(after.throttled, before.throttled, op),
      arns: new Set(results.map((r) => r.outputs['task-definition-arn'])),
      registered: results.filter((r) => r.outputs.registered === 'true').length
    }
  }

  it(
    '30 jobs starting together on a changed definition register exactly one revision and all run it; the next 30 hit the cache',
    async () => {
      // ECS refuses a registration of a family while another is in progress (docs/limits.md,
      // "Registration"); the simulator does so for 2 s after one, and shows a new revision to
      // DescribeTaskDefinition only 0.1 s later.
      const local = await withLocal({ timings: { registerConflictSeconds: 20 } })
      try {
        const first = await race(local, 30)
        expect(first.results.map((r) => r.exitCode)).toEqual(Array(30).fill(0))
        expect(first.results.flatMap(errors)).toEqual([])
        expect(first.results.flatMap(warnings)).toEqual([])
        expect(first.calls('RegisterTaskDefinition')).toBe(1)
        expect(first.calls('DescribeTaskDefinition')).toBe(1)
        expect(first.throttled('RegisterTaskDefinition')).toBe(0)
        expect(first.throttled('DescribeTaskDefinition')).toBe(0)
        expect(first.arns).toEqual(
          new Set(['arn:aws:ecs:ap-northeast-1:123456789012:task-definition/oneshot-oneshot:1'])
        )
        expect(first.registered).toBe(1)

        const again = await race(local, 30)
        expect(again.results.map((r) => r.exitCode)).toEqual(Array(30).fill(0))
        expect(again.calls('RegisterTaskDefinition')).toBe(0)
        expect(again.calls('DescribeTaskDefinition')).toBe(0)
        expect(again.calls('RunTask')).toBe(30)
        expect(again.arns).toEqual(first.arns)
        expect(again.registered).toBe(0)
        for (const r of again.results) {
          expect(r.stdout).toMatch(
            /Task definition from s3:\/\/oneshot-notifications\/oneshot\/task-definitions\/oneshot-oneshot\/[0-9a-f]{64}\.json: arn:aws:ecs:/
          )
        }
      } finally {
        await local.close()
      }
    },
    RACE_TIMEOUT_MS
  )

  it(
    'without s3:PutObject on the cache path: every job runs, each warns once naming the statement, at most 3 revisions',
    async () => {
      const local = await withLocal({
        timings: { registerConflictSeconds: 20 },
        s3DenyPut: (key) => key.includes('/task-definitions/')
      })
      try {
        const { results, arns, registered } = await race(local, 30)
        expect(results.map((r) => r.exitCode)).toEqual(Array(30).fill(0))
        for (const r of results) {
          const w = warnings(r)
          expect(w).toHaveLength(1)
          expect(w[0]).toContain(
            '{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::oneshot-notifications/oneshot/task-definitions/*"}'
          )
        }
        expect(registered).toBeGreaterThanOrEqual(1)
        expect(registered).toBeLessThanOrEqual(3)
        expect(arns.size).toBeLessThanOrEqual(3)
      } finally {
        await local.close()
      }
    },
    RACE_TIMEOUT_MS
  )

  it(
    'replaces a cached revision that was deregistered since, once, and runs the new one',
    async () => {
      const local = await withLocal()
      const ecs = new ECSClient(local.clientConfig('ecs'))
      try {
        const first = await main(local, { tag: 'stale' })
        const rev1 = first.outputs['task-definition-arn'] ?? ''
        expect(rev1).toMatch(/task-definition\/oneshot-oneshot:1$/)
        await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: rev1 }))

        const second = await main(local, { tag: 'stale' })
        expect(second.exitCode).toBe(0)
        const rev2 = rev1.replace(/:1$/, ':2')
        expect(second.outputs['task-definition-arn']).toBe(rev2)
        expect(second.outputs.registered).toBe('true')
        const w = warnings(second)
        expect(w).toHaveLength(2)
        expect(w[0]).toMatch(
          new RegExp(
            `^RunTask refused ${rev1} from the task definition cache \\(.*TaskDefinition is inactive.*\\); resolving the task definition again$`
          )
        )
        expect(w[1]).toMatch(
          new RegExp(`^${rev1} from s3://.*\\.json can no longer run; resolving it again$`)
        )

        const third = await main(local, { tag: 'stale' })
        expect(third.outputs['task-definition-arn']).toBe(rev2)
        expect(third.outputs.registered).toBe('false')
        expect(warnings(third)).toEqual([])
      } finally {
        ecs.destroy()
        await local.close()
      }
    },
    RACE_TIMEOUT_MS
  )
})

describe('dist/index.js fanning out from one job', () => {
  let local: LocalAws
  beforeAll(async () => {
    local = await withLocal()
  })
  afterAll(async () => {
    await local.close()
  })

  it('runs count: 50 tasks, at most 20 at once, with one RunTask each and no other ECS call', async () => {
    const result = await main(local, { count: '50', 'max-parallel': '20', 'launch-rate': '20' })
    expect(result.exitCode).toBe(0)
    expect(errors(result)).toEqual([])
    expect(result.outputs.succeeded).toBe('50')
    expect(result.outputs.failed).toBe('0')
    expect(JSON.parse(result.outputs['exit-codes'] ?? '')).toEqual(Array(50).fill(0))
    const arns = JSON.parse(result.outputs['task-arns'] ?? '') as string[]
    expect(new Set(arns).size).toBe(50)
    // Each task saw its own index (ONESHOT_INDEX) and the count.
    const envOf = (arn: string): Record<string, string> => {
      const task = local.ecs.describe(arn) as {
        overrides?: { containerOverrides?: { environment?: { name: string; value: string }[] }[] }
      }
      const env = task.overrides?.containerOverrides?.[0]?.environment ?? []
      return Object.fromEntries(env.map((e) => [e.name, e.value]))
    }
    expect(arns.map((arn) => envOf(arn).ONESHOT_INDEX)).toEqual(
      Array.from({ length: 50 }, (_, i) => String(i))
    )
    expect(envOf(arns[0] ?? '').ONESHOT_COUNT).toBe('50')
    // Never more than max-parallel tasks alive at once.
    const timelines = local.stats().tasks
    let peak = 0
    for (const t of timelines) {
      const alive = timelines.filter(
        (u) => u.createdAt <= t.createdAt && (u.stoppedAt ?? Infinity) > t.createdAt
      ).length
      peak = Math.max(peak, alive)
    }
    expect(peak).toBeLessThanOrEqual(20)
    const calls = local.stats().ecs.calls
    expect(calls).toEqual({ DescribeTaskDefinition: 1, RegisterTaskDefinition: 1, RunTask: 50 })
    expect(result.summary).toContain('50 succeeded')
  }, 120_000)

  it('runs count: 1 as a set of one: its ONESHOT_INDEX and ONESHOT_COUNT, and the one-task report', async () => {
    const result = await main(local, { count: '1', env: 'STEP=s' })
    expect(result.exitCode).toBe(0)
    expect(errors(result)).toEqual([])
    const arn = result.outputs['task-arn'] ?? ''
    const id = arn.split('/').pop() ?? ''
    expect(result.outputs).toMatchObject({
      'task-id': id,
      'exit-code': '0',
      'task-arns': JSON.stringify([arn]),
      'exit-codes': '[0]',
      succeeded: '1',
      failed: '0'
    })
    const task = local.ecs.describe(arn) as {
      overrides?: { containerOverrides?: { environment?: { name: string; value: string }[] }[] }
    }
    expect(task.overrides?.containerOverrides?.[0]?.environment).toEqual([
      { name: 'STEP', value: 's' },
      { name: 'ONESHOT_INDEX', value: '0' },
      { name: 'ONESHOT_COUNT', value: '1' }
    ])
    expect(result.summary).toContain(`### ECS task ${id}: ✅ succeeded`)
  })

  it('runs a one-element tasks list with its own command and env', async () => {
    const result = await main(local, {
      command: 'echo step',
      env: 'STEP=s',
      tasks: JSON.stringify([{ command: ['echo', 'own'], env: { SHARD: '7', SIM_EXIT_CODE: '3' } }])
    })
    expect(result.exitCode).toBe(1)
    const arn = result.outputs['task-arn'] ?? ''
    const id = arn.split('/').pop() ?? ''
    expect(errors(result)).toEqual([
      `Task ${id} exited with code 3; stop code EssentialContainerExited; stopped reason: Essential container in task exited`
    ])
    expect(result.outputs['exit-codes']).toBe('[3]')
    const task = local.ecs.describe(arn) as {
      overrides?: {
        containerOverrides?: {
          command?: string[]
          environment?: { name: string; value: string }[]
        }[]
      }
    }
    const app = task.overrides?.containerOverrides?.[0]
    expect(app?.command).toEqual(['echo', 'own'])
    expect(app?.environment).toEqual([
      { name: 'STEP', value: 's' },
      { name: 'SHARD', value: '7' },
      { name: 'SIM_EXIT_CODE', value: '3' }
    ])
  })

  it('reports mixed results from tasks, failures first, and fails naming them', async () => {
    const tasks = JSON.stringify([
      { env: { SIM_EXIT_CODE: '0' } },
      { env: { SIM_EXIT_CODE: '2' } },
      { env: { SIM_PULL_FAILURE: '1' } }
    ])
    const result = await main(local, { tasks })
    expect(result.exitCode).toBe(1)
    expect(JSON.parse(result.outputs['exit-codes'] ?? '')).toEqual([0, 2, 127])
    expect(result.outputs.succeeded).toBe('1')
    expect(result.outputs.failed).toBe('2')
    const [annotation] = errors(result)
    expect(annotation).toMatch(/^2 of 3 tasks failed/)
    expect(annotation).toContain('#1')
    expect(annotation).toContain('#2')
  })

  it('stops every started task when cancelled mid-wait', async () => {
    const result = await main(
      local,
      { count: '5', env: 'SIM_RUN_SECONDS=forever' },
      {
        signal: {
          name: 'SIGINT',
          when: (out) => (out.match(/Started task: /g) ?? []).length >= 5
        }
      }
    )
    expect(result.exitCode).toBe(1)
    const arns = JSON.parse(result.state.taskArns ?? '[]') as string[]
    expect(arns).toHaveLength(5)
    for (const arn of arns) expect(local.ecs.describe(arn)?.desiredStatus).toBe('STOPPED')
    const post = await runPost(result, { inputs: {}, env: { ...local.env }, cwd: ROOT })
    expect(post.stdout).toContain('::debug::post: no task left to stop')
  })
})
