import { afterEach, describe, expect, it } from '@jest/globals'
import {
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand
} from '@aws-sdk/client-ecs'
import { FakeClock } from '../doubles/clock.js'
import { commandExitCode, scriptExitCode } from '../../sim/command-exit.js'
import { startLocalAws, type LocalAws } from '../../sim/index.js'

describe('commandExitCode', () => {
  it.each<[string, string[] | undefined, number | undefined]>([
    ['no command', undefined, undefined],
    ['an empty command', [], undefined],
    ['sh -c "exit 3"', ['sh', '-c', 'exit 3'], 3],
    ['/bin/sh -c "exit 3"', ['/bin/sh', '-c', 'exit 3'], 3],
    ['bash -ec "exit 42;"', ['bash', '-ec', 'exit 42;'], 42],
    ['sh -e -c "exit 7" name', ['sh', '-e', '-c', 'exit 7', 'name'], 7],
    ['sh -c "exit" (status 0)', ['sh', '-c', 'exit'], 0],
    ['exit 300 wraps to 44, as a shell does', ['sh', '-c', 'exit 300'], 44],
    ['the word list exit 5', ['exit', '5'], 5],
    ['one word "exit 5"', ['exit 5'], 5],
    ['true', ['true'], 0],
    ['/bin/false', ['/bin/false'], 1],
    ['sh -c false', ['sh', '-c', 'false'], 1],
    ['a real program', ['bundle', 'exec', 'rake', 'batch:run'], undefined],
    ['a script that does more', ['sh', '-c', 'echo hi; exit 3'], undefined],
    ['sh without -c', ['sh', 'run.sh'], undefined],
    ['sh -c with no script', ['sh', '-c'], undefined],
    ['an argument before -c that is not an option', ['sh', 'x', '-c', 'exit 3'], undefined]
  ])('%s', (_, command, expected) => {
    expect(commandExitCode(command)).toBe(expected)
  })

  it('reads only scripts that are exit N, true or false', () => {
    expect([' exit 9 ', ':', 'exit 1; exit 2', 'exit $CODE'].map(scriptExitCode)).toEqual([
      9,
      0,
      undefined,
      undefined
    ])
  })
})

describe('the simulator and a command', () => {
  let local: LocalAws | undefined
  afterEach(async () => {
    await local?.close()
    local = undefined
  })

  /** Runs one task with this command override and env, and returns the app's exit code. */
  async function taskExitCode(
    command: string[] | undefined,
    env: Record<string, string> = {}
  ): Promise<number | undefined> {
    const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'))
    local = await startLocalAws({ clock, notifier: false, throttling: false })
    const ecs = new ECSClient({ ...local.clientConfig('ecs'), maxAttempts: 1 })
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'exit-oneshot',
        containerDefinitions: [{ name: 'app', image: 'busybox', memory: 128 }]
      })
    )
    const out = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'exit-oneshot',
        overrides: {
          containerOverrides: [
            {
              name: 'app',
              command,
              environment: Object.entries(env).map(([name, value]) => ({ name, value }))
            }
          ]
        }
      })
    )
    const arn = out.tasks?.[0]?.taskArn ?? ''
    await clock.advance(60_000)
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'batch', tasks: [arn] }))
    ecs.destroy()
    expect(described.tasks?.[0]?.lastStatus).toBe('STOPPED')
    return described.tasks?.[0]?.containers?.[0]?.exitCode
  }

  it('ends a task told sh -c "exit 3" with exit code 3', async () => {
    expect(await taskExitCode(['sh', '-c', 'exit 3'])).toBe(3)
  })

  it('lets SIM_EXIT_CODE win over the command', async () => {
    expect(await taskExitCode(['sh', '-c', 'exit 3'], { SIM_EXIT_CODE: '5' })).toBe(5)
  })

  it('ends a real program with 0 when nothing scripts it', async () => {
    expect(await taskExitCode(['bundle', 'exec', 'rake'])).toBe(0)
  })
})
