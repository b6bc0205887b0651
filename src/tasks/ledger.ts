/**
 * The task set's side of the fan-out's ledger: where this job's records live, what an earlier
 * run attempt left (read once, on run attempt 2 and later) and what to do about each task
 * (src/tasks/rerun.ts `planRerun`), and the ledger a set writes as it runs, through the bucket
 * writer of src/ledger/ (docs/retries.md, "The ledger"). Never fails the step: a ledger that
 * cannot be read or written costs a re-run its knowledge, never this run.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import { readJobLedger } from '../ledger/reader.js'
import { ledgerPlace, type LedgerPlace, type LedgerTask as StoredTask } from '../ledger/records.js'
import { LedgerWriter } from '../ledger/writer.js'
import type { LedgerEntry, TaskSetLedger } from '../model/ledger.js'
import { APP_RULE, taskExitCode, type ResultRule } from '../model/result.js'
import type { NotificationPrefix, TaskSpec } from '../model/task.js'
import type { Clock, Random } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { planRerun, runAttemptOf, specFingerprint, type RerunPlan } from './rerun.js'

/** How long the job intent may take to be stored before the first RunTask goes anyway. */
export const INTENT_WAIT_MS = 10_000

/** What a run knows of the ledger before it starts: the plan, and the ledger it writes. */
export interface LedgerStart {
  runAttempt: number
  plan: RerunPlan
  /** Absent outside a workflow run or without a notification bucket. */
  ledger?: TaskSetLedger
  place?: LedgerPlace
}

/** The newest entry of each index, from a job's stored tasks and its newest intent. */
export function entriesOf(job: {
  tasks: ReadonlyMap<number, StoredTask>
  intent?: {
    runAttempt: number
    tasks: number
    indexes: readonly { index: number; spec: string; taskAttempt: number; clientToken: string }[]
  }
}): Map<number, LedgerEntry> {
  // A stored task record carries every field of an entry.
  const entries = new Map<number, LedgerEntry>(job.tasks)
  const intent = job.intent
  for (const i of intent?.indexes ?? []) {
    const known = entries.get(i.index)
    // The newest intent names a start no record of its run attempt (or a later one) follows.
    if (intent === undefined || (known !== undefined && known.runAttempt >= intent.runAttempt)) {
      continue
    }
    entries.set(i.index, {
      index: i.index,
      runAttempt: intent.runAttempt,
      taskAttempt: i.taskAttempt,
      spec: i.spec,
      tasks: intent.tasks,
      status: 'intent',
      taskArn: null,
      clientToken: i.clientToken,
      exitCode: null,
      stopCode: null,
      stoppedReason: null,
      stopRequest: null,
      startedAt: null,
      stoppedAt: null,
      version: 2
    })
  }
  return entries
}

/**
 * Before a set starts: this job's place in the ledger and, on a re-run, what to do with each
 * task. Without a notification bucket or outside a workflow run there is no ledger, and a re-run
 * starts every task (said once).
 */
export async function openLedger(
  deps: { s3?: Pick<S3Client, 'send'>; clock: Clock; random: Random; logger: Logger },
  input: {
    bucket?: NotificationPrefix
    env: NodeJS.ProcessEnv
    jobIndex: number
    jobTotal: number
    rerun: 'failed' | 'all'
    specs: readonly TaskSpec[]
    cluster: string
    region: string
    /** The app container's logs link of a task, recorded for the summary. */
    logsUrlOf: (taskArn: string) => string | undefined
    /** Whose exit code is the task's (default the app container's). */
    rule?: ResultRule
  }
): Promise<LedgerStart> {
  const { logger } = deps
  const runAttempt = runAttemptOf(input.env)
  const none: LedgerStart = { runAttempt, plan: { earlier: new Map() } }
  const place =
    input.bucket === undefined
      ? undefined
      : ledgerPlace({ ...input, bucket: input.bucket.bucket, prefix: input.bucket.prefix })
  if (place === undefined || deps.s3 === undefined) {
    if (runAttempt > 1 && input.env.GITHUB_RUN_ID) {
      logger.notice(
        `Run attempt ${runAttempt}: every task starts again, since the ledger of earlier ` +
          `attempts lives in the notification bucket and this run has none (notification-prefix)`
      )
    }
    return none
  }
  const s3 = deps.s3
  let plan: RerunPlan = { earlier: new Map() }
  if (runAttempt > 1) {
    const job = await readJobLedger({ s3, logger }, place)
    plan = planRerun({
      runAttempt,
      rerun: input.rerun,
      specs: input.specs,
      entries: entriesOf(job)
    })
    logger.info(rerunLine(runAttempt, input.specs.length, input.rerun, plan))
  }
  const writer = new LedgerWriter(
    { s3, clock: deps.clock, random: deps.random, logger },
    {
      place,
      runAttempt,
      tasks: input.specs.length,
      cluster: input.cluster,
      region: input.region,
      ...(input.bucket?.region !== undefined ? { bucketRegion: input.bucket.region } : {})
    }
  )
  const spec = (index: number): string => specFingerprint(input.specs[index] ?? { env: {} })
  const rule = input.rule ?? APP_RULE
  const ledger: TaskSetLedger = {
    tokenOf: (index, taskAttempt) => writer.clientToken(index, taskAttempt),
    async intent(tasks) {
      writer.intent(tasks.map((t) => ({ ...t, spec: spec(t.index) })))
      // Recorded before the first RunTask, so a runner lost right after it leaves a trace.
      await writer.flush(INTENT_WAIT_MS)
    },
    started(t) {
      const logsUrl = input.logsUrlOf(t.taskArn)
      writer.started({
        ...t,
        spec: spec(t.index),
        startedAt: new Date(deps.clock.now()),
        ...(logsUrl !== undefined ? { logsUrl } : {})
      })
    },
    ended(t) {
      const task = t.end.kind === 'stopped' ? t.end.task : undefined
      const logsUrl = input.logsUrlOf(t.taskArn)
      writer.ended({
        index: t.index,
        taskAttempt: t.taskAttempt,
        status: t.status === 'unfinished' ? 'failed' : t.status,
        exitCode: task !== undefined ? taskExitCode(task, rule) : null,
        stopCode: task?.stopCode ?? null,
        stoppedReason: task?.stoppedReason ?? (t.end.kind === 'lost' ? t.end.reason : null),
        startedAt: task?.startedAt ?? null,
        stoppedAt: task?.stoppedAt ?? null,
        spec: spec(t.index),
        taskArn: t.taskArn,
        adopted: t.adopted,
        clientToken: t.clientToken,
        ...(logsUrl !== undefined ? { logsUrl } : {})
      })
    },
    stopRequested(t) {
      writer.stopRequested(t.index, t.taskAttempt, t.why)
    },
    async flush() {
      await writer.flush()
    }
  }
  return { runAttempt, plan, ledger, place }
}

/** The line a re-run logs: what earlier attempts did, and what this one starts or adopts. */
function rerunLine(
  runAttempt: number,
  total: number,
  rerun: 'failed' | 'all',
  plan: RerunPlan
): string {
  const adopted = plan.adopt?.size ?? 0
  const resent = plan.resend?.size ?? 0
  const starting = (plan.only?.length ?? total) - adopted - resent
  const parts = [`${plan.earlier.size} of ${total} tasks succeeded in an earlier attempt`]
  if (adopted > 0) parts.push(`${adopted} still running or ended unrecorded (adopted)`)
  if (resent > 0) parts.push(`${resent} sent again with their earlier token`)
  return `Run attempt ${runAttempt}: ${parts.join('; ')}; starting the other ${starting} (rerun: ${rerun})`
}
