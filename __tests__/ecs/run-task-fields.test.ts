import { describe, expect, it } from '@jest/globals'
import {
  defaultStartedBy,
  launchTags,
  MAX_TAGS,
  newClientToken,
  sanitizeStartedBy
} from '../../src/ecs/run-task-fields.js'
import { UserError } from '../../src/util/errors.js'
import { gitHubContextOf } from '../../src/util/github.js'

const ENV = {
  GITHUB_REPOSITORY: 'octo-org/batch',
  GITHUB_RUN_ID: '9876543210',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_JOB: 'shard'
}

describe('defaultStartedBy', () => {
  it.each([
    [ENV, 'gha-9876543210-2'],
    [{ GITHUB_RUN_ID: '42' }, 'gha-42-1'],
    [{}, 'hako-oneshot-action']
  ])('%j -> %s', (env, expected) => {
    expect(defaultStartedBy(gitHubContextOf(env))).toBe(expected)
  })

  it('keeps to ECS rule: letters, numbers, hyphens, underscores, at most 128', () => {
    expect(sanitizeStartedBy('hako oneshot')).toBe('hako_oneshot')
    expect(sanitizeStartedBy('x'.repeat(200))).toBe('x'.repeat(128))
  })
})

describe('launchTags', () => {
  it('puts user tags first, then tags naming the repository, run, attempt and job', () => {
    expect(
      launchTags(gitHubContextOf(ENV), { team: 'data', 'cost center': 'batch/nightly' })
    ).toEqual([
      { key: 'team', value: 'data' },
      { key: 'cost center', value: 'batch/nightly' },
      { key: 'github:repository', value: 'octo-org/batch' },
      { key: 'github:run-id', value: '9876543210' },
      { key: 'github:run-attempt', value: '2' },
      { key: 'github:job', value: 'shard' }
    ])
  })

  it('lets a user tag win over ours, skips unset ones, and sanitises and truncates ours', () => {
    expect(
      launchTags(
        gitHubContextOf({ GITHUB_REPOSITORY: 'o/r', GITHUB_JOB: `build(${'j'.repeat(300)})` }),
        { 'github:repository': 'mine' }
      )
    ).toEqual([
      { key: 'github:repository', value: 'mine' },
      { key: 'github:job', value: `build_${'j'.repeat(250)}` }
    ])
  })

  it('adds the deadline after the user tags and before the GitHub ones, in epoch seconds', () => {
    expect(launchTags(gitHubContextOf(ENV), { team: 'data' }, 1_796_184_000)).toEqual([
      { key: 'team', value: 'data' },
      { key: 'hako-oneshot:deadline', value: '1796184000' },
      { key: 'github:repository', value: 'octo-org/batch' },
      { key: 'github:run-id', value: '9876543210' },
      { key: 'github:run-attempt', value: '2' },
      { key: 'github:job', value: 'shard' }
    ])
    // A deadline the user set through `tags` wins, like any of ours.
    expect(
      launchTags(gitHubContextOf({}), { 'hako-oneshot:deadline': '1700000000' }, 1_796_184_000)
    ).toEqual([{ key: 'hako-oneshot:deadline', value: '1700000000' }])
  })

  it('keeps the deadline when only one tag is left under the limit', () => {
    const user = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v']))
    expect(launchTags(gitHubContextOf(ENV), user, 1_796_184_000).slice(49)).toEqual([
      { key: 'hako-oneshot:deadline', value: '1796184000' }
    ])
  })

  it('stops adding ours at the 50-tag limit', () => {
    const user = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`k${i}`, 'v']))
    const tags = launchTags(gitHubContextOf(ENV), user)
    expect(tags).toHaveLength(MAX_TAGS)
    expect(tags.slice(48)).toEqual([
      { key: 'github:repository', value: 'octo-org/batch' },
      { key: 'github:run-id', value: '9876543210' }
    ])
  })

  it.each([
    [
      { 'aws:owner': 'x' },
      "Input 'tags': tag 'aws:owner': keys starting with 'aws:' are reserved by AWS. Rename the key."
    ],
    [
      { 'AWS:owner': 'x' },
      "Input 'tags': tag 'AWS:owner': keys starting with 'aws:' are reserved by AWS. Rename the key."
    ],
    [
      { ['k'.repeat(129)]: 'x' },
      `Input 'tags': tag '${'k'.repeat(129)}': the key must be 1 to 128 characters long.`
    ],
    [
      { k: 'v'.repeat(257) },
      "Input 'tags': tag 'k': the value must be at most 256 characters long."
    ],
    [
      { 'a*b': 'x' },
      "Input 'tags': tag 'a*b': keys and values may hold only letters, numbers, spaces and _ . : / = + - @"
    ],
    [
      { k: 'semi;colon' },
      "Input 'tags': tag 'k': keys and values may hold only letters, numbers, spaces and _ . : / = + - @"
    ],
    [
      Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])),
      "Input 'tags' has 51 tags; ECS allows at most 50 on a task. Remove some."
    ]
  ])('rejects %j', (user, message) => {
    expect(() => launchTags(gitHubContextOf(ENV), user)).toThrow(new UserError(message))
  })

  it('accepts unicode letters and the allowed punctuation', () => {
    expect(
      launchTags(gitHubContextOf({}), { チーム: 'データ', 'a_b.c:d/e=f+g-h@i': 'ok' })
    ).toEqual([
      { key: 'チーム', value: 'データ' },
      { key: 'a_b.c:d/e=f+g-h@i', value: 'ok' }
    ])
  })
})

describe('newClientToken', () => {
  it('is a fresh UUID within 64 characters', () => {
    const a = newClientToken()
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a.length).toBeLessThanOrEqual(64)
    expect(newClientToken()).not.toBe(a)
  })
})
