/**
 * Re-run benchmark: one job runs a set of --tasks (1,000) tasks through the bundle, as the runner
 * runs it, against the local simulator; its process is killed (SIGKILL: a lost runner, no post
 * step, no StopTask) once --kill tasks have started; then run attempt 2 of the same job runs to
 * its end. Every third task fails (exit 1) after a short run, half of the others run short and
 * half long, so at the kill some tasks have succeeded, some failed, some still run and the rest
 * never started.
 *
 * It counts, from the simulator's own records (each task's IDX in its RunTask overrides):
 *   - tasks the re-run started for an index whose first task was running or had succeeded at
 *     the kill (the goal is 0),
 *   - the tasks the re-run started, by the state of the index at the kill,
 *   - the re-run's exit codes: one per index, none missing.
 *
 *   npx tsx bench/rerun.ts [--tasks 1000] [--kill 500] [--out FILE]
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { runAction } from '../sim/action-runner.js'
import { startLocalAws } from '../sim/index.js'
import { arg } from './lib/args.js'

const TASKS = arg('tasks', 1000)
const KILLS = process.argv.includes('--kill') ? [arg('kill', 500)] : [TASKS / 2, TASKS / 20]
const OUT = process.argv.includes('--out')
  ? (process.argv[process.argv.indexOf('--out') + 1] as string)
  : undefined
const ROOT = resolve(import.meta.dirname, '..')
const DEFINITION = '__fixtures__/e2e/oneshot.yml'

type State = 'succeeded' | 'failed' | 'running' | 'not started'

interface Scenario {
  killAt: number
  startedBeforeKill: number
  atKill: Record<State, number>
  rerunStarts: Record<State, number>
  doubled: number
  exitCodes: number
  missingCodes: number
  rerunExit: number | null
  seconds: number
}

async function scenario(killAt: number, runId: string): Promise<Scenario> {
  const local = await startLocalAws({ timeScale: 0.1 })
  try {
    const specs = Array.from({ length: TASKS }, (_, i) => ({
      env: {
        IDX: String(i),
        SIM_RUN_SECONDS: i % 3 === 0 ? '20' : i % 2 === 0 ? '10' : '600',
        ...(i % 3 === 0 ? { SIM_EXIT_CODE: '1' } : {})
      }
    }))
    const inputs = {
      definition: DEFINITION,
      'notification-prefix': local.prefix,
      tasks: JSON.stringify(specs),
      attempts: '1',
      'log-lines': '0',
      'poll-interval': '1'
    }
    const github = {
      GITHUB_REPOSITORY: 'acme/batch',
      GITHUB_RUN_ID: runId,
      GITHUB_JOB: 'batch',
      GITHUB_ACTION: '__run',
      GITHUB_SERVER_URL: 'https://github.com'
    }
    const t0 = Date.now()
    const started = (out: string) => out.split('Started task:').length - 1
    await runAction({
      inputs,
      env: { ...local.env, ...github, GITHUB_RUN_ATTEMPT: '1' },
      cwd: ROOT,
      signal: { name: 'SIGKILL', when: (out) => started(out) >= killAt },
      killAfterMs: 900_000
    })
    // What each index's first task had done when the runner was lost.
    const idxOf = (arn: string): number => {
      const task = local.ecs.describe(arn) as
        | {
            overrides?: {
              containerOverrides?: { environment?: { name: string; value: string }[] }[]
            }
          }
        | undefined
      const env = task?.overrides?.containerOverrides?.flatMap((c) => c.environment ?? []) ?? []
      return Number(env.find((e) => e.name === 'IDX')?.value ?? -1)
    }
    const killedAt = Date.now()
    const first = local.stats().tasks
    const stateAtKill = new Map<number, State>()
    for (const t of first) {
      const state: State =
        t.stoppedAt === undefined || t.stoppedAt > killedAt
          ? 'running'
          : t.exitCode === 0
            ? 'succeeded'
            : 'failed'
      stateAtKill.set(idxOf(t.taskArn), state)
    }
    const atKill: Record<State, number> = { succeeded: 0, failed: 0, running: 0, 'not started': 0 }
    for (let i = 0; i < TASKS; i++) atKill[stateAtKill.get(i) ?? 'not started']++

    const rerun = await runAction({
      inputs,
      env: { ...local.env, ...github, GITHUB_RUN_ATTEMPT: '2' },
      cwd: ROOT,
      killAfterMs: 1_800_000
    })
    const firstArns = new Set(first.map((t) => t.taskArn))
    const rerunStarts: Record<State, number> = {
      succeeded: 0,
      failed: 0,
      running: 0,
      'not started': 0
    }
    for (const t of local.stats().tasks) {
      if (firstArns.has(t.taskArn)) continue
      rerunStarts[stateAtKill.get(idxOf(t.taskArn)) ?? 'not started']++
    }
    const codes = JSON.parse(rerun.outputs['exit-codes'] ?? '[]') as (number | null)[]
    return {
      killAt,
      startedBeforeKill: first.length,
      atKill,
      rerunStarts,
      doubled: rerunStarts.running + rerunStarts.succeeded,
      exitCodes: codes.length,
      missingCodes: codes.filter((c) => c === null).length,
      rerunExit: rerun.exitCode,
      seconds: (Date.now() - t0) / 1000
    }
  } finally {
    await local.close()
  }
}

async function main(): Promise<void> {
  const rows: Scenario[] = []
  for (const [i, killAt] of KILLS.entries()) {
    const s = await scenario(Math.round(killAt), `77${i}`)
    rows.push(s)
    process.stdout.write(`${JSON.stringify(s)}\n`)
  }
  const table = [
    `Re-run after a lost runner (bench/rerun.ts): one job, ${TASKS} tasks, SIGKILL after N starts, then run attempt 2.`,
    '',
    '| killed after | at the kill: succeeded / failed / running / not started | re-run started for: succeeded / failed / running / not started | started twice | exit codes (missing) | re-run step exit | seconds |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.killAt} starts | ${r.atKill.succeeded} / ${r.atKill.failed} / ${r.atKill.running} / ${r.atKill['not started']} | ` +
        `${r.rerunStarts.succeeded} / ${r.rerunStarts.failed} / ${r.rerunStarts.running} / ${r.rerunStarts['not started']} | ` +
        `**${r.doubled}** | ${r.exitCodes} (${r.missingCodes}) | ${r.rerunExit} | ${r.seconds.toFixed(0)} |`
    )
  ].join('\n')
  process.stdout.write(`${table}\n`)
  if (OUT !== undefined) writeFileSync(OUT, `${table}\n`)
}

await main()
