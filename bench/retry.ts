/**
 * Retry and re-run benchmark: the task set (runTaskSet, reportTaskSet, and the re-run records
 * of src/tasks/rerun.ts) against the local simulator, whose failure injection (sim/faults.ts)
 * reclaims Spot tasks and throttles image pulls, with AWS's ECS token buckets on.
 *
 *   1. one task, one Spot interruption (scripted on attempt 1): exit 0 in 2 attempts;
 *   2. one task whose app exits 1: not retried (the default set never names an exit code);
 *   3. ten tasks, three interrupted: 13 tasks started, ten succeeded;
 *   4. a re-run (GITHUB_RUN_ATTEMPT 2) after 2 of 6 tasks failed: 2 tasks started, 6 results;
 *   5. --tasks (default 1,000) tasks, max-parallel 200, with 2 % Spot interruptions and 1 % pull
 *      throttling at random: every task succeeds, retries counted, no throttled ECS answer.
 *
 * One scaled clock drives the simulator and the action (see bench/fanout.ts): `--scale 0.1`
 * runs ten simulated seconds per real second with every rate intact in simulated time.
 *
 *   npx tsx bench/retry.ts [--tasks 1000] [--scale 0.1] [--out bench/RESULTS-retry.md]
 */
import { appOverrideOf } from '../src/tasks/batch.js'
import { writeFileSync } from 'node:fs'
import { ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs'
import { startLocalAws, type LocalAws } from '../sim/index.js'
import type { FaultRates } from '../sim/faults.js'
import { seededRandom } from '../sim/random.js'
import { reportTaskSet } from '../src/report/set.js'
import { runTaskSet } from '../src/tasks/run-set.js'
import type { TaskSetOutcome } from '../src/model/outcome.js'
import { defaultRetryRules } from '../src/tasks/retry.js'
import { openLedger } from '../src/tasks/ledger.js'
import type { TaskSpec } from '../src/model/task.js'
import type { Clock } from '../src/util/clock.js'
import { quietLogger, scaledClock } from './lib/quiet-run.js'
import { machine } from './lib/machine.js'
import { arg, argText } from './lib/args.js'

const TASKS = arg('tasks', 1000)
const SCALE = arg('scale', 0.1)
const LIMIT_S = arg('limit', 600)
const OUT = argText('out', 'bench/RESULTS-retry.md')
/** Spot reclaims 1 s into a 20 s run, so the app is surely still running. */
const SPOT_ENV = { SIM_SPOT_INTERRUPTION: '1', SIM_SPOT_AFTER_SECONDS: '1', SIM_RUN_SECONDS: '20' }

const LOG_CONFIGURATION = {
  logDriver: 'awslogs' as const,
  options: { 'awslogs-group': '/bench', 'awslogs-stream-prefix': 'bench' }
}

interface ScenarioResult {
  outcome: TaskSetOutcome
  outputs: Record<string, string>
  started: number
  runTaskCalls: number
  throttled: number
  retried: number
  simS: number
  realS: number
}

const registeredIn = new WeakMap<LocalAws, string>()

/** The first exit code of the `exit-codes` output. */
const firstExit = (outputs: Record<string, string>): string =>
  String((JSON.parse(outputs['exit-codes'] ?? '[]') as (number | null)[])[0])

/** One task set against `local`, with the default retry rules, reported as the action does. */
async function runScenario(input: {
  local: LocalAws
  clock: Clock
  specs: TaskSpec[]
  maxParallel?: number
  attempts?: number
  env?: NodeJS.ProcessEnv
  signal: AbortSignal
}): Promise<ScenarioResult> {
  const { local, clock } = input
  const ecs = new ECSClient(local.clientConfig('ecs'))
  const logger = quietLogger()
  try {
    // One revision per simulator, as jobs that share a definition share one (a re-run too).
    let taskDefinition = registeredIn.get(local)
    if (taskDefinition === undefined) {
      const registered = await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'bench-oneshot',
          containerDefinitions: [
            { name: 'app', image: 'busybox', memory: 64, logConfiguration: LOG_CONFIGURATION }
          ]
        })
      )
      taskDefinition = registered.taskDefinition?.taskDefinitionArn ?? 'bench-oneshot'
      registeredIn.set(local, taskDefinition)
    }
    const before = local.stats()
    const env = input.env ?? {}
    const rerun = await openLedger(
      { s3: local.s3, clock, random: seededRandom(2), logger },
      {
        bucket: { bucket: local.bucket, prefix: local.keyPrefix },
        env,
        jobIndex: 0,
        jobTotal: 1,
        rerun: 'failed',
        specs: input.specs,
        cluster: 'bench',
        region: local.region,
        logsUrlOf: () => undefined
      }
    )
    const simStart = clock.now()
    const realStart = Date.now()
    const outcome = await runTaskSet(
      { ecs, s3: local.s3, clock, random: seededRandom(1), logger, saveStartedArns: () => {} },
      {
        baseRequest: { cluster: 'bench', taskDefinition, startedBy: 'bench' },
        apps: input.specs.map((spec) => appOverrideOf(spec, { env: {} })),
        maxParallel: input.maxParallel,
        launchRate: 10,
        failFast: false,
        prefix: { bucket: local.bucket, prefix: local.keyPrefix, region: local.region },
        pollIntervalSeconds: 1,
        verifyIntervalSeconds: 300,
        stopOnCancel: true,
        signal: input.signal,
        runUrl: 'bench',
        retry: { attempts: input.attempts ?? 3, rules: defaultRetryRules() },
        ...(rerun.plan.only !== undefined ? { only: rerun.plan.only } : {}),
        ...(rerun.ledger !== undefined ? { ledger: rerun.ledger } : {}),
        rerun: rerun.plan
      }
    )
    const outputs: Record<string, string> = {}
    await reportTaskSet(
      {
        clock,
        logger,
        setOutput: (name, value) => {
          outputs[name] = value
        },
        writeSummary: () => Promise.resolve()
      },
      outcome,
      {
        clients: { region: local.region },
        rendered: { appLogConfiguration: LOG_CONFIGURATION },
        logLines: 0,
        failOnError: true,
        stopOnCancel: true,
        wait: true,
        runAttempt: rerun.runAttempt,
        earlier: rerun.plan.earlier
      }
    )
    const after = local.stats()
    const throttledOf = (s: typeof after): number =>
      Object.values(s.ecs.throttled).reduce((a, b) => a + b, 0)
    return {
      outcome,
      outputs,
      started: after.tasks.length - before.tasks.length,
      runTaskCalls: (after.ecs.calls.RunTask ?? 0) - (before.ecs.calls.RunTask ?? 0),
      throttled: throttledOf(after) - throttledOf(before),
      retried: outcome.records.reduce((n, r) => n + (r.attempts?.length ?? 0), 0),
      simS: (clock.now() - simStart) / 1000,
      realS: (Date.now() - realStart) / 1000
    }
  } finally {
    ecs.destroy()
  }
}

async function withLocal<T>(
  clock: Clock,
  faults: FaultRates | undefined,
  fn: (local: LocalAws) => Promise<T>
): Promise<T> {
  const local = await startLocalAws({ clock, timeScale: 1, seed: 7, ...(faults ? { faults } : {}) })
  try {
    return await fn(local)
  } finally {
    await local.close()
  }
}

async function main(): Promise<void> {
  const clock = scaledClock(SCALE)
  const limit = new AbortController()
  const hardStop = setTimeout(() => limit.abort(), LIMIT_S * 1000)
  const signal = limit.signal
  const rows: string[] = []
  const row = (what: string, measured: string, goal: string): void => {
    rows.push(`| ${what} | ${measured} | ${goal} |`)
    process.stderr.write(`${what}: ${measured} (goal ${goal})\n`)
  }
  try {
    await withLocal(clock, undefined, async (local) => {
      const one = await runScenario({ local, clock, specs: [{ env: SPOT_ENV }], signal })
      row(
        '1. one task, one Spot interruption: exit code, attempts',
        `${firstExit(one.outputs)}, ${one.outputs.attempts}`,
        '0, 2'
      )
      const app = await runScenario({
        local,
        clock,
        specs: [{ env: { SIM_EXIT_CODE: '1' } }],
        signal
      })
      row(
        '2. one task, the app exits 1: exit code, attempts, tasks started',
        `${firstExit(app.outputs)}, ${app.outputs.attempts}, ${app.started}`,
        '1, 1, 1'
      )
      const ten = await runScenario({
        local,
        clock,
        specs: Array.from({ length: 10 }, (_, i) => ({
          env: { N: String(i), ...([2, 5, 7].includes(i) ? SPOT_ENV : {}) }
        })),
        signal
      })
      row(
        '3. ten tasks, three interrupted: tasks started, succeeded',
        `${ten.started}, ${ten.outputs.succeeded}`,
        '13, 10'
      )
      const six = Array.from({ length: 6 }, (_, i) => ({
        env: { M: String(i), ...([1, 4].includes(i) ? SPOT_ENV : {}) }
      }))
      const github = { GITHUB_RUN_ID: '77', GITHUB_JOB: 'bench' }
      const first = await runScenario({
        local,
        clock,
        specs: six,
        attempts: 1,
        env: { ...github, GITHUB_RUN_ATTEMPT: '1' },
        signal
      })
      const second = await runScenario({
        local,
        clock,
        specs: six,
        attempts: 1,
        env: { ...github, GITHUB_RUN_ATTEMPT: '2' },
        signal
      })
      row(
        '4. re-run after 2 of 6 failed: failed in run 1; started in run 2; results; run-attempts',
        `${first.outputs.failed}; ${second.started}; ${(JSON.parse(second.outputs['exit-codes'] ?? '[]') as unknown[]).length} (${second.outputs.succeeded} succeeded); ${second.outputs['run-attempts']}`,
        '2; 2; 6 (6 succeeded)'
      )
    })
    const rates = { spotInterruption: 0.02, pullThrottle: 0.01 }
    await withLocal(clock, rates, async (local) => {
      const random = seededRandom(42)
      const specs: TaskSpec[] = Array.from({ length: TASKS }, (_, i) => ({
        env: {
          ONESHOT_INDEX: String(i),
          ONESHOT_COUNT: String(TASKS),
          SIM_RUN_SECONDS: String(20 + Math.round(random() * 20))
        }
      }))
      const big = await runScenario({ local, clock, specs, maxParallel: 200, signal })
      const attempts = JSON.parse(big.outputs['task-attempts'] ?? '[]') as number[]
      row(
        `5. ${TASKS} tasks, 2 % Spot + 1 % pull throttling: succeeded / failed`,
        `${big.outputs.succeeded} / ${big.outputs.failed}`,
        `${TASKS} / 0`
      )
      row(
        '5. tasks retried (attempts above 1)',
        `${attempts.filter((a) => a > 1).length} (${big.retried} retries)`,
        'about 3 % of the tasks'
      )
      row(
        '5. tasks started / RunTask calls',
        `${big.started} / ${big.runTaskCalls}`,
        `${TASKS} + retries`
      )
      row('5. throttled ECS answers', String(big.throttled), '0')
      row(
        '5. wall time simulated / real',
        `${big.simS.toFixed(0)} s / ${big.realS.toFixed(0)} s`,
        ''
      )
      if (big.outcome.halt) row('5. halted', big.outcome.halt, 'no halt')
    })
    const text = [
      '# Retry and re-run benchmark',
      '',
      `Date: ${new Date().toISOString()}. Machine: ${machine()} (shared with other work while it ran).`,
      '',
      `The task set against the local simulator with AWS's ECS token buckets, launch-rate 10/s, ` +
        `attempts 3 and the default retry-on set, time scale ${SCALE}. Run: \`npm run bench:retry\`.`,
      '',
      '| scenario | measured | goal |',
      '|---|---|---|',
      ...rows,
      ''
    ].join('\n')
    writeFileSync(OUT, text)
    process.stdout.write(text)
  } finally {
    clearTimeout(hardStop)
  }
}

await main()
process.exit(0)
