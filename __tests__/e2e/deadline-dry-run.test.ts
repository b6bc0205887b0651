/**
 * The deadline tag in `mode: dry-run` through the bundle (__tests__/setup/bundle.js): what a
 * GitHub-hosted job and a self-hosted one would send (docs/deadlines.md, "Which deadline a task gets").
 */
import { describe, expect, it } from '@jest/globals'
import { resolve } from 'node:path'
import type { RunTaskCommandInput } from '@aws-sdk/client-ecs'
import { runAction } from '../../sim/action-runner.js'

const ROOT = resolve(import.meta.dirname, '..', '..')

async function dryRun(inputs: Record<string, string>, env: Record<string, string>) {
  const result = await runAction({
    inputs: {
      definition: '__fixtures__/definitions/dry-run/batch.yml',
      mode: 'dry-run',
      ...inputs
    },
    env: { GITHUB_REPOSITORY: 'acme/batch', GITHUB_RUN_ID: '99', ...env },
    cwd: ROOT
  })
  expect(result.exitCode).toBe(0)
  const request = JSON.parse(result.outputs['run-task-request'] ?? '') as RunTaskCommandInput
  const deadline = request.tags?.find((t) => t.key === 'hako-oneshot:deadline')?.value
  // The start lies within the process's life, rounded up to the second.
  const first = Math.ceil(result.startedAt / 1000)
  const last = Math.ceil((result.startedAt + result.durationMs) / 1000)
  return { deadline, first, last, tags: request.tags ?? [] }
}

describe('the deadline tag in the dry-run RunTask request', () => {
  it('on a GitHub-hosted runner: start + 6 h + 5 min, first of the tags the action adds', async () => {
    const { deadline, first, last, tags } = await dryRun(
      {},
      { RUNNER_ENVIRONMENT: 'github-hosted' }
    )
    expect(Number(deadline)).toBeGreaterThanOrEqual(first + 21_900)
    expect(Number(deadline)).toBeLessThanOrEqual(last + 21_900)
    expect(tags.map((t) => t.key)).toEqual([
      'hako-oneshot:deadline',
      'github:repository',
      'github:run-id'
    ])
  })

  it('with timeout: start + timeout + 5 min, also on a self-hosted runner', async () => {
    const { deadline, first, last } = await dryRun(
      { timeout: '45m' },
      { RUNNER_ENVIRONMENT: 'self-hosted' }
    )
    expect(Number(deadline)).toBeGreaterThanOrEqual(first + 2700 + 300)
    expect(Number(deadline)).toBeLessThanOrEqual(last + 2700 + 300)
  })

  it('on a self-hosted runner without timeout or max-run-time: no deadline', async () => {
    const { tags } = await dryRun({}, { RUNNER_ENVIRONMENT: 'self-hosted' })
    expect(tags.map((t) => t.key)).toEqual(['github:repository', 'github:run-id'])
  })
})
