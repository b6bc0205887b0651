import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { getPriority, tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  JOB_NICE,
  jobEnd,
  runScriptJob,
  stopSeenAt,
  taskExitCode,
  type JobOutcome
} from '../../bench/lib/jobs.js'
import type { RecordedRequest } from '../../bench/lib/proxy.js'

const request = (over: Partial<RecordedRequest>): RecordedRequest => ({
  appId: 'job-1',
  service: 's3',
  operation: 'GetObject',
  at: 1000,
  status: 200,
  throttled: false,
  answeredAt: 1010,
  sawStop: false,
  ...over
})

const outcome = (over: Partial<JobOutcome>): JobOutcome => ({
  id: 'job-1',
  exitCode: 0,
  startedAt: 0,
  endedAt: 9000,
  stdout: '',
  stderr: '',
  outputs: { 'exit-code': '0' },
  ...over
})

describe('stopSeenAt', () => {
  it('is the earliest answer that showed the stop, whatever the order recorded', () => {
    expect(
      stopSeenAt([
        request({ answeredAt: 5000, sawStop: true }),
        request({ answeredAt: 3000, sawStop: false }),
        request({ service: 'ecs', operation: 'DescribeTasks', answeredAt: 4000, sawStop: true })
      ])
    ).toBe(4000)
  })

  it('is undefined when no answer showed it', () => {
    expect(stopSeenAt([request({ status: 404 }), request({ answeredAt: undefined })])).toBe(
      undefined
    )
  })
})

describe('taskExitCode', () => {
  it.each([
    [{ 'exit-code': '0' }, 0],
    [{ 'exit-code': '137' }, 137],
    [{ 'exit-code': '' }, undefined],
    [{}, undefined]
  ])('%j -> %s', (outputs, expected) => {
    expect(taskExitCode(outputs)).toBe(expected)
  })
})

describe('jobEnd', () => {
  const seen = [request({ answeredAt: 7000, sawStop: true })]

  it('counts a job by its exit code, its outputs and its answers, whatever its log says', () => {
    // The same job with two wordings of its log: once the old "Task ... stopped" line, once
    // other words entirely. Both count the same.
    const worded = outcome({ stdout: 'Task 0123 stopped at 2025-06-01T00:00:07Z\n' })
    const reworded = outcome({ stdout: 'The container is done (0123), all good\n' })
    expect(jobEnd(worded, seen)).toEqual({ taskExitCode: 0, noticedAt: 7000, ok: true })
    expect(jobEnd(reworded, seen)).toEqual({ taskExitCode: 0, noticedAt: 7000, ok: true })
  })

  it('does not take a stop line in the log for a stop seen', () => {
    const o = outcome({ stdout: 'Task 0123 is STOPPED\nECS reports task 0123 STOPPED\n' })
    expect(jobEnd(o, [request({ status: 404 })])).toEqual({ taskExitCode: 0, ok: false })
  })

  it('fails a job whose task exited non-zero, or whose step failed, or that reported no exit code', () => {
    expect(jobEnd(outcome({ exitCode: 1, outputs: { 'exit-code': '3' } }), seen)).toEqual({
      taskExitCode: 3,
      noticedAt: 7000,
      ok: false
    })
    expect(jobEnd(outcome({ exitCode: 1 }), seen).ok).toBe(false)
    expect(jobEnd(outcome({ outputs: {} }), seen)).toEqual({ noticedAt: 7000, ok: false })
  })
})

describe('runScriptJob', () => {
  it("reads the script's GITHUB_OUTPUT file back as its outputs", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-test-'))
    try {
      const script = join(dir, 'job.mjs')
      writeFileSync(
        script,
        "import { appendFileSync } from 'node:fs'\n" +
          "appendFileSync(process.env.GITHUB_OUTPUT, 'task-arn=arn:x\\nexit-code=4\\n')\n" +
          'console.log(process.env.AWS_SDK_UA_APP_ID)\n' +
          'process.exitCode = 4\n'
      )
      const o = await runScriptJob({ id: 'c-0001', script, env: {}, cwd: dir, killAfterMs: 30_000 })
      expect(o.outputs).toEqual({ 'task-arn': 'arn:x', 'exit-code': '4' })
      expect(o.exitCode).toBe(4)
      expect(o.stdout).toBe('c-0001\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('runs the job JOB_NICE nicer than the bench, so jobs cannot starve the simulator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-test-'))
    try {
      const script = join(dir, 'job.mjs')
      writeFileSync(script, "import { getPriority } from 'node:os'\nconsole.log(getPriority())\n")
      const o = await runScriptJob({ id: 'c-0002', script, env: {}, cwd: dir, killAfterMs: 30_000 })
      expect(JOB_NICE).toBe(10)
      expect(o.stdout).toBe(`${Math.min(19, getPriority() + JOB_NICE)}\n`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
