import { describe, expect, it } from '@jest/globals'
import { describeError } from '../../src/ecs/errors.js'
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
