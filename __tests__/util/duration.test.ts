import { describe, expect, it } from '@jest/globals'
import { formatDuration } from '../../src/util/duration.js'

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [12_400, '12s'],
    [240_000, '4m 0s'],
    [3_723_000, '1h 2m 3s'],
    [-5_000, '0s'],
    [599_600, '10m 0s']
  ])('%d ms', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })
})
