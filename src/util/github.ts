/**
 * The GitHub run this step belongs to, read once from the runner's default environment
 * variables and used for the tags, the default startedBy, the run's URL and the task
 * definition cache's claimant.
 */

import { compact } from './objects.js'

/** The workflow run, as the runner's `GITHUB_*` variables describe it. */
export interface GitHubContext {
  /** `owner/name` (GITHUB_REPOSITORY); undefined outside Actions. */
  repository?: string
  /** The workflow run's id, unique across GitHub (GITHUB_RUN_ID). */
  runId?: string
  /** The attempt of that run, from 1 (GITHUB_RUN_ATTEMPT). */
  runAttempt?: string
  /** The job's id in the workflow (GITHUB_JOB). */
  job?: string
  /** The server, `https://github.com` unless GitHub Enterprise Server (GITHUB_SERVER_URL). */
  serverUrl: string
  /** The workflow run's URL, or undefined outside Actions (no repository or run id). */
  runUrl?: string
}

/** The run context from the environment; every value trimmed, empty ones left out. */
export function gitHubContextOf(env: NodeJS.ProcessEnv): GitHubContext {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined
  const serverUrl = value('GITHUB_SERVER_URL') ?? 'https://github.com'
  const repository = value('GITHUB_REPOSITORY')
  const runId = value('GITHUB_RUN_ID')
  return compact({
    serverUrl,
    repository,
    runId,
    runAttempt: value('GITHUB_RUN_ATTEMPT'),
    job: value('GITHUB_JOB'),
    runUrl: repository && runId && `${serverUrl}/${repository}/actions/runs/${runId}`
  })
}
