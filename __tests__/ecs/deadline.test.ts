import { describe, expect, it } from '@jest/globals'
import {
  DEADLINE_MARGIN_SECONDS,
  HOSTED_JOB_LIMIT_SECONDS,
  perAttemptSeconds,
  taskDeadline,
  withAttemptDeadline
} from '../../src/ecs/deadline.js'

// 2026-12-02T03:00:00.250Z: the quarter second rounds up.
const NOW = Date.UTC(2026, 11, 2, 3, 0, 0, 250)
const START = Date.UTC(2026, 11, 2, 3, 0, 1) / 1000
const HOSTED = { RUNNER_ENVIRONMENT: 'github-hosted' }
const SELF = { RUNNER_ENVIRONMENT: 'self-hosted' }

describe('taskDeadline', () => {
  it('has a five-minute margin and a six-hour hosted limit', () => {
    expect(DEADLINE_MARGIN_SECONDS).toBe(300)
    expect(HOSTED_JOB_LIMIT_SECONDS).toBe(21_600)
  })

  it.each([
    ['timeout while waiting', { timeoutSeconds: 1800, wait: true, env: SELF }, START + 2100],
    [
      'timeout over max-run-time and the hosted limit',
      { timeoutSeconds: 60, maxRunTimeSeconds: 7200, wait: true, env: HOSTED },
      START + 360
    ],
    [
      'max-run-time, without a margin',
      { maxRunTimeSeconds: 7200, wait: true, env: SELF },
      START + 7200
    ],
    [
      'max-run-time over the hosted limit',
      { maxRunTimeSeconds: 43_200, wait: true, env: HOSTED },
      START + 43_200
    ],
    [
      'max-run-time with wait: false (the timeout does not apply then)',
      { timeoutSeconds: 60, maxRunTimeSeconds: 900, wait: false, env: HOSTED },
      START + 900
    ],
    ['a GitHub-hosted runner', { wait: true, env: HOSTED }, START + 21_900],
    ['a self-hosted runner', { wait: true, env: SELF }, undefined],
    ['outside Actions', { wait: true, env: {} }, undefined],
    ['wait: false on a hosted runner', { wait: false, env: HOSTED }, undefined],
    ['timeout with wait: false', { timeoutSeconds: 60, wait: false, env: SELF }, undefined]
  ])('%s', (_, source, expected) => {
    expect(taskDeadline({ now: NOW, ...source })).toBe(expected)
  })
})

describe('perAttemptSeconds', () => {
  it.each([
    ['max-run-time alone', { maxRunTimeSeconds: 900, wait: true, env: HOSTED }, 900],
    [
      'max-run-time with wait: false',
      { timeoutSeconds: 60, maxRunTimeSeconds: 900, wait: false, env: SELF },
      900
    ],
    [
      'timeout decides while waiting',
      { timeoutSeconds: 60, maxRunTimeSeconds: 900, wait: true, env: SELF },
      undefined
    ],
    ['no max-run-time', { wait: true, env: HOSTED }, undefined]
  ])('%s', (_, source, expected) => {
    expect(perAttemptSeconds(source)).toBe(expected)
  })
})

describe('withAttemptDeadline', () => {
  const request = {
    cluster: 'batch',
    tags: [
      { key: 'team', value: 'data' },
      { key: 'hako-oneshot:deadline', value: '1' }
    ]
  }

  it('sets the tag to the launch, rounded up to the second, + the seconds, in its place', () => {
    expect(withAttemptDeadline(request, NOW, 600)).toStrictEqual({
      cluster: 'batch',
      tags: [
        { key: 'team', value: 'data' },
        { key: 'hako-oneshot:deadline', value: String(START + 600) }
      ]
    })
    // The request given is left as it was.
    expect(request.tags[1]).toStrictEqual({ key: 'hako-oneshot:deadline', value: '1' })
  })

  it('leaves a request without the tag, or without seconds, as it is', () => {
    const untagged = { cluster: 'batch', tags: [{ key: 'team', value: 'data' }] }
    expect(withAttemptDeadline(untagged, NOW, 600)).toBe(untagged)
    expect(withAttemptDeadline(request, NOW, undefined)).toBe(request)
  })
})
