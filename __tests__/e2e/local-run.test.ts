/**
 * The local-run recipe of docs/local-run.md, run exactly as written there: `npm run -s local --`
 * with a definition and inputs. It starts the simulator and the S3 server, runs the bundle of
 * the current sources (HAKO_ONESHOT_BUNDLE, set by __tests__/setup/bundle.js) as main and post
 * step, prints the outputs and stops everything, also on Ctrl-C. And the bundle itself, run
 * with a GITHUB_OUTPUT that names no file, fails with one clear line instead of a stack trace.
 */
import { describe, expect, it } from '@jest/globals'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { BUNDLE, runNode } from '../../sim/action-runner.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const TASK_ID = 'a08ff49b6f772632716c43069c43a8c3'
const TASK_ARN = `arn:aws:ecs:ap-northeast-1:123456789012:task/e2e/${TASK_ID}`
const LOGS_URL =
  'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1' +
  `#logsV2:log-groups/log-group/$252Fecs$252Foneshot/log-events/ecs$252Fapp$252F${TASK_ID}`

interface Recipe {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs `npm run -s local -- <args>` in its own process group, so that `ctrlC` can send SIGINT
 * to the whole group as a terminal's Ctrl-C does (npm, tsx, the script and the action alike).
 */
function recipe(args: string[], ctrlC?: (stdout: string) => boolean): Promise<Recipe> {
  const env: Record<string, string | undefined> = { ...process.env }
  delete env.NODE_OPTIONS // Jest's --experimental-vm-modules is not part of the recipe
  const child = spawn('npm', ['run', '-s', 'local', '--', ...args], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  let sent = false
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    if (ctrlC && !sent && ctrlC(stdout)) {
      sent = true
      process.kill(-child.pid!, 'SIGINT')
    }
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 90_000)
  return new Promise((resolveRun) =>
    child.on('close', (status, signal) => {
      clearTimeout(killer)
      resolveRun({ status, signal, stdout, stderr })
    })
  )
}

/** The `outputs:` block the recipe prints, with the two timestamps checked and replaced. */
function outputsBlock(stdout: string): string[] {
  const lines = stdout.slice(stdout.indexOf('\noutputs:\n') + 1).split('\n')
  return lines.map((line) => {
    const at = /^ {2}(started-at|stopped-at): (\S+)$/.exec(line)
    if (!at) return line
    expect(Number.isNaN(Date.parse(at[2]!))).toBe(false)
    return `  ${at[1]}: <time>`
  })
}

/** The ports of the endpoints the recipe printed. */
function endpointPorts(stderr: string): number[] {
  const line = /\[local\] ECS \+ CloudWatch Logs (\S+), S3 (\S+)/.exec(stderr)
  expect(line).not.toBeNull()
  return [new URL(line![1]!).port, new URL(line![2]!).port].map(Number)
}

/** True when something listens on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolveConnect(true)
    })
    socket.once('error', () => resolveConnect(false))
  })
}

describe('npm run -s local', () => {
  it('runs one task through the bundle and prints its outputs: sh -c "exit 3" exits 3', async () => {
    const run = await recipe([
      '__fixtures__/e2e/oneshot.yml',
      'command=sh -c "exit 3"',
      '--time-scale',
      '0.1'
    ])
    expect(run.status).toBe(1) // the main step failed, as the task exited 3
    expect(outputsBlock(run.stdout)).toEqual([
      'outputs:',
      '  task-definition-arn: arn:aws:ecs:ap-northeast-1:123456789012:task-definition/oneshot-oneshot:1',
      '  registered: true',
      '  cluster: e2e',
      `  task-arns: ["${TASK_ARN}"]`,
      '  exit-codes: [3]',
      '  succeeded: 0',
      '  failed: 1',
      '  task-attempts: [1]',
      '  run-attempts: [1]',
      '  attempts: 1',
      `  task-arn: ${TASK_ARN}`,
      `  task-id: ${TASK_ID}`,
      '  exit-code: 3',
      '  stop-code: EssentialContainerExited',
      '  stopped-reason: Essential container in task exited',
      '  started-at: <time>',
      '  stopped-at: <time>',
      '  containers: [{"name":"app","exitCode":3,"reason":null}]',
      `  logs-url: ${LOGS_URL}`,
      expect.stringMatching(/^job summary: \d+ characters$/),
      ''
    ])
    // The runner hides ::debug:: lines; so does the recipe.
    expect(run.stdout).not.toContain('::debug::')
    expect(run.stdout).toContain(
      `::error::Task ${TASK_ID} exited with code 3; stop code EssentialContainerExited; ` +
        'stopped reason: Essential container in task exited\n'
    )
    expect(run.stderr.split('\n').filter((l) => l.startsWith('[local]'))).toEqual([
      expect.stringMatching(
        /^\[local\] ECS \+ CloudWatch Logs http:\/\/127\.0\.0\.1:\d+, S3 http:\/\/127\.0\.0\.1:\d+$/
      ),
      '[local] notification prefix s3://oneshot-notifications/oneshot',
      `[local] main step: node ${BUNDLE}`,
      '[local] post step',
      '[local] main step exit status 1',
      '[local] stopped the simulator (ECS calls {"DescribeTaskDefinition":1,"RegisterTaskDefinition":1,"RunTask":1}, ' +
        'S3 requests {"GetObject":2,"PutObject":4})'
    ])
    for (const port of endpointPorts(run.stderr)) expect(await listening(port)).toBe(false)
  }, 90_000)

  it('on Ctrl-C stops the task, runs the post step, and leaves nothing listening', async () => {
    // No provisioning or image pull, so the task is RUNNING (and its app gets SIGTERM, 143)
    // before the Ctrl-C that follows "Started task" can reach it.
    const env = 'env=SIM_RUN_SECONDS=600\nSIM_PROVISIONING_SECONDS=0\nSIM_PENDING_SECONDS=0'
    const run = await recipe(
      ['__fixtures__/e2e/oneshot.yml', env, '--time-scale', '0.1'],
      (stdout) => stdout.includes(`Started task: ${TASK_ARN}\n`)
    )
    expect(run.stdout).toContain('Received SIGINT: the job is being cancelled\n')
    expect(run.stdout).toContain(`Stop requested: ${TASK_ARN}\n`)
    expect(run.stdout).toContain(
      '::error::The workflow run was cancelled while the task was running\n'
    )
    const outputs = outputsBlock(run.stdout)
    expect(outputs).toContain('  stop-code: UserInitiated')
    expect(outputs).toContain('  exit-codes: [143]')
    const local = run.stderr.split('\n').filter((l) => l.startsWith('[local]'))
    expect(local.slice(1)).toEqual([
      '[local] notification prefix s3://oneshot-notifications/oneshot',
      `[local] main step: node ${BUNDLE}`,
      '[local] SIGINT: cancelling the run as the runner would',
      '[local] post step',
      '[local] main step exit status 1 (cancelled)',
      expect.stringMatching(
        /^\[local\] stopped the simulator \(ECS calls \{.*"StopTask":1\}, S3 requests/
      )
    ])
    for (const port of endpointPorts(run.stderr)) expect(await listening(port)).toBe(false)
  }, 90_000)

  it('names the problem with a bad argument and prints the usage', async () => {
    const run = await recipe(['__fixtures__/e2e/oneshot.yml', 'command'])
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(
      /^local: an input is name=value, got 'command'\n\nUsage: npm run -s local -- /
    )
  }, 60_000)
})

describe('the recipe by hand (docs/local-run.md, "By hand")', () => {
  it('runs one task, prints the outputs file, and stops the simulator', async () => {
    const page = readFileSync(join(ROOT, 'docs', 'local-run.md'), 'utf8')
    const block = /## By hand\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(page)?.[1]
    expect(block).toBeDefined()
    const scratch = mkdtempSync(join(tmpdir(), 'by-hand-'))
    const simEnv = join(scratch, 'sim.env')
    // The page's script as written, with the bundle of the current sources for dist/ and a
    // private file for the simulator's variables.
    const script = block!
      .replaceAll('node dist/index.js', `node '${BUNDLE}'`)
      .replaceAll('/tmp/sim.env', simEnv)
    expect(script).toContain(`node '${BUNDLE}'`)
    const env: Record<string, string | undefined> = { ...process.env }
    delete env.NODE_OPTIONS
    const run = await new Promise<{ status: number | null; stdout: string }>((resolveRun) => {
      const child = spawn('bash', ['-c', script], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let stdout = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      child.on('close', (status) => resolveRun({ status, stdout }))
    })
    try {
      expect(run.status).toBe(0)
      expect(run.stdout).toContain('the step failed with status 1\n')
      expect(run.stdout).toMatch(/^exit-code<<(ghadelimiter_[-\w]+)\n3\n\1$/m)
      expect(run.stdout).toMatch(
        /^stop-code<<(ghadelimiter_[-\w]+)\nEssentialContainerExited\n\1$/m
      )
      const sim = readFileSync(simEnv, 'utf8')
      const ports = [
        ...sim.matchAll(/^export AWS_ENDPOINT_URL_(?:ECS|S3)=http:\/\/127\.0\.0\.1:(\d+)$/gm)
      ]
      expect(ports).toHaveLength(2)
      for (const [, port] of ports) expect(await listening(Number(port))).toBe(false)
    } finally {
      rmSync(scratch, { recursive: true, force: true })
    }
  }, 90_000)
})

describe('the bundle, run by hand with a missing command file', () => {
  it('fails with one line naming the file and the fix, and no stack trace', async () => {
    const missing = resolve(ROOT, 'node_modules', '.cache', 'no-such-folder', 'output')
    const run = await runNode({
      script: BUNDLE,
      env: { GITHUB_OUTPUT: missing, INPUT_DEFINITION: '__fixtures__/e2e/oneshot.yml' },
      cwd: ROOT,
      killAfterMs: 30_000
    })
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toBe(
      `::error::The runner's command files do not exist: GITHUB_OUTPUT=${missing} (outputs). ` +
        `On a runner they always do; in a local run create them first (touch "${missing}"), ` +
        'or leave the variables unset to see outputs and state as workflow commands in the log.\n'
    )
    expect(run.stderr).not.toMatch(/\bat .*\.js:\d+/)
  })
})
