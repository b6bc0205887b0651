import { describe, expect, it } from '@jest/globals'
import { foreignErrorMessage } from '../../src/util/errors.js'

describe('foreignErrorMessage', () => {
  it('escapes the message of an error from outside', () => {
    expect(foreignErrorMessage(new Error('EACCES\n::add-mask::x'))).toBe('EACCES\\n::add-mask::x')
    expect(foreignErrorMessage('::warning::thrown string')).toBe('\\::warning::thrown string')
  })
})
