/**
 * End to end: a task stopped by someone else with a stopped reason full of workflow commands,
 * whose app container logged some too, run through `dist/index.js` against the local simulator.
 * The step's stdout (what the runner parses) holds no command but the action's own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { resolve } from 'node:path'
import { runAction } from '../../sim/action-runner.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'
import { commandLines } from '../report/command-lines.js'

/**
 * Each run is a step of its own, named as the runner names steps without an id (`__run`,
 * `__run_2`, ...): steps of one job never share a place in the ledger.
 */
let steps = 0
const nextStep = (): string => (++steps === 1 ? '__run' : `__run_${steps}`)

const ROOT = resolve(import.meta.dirname, '..', '..')

/** ECS keeps a stopped reason of up to 255 characters, whatever they are. */
const REASON =
  '::set-output name=exit-code::0\n::warning title=injected::pwned\r::add-mask::secret' +
  '\u2028::notice::n\u2029::error::e ##[warning]old'
const REASON_PRINTED =
  '\\::set-output name=exit-code::0\\n::warning title=injected::pwned\\r::add-mask::secret' +
  '\\u2028::notice::n\\u2029::error::e ##\\[warning]old'

describe('dist/index.js with foreign text in the stopped reason and the logs', () => {
  let local: LocalAws
  beforeAll(async () => {
    local = await startLocalAws({ timeScale: 0.1 })
  })
  afterAll(async () => {
    await local.close()
  })

  it('prints the reason and log lines readably, and issues only its own commands', async () => {
    let stopped = false
    const result = await runAction({
      inputs: {
        definition: '__fixtures__/e2e/oneshot.yml',
        'notification-prefix': local.prefix,
        'poll-interval': '0.2',
        'log-lines': '10',
        env: 'SIM_RUN_SECONDS=forever\nSIM_LOG_LINES=["::warning::from-log","ok ##[error]from-log"]'
      },
      env: {
        ...local.env,
        GITHUB_REPOSITORY: 'acme/batch',
        GITHUB_RUN_ID: '4242',
        GITHUB_ACTION: nextStep()
      },
      cwd: ROOT,
      onStdout: (out) => {
        const arn = / started at /.test(out) ? /Started task: (\S+)/.exec(out)?.[1] : undefined
        if (arn && !stopped) {
          stopped = true
          local.ecs.stopTask({ cluster: 'e2e', task: arn, reason: REASON })
        }
      }
    })
    expect(stopped).toBe(true)
    const lines = result.stdout.split('\n')
    expect(lines).toContain(`Stopped reason: ${REASON_PRINTED}`)
    // The app's log lines, printed after their timestamp, with the old-style command broken.
    expect(lines.filter((l) => l.endsWith('from-log')).map((l) => l.replace(/^\S+ /, ''))).toEqual([
      '::warning::from-log',
      'ok ##\\[error]from-log'
    ])
    // Every command the runner would read is one the action issued itself.
    const own = commandLines(result.stdout).filter((l) => !/^::(debug|group|endgroup)::/.test(l))
    const id = (result.outputs['task-arn'] ?? '').split('/').pop() ?? ''
    expect(own).toEqual([
      `::error::Task ${id} exited with code ${result.outputs['exit-code']}; ` +
        `stop code UserInitiated; stopped reason: ${REASON_PRINTED}`
    ])
    expect(result.outputs['stop-code']).toBe('UserInitiated')
    expect(result.outputs['stopped-reason']).toBe(REASON)
    expect(result.exitCode).toBe(1)
  })
})
