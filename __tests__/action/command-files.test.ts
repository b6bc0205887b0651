import { describe, expect, it } from '@jest/globals'
import { commandFilesProblem } from '../../src/command-files.js'

const existing = new Set(['/run/output', '/run/state', '/run/summary'])
const exists = (path: string): boolean => existing.has(path)

describe('commandFilesProblem', () => {
  it('accepts files that exist, and variables that are unset or empty', () => {
    expect(
      commandFilesProblem(
        { GITHUB_OUTPUT: '/run/output', GITHUB_STATE: '/run/state', GITHUB_STEP_SUMMARY: '' },
        exists
      )
    ).toBeUndefined()
    expect(commandFilesProblem({}, exists)).toBeUndefined()
  })

  it('names every variable whose file is missing, what it carries, and the fix', () => {
    expect(
      commandFilesProblem(
        {
          GITHUB_OUTPUT: '/tmp/x/output',
          GITHUB_STATE: '/run/state',
          GITHUB_STEP_SUMMARY: '/tmp/x/summary'
        },
        exists
      )
    ).toBe(
      "The runner's command files do not exist: GITHUB_OUTPUT=/tmp/x/output (outputs), " +
        'GITHUB_STEP_SUMMARY=/tmp/x/summary (the job summary). On a runner they always do; ' +
        'in a local run create them first (touch "/tmp/x/output" "/tmp/x/summary"), or leave ' +
        'the variables unset to see outputs and state as workflow commands in the log.'
    )
  })
})
