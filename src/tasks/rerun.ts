/**
 * A re-run finishes the work: each task of a fan-out records its final result in the bucket,
 * under the workflow run, at `<prefix>/runs/<run id>/<job>/<index>.json`; a re-run of the
 * workflow run (GITHUB_RUN_ATTEMPT above 1, docs/retries.md, "Re-runs on GitHub") reads them and
 * starts only the tasks that did not succeed. A record is small and holds no environment value:
 * the index, the run attempt, the status, the exit code, the task ARN, the stop code, the
 * attempts, and a fingerprint of the task's command and env names (never values) so a changed
 * task list is run again rather than trusted.
 *
 * The planning is pure (`planRerun`); reading and writing take the S3 client as a parameter and
 * never fail the step: a record that cannot be read means the task runs again.
 */
import { createHash } from 'node:crypto'
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client
} from '@aws-sdk/client-s3'
import type { TaskSpec } from '../model/task.js'
import { attemptsOf, type TaskRecord } from '../model/outcome.js'
import { APP_RULE, succeeded, taskExitCode, type RecordedResult } from '../model/result.js'
import type { LedgerEntry, LedgerTask } from '../model/ledger.js'
import { shownErrorMessage } from '../util/errors.js'
import { isAccessDenied } from '../aws/errors.js'
import { prefixKey, s3ObjectArn } from '../aws/s3.js'
import type { Logger } from '../util/logger.js'
import { parseJson } from '../util/objects.js'
import { pool } from '../util/pool.js'

/** Bumped when the record's shape changes; records of another version are not read. */
export const RUN_RECORD_VERSION = 1

/** Reads and writes in flight at once: far below S3's 3,500 PUT / 5,500 GET a second per prefix. */
export const RECORD_CONCURRENCY = 16

/** The stopped reason kept in a record, at most this many characters. */
const REASON_MAX = 256

/** One task's final result in one attempt of the workflow run, as stored (version 1). */
export interface RunRecord extends RecordedResult {
  version: number
  /** Tasks in the set, and the task's fingerprint (specFingerprint). */
  tasks: number
  spec: string
}

/** Where one job's records live. */
export interface RunRecordPlace {
  bucket: string
  /** The bucket's region, for the partition of the ARNs a message names. */
  region?: string
  /** `<prefix>/runs/<run id>/<job>/`, ending in `/`. */
  keyPrefix: string
}

/**
 * The place of this job's records, or undefined when there is none: outside a workflow run, or
 * without a notification prefix. `<job>` is GITHUB_JOB, with the matrix job's index and the
 * step (GITHUB_ACTION) when known, so two steps or two matrix jobs never share records.
 */
export function runRecordPlace(input: {
  bucket: string
  prefix: string
  region?: string
  env: NodeJS.ProcessEnv
  jobIndex: number
  jobTotal: number
}): RunRecordPlace | undefined {
  const { env } = input
  const runId = env.GITHUB_RUN_ID
  const job = env.GITHUB_JOB
  if (!runId || !job) return undefined
  const parts = [job]
  if (input.jobTotal > 1) parts.push(`m${input.jobIndex}`)
  if (env.GITHUB_ACTION) parts.push(env.GITHUB_ACTION)
  const segment = parts.map((p) => p.replace(/[^A-Za-z0-9_.-]/g, '_')).join('.')
  return {
    bucket: input.bucket,
    keyPrefix: prefixKey(input.prefix, 'runs', runId, segment, ''),
    ...(input.region !== undefined ? { region: input.region } : {})
  }
}

/** The workflow run attempt: GITHUB_RUN_ATTEMPT, 1 when absent or not a number. */
export function runAttemptOf(env: NodeJS.ProcessEnv): number {
  const n = Number(env.GITHUB_RUN_ATTEMPT)
  return Number.isSafeInteger(n) && n >= 1 ? n : 1
}

/** A fingerprint of a task: its command and the names (not values) of its env. */
export function specFingerprint(spec: TaskSpec): string {
  const text = JSON.stringify([spec.command ?? null, Object.keys(spec.env).sort()])
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** A task an earlier run attempt started whose end it never recorded: this attempt adopts it. */
export interface Adoption extends LedgerTask {
  taskArn: string
}

/** What a run does about earlier attempts. */
export interface RerunPlan {
  /** Indexes to start or adopt, in order; undefined: all. */
  only?: number[]
  /** Indexes that succeeded in an earlier attempt, with their result. */
  earlier: Map<number, RecordedResult>
  /** Tasks started by an earlier attempt whose end was never recorded: waited on, not started. */
  adopt?: Map<number, Adoption>
  /**
   * Tasks an earlier attempt meant to start whose start was never recorded: RunTask is sent
   * again with the token it used, so ECS answers with the task if it started one (docs/retries.md).
   */
  resend?: Map<number, LedgerTask>
  /** The first task attempt of this run attempt, by index, where it is not 1. */
  firstAttempt?: Map<number, number>
}

/** The result of a task that succeeded in an earlier run attempt, as the report shows it. */
function earlierResult(entry: LedgerEntry): RecordedResult {
  return {
    index: entry.index,
    runAttempt: entry.runAttempt,
    status: 'succeeded',
    exitCode: entry.exitCode,
    taskArn: entry.taskArn,
    stopCode: entry.stopCode,
    stoppedReason: entry.stoppedReason,
    attempts: entry.taskAttempt,
    startedAt: entry.startedAt,
    stoppedAt: entry.stoppedAt
  }
}

/**
 * What to do with each task (pure), from the newest ledger entry of each index: on run attempt
 * 1 every task starts. Later, a task that succeeded before is not started again (`rerun:
 * failed`); one started before whose end was never recorded is adopted, under either `rerun`
 * setting (never doubled); one whose start was never recorded gets its RunTask again with the
 * same token; a failure, an end the action caused, and a task with no entry run again, their
 * task attempts counting on. An entry that does not fit the task (another set size or
 * fingerprint, or a later run attempt) is not trusted: that task runs.
 */
export function planRerun(input: {
  runAttempt: number
  rerun: 'failed' | 'all'
  specs: readonly TaskSpec[]
  entries: ReadonlyMap<number, LedgerEntry>
}): RerunPlan {
  const plan: RerunPlan = { earlier: new Map() }
  if (input.runAttempt <= 1) return plan
  const only: number[] = []
  const adopt = new Map<number, Adoption>()
  const resend = new Map<number, LedgerTask>()
  const firstAttempt = new Map<number, number>()
  input.specs.forEach((spec, index) => {
    const e = input.entries.get(index)
    const fits =
      e !== undefined &&
      e.tasks === input.specs.length &&
      e.spec === specFingerprint(spec) &&
      e.runAttempt < input.runAttempt
    if (!fits) {
      only.push(index)
      return
    }
    const { taskAttempt } = e
    if (e.status === 'succeeded' && input.rerun === 'failed') {
      plan.earlier.set(index, earlierResult(e))
      return
    }
    only.push(index)
    if (e.status === 'unfinished' && e.taskArn !== null && e.clientToken !== null) {
      adopt.set(index, { index, taskAttempt, clientToken: e.clientToken, taskArn: e.taskArn })
      firstAttempt.set(index, taskAttempt)
    } else if (e.status === 'intent' && e.clientToken !== null) {
      resend.set(index, { index, taskAttempt, clientToken: e.clientToken })
      firstAttempt.set(index, taskAttempt)
    } else {
      firstAttempt.set(index, taskAttempt + 1)
    }
  })
  if (only.length < input.specs.length) plan.only = only
  if (adopt.size > 0) plan.adopt = adopt
  if (resend.size > 0) plan.resend = resend
  if (firstAttempt.size > 0) plan.firstAttempt = firstAttempt
  return plan
}

/** A version 1 record as a ledger entry: a final result, succeeded or failed. */
export function entryOfRunRecord(record: RunRecord): LedgerEntry {
  return {
    index: record.index,
    runAttempt: record.runAttempt,
    taskAttempt: record.attempts,
    spec: record.spec,
    tasks: record.tasks,
    status: record.status,
    taskArn: record.taskArn,
    clientToken: null,
    exitCode: record.exitCode,
    stopCode: record.stopCode,
    stoppedReason: record.stoppedReason,
    stopRequest: null,
    startedAt: record.startedAt,
    stoppedAt: record.stoppedAt,
    version: record.version
  }
}

/** The record of one task of this attempt, or undefined when it has no final result. */
export function recordOf(
  record: TaskRecord,
  context: { runAttempt: number; specs: readonly TaskSpec[] }
): RunRecord | undefined {
  const spec = context.specs[record.index]
  if (spec === undefined) return undefined
  const base = {
    version: RUN_RECORD_VERSION,
    index: record.index,
    runAttempt: context.runAttempt,
    attempts: attemptsOf(record),
    tasks: context.specs.length,
    spec: specFingerprint(spec)
  }
  const ended = record.state === 'ended' ? record.end : undefined
  if (ended === undefined && record.state !== 'start-failed') return undefined
  // A task that could not start has failed, with every other field null.
  const task = ended?.kind === 'stopped' ? ended.task : undefined
  const exitCode = task !== undefined ? taskExitCode(task, APP_RULE) : null
  return {
    ...base,
    status: succeeded(ended) ? 'succeeded' : 'failed',
    exitCode,
    taskArn: ended !== undefined ? (record.taskArn ?? null) : null,
    stopCode: task?.stopCode ?? null,
    stoppedReason: task?.stoppedReason?.slice(0, REASON_MAX) ?? null,
    startedAt: task?.startedAt?.toISOString() ?? null,
    stoppedAt: task?.stoppedAt?.toISOString() ?? null
  }
}

/** Parses a record's JSON; undefined when it is not a record of this version. */
export function parseRunRecord(text: string): RunRecord | undefined {
  const value = parseJson(text)
  if (value === null || typeof value !== 'object') return undefined
  const r = value as Partial<RunRecord>
  const ok =
    r.version === RUN_RECORD_VERSION &&
    Number.isSafeInteger(r.index) &&
    Number.isSafeInteger(r.runAttempt) &&
    (r.status === 'succeeded' || r.status === 'failed') &&
    Number.isSafeInteger(r.tasks) &&
    typeof r.spec === 'string'
  return ok ? (r as RunRecord) : undefined
}

function accessHint(error: unknown, action: string, place: RunRecordPlace): string {
  const hint = isAccessDenied(error, { anyStatus: true })
    ? `; grant ${action} on ${s3ObjectArn(place.region, place.bucket, `${place.keyPrefix}*`)}`
    : ''
  return `${shownErrorMessage(error)}${hint}`
}

/**
 * Reads this job's records. Never throws: when the records cannot be listed or read, the
 * tasks they would have spared run again, with a warning saying why.
 */
export async function readRunRecords(
  deps: { s3: Pick<S3Client, 'send'>; logger: Logger },
  place: RunRecordPlace
): Promise<Map<number, RunRecord>> {
  const { s3, logger } = deps
  const keys: string[] = []
  try {
    let token: string | undefined
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: place.bucket,
          Prefix: place.keyPrefix,
          ...(token !== undefined ? { ContinuationToken: token } : {})
        })
      )
      for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key)
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  } catch (error) {
    logger.warning(
      `Could not list the results of earlier attempts under s3://${place.bucket}/${place.keyPrefix}, ` +
        `so every task runs again: ${accessHint(error, 's3:ListBucket', place)}`
    )
    return new Map()
  }
  const records = new Map<number, RunRecord>()
  let unreadable = 0
  await pool(keys, RECORD_CONCURRENCY, async (key) => {
    try {
      const out = await s3.send(new GetObjectCommand({ Bucket: place.bucket, Key: key }))
      const record = parseRunRecord((await out.Body?.transformToString()) ?? '')
      const expected = `${place.keyPrefix}${record?.index}.json`
      if (record === undefined || key !== expected) unreadable++
      else records.set(record.index, record)
    } catch (error) {
      unreadable++
      logger.debug(`Could not read ${key}: ${shownErrorMessage(error)}`)
    }
  })
  if (unreadable > 0) {
    logger.warning(
      `${unreadable} result(s) of earlier attempts under s3://${place.bucket}/${place.keyPrefix} ` +
        `could not be read; their tasks run again`
    )
  }
  return records
}

/**
 * Writes the records of this attempt, one object per task. Never throws: a record that cannot
 * be written costs a task's re-run later, never this run; a warning says so.
 */
export async function writeRunRecords(
  deps: { s3: Pick<S3Client, 'send'>; logger: Logger },
  place: RunRecordPlace,
  records: readonly RunRecord[]
): Promise<{ written: number; failed: number }> {
  let failed = 0
  let firstError: unknown
  await pool(records, RECORD_CONCURRENCY, async (record) => {
    try {
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: place.bucket,
          Key: `${place.keyPrefix}${record.index}.json`,
          Body: JSON.stringify(record),
          ContentType: 'application/json'
        })
      )
    } catch (error) {
      failed++
      firstError ??= error
    }
  })
  if (failed > 0) {
    deps.logger.warning(
      `Could not record ${failed} of ${records.length} task result(s) under ` +
        `s3://${place.bucket}/${place.keyPrefix}, so a re-run starts those tasks again: ` +
        accessHint(firstError, 's3:PutObject', place)
    )
  }
  return { written: records.length - failed, failed }
}

/** A fan-out's re-run state: where its records live, this run attempt, and what it starts. */
export interface RerunState {
  place?: RunRecordPlace
  runAttempt: number
  plan: RerunPlan
  specs: readonly TaskSpec[]
}

/**
 * Before a fan-out starts: where its records live and, on a re-run, which tasks to start. A
 * set of one task keeps no records (a re-run of its job is GitHub's, docs/retries.md, "Re-runs
 * on GitHub"), nor does a set without a notification bucket or outside a workflow run.
 */
export async function startRerun(
  deps: { s3?: Pick<S3Client, 'send'>; logger: Logger },
  input: {
    bucket?: { bucket: string; prefix: string; region?: string }
    env: NodeJS.ProcessEnv
    jobIndex: number
    jobTotal: number
    rerun: 'failed' | 'all'
    specs: readonly TaskSpec[]
  }
): Promise<RerunState> {
  const runAttempt = runAttemptOf(input.env)
  const none: RerunState = { runAttempt, plan: { earlier: new Map() }, specs: input.specs }
  if (input.specs.length < 2 || input.bucket === undefined || deps.s3 === undefined) {
    if (input.specs.length >= 2 && runAttempt > 1 && input.rerun === 'failed') {
      deps.logger.notice(
        `Run attempt ${runAttempt}: every task starts again, since the results of earlier ` +
          `attempts live in the notification bucket and this run has none (notification-prefix)`
      )
    }
    return none
  }
  const place = runRecordPlace({ ...input, ...input.bucket })
  if (place === undefined) return none
  if (runAttempt <= 1) return { ...none, place }
  const records = await readRunRecords({ s3: deps.s3, logger: deps.logger }, place)
  const entries = new Map([...records].map(([i, r]) => [i, entryOfRunRecord(r)]))
  const plan = planRerun({ runAttempt, rerun: input.rerun, specs: input.specs, entries })
  const starting = plan.only?.length ?? input.specs.length
  deps.logger.info(
    `Run attempt ${runAttempt}: ${plan.earlier.size} of ${input.specs.length} tasks succeeded ` +
      `in an earlier attempt; starting the other ${starting} (rerun: failed)`
  )
  return { place, runAttempt, plan, specs: input.specs }
}

/** After the fan-out: records the final result of each task this attempt ran. Never throws. */
export async function finishRerun(
  deps: { s3?: Pick<S3Client, 'send'>; logger: Logger },
  state: RerunState,
  records: readonly TaskRecord[]
): Promise<void> {
  if (state.place === undefined || deps.s3 === undefined) return
  const results = records.flatMap((r) => {
    if (state.plan.earlier.has(r.index)) return []
    const record = recordOf(r, { runAttempt: state.runAttempt, specs: state.specs })
    return record === undefined ? [] : [record]
  })
  if (results.length === 0) return
  const { written } = await writeRunRecords({ ...deps, s3: deps.s3 }, state.place, results)
  deps.logger.debug(
    `Recorded ${written} task result(s) under s3://${state.place.bucket}/${state.place.keyPrefix}`
  )
}
