import { describe, expect, it } from '@jest/globals'
import { gitHubContextOf } from '../../src/util/github.js'

describe('gitHubContextOf', () => {
  it('reads the run from the runner variables and links it', () => {
    expect(
      gitHubContextOf({
        GITHUB_SERVER_URL: 'https://ghe.example',
        GITHUB_REPOSITORY: 'a/b',
        GITHUB_RUN_ID: '5',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_JOB: 'shard'
      })
    ).toStrictEqual({
      serverUrl: 'https://ghe.example',
      repository: 'a/b',
      runId: '5',
      runAttempt: '2',
      job: 'shard',
      runUrl: 'https://ghe.example/a/b/actions/runs/5'
    })
  })

  it('outside Actions: github.com and no run URL', () => {
    expect(gitHubContextOf({})).toStrictEqual({ serverUrl: 'https://github.com' })
  })

  it('trims the values and leaves blank ones out', () => {
    expect(
      gitHubContextOf({ GITHUB_REPOSITORY: ' a/b ', GITHUB_RUN_ID: '  ', GITHUB_JOB: '' })
    ).toStrictEqual({ serverUrl: 'https://github.com', repository: 'a/b' })
  })
})
