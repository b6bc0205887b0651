import { describe, expect, it } from '@jest/globals'
import { inputVariable, strategyInputs } from '../../sim/action-runner.js'

describe('strategyInputs (docs/limits.md, "The strategy context in input defaults")', () => {
  it('gives a job outside a matrix what the runner evaluates there: index 0 of 1', () => {
    expect(strategyInputs()).toEqual({
      'job-index': '0',
      'job-total': '1',
      'job-max-parallel': '1'
    })
  })

  it("gives a matrix job its place; max-parallel defaults to the matrix's jobs", () => {
    expect(strategyInputs({ jobIndex: 41, jobTotal: 60 })).toEqual({
      'job-index': '41',
      'job-total': '60',
      'job-max-parallel': '60'
    })
    expect(
      strategyInputs({ jobIndex: 3, jobTotal: 200, maxParallel: 20 })['job-max-parallel']
    ).toBe('20')
  })

  it('names the variables as the runner does, dashes kept', () => {
    expect(Object.keys(strategyInputs()).map(inputVariable)).toEqual([
      'INPUT_JOB-INDEX',
      'INPUT_JOB-TOTAL',
      'INPUT_JOB-MAX-PARALLEL'
    ])
  })
})
