import { describe, expect, it } from '@jest/globals'
import { containerScript, mergeEnvironment, parseLogLines, taskScript } from '../../sim/script.js'

const env = (pairs: Record<string, string>): Map<string, string> => new Map(Object.entries(pairs))

describe('containerScript', () => {
  it.each([
    [
      'app defaults',
      {},
      true,
      {
        runSeconds: 5,
        exitCode: 0,
        pullFailure: false,
        logLines: [],
        sigtermExitCode: 143,
        ignoreSigterm: false
      }
    ],
    [
      'sidecar defaults: runs until the task stops',
      {},
      false,
      {
        runSeconds: undefined,
        exitCode: 0,
        pullFailure: false,
        logLines: [],
        sigtermExitCode: 143,
        ignoreSigterm: false
      }
    ],
    [
      'scripted',
      {
        SIM_RUN_SECONDS: '20',
        SIM_EXIT_CODE: '3',
        SIM_PULL_FAILURE: '1',
        SIM_SIGTERM_EXIT_CODE: 'none',
        SIM_IGNORE_SIGTERM: 'true'
      },
      true,
      {
        runSeconds: 20,
        exitCode: 3,
        pullFailure: true,
        logLines: [],
        sigtermExitCode: undefined,
        ignoreSigterm: true
      }
    ],
    [
      'forever',
      { SIM_RUN_SECONDS: 'forever', SIM_PULL_FAILURE: '0' },
      true,
      {
        runSeconds: undefined,
        exitCode: 0,
        pullFailure: false,
        logLines: [],
        sigtermExitCode: 143,
        ignoreSigterm: false
      }
    ]
  ])('%s', (_, vars, isApp, expected) => {
    expect(containerScript(env(vars), isApp, 5)).toEqual(expected)
  })

  it('rejects a bad number with the variable and value in the message', () => {
    expect(() => containerScript(env({ SIM_EXIT_CODE: 'three' }), true, 5)).toThrow(
      "Simulator: SIM_EXIT_CODE must be a number >= 0, got 'three'"
    )
  })
})

describe('taskScript', () => {
  it('reads the task-wide variables', () => {
    expect(
      taskScript(
        env({ SIM_CAPACITY_FAILURES: '2', SIM_INCOMPLETE_STOP: '1', SIM_PENDING_SECONDS: '0.5' })
      )
    ).toEqual({
      capacityFailures: 2,
      incompleteStop: true,
      provisioningSeconds: undefined,
      pendingSeconds: 0.5
    })
  })
})

describe('parseLogLines', () => {
  it.each([
    [undefined, []],
    ['a\nb', ['a', 'b']],
    ['a\\nb', ['a', 'b']],
    ['["x\\\\ny", "z"]', ['x\\ny', 'z']]
  ])('%j', (raw, lines) => {
    expect(parseLogLines(raw)).toEqual(lines)
  })
})

describe('mergeEnvironment', () => {
  it('lets the RunTask override win per name', () => {
    expect([
      ...mergeEnvironment(
        [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' }
        ],
        [{ name: 'A', value: '9' }]
      )
    ]).toEqual([
      ['A', '9'],
      ['B', '2']
    ])
  })
})
