import { describe, expect, it } from '@jest/globals'
import { envInput, exitCodeGrid, planJobs, runSeconds } from '../../bench/lib/scenarios.js'

describe('planJobs', () => {
  it('mixed, 60 jobs: most exit 0, every 8th exits 1-3, one pull failure, one capacity failure', () => {
    const plans = planJobs('mixed', 60)
    expect(plans).toHaveLength(60)
    const expected = plans.map((p) => p.expectedExitCode)
    expect(expected.filter((c) => c === 0)).toHaveLength(52)
    expect(
      plans.filter((p) => p.note !== '').map((p) => [p.index, p.note, p.expectedExitCode])
    ).toEqual([
      [7, 'exits 1', 1],
      [15, 'exits 2', 2],
      [20, 'image pull failure', 127],
      [23, 'exits 3', 3],
      [31, 'exits 1', 1],
      [39, 'exits 2', 2],
      [40, 'capacity failure that clears', 0],
      [47, 'exits 3', 3],
      [55, 'exits 1', 1]
    ])
    expect(plans[20]?.env).toEqual({
      SHARD: '20',
      SHARDS: '60',
      SIM_RUN_SECONDS: String(runSeconds(20, 5, 20)),
      SIM_PULL_FAILURE: '1'
    })
    expect(plans[40]?.env.SIM_CAPACITY_FAILURES).toBe('2')
    expect(plans[7]?.env.SIM_EXIT_CODE).toBe('1')
  })

  it('success: every job exits 0 with no fault scripted', () => {
    const plans = planJobs('success', 12)
    expect(plans.every((p) => p.expectedExitCode === 0 && p.note === '')).toBe(true)
    expect(plans.every((p) => Object.keys(p.env).every((k) => !/FAILURE|EXIT/.test(k)))).toBe(true)
  })

  it('failures: every second job fails (the pull failure at n/3 among them), the capacity one at 2n/3 clears', () => {
    const plans = planJobs('failures', 10)
    expect(plans.map((p) => p.expectedExitCode)).toEqual([0, 1, 0, 127, 0, 2, 0, 3, 0, 1])
  })

  it('one job has no room for specials and simply runs', () => {
    expect(planJobs('mixed', 1)).toEqual([
      {
        index: 0,
        env: { SHARD: '0', SHARDS: '1', SIM_RUN_SECONDS: '5' },
        expectedExitCode: 0,
        note: ''
      }
    ])
  })

  it('spreads run seconds over 5..20', () => {
    const secondsByJob = Array.from({ length: 16 }, (_, i) => runSeconds(i, 5, 20))
    expect(new Set(secondsByJob).size).toBe(16)
    expect(Math.min(...secondsByJob)).toBe(5)
    expect(Math.max(...secondsByJob)).toBe(20)
  })
})

describe('envInput', () => {
  it('writes KEY=VALUE lines in order', () => {
    expect(envInput({ SHARD: '3', SIM_EXIT_CODE: '2' })).toBe('SHARD=3\nSIM_EXIT_CODE=2')
  })
})

describe('exitCodeGrid', () => {
  it('prints rows of codes with ! after jobs that did not end as expected', () => {
    const results = Array.from({ length: 12 }, (_, index) => ({
      index,
      exitCode: index === 4 ? 127 : index === 11 ? undefined : 0,
      ok: index !== 11
    }))
    expect(exitCodeGrid(results)).toBe(
      ['   0-9     0   0   0   0 127   0   0   0   0   0', '  10-11    0  -!'].join('\n')
    )
  })
})
