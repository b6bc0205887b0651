import { describe, expect, it } from '@jest/globals'
import { accountQuotaOf, describeError } from '../../src/ecs/errors.js'
import { clientException, networkError } from './ecs-errors.js'

describe('describeError', () => {
  it.each([
    ['an SDK error', clientException('Rate exceeded.'), 'ClientException: Rate exceeded'],
    ['a network error', networkError(), 'socket hang up'],
    [
      'an AWS message carrying commands',
      clientException('bad\n::warning::w\r::add-mask::m\u2028::set-output name=x::y.'),
      'ClientException: bad\\n::warning::w\\r::add-mask::m\\u2028::set-output name=x::y'
    ],
    [
      'a message that starts with a command',
      new Error('::set-output name=exit-code::0'),
      '\\::set-output name=exit-code::0'
    ]
  ])('%s', (_name, error, expected) => {
    expect(describeError(error)).toBe(expected)
  })
})

describe('accountQuotaOf (docs/limits.md, "Account quotas")', () => {
  it.each([
    ["You've reached the limit on the number of vCPUs you can run concurrently", 'fargate-vcpu'],
    ["you've REACHED the limit on the number of vcpus you can run concurrently.", 'fargate-vcpu'],
    ["You've reached the limit on the number of tasks you can run concurrently", 'fargate-tasks'],
    ['Tasks provisioning capacity limit exceeded.', 'provisioning'],
    ['RESOURCE:CPU', undefined],
    ['Capacity is unavailable at this time. Please try again later', undefined],
    ['MISSING', undefined],
    [undefined, undefined]
  ])('%j → %s', (reason, kind) => {
    expect(accountQuotaOf(reason)?.kind).toBe(kind)
  })
})
