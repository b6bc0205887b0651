/**
 * The fan-out's ledger (docs/retries.md, "The ledger"): what every task of a workflow run was,
 * kept in the notification bucket under `<prefix>/runs/<run id>/` so that it outlives the runner.
 * This module is pure: the place and keys of a job's records, the record shapes (version 2) and
 * their parsers, the reading of today's version 1 run records into the version 2 shape, and the
 * RunTask `clientToken` of a task attempt.
 *
 * Layout under `<prefix>/runs/<run id>/<job segment>/`:
 * - `<index>.json`: a version 1 final result (src/tasks/rerun.ts); read, never written here;
 * - `attempts/<run attempt>.json`: the job intent, once per run attempt, before the first RunTask;
 * - `tasks/<index>/<run attempt>-<task attempt>.json`: one task attempt, written when RunTask
 *   returned its ARN and once more when its end is seen.
 * No record holds an environment value, an override or a secret.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { prefixKey } from '../aws/s3.js'
import { STOP_REQUESTS } from '../model/ledger.js'
import { TASK_STATUSES, type TaskStatus } from '../model/result.js'
import { parseJson } from '../util/objects.js'
import { escapeLogText } from '../util/safe-text.js'

/** The version of the records this module writes. */
export const LEDGER_VERSION = 2

/** The version of the final-result records of src/tasks/rerun.ts, read as they are. */
export const V1_VERSION = 1

/** A stopped reason kept in a record: at most this many characters. */
export const LEDGER_REASON_MAX = 256

/** Where one job's records live in the bucket. */
export interface LedgerPlace {
  bucket: string
  /** The notification prefix, without leading or trailing `/`; '' at the bucket's root. */
  prefix: string
  /** The workflow run (GITHUB_RUN_ID). */
  runId: string
  /** `<job>[.m<matrix index>][.<step>]`, characters outside `A-Za-z0-9_.-` written `_`. */
  jobSegment: string
  /** The job's id in the workflow (GITHUB_JOB). */
  job: string
  /** The step (GITHUB_ACTION), or null when unknown. */
  step: string | null
  /** The matrix job's index, or null when the job is not a matrix leg (`job-total` 1). */
  matrixIndex: number | null
  /** Jobs of the matrix (`job-total`), 1 outside a matrix. */
  jobTotal: number
  /** `<prefix>/runs/<run id>/`: every job's records of the workflow run. */
  runPrefix: string
  /** `<prefix>/runs/<run id>/<job segment>/`, ending in `/`: this job's records. */
  keyPrefix: string
}

/** The `<prefix>/runs/<run id>/` of a workflow run, ending in `/`. */
export function runPrefixOf(prefix: string, runId: string): string {
  return prefixKey(prefix, 'runs', runId, '')
}

const UNSAFE = /[^A-Za-z0-9_.-]/g

/**
 * The place of this job's records, or undefined outside a workflow run (no GITHUB_RUN_ID or
 * GITHUB_JOB). The job segment is the rule version 1 records were written under, so the
 * version 1 records of a job stay at the same keys: GITHUB_JOB, then `m<job index>` when the
 * matrix has more than one job, then GITHUB_ACTION when known, joined by `.`.
 */
export function ledgerPlace(input: {
  bucket: string
  prefix: string
  env: NodeJS.ProcessEnv
  jobIndex: number
  jobTotal: number
}): LedgerPlace | undefined {
  const { env } = input
  const runId = env.GITHUB_RUN_ID
  const job = env.GITHUB_JOB
  if (!runId || !job) return undefined
  const matrix = input.jobTotal > 1
  const step = env.GITHUB_ACTION || null
  const parts = [job]
  if (matrix) parts.push(`m${input.jobIndex}`)
  if (step !== null) parts.push(step)
  const jobSegment = parts.map((p) => p.replace(UNSAFE, '_')).join('.')
  const runPrefix = runPrefixOf(input.prefix, runId)
  return {
    bucket: input.bucket,
    prefix: input.prefix,
    runId,
    jobSegment,
    job,
    step,
    matrixIndex: matrix ? input.jobIndex : null,
    jobTotal: input.jobTotal,
    runPrefix,
    keyPrefix: `${runPrefix}${jobSegment}/`
  }
}

/** The key of a job intent of `runAttempt`. */
export function jobIntentKey(place: Pick<LedgerPlace, 'keyPrefix'>, runAttempt: number): string {
  return `${place.keyPrefix}attempts/${runAttempt}.json`
}

/** The key of one task attempt's record. */
export function taskRecordKey(
  place: Pick<LedgerPlace, 'keyPrefix'>,
  at: { index: number; runAttempt: number; taskAttempt: number }
): string {
  return `${place.keyPrefix}tasks/${at.index}/${at.runAttempt}-${at.taskAttempt}.json`
}

/**
 * The RunTask `clientToken` of one task attempt: the first 32 hex digits of the SHA-256 of the
 * run id, job segment, index, run attempt and task attempt. The same inputs give the same token,
 * so a re-run that re-sends RunTask for a recorded attempt gets the task ECS already started
 * (ECS keeps a token for 24 hours; RunTask accepts up to 64 characters, docs/retries.md).
 */
export function clientTokenOf(at: {
  runId: string
  jobSegment: string
  index: number
  runAttempt: number
  taskAttempt: number
}): string {
  const text = [at.runId, at.jobSegment, at.index, at.runAttempt, at.taskAttempt].join('\n')
  return createHash('sha256').update(text).digest('hex').slice(0, 32)
}

/** A stopped reason as a record keeps it: controls made visible, at most 256 characters. */
export function recordedReason(reason: string | null | undefined): string | null {
  if (reason === undefined || reason === null || reason === '') return null
  return escapeLogText(reason).slice(0, LEDGER_REASON_MAX)
}

const count = z.int().min(0)
const positive = z.int().min(1)
const text = z.string().max(2048)
const nullableText = text.nullable()

/** One index a job intent may start, with the token of its first RunTask. */
const intentIndexSchema = z.object({
  index: count,
  spec: text,
  taskAttempt: positive,
  clientToken: z.string().min(1).max(64)
})

/** The job intent: written once per run attempt, before the job's first RunTask. */
export const jobIntentSchema = z.object({
  version: z.literal(LEDGER_VERSION),
  kind: z.literal('job'),
  job: text,
  step: nullableText,
  matrixIndex: count.nullable(),
  jobTotal: positive,
  runAttempt: positive,
  /** Tasks in the job's set. */
  tasks: positive,
  writtenAt: text,
  indexes: z.array(intentIndexSchema)
})

export type JobIntent = z.infer<typeof jobIntentSchema>
export type IntentIndex = z.infer<typeof intentIndexSchema>

/** One task attempt: written when RunTask returned its ARN, and again when its end is seen. */
export const taskRecordSchema = z.object({
  version: z.literal(LEDGER_VERSION),
  kind: z.literal('task'),
  job: text,
  step: nullableText,
  matrixIndex: count.nullable(),
  jobTotal: positive,
  index: count,
  tasks: positive,
  runAttempt: positive,
  taskAttempt: positive,
  spec: text,
  clientToken: z.string().min(1).max(64),
  status: z.enum(TASK_STATUSES),
  adopted: z.boolean(),
  taskArn: text,
  cluster: text,
  region: text,
  exitCode: z.int().nullable(),
  stopCode: nullableText,
  stoppedReason: z.string().max(LEDGER_REASON_MAX).nullable(),
  stopRequest: z.enum(STOP_REQUESTS).nullable(),
  startedAt: nullableText,
  stoppedAt: nullableText,
  logsUrl: nullableText,
  recordedAt: text
})

export type TaskLedgerRecord = z.infer<typeof taskRecordSchema>

/**
 * A task attempt as a reader sees it, from a version 2 record or a version 1 one: the version 2
 * shape, with what a version 1 record does not know as null.
 */
export interface LedgerTask extends Omit<
  TaskLedgerRecord,
  'version' | 'clientToken' | 'taskArn' | 'cluster' | 'region' | 'recordedAt' | 'jobTotal'
> {
  version: 1 | 2
  clientToken: string | null
  taskArn: string | null
  cluster: string | null
  region: string | null
  recordedAt: string | null
  /** Jobs of the matrix; null in a version 1 record. */
  jobTotal: number | null
  /** The record's key in the bucket. */
  key: string
}

/** A version 1 final result (src/tasks/rerun.ts `RunRecord`), as stored. */
export const runRecordV1Schema = z.object({
  version: z.literal(V1_VERSION),
  index: count,
  runAttempt: positive,
  status: z.enum(['succeeded', 'failed']),
  exitCode: z.int().nullable(),
  taskArn: nullableText,
  stopCode: nullableText,
  stoppedReason: z.string().nullable(),
  attempts: count,
  startedAt: nullableText,
  stoppedAt: nullableText,
  tasks: positive,
  spec: text
})

/** Why a record was not trusted, or the record. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string }

function parseWith<T>(schema: z.ZodType<T>, body: string, version: number): Parsed<T> {
  const value = parseJson(body)
  if (value === undefined) return { ok: false, why: 'not JSON' }
  if (value === null || typeof value !== 'object') return { ok: false, why: 'not a JSON object' }
  const seen = (value as { version?: unknown }).version
  if (seen !== version) return { ok: false, why: `version ${JSON.stringify(seen)} is unknown` }
  const result = schema.safeParse(value)
  if (result.success) return { ok: true, value: result.data }
  const issue = result.error.issues[0]
  const path = issue?.path.join('.') ?? ''
  return { ok: false, why: `${path === '' ? 'the record' : path}: ${issue?.message ?? 'invalid'}` }
}

/** Parses a task record (version 2). */
export function parseTaskRecord(body: string): Parsed<TaskLedgerRecord> {
  return parseWith(taskRecordSchema, body, LEDGER_VERSION)
}

/** Parses a job intent (version 2). */
export function parseJobIntent(body: string): Parsed<JobIntent> {
  return parseWith(jobIntentSchema, body, LEDGER_VERSION)
}

/** What a job segment says: the job id, the matrix index and the step, as written by ledgerPlace. */
export function segmentParts(segment: string): {
  job: string
  matrixIndex: number | null
  step: string | null
} {
  const [job = segment, ...rest] = segment.split('.')
  const matrix = /^m(\d+)$/.exec(rest[0] ?? '')
  if (matrix !== null) rest.shift()
  return {
    job,
    matrixIndex: matrix !== null ? Number(matrix[1]) : null,
    step: rest.length > 0 ? rest.join('.') : null
  }
}

/**
 * Parses a version 1 record and reads it as a task attempt of the version 2 shape: its status
 * (succeeded or failed), never adopted, its attempts in that run attempt as the task attempt,
 * and what version 1 did not record (token, cluster, region, logs link, job total) as null.
 */
export function parseV1AsTask(
  body: string,
  at: { key: string; jobSegment: string }
): Parsed<LedgerTask> {
  const parsed = parseWith(runRecordV1Schema, body, V1_VERSION)
  if (!parsed.ok) return parsed
  const r = parsed.value
  return {
    ok: true,
    value: {
      version: 1,
      kind: 'task',
      ...segmentParts(at.jobSegment),
      jobTotal: null,
      index: r.index,
      tasks: r.tasks,
      runAttempt: r.runAttempt,
      taskAttempt: Math.max(1, r.attempts),
      spec: r.spec,
      clientToken: null,
      status: r.status,
      adopted: false,
      taskArn: r.taskArn,
      cluster: null,
      region: null,
      exitCode: r.exitCode,
      stopCode: r.stopCode,
      stoppedReason: recordedReason(r.stoppedReason),
      stopRequest: null,
      startedAt: r.startedAt,
      stoppedAt: r.stoppedAt,
      logsUrl: null,
      recordedAt: null,
      key: at.key
    }
  }
}

/** A version 2 task record as a reader sees it. */
export function asLedgerTask(record: TaskLedgerRecord, key: string): LedgerTask {
  return { ...record, key }
}

/** True when `status` is an end (the task's end was seen or it never started). */
export function isFinal(status: TaskStatus): boolean {
  return status !== 'unfinished'
}
