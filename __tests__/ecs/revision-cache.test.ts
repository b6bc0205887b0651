import { describe, expect, it } from '@jest/globals'
import {
  accountOfRequest,
  cacheKey,
  cacheResourceArn,
  isTrustedArn,
  parseEntry,
  requestDigest
} from '../../src/ecs/revision-cache.js'
import { registerRequest } from './fixtures.js'

const scope = { family: 'batch-oneshot', region: 'ap-northeast-1', account: '123456789012' }

describe('requestDigest and cacheKey', () => {
  it('addresses the request by content: sha256 hex under <prefix>/task-definitions/<family>/', () => {
    const key = cacheKey('oneshot', registerRequest('batch'))
    expect(key).toMatch(/^oneshot\/task-definitions\/batch-oneshot\/[0-9a-f]{64}\.json$/)
    expect(key).toBe(
      `oneshot/task-definitions/batch-oneshot/${requestDigest(registerRequest('batch'))}.json`
    )
    expect(cacheKey('', registerRequest('batch'))).toBe(
      `task-definitions/batch-oneshot/${requestDigest(registerRequest('batch'))}.json`
    )
  })

  it('gives the same digest to requests the comparison calls equal (order of sets, defaults, tags)', () => {
    const a = registerRequest('batch')
    const b = registerRequest('batch')
    const app = b.containerDefinitions?.[0]
    app?.environment?.reverse()
    b.containerDefinitions?.reverse()
    if (app) app.essential = true // ECS's default
    expect(requestDigest(b)).toBe(requestDigest(a))
  })

  it.each([
    [
      'a new image tag',
      (r: ReturnType<typeof registerRequest>) => {
        const app = r.containerDefinitions?.[0]
        if (app) app.image = `${app.image ?? ''}-2`
      }
    ],
    [
      'another tag value',
      (r: ReturnType<typeof registerRequest>) => {
        r.tags = [{ key: 'team', value: 'web' }]
      }
    ],
    [
      'another family',
      (r: ReturnType<typeof registerRequest>) => {
        r.family = 'other-oneshot'
      }
    ]
  ])('gives a different digest for %s', (_name, change) => {
    const changed = registerRequest('batch')
    change(changed)
    expect(requestDigest(changed)).not.toBe(requestDigest(registerRequest('batch')))
  })

  it('names the resource the role must be allowed to write', () => {
    expect(cacheResourceArn({ bucket: 'notes', prefix: 'oneshot' })).toBe(
      'arn:aws:s3:::notes/oneshot/task-definitions/*'
    )
    expect(cacheResourceArn({ bucket: 'notes', prefix: '' })).toBe(
      'arn:aws:s3:::notes/task-definitions/*'
    )
    expect(cacheResourceArn({ bucket: 'notes', prefix: 'oneshot', region: 'cn-north-1' })).toBe(
      'arn:aws-cn:s3:::notes/oneshot/task-definitions/*'
    )
  })
})

describe('parseEntry', () => {
  it.each([
    [
      '{"version":1,"state":"resolved","taskDefinitionArn":"arn:x","resolvedAt":"2026-12-01T00:00:00.000Z"}',
      {
        version: 1,
        state: 'resolved',
        taskDefinitionArn: 'arn:x',
        resolvedAt: '2026-12-01T00:00:00.000Z'
      }
    ],
    [
      '{"version":1,"state":"claimed","claimedAt":"t","claimant":"job a","extra":1}',
      { version: 1, state: 'claimed', claimedAt: 't', claimant: 'job a' }
    ],
    [
      '{"version":1,"state":"abandoned","claimant":"job a","reason":""}',
      { version: 1, state: 'abandoned', claimant: 'job a', reason: '' }
    ]
  ])('reads %s', (text, entry) => {
    expect(parseEntry(text)).toEqual(entry)
  })

  it.each([
    ['not JSON', '{"version":1,'],
    ['JSON null', 'null'],
    [
      'another version',
      '{"version":2,"state":"resolved","taskDefinitionArn":"a","resolvedAt":"t"}'
    ],
    ['a resolved entry without an ARN', '{"version":1,"state":"resolved","resolvedAt":"t"}'],
    [
      'an ARN that is not a string',
      '{"version":1,"state":"resolved","taskDefinitionArn":7,"resolvedAt":"t"}'
    ],
    ['an unknown state', '{"version":1,"state":"done"}'],
    ['an oversized object', `{"version":1,"pad":"${'x'.repeat(5000)}"}`]
  ])('ignores %s', (_name, text) => {
    expect(parseEntry(text)).toBeUndefined()
  })
})

describe('isTrustedArn', () => {
  it.each([
    ['arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:8', true],
    ['arn:aws:ecs:ap-northeast-1:123456789012:task-definition/other-oneshot:8', false],
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/batch-oneshot:8', false],
    ['arn:aws:ecs:ap-northeast-1:999999999999:task-definition/batch-oneshot:8', false],
    ['arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot', false],
    ['batch-oneshot:8', false],
    ['arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:8 ', false]
  ])('%s -> %s', (arn, trusted) => {
    expect(isTrustedArn(arn, scope)).toBe(trusted)
  })

  it('accepts any account when the account is not known', () => {
    expect(
      isTrustedArn('arn:aws:ecs:ap-northeast-1:999999999999:task-definition/batch-oneshot:8', {
        family: 'batch-oneshot',
        region: 'ap-northeast-1'
      })
    ).toBe(true)
  })

  it('takes the account from the task or execution role', () => {
    expect(accountOfRequest(registerRequest('batch'))).toBe('123456789012')
    expect(accountOfRequest({ family: 'f', containerDefinitions: [] })).toBeUndefined()
    expect(
      accountOfRequest({
        family: 'f',
        containerDefinitions: [],
        executionRoleArn: 'arn:aws:iam::210987654321:role/exec'
      })
    ).toBe('210987654321')
  })
})
