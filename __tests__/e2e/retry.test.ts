/**
 * End to end: retries by rule and re-runs, with the bundle as the runner runs it against the
 * local simulator, whose failure injection (sim/faults.ts) reclaims Spot tasks, throttles image
 * pulls and times out ENIs on chosen attempts. The simulator runs at a tenth of real time.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { resolve } from 'node:path'
import { runAction, type ActionResult } from '../../sim/action-runner.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const DEFINITION = '__fixtures__/e2e/oneshot.yml'
const GITHUB = {
  GITHUB_REPOSITORY: 'acme/batch',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'shard',
  GITHUB_SERVER_URL: 'https://github.com'
}

function main(
  local: LocalAws,
  inputs: Record<string, string>,
  env: Record<string, string>
): Promise<ActionResult> {
  return runAction({
    inputs: {
      definition: DEFINITION,
      'notification-prefix': local.prefix,
      'poll-interval': '0.2',
      ...inputs
    },
    env: { ...local.env, ...GITHUB, GITHUB_ACTION: `__run_${env.GITHUB_RUN_ID ?? ''}`, ...env },
    cwd: ROOT
  })
}

function errors(result: ActionResult): string[] {
  return result.stdout
    .split('\n')
    .filter((l) => l.startsWith('::error::'))
    .map((l) => l.slice('::error::'.length))
}

/**
 * Spot reclaims the first attempt 1 s into a 20 s run, so the app is surely still running (an
 * app that finishes during the stop exits 0 and is done, whatever the stop code).
 */
const SPOT_ENV = { SIM_SPOT_INTERRUPTION: '1', SIM_SPOT_AFTER_SECONDS: '1', SIM_RUN_SECONDS: '20' }
const SPOT = Object.entries(SPOT_ENV)
  .map(([k, v]) => `${k}=${v}`)
  .join('\n')

const startedSince = (local: LocalAws, before: number): number =>
  local.stats().tasks.length - before

describe('retries and re-runs against the local simulator', () => {
  let local: LocalAws
  beforeAll(async () => {
    local = await startLocalAws({ timeScale: 0.1 })
  })
  afterAll(async () => {
    await local.close()
  })

  it('one task, one Spot interruption: exit 0, attempts 2, both attempts in the summary', async () => {
    const before = local.stats().tasks.length
    const result = await main(
      local,
      { env: `${SPOT}\nSIM_LOG_LINES=["working"]`, 'log-lines': '5' },
      { GITHUB_RUN_ID: '9001' }
    )
    expect(errors(result)).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({
      'exit-code': '0',
      attempts: '2',
      'task-attempts': '[2]',
      'run-attempts': '[1]',
      'stop-code': 'EssentialContainerExited'
    })
    expect(startedSince(local, before)).toBe(2)
    expect(result.stdout).toContain(
      'The task ended by infrastructure (spot-interruption) on attempt 1 of 3: starting attempt 2 (the default rule (kind=infrastructure))'
    )
    expect(result.summary).toContain('#### Attempts (1 task(s) retried, 2 attempts)')
    expect(result.summary).toContain('| SpotInterruption | Your Spot Task was interrupted&#46; |')
  })

  it('an app exit is not retried by default: one task, exit code 3, attempts 1', async () => {
    const before = local.stats().tasks.length
    const result = await main(local, { env: 'SIM_EXIT_CODE=3' }, { GITHUB_RUN_ID: '9002' })
    expect(result.exitCode).toBe(1)
    expect(result.outputs).toMatchObject({ 'exit-code': '3', attempts: '1' })
    expect(startedSince(local, before)).toBe(1)
  })

  it('a pull rate limit, then an ENI timeout, then success: attempts 3', async () => {
    const before = local.stats().tasks.length
    const result = await main(
      local,
      { env: 'SIM_PULL_THROTTLE=1\nSIM_ENI_TIMEOUT=2' },
      { GITHUB_RUN_ID: '9003' }
    )
    expect(errors(result)).toEqual([])
    expect(result.outputs).toMatchObject({ 'exit-code': '0', attempts: '3' })
    expect(startedSince(local, before)).toBe(3)
    expect(result.stdout).toContain(
      'The task ended by start-transient (pull-rate-limit) on attempt 1 of 3: starting attempt 2'
    )
    expect(result.stdout).toContain(
      'The task ended by start-transient (eni-timeout) on attempt 2 of 3: starting attempt 3'
    )
  })

  it('ten tasks, three interrupted: 13 tasks started, all ten succeed', async () => {
    const before = local.stats().tasks.length
    const tasks = Array.from({ length: 10 }, (_, i) => ({
      env: {
        N: String(i),
        SIM_LOG_LINES: 'working',
        ...([2, 5, 7].includes(i) ? SPOT_ENV : {})
      }
    }))
    const result = await main(
      local,
      { tasks: JSON.stringify(tasks), 'log-lines': '2' },
      { GITHUB_RUN_ID: '9004' }
    )
    expect(errors(result)).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(startedSince(local, before)).toBe(13)
    expect(result.outputs).toMatchObject({
      succeeded: '10',
      failed: '0',
      'task-attempts': '[1,1,2,1,1,2,1,2,1,1]',
      'exit-codes': '[0,0,0,0,0,0,0,0,0,0]'
    })
    // Each interrupted attempt's tail under its own header.
    expect(result.stdout).toMatch(/Last \d+ log lines of task #2 attempt 1 \(exit code 143\)/)
    expect(result.summary).toContain('#### Attempts (3 task(s) retried, 6 attempts)')
  })

  it('a re-run after 2 failed tasks of 6 starts those 2, and the outputs carry all 6', async () => {
    const tasks = Array.from({ length: 6 }, (_, i) => ({
      env: { N: String(i), ...([1, 4].includes(i) ? SPOT_ENV : {}) }
    }))
    const inputs = { tasks: JSON.stringify(tasks), attempts: '1' }
    const first = await main(local, inputs, { GITHUB_RUN_ID: '9005' })
    expect(first.exitCode).toBe(1)
    expect(first.outputs).toMatchObject({
      succeeded: '4',
      failed: '2',
      'run-attempts': '[1,1,1,1,1,1]'
    })
    const firstArns = JSON.parse(first.outputs['task-arns'] ?? '[]') as string[]

    const before = local.stats().tasks.length
    const rerun = await main(local, inputs, { GITHUB_RUN_ID: '9005', GITHUB_RUN_ATTEMPT: '2' })
    expect(errors(rerun)).toEqual([])
    expect(rerun.exitCode).toBe(0)
    expect(startedSince(local, before)).toBe(2)
    expect(rerun.stdout).toContain(
      'Run attempt 2: 4 of 6 tasks succeeded in an earlier attempt; starting the other 2 (rerun: failed)'
    )
    expect(rerun.outputs).toMatchObject({
      succeeded: '6',
      failed: '0',
      'exit-codes': '[0,0,0,0,0,0]',
      'run-attempts': '[1,2,1,1,2,1]',
      'task-attempts': '[1,1,1,1,1,1]'
    })
    const arns = JSON.parse(rerun.outputs['task-arns'] ?? '[]') as string[]
    expect([0, 2, 3, 5].map((i) => arns[i])).toEqual([0, 2, 3, 5].map((i) => firstArns[i]))
    expect(arns[1]).not.toBe(firstArns[1])
    expect(rerun.summary).toContain('#### Re-run (attempt 2)')

    // rerun: all starts every task again.
    const all = local.stats().tasks.length
    const again = await main(
      local,
      { ...inputs, rerun: 'all' },
      { GITHUB_RUN_ID: '9005', GITHUB_RUN_ATTEMPT: '3' }
    )
    expect(again.exitCode).toBe(0)
    expect(startedSince(local, all)).toBe(6)
  })

  it('a runner lost right after RunTask: the re-run starts no second task and ends with its exit code', async () => {
    const inputs = { env: 'SIM_RUN_SECONDS=30' }
    const before = local.stats().tasks.length
    const lost = await runAction({
      inputs: {
        definition: DEFINITION,
        'notification-prefix': local.prefix,
        'poll-interval': '0.2',
        ...inputs
      },
      env: { ...local.env, ...GITHUB, GITHUB_RUN_ID: '9006', GITHUB_ACTION: '__run_9006' },
      cwd: ROOT,
      signal: { name: 'SIGKILL', when: (out) => out.includes('Started task:') }
    })
    expect(lost.signalledAt).toBeDefined()
    expect(startedSince(local, before)).toBe(1)
    const rerun = await main(local, inputs, { GITHUB_RUN_ID: '9006', GITHUB_RUN_ATTEMPT: '2' })
    expect(errors(rerun)).toEqual([])
    expect(rerun.exitCode).toBe(0)
    expect(startedSince(local, before)).toBe(1)
    expect(rerun.outputs).toMatchObject({ 'exit-code': '0', 'run-attempts': '[2]' })
  })

  it('on-timeout: detach leaves the task running; a re-run adopts it, mode: wait and mode: summary see it', async () => {
    const inputs = { env: 'SIM_RUN_SECONDS=60', timeout: '1s', 'on-timeout': 'detach' }
    const before = local.stats().tasks.length
    const first = await main(local, inputs, { GITHUB_RUN_ID: '9007' })
    expect(errors(first)).toEqual([])
    expect(first.exitCode).toBe(0)
    expect(first.stdout).toContain('on-timeout is detach')
    const arn = first.outputs['task-arn'] ?? ''
    expect(arn).toMatch(/^arn:aws:ecs:/)

    // Another job of the same run waits on whatever the ledger shows running.
    const waited = await main(
      local,
      { mode: 'wait' },
      { GITHUB_RUN_ID: '9007', GITHUB_JOB: 'final' }
    )
    expect(errors(waited)).toEqual([])
    expect(waited.exitCode).toBe(0)
    expect(waited.outputs).toMatchObject({ 'task-arn': arn, 'exit-code': '0' })
    expect(startedSince(local, before)).toBe(1)

    const summary = await main(
      local,
      { mode: 'summary' },
      { GITHUB_RUN_ID: '9007', GITHUB_JOB: 'report' }
    )
    expect(errors(summary)).toEqual([])
    expect(summary.outputs).toMatchObject({ total: '1', succeeded: '1', failed: '0', running: '0' })
  })

  it('a re-run adopts a detached task still running instead of starting it again', async () => {
    const inputs = { env: 'SIM_RUN_SECONDS=60', timeout: '1s', 'on-timeout': 'detach' }
    const first = await main(local, inputs, { GITHUB_RUN_ID: '9009' })
    expect(first.exitCode).toBe(0)
    const arn = first.outputs['task-arn'] ?? ''
    const before = local.stats().tasks.length
    const rerun = await main(
      local,
      { env: 'SIM_RUN_SECONDS=60' },
      { GITHUB_RUN_ID: '9009', GITHUB_RUN_ATTEMPT: '2' }
    )
    expect(errors(rerun)).toEqual([])
    expect(rerun.exitCode).toBe(0)
    expect(startedSince(local, before)).toBe(0)
    expect(rerun.stdout).toContain(
      `was started by an earlier run attempt and its end was not recorded: waiting on ${arn}`
    )
    expect(rerun.outputs).toMatchObject({ 'task-arn': arn, 'exit-code': '0' })
    expect(rerun.summary).toContain(
      '1 task(s) started by an earlier attempt, whose end it never recorded, were adopted and ' +
        'waited on, not started again: #0.'
    )
  })

  it('mode: wait names an ARN of another region, or a task ECS does not know, by its input', async () => {
    const other = await main(
      local,
      {
        mode: 'wait',
        'task-arns': 'arn:aws:ecs:eu-west-1:123456789012:task/batch/0123456789abcdef'
      },
      { GITHUB_RUN_ID: '9010' }
    )
    expect(other.exitCode).toBe(1)
    expect(errors(other)).toEqual([
      "Input 'task-arns' names arn:aws:ecs:eu-west-1:123456789012:task/batch/0123456789abcdef, " +
        "a task in region eu-west-1, but this step waits in ap-northeast-1: set 'task-arns' to " +
        "tasks of this step's cluster and region"
    ])
    const unknown = await main(
      local,
      {
        mode: 'wait',
        'task-arns': 'arn:aws:ecs:ap-northeast-1:123456789012:task/e2e/feedfacefeedface'
      },
      { GITHUB_RUN_ID: '9010' }
    )
    expect(unknown.exitCode).toBe(1)
    expect(errors(unknown)[0]).toMatch(
      /^Input 'task-arns': ECS does not know task feedfacefeedface in cluster 'e2e' \(ap-northeast-1\): .*, and its stopped\.json is not in the notification bucket\. Check the ARN/
    )
  })
})
