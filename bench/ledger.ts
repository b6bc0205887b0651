/**
 * Ledger benchmark: the fan-out's ledger (src/ledger/) written and read through the real S3
 * client against the in-process S3 server (sim/s3-server.ts), which answers 503 SlowDown above
 * S3's 3,500 PUTs a second per prefix (docs/limits.md).
 *
 *   (a) one job of --tasks (1,000) tasks launched at --rate (40 a second: RunTask's account rate,
 *       the most any job launches), each ending --run (5) seconds later, --stops (10) of them
 *       stopped by the action first: the intent, a started and an ended record per task, one
 *       record per StopTask. Counts PUTs per task attempt, SlowDown answers, the peak PUT rate.
 *   (a') the same records with no pacing at all (every started record at once, then every end):
 *       the writer's 16 writes in flight are what bounds the rate then.
 *   (b) `mode: summary` over a 1,000-task run (50 matrix legs of 20 tasks, 2 % failed, one leg
 *       with no record): LIST pages, GETs, summary bytes and ECS calls (a counting middleware on
 *       the ECS client it is given).
 *
 *   npx tsx bench/ledger.ts [--tasks 1000] [--rate 40] [--run 5] [--stops 10] [--out FILE]
 */
import { writeFileSync } from 'node:fs'
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import { ECSClient } from '@aws-sdk/client-ecs'
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling'
import { SNSClient } from '@aws-sdk/client-sns'
import { startS3Server, type S3Server } from '../sim/s3-server.js'
import type { AwsClients } from '../src/aws/clients.js'
import { ledgerPlace, type LedgerPlace } from '../src/ledger/records.js'
import { LedgerWriter, type LedgerWriterStats } from '../src/ledger/writer.js'
import { summarizeRun } from '../src/summary-mode.js'
import { systemClock } from '../src/util/clock.js'
import { quietLogger } from './lib/quiet-run.js'
import { machine } from './lib/machine.js'
import { arg, argText } from './lib/args.js'

const TASKS = arg('tasks', 1000)
const RATE = arg('rate', 40)
const RUN_S = arg('run', 5)
const STOPS = arg('stops', 10)
const OUT = argText('out', 'bench/RESULTS-ledger.md')
/** S3's PUT rate per partitioned prefix (docs/limits.md). */
const S3_PUTS_PER_SECOND = 3500
const REGION = 'ap-northeast-1'
const arn = (id: string): string => `arn:aws:ecs:${REGION}:123456789012:task/batch/${id}`

function placeOf(runId: string, job: string, jobIndex: number, jobTotal: number): LedgerPlace {
  const env = { GITHUB_RUN_ID: runId, GITHUB_JOB: job }
  const place = ledgerPlace({ bucket: 'notes', prefix: 'oneshot', env, jobIndex, jobTotal })
  if (place === undefined) throw new Error('no place')
  return place
}

function writerOf(server: S3Server, place: LedgerPlace, tasks: number): LedgerWriter {
  return new LedgerWriter(
    { s3: server.client(REGION), clock: systemClock, random: Math.random, logger: quietLogger() },
    { place, runAttempt: 1, tasks, cluster: 'batch', region: REGION }
  )
}

interface WriteResult {
  stats: LedgerWriterStats
  throttled: number
  peak: number
  puts: number
  wallS: number
}

/** (a) and (a'): one job's ledger of TASKS tasks, paced at `rate` a second or all at once. */
async function writeJob(server: S3Server, runId: string, rate?: number): Promise<WriteResult> {
  server.resetStats()
  const started = Date.now()
  const writer = writerOf(server, placeOf(runId, 'batch', 0, 1), TASKS)
  const indexes = Array.from({ length: TASKS }, (_, index) => index)
  writer.intent(indexes.map((index) => ({ index, spec: 's', taskAttempt: 1 })))
  const ends: Promise<void>[] = []
  const later: (() => Promise<void>)[] = []
  for (const index of indexes) {
    if (rate !== undefined) await systemClock.sleep(1000 / rate)
    const t0 = new Date()
    writer.started({ index, taskAttempt: 1, spec: 's', taskArn: arn(`t${index}`), startedAt: t0 })
    const end = async (): Promise<void> => {
      if (rate !== undefined) await systemClock.sleep(RUN_S * 1000)
      const stopped = index < STOPS
      if (stopped) writer.stopRequested(index, 1, 'timeout')
      writer.ended({
        index,
        taskAttempt: 1,
        status: stopped ? 'stopped' : 'succeeded',
        exitCode: stopped ? 143 : 0,
        startedAt: t0,
        stoppedAt: new Date()
      })
    }
    // Paced: each end RUN_S after its start. At once: every end after every start.
    if (rate !== undefined) ends.push(end())
    else later.push(end)
  }
  for (const end of later) ends.push(end())
  await Promise.all(ends)
  const stats = await writer.flush(120_000)
  const s = server.stats()
  return {
    stats,
    throttled: s.throttled,
    peak: s.peakPutsPerSecond,
    puts: s.byOperation.PutObject ?? 0,
    wallS: (Date.now() - started) / 1000
  }
}

interface SummaryResult {
  records: number
  keys: number
  listPages: number
  gets: number
  summaryBytes: number
  ecsCalls: number
  outputs: Record<string, string>
  failure?: string
  wallMs: number
}

/** (b): 50 matrix legs of 20 tasks (one leg without any record), then `mode: summary`. */
async function summarize(server: S3Server, runId: string): Promise<SummaryResult> {
  const legs = 50
  const perLeg = TASKS / legs
  let records = 0
  for (let leg = 0; leg < legs; leg++) {
    if (leg === legs - 1) break // the last leg's runner never wrote: "not run"
    const writer = writerOf(server, placeOf(runId, 'shard', leg, legs), perLeg)
    writer.intent(
      Array.from({ length: perLeg }, (_, index) => ({ index, spec: 's', taskAttempt: 1 }))
    )
    for (let index = 0; index < perLeg; index++) {
      const n = leg * perLeg + index
      const failed = n % 50 === 7
      writer.ended({
        index,
        taskAttempt: 1,
        status: failed ? 'failed' : 'succeeded',
        exitCode: failed ? 1 : 0,
        stopCode: 'EssentialContainerExited',
        stoppedReason: failed ? 'Essential container in task exited' : null,
        spec: 's',
        taskArn: arn(`s${n}`),
        startedAt: new Date(Date.parse('2026-12-07T10:00:00Z')),
        stoppedAt: new Date(Date.parse('2026-12-07T10:00:00Z') + (30 + (n % 90)) * 1000),
        logsUrl: `https://${REGION}.console.aws.amazon.com/cloudwatch/home?region=${REGION}#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/ecs$252Fapp$252Fs${n}`
      })
      records++
    }
    await writer.flush()
  }
  server.resetStats()
  let ecsCalls = 0
  const ecs = new ECSClient({ region: REGION })
  ecs.middlewareStack.add(
    (next) => (args) => {
      ecsCalls++
      return next(args)
    },
    { step: 'initialize', name: 'countEcsCalls' }
  )
  const clients: AwsClients = {
    region: REGION,
    ecs,
    logs: new CloudWatchLogsClient({ region: REGION }),
    autoScaling: new AutoScalingClient({ region: REGION }),
    sns: new SNSClient({ region: REGION }),
    s3: () => server.client(REGION)
  }
  const outputs: Record<string, string> = {}
  let summary = ''
  const started = Date.now()
  const failure = await summarizeRun(
    {
      logger: quietLogger(),
      env: { GITHUB_RUN_ID: runId },
      createClients: () => Promise.resolve(clients),
      setOutput: (name, value) => (outputs[name] = value),
      writeSummary: (markdown) => {
        summary = markdown
        return Promise.resolve()
      }
    },
    {
      inputs: {
        definition: 'hako/batch.yml',
        notificationPrefix: 's3://notes/oneshot',
        failOnError: true
      },
      rendered: { region: REGION }
    }
  )
  const wallMs = Date.now() - started
  const s = server.stats()
  return {
    records,
    keys: records + (legs - 1),
    listPages: s.byOperation.ListObjectsV2 ?? 0,
    gets: s.byOperation.GetObject ?? 0,
    summaryBytes: Buffer.byteLength(summary),
    ecsCalls,
    outputs,
    ...(failure !== undefined ? { failure } : {}),
    wallMs
  }
}

async function main(): Promise<void> {
  const server = await startS3Server({ buckets: ['notes'], putsPerSecond: S3_PUTS_PER_SECOND })
  try {
    const paced = await writeJob(server, '8001', RATE)
    const burst = await writeJob(server, '8002')
    const summary = await summarize(server, '8003')
    const perTask = (r: WriteResult): string =>
      ((r.puts - 1 - STOPS) / TASKS).toFixed(2) + ` (${r.puts} PUTs: 1 intent, ${STOPS} stops)`
    const row = (name: string, measured: string, goal: string): string =>
      `| ${name} | ${measured} | ${goal} |`
    const lines = [
      '# Ledger benchmark',
      '',
      `Date: ${new Date().toISOString()}. Machine: ${machine()}.`,
      '',
      `The ledger written and read through the real S3 client against the in-process S3 server ` +
        `(s3rver), which answers 503 SlowDown above ${S3_PUTS_PER_SECOND} PUTs a second. ` +
        'Run: `npm run bench:ledger`.',
      '',
      '| measure | measured | goal |',
      '| --- | --- | --- |',
      row(
        `(a) ${TASKS} tasks launched at ${RATE}/s, ${RUN_S} s each: PUTs per task attempt`,
        perTask(paced),
        '≤ 2, plus 1 per StopTask and 1 per job attempt'
      ),
      row(
        '(a) SlowDown answers / writer retries',
        `${paced.throttled} / ${paced.stats.retried}`,
        '0'
      ),
      row('(a) peak PUTs in one second', String(paced.peak), `≤ ${S3_PUTS_PER_SECOND}`),
      row(
        '(a) records written / lost; wall',
        `${paced.stats.written} / ${paced.stats.lost}; ${paced.wallS.toFixed(1)} s`,
        '- / 0'
      ),
      row(
        `(a') the same ${TASKS} tasks, every write at once: PUTs per task attempt`,
        perTask(burst),
        '≤ 2'
      ),
      row(
        "(a') SlowDown answers / peak PUTs in one second",
        `${burst.throttled} / ${burst.peak}`,
        `0 / ≤ ${S3_PUTS_PER_SECOND}`
      ),
      row(
        "(a') records written / lost; wall",
        `${burst.stats.written} / ${burst.stats.lost}; ${burst.wallS.toFixed(1)} s`,
        '- / 0'
      ),
      row(
        `(b) mode: summary over ${summary.records} task records (${summary.keys} keys): LIST pages`,
        String(summary.listPages),
        `≤ ${Math.ceil(summary.keys / 1000)} (1 per 1,000 keys)`
      ),
      row('(b) GETs', String(summary.gets), `≤ ${summary.keys} (1 per record)`),
      row('(b) summary bytes', String(summary.summaryBytes), '≤ 1,048,576'),
      row('(b) ECS calls', String(summary.ecsCalls), '0'),
      row(
        '(b) outputs total / succeeded / failed / not-run',
        [
          summary.outputs.total,
          summary.outputs.succeeded,
          summary.outputs.failed,
          summary.outputs['not-run']
        ].join(' / '),
        `${summary.records + 1} / - / - / 1 (the leg with no record)`
      ),
      row('(b) wall (read and summarize)', `${summary.wallMs} ms`, '-'),
      ''
    ]
    const text = lines.join('\n')
    process.stdout.write(`${text}\n`)
    writeFileSync(OUT, text)
  } finally {
    await server.close()
  }
}

await main()
