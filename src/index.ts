/**
 * Entry point of the bundle, for both the main and the post step (action.yml runs the same
 * file twice; the main step leaves `isPost` in the state so the second run knows). It only
 * wires the real dependencies; the logic lives in main.ts and post.ts.
 */
import { existsSync } from 'node:fs'
import * as core from '@actions/core'
import { createAwsClients } from './aws/clients.js'
import { commandFilesProblem } from './command-files.js'
import { readInputs } from './inputs.js'
import { run } from './main.js'
import { post } from './post.js'
import { STATE, coreState } from './state.js'
import { systemClock } from './util/clock.js'
import { coreLogger } from './util/logger.js'

const common = {
  createClients: createAwsClients,
  logger: coreLogger,
  clock: systemClock,
  random: Math.random,
  state: coreState,
  env: process.env
}

const filesProblem = commandFilesProblem(process.env, existsSync)
if (filesProblem !== undefined) {
  // Nothing has started yet, so there is nothing to clean up; setFailed prints through
  // stdout, not through the missing files.
  core.setFailed(filesProblem)
} else if (core.getState(STATE.isPost) === 'true') {
  await post(common)
} else {
  // The runner cancels a job with SIGINT, then SIGTERM 7.5 s later, then kills it 2.5 s after
  // that (docs/limits.md, "Cancel timing"): on either signal, stop waiting and stop the task at once.
  const cancel = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!cancel.signal.aborted) core.info(`Received ${signal}: the job is being cancelled`)
    cancel.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  await run({
    ...common,
    readInputs: () => readInputs(),
    cancelSignal: cancel.signal,
    setFailed: (message) => core.setFailed(message),
    setOutput: (name, value) => core.setOutput(name, value),
    writeSummary: async (markdown) => {
      // Outside a runner (a local `node dist/index.js`) there is no summary file to write.
      if (!process.env.GITHUB_STEP_SUMMARY) {
        core.debug('GITHUB_STEP_SUMMARY is not set: no job summary written')
        return
      }
      await core.summary.addRaw(markdown, true).write()
    }
  })
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}
