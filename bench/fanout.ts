/**
 * Fan-out benchmark: ONE process runs 1,000 tasks of 20 to 40 simulated seconds each with
 * max-parallel 200 through `runMany`, against the local ECS simulator (sim/) with AWS's token
 * buckets and the notifier writing into s3rver, all on 127.0.0.1.
 *
 * Time: the simulator's `timeScale` option scales the task lifecycle but not its token buckets,
 * so instead one scaled clock drives everything (the simulator's timers, timestamps and buckets,
 * and the action's launch budget, read schedule and deadlines): `--scale 0.1` runs ten simulated
 * seconds per real second with every rate intact in simulated time. The SDK's own retry delays
 * stay real (they are not on the injected clock).
 *
 *   npx tsx bench/fanout.ts [--tasks 1000] [--max-parallel 200] [--scale 0.1] [--out file.md]
 *
 * Bounded: the run is cancelled after --limit real seconds (default 300), and the process exits.
 */
import { execSync, spawnSync } from 'node:child_process'
import { createCipheriv } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs'
import { startLocalAws } from '../sim/index.js'
import { reportTaskSet } from '../src/report/set.js'
import { appOverrideOf } from '../src/tasks/batch.js'
import { runTaskSet } from '../src/tasks/run-set.js'
import { seededRandom } from '../sim/random.js'
import type { TaskSpec } from '../src/model/task.js'
import { quietLogger, scaledClock } from './lib/quiet-run.js'
import { arg, argText } from './lib/args.js'

const TASKS = arg('tasks', 1000)
const MAX_PARALLEL = arg('max-parallel', 200)
const SCALE = arg('scale', 0.1)
const LAUNCH_RATE = arg('launch-rate', 10)
const LIMIT_S = arg('limit', 300)
const OUT = argText('out', 'bench/RESULTS-fanout.md')
const MIN_RUN_S = 20
const MAX_RUN_S = 40

function machine(): string {
  const sh = (cmd: string): string => {
    try {
      return execSync(cmd, { encoding: 'utf8' }).trim()
    } catch {
      return '(unavailable)'
    }
  }
  const mem = sh('free -h').split('\n')[1]?.trim().split(/\s+/)[1] ?? '?'
  return `${sh('nproc')} CPUs, ${mem} memory, Node ${process.version}, ${process.platform}`
}

async function main(): Promise<void> {
  const clock = scaledClock(SCALE)
  const local = await startLocalAws({ clock, timeScale: 1, seed: 7 })
  const ecs = new ECSClient(local.clientConfig('ecs'))
  const limit = new AbortController()
  const hardStop = setTimeout(() => limit.abort(), LIMIT_S * 1000)
  try {
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'bench-oneshot',
        containerDefinitions: [
          {
            name: 'app',
            image: 'busybox',
            memory: 64,
            logConfiguration: {
              logDriver: 'awslogs',
              options: { 'awslogs-group': '/bench', 'awslogs-stream-prefix': 'bench' }
            }
          }
        ]
      })
    )
    const taskDefinition = registered.taskDefinition?.taskDefinitionArn ?? 'bench-oneshot'
    const random = seededRandom(42)
    const specs: TaskSpec[] = Array.from({ length: TASKS }, (_, i) => ({
      env: {
        ONESHOT_INDEX: String(i),
        ONESHOT_COUNT: String(TASKS),
        SIM_RUN_SECONDS: String(MIN_RUN_S + Math.round(random() * (MAX_RUN_S - MIN_RUN_S)))
      }
    }))
    const meanRunS =
      specs.reduce((n, s) => n + Number(s.env.SIM_RUN_SECONDS), 0) / Math.max(1, specs.length)
    const logger = quietLogger()
    const outputs: Record<string, string> = {}
    let summaryBytes = 0
    const simStart = clock.now()
    const realStart = Date.now()
    const result = await runTaskSet(
      { ecs, s3: local.s3, clock, random: seededRandom(1), logger, saveStartedArns: () => {} },
      {
        baseRequest: { cluster: 'bench', taskDefinition, startedBy: 'bench' },
        apps: specs.map((spec) => appOverrideOf(spec, { env: {} })),
        maxParallel: MAX_PARALLEL,
        launchRate: LAUNCH_RATE,
        failFast: false,
        prefix: { bucket: local.bucket, prefix: local.keyPrefix, region: local.region },
        pollIntervalSeconds: 1,
        verifyIntervalSeconds: 300,
        stopOnCancel: true,
        signal: limit.signal,
        runUrl: 'bench'
      }
    )
    const failureMessage = await reportTaskSet(
      {
        clock,
        logger,
        setOutput: (name, value) => {
          outputs[name] = value
        },
        writeSummary: (md) => {
          summaryBytes = Buffer.byteLength(md)
          return Promise.resolve()
        }
      },
      result,
      {
        clients: { region: local.region },
        rendered: {
          appLogConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/bench', 'awslogs-stream-prefix': 'bench' }
          }
        },
        logLines: 0,
        failOnError: true,
        stopOnCancel: true,
        wait: true
      }
    )
    const simS = (clock.now() - simStart) / 1000
    const realS = (Date.now() - realStart) / 1000
    const stats = local.stats()
    const ecsCalls = stats.ecs.calls
    const throttled = Object.values(stats.ecs.throttled).reduce((a, b) => a + b, 0)
    const taskMinutes =
      stats.tasks.reduce(
        (n, t) => n + ((t.stoppedAt ?? t.createdAt) - (t.runningAt ?? t.createdAt)),
        0
      ) / 60000
    const s3 = stats.s3.byOperation
    const waiterS3 = result.waitRequests.get + result.waitRequests.list
    const waves = Math.ceil(TASKS / MAX_PARALLEL)
    const ideal = waves * meanRunS
    const otherEcs = Object.entries(ecsCalls)
      .filter(
        ([op]) => op !== 'RunTask' && op !== 'DescribeTasks' && op !== 'RegisterTaskDefinition'
      )
      .reduce((n, [, c]) => n + c, 0)
    const rssMiB = process.resourceUsage().maxRSS / 1024
    const lines = [
      '# Fan-out benchmark',
      '',
      `Date: ${new Date().toISOString()}. Machine: ${machine()}.`,
      '',
      `One process (this benchmark, the simulator and s3rver together): ${TASKS} tasks of ` +
        `${MIN_RUN_S}-${MAX_RUN_S} simulated s (mean ${meanRunS.toFixed(1)} s), max-parallel ` +
        `${MAX_PARALLEL}, launch-rate ${LAUNCH_RATE}/s, poll-interval 1 s, verify-interval 300 s, ` +
        `AWS's ECS token buckets (RunTask/StopTask 100 burst, 40/s; DescribeTasks 100, 20/s), ` +
        `time scale ${SCALE} (one scaled clock drives the simulator and the action). Run: ` +
        `\`npx tsx bench/fanout.ts\`.`,
      '',
      '| measure | value | goal |',
      '|---|---|---|',
      `| tasks succeeded / failed | ${outputs.succeeded ?? '?'} / ${outputs.failed ?? '?'} | ${TASKS} / 0 |`,
      `| throttled ECS responses | ${throttled} | 0 |`,
      `| RunTask calls | ${ecsCalls.RunTask ?? 0} | ${TASKS} (or fewer if batched) |`,
      `| DescribeTasks calls (verify) | ${ecsCalls.DescribeTasks ?? 0} | 0 for tasks shorter than verify-interval |`,
      `| other ECS calls (RegisterTaskDefinition aside) | ${otherEcs} | 0 |`,
      `| waiter S3 requests: LIST / GET | ${result.waitRequests.list} / ${result.waitRequests.get} | |`,
      `| s3rver requests by operation | ${Object.entries(s3)
        .map(([op, n]) => `${op} ${n}`)
        .join(', ')} | |`,
      `| task-minutes (RUNNING to STOPPED) | ${taskMinutes.toFixed(1)} | |`,
      `| waiter S3 requests per task-minute | ${(waiterS3 / taskMinutes).toFixed(2)} (LIST ${(result.waitRequests.list / taskMinutes).toFixed(2)}, GET ${(result.waitRequests.get / taskMinutes).toFixed(2)}) | |`,
      `| waiter cost per task-minute in GET-equivalents (LIST = 12.5 GETs) | ${((result.waitRequests.list * 12.5 + result.waitRequests.get) / taskMinutes).toFixed(2)} | |`,
      `| wall time, simulated | ${simS.toFixed(1)} s | ideal ${ideal.toFixed(0)} s (${waves} waves x ${meanRunS.toFixed(1)} s) |`,
      `| wall time / ideal | ${(simS / ideal).toFixed(2)} | |`,
      `| wall time, real | ${realS.toFixed(1)} s | |`,
      `| peak RSS (whole process) | ${rssMiB.toFixed(0)} MiB | |`,
      `| job summary size | ${summaryBytes} bytes | < 1 MiB |`,
      `| log lines (info / debug / warning) | ${logger.counts.info ?? 0} / ${logger.counts.debug ?? 0} / ${logger.counts.warning ?? 0} | |`,
      '',
      'The wall time above the ideal is the launch pacing of the first wave (200 RunTask calls ' +
        `at ${LAUNCH_RATE}/s) plus each task's simulated lifecycle around its run time ` +
        '(PROVISIONING 1 s, PENDING 2 s, stopping 1 s) and the notification and read delays.',
      ''
    ]
    if (result.halt) lines.push(`Halted early: ${result.halt}. ${failureMessage ?? ''}`, '')
    const text = lines.join('\n')
    writeFileSync(OUT, text)
    process.stdout.write(text)
  } finally {
    clearTimeout(hardStop)
    ecs.destroy()
    await local.close()
  }
}

/**
 * s3rver signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy
 * provider: without it a LIST of more than 1,000 keys answers 500 InternalError. The benchmark
 * lists far more, so it runs itself again with the legacy provider when DES is missing.
 */
function desAvailable(): boolean {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8))
    return true
  } catch {
    return false
  }
}

if (!desAvailable() && process.env.BENCH_LEGACY_OPENSSL !== '1') {
  const child = spawnSync(
    process.execPath,
    ['--openssl-legacy-provider', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, BENCH_LEGACY_OPENSSL: '1' } }
  )
  process.exit(child.status ?? 1)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`)
    process.exit(1)
  }
)
