/**
 * Reads the ledger (src/ledger/records.ts) of one job or of a whole workflow run, for re-runs,
 * `mode: wait` and `mode: summary`. Never throws: a ledger that cannot be listed reads as empty,
 * a record that cannot be read or trusted (malformed, unknown version, key and content at odds)
 * is left out; each case is one warning saying how many and why.
 *
 * Cost: one LIST per 1,000 keys (ListObjectsV2 returns at most 1,000 keys a page), then at most
 * one GET per index of each job (its newest task attempt, else its version 1 record) plus one
 * per job (its newest intent), 16 GETs in flight at most.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import { partitionOf } from '../aws/console.js'
import { errorName, foreignErrorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { pool } from '../util/pool.js'
import {
  asLedgerTask,
  parseJobIntent,
  parseTaskRecord,
  parseV1AsTask,
  runPrefixOf,
  segmentParts,
  type JobIntent,
  type LedgerPlace,
  type LedgerTask
} from './records.js'

/** GETs in flight at once. */
export const READ_CONCURRENCY = 16
/** Keys a LIST page asks for: S3's maximum. */
export const LIST_PAGE_KEYS = 1000

/** What a key under `<prefix>/runs/<run id>/` is. */
export type LedgerKey =
  | { kind: 'v1'; segment: string; index: number }
  | { kind: 'intent'; segment: string; runAttempt: number }
  | { kind: 'task'; segment: string; index: number; runAttempt: number; taskAttempt: number }

const N = '(0|[1-9]\\d{0,8})'
const V1_KEY = new RegExp(`^([^/]+)/${N}\\.json$`)
const INTENT_KEY = new RegExp(`^([^/]+)/attempts/${N}\\.json$`)
const TASK_KEY = new RegExp(`^([^/]+)/tasks/${N}/${N}-${N}\\.json$`)

/** The kind of a key, relative to the run's prefix; undefined for a key of no record. */
export function classifyKey(runPrefix: string, key: string): LedgerKey | undefined {
  if (!key.startsWith(runPrefix)) return undefined
  const rest = key.slice(runPrefix.length)
  let m = TASK_KEY.exec(rest)
  if (m !== null) {
    return {
      kind: 'task',
      segment: m[1] as string,
      index: Number(m[2]),
      runAttempt: Number(m[3]),
      taskAttempt: Number(m[4])
    }
  }
  m = INTENT_KEY.exec(rest)
  if (m !== null) return { kind: 'intent', segment: m[1] as string, runAttempt: Number(m[2]) }
  m = V1_KEY.exec(rest)
  if (m !== null) return { kind: 'v1', segment: m[1] as string, index: Number(m[2]) }
  return undefined
}

/** One job segment's ledger: the newest record of each index, and its newest intent. */
export interface JobLedger {
  jobSegment: string
  /** The job id (GITHUB_JOB), matrix index and step, as the segment says them. */
  job: string
  matrixIndex: number | null
  step: string | null
  /** Per index, its newest task attempt (highest run attempt, then task attempt). */
  tasks: Map<number, LedgerTask>
  /** The newest run attempt's intent, when one was read. */
  intent?: JobIntent
}

/** A workflow run's ledger, and what reading it cost. */
export interface RunLedger {
  /** Every job segment with a record, by segment name. */
  jobs: JobLedger[]
  /** False when the LIST failed: the ledger is unknown, not empty. */
  listed: boolean
  listPages: number
  gets: number
  /** Records left out: unreadable, malformed, of an unknown version, or at odds with their key. */
  ignored: number
}

export interface ReaderDeps {
  s3: Pick<S3Client, 'send'>
  logger: Logger
}

interface Wanted {
  segment: string
  /** Per index: the newest v2 task key with its order, and the v1 key. */
  task: Map<number, { key: string; runAttempt: number; taskAttempt: number }>
  v1: Map<number, string>
  intent?: { key: string; runAttempt: number }
}

/**
 * Reads the ledger of workflow run `runId`: every job's, or only the jobs whose id is in `jobs`.
 * Never throws.
 */
export async function readRunLedger(
  deps: ReaderDeps,
  where: {
    bucket: string
    prefix: string
    runId: string
    /** Job ids (GITHUB_JOB) to read; undefined: every job. */
    jobs?: readonly string[]
    /** The bucket's region, for the partition of the ARN a warning names. */
    region?: string
  }
): Promise<RunLedger> {
  const runPrefix = runPrefixOf(where.prefix, where.runId)
  return readLedger(deps, {
    bucket: where.bucket,
    region: where.region,
    runPrefix,
    listPrefix: runPrefix,
    ...(where.jobs !== undefined ? { jobs: where.jobs } : {})
  })
}

/** Reads one job's ledger (its segment only). Never throws. */
export async function readJobLedger(
  deps: ReaderDeps,
  place: Pick<LedgerPlace, 'bucket' | 'runPrefix' | 'keyPrefix' | 'jobSegment'>
): Promise<JobLedger & Omit<RunLedger, 'jobs'>> {
  const read = await readLedger(deps, {
    bucket: place.bucket,
    runPrefix: place.runPrefix,
    listPrefix: place.keyPrefix
  })
  const job = read.jobs.find((j) => j.jobSegment === place.jobSegment) ?? {
    jobSegment: place.jobSegment,
    ...segmentParts(place.jobSegment),
    tasks: new Map<number, LedgerTask>()
  }
  return {
    ...job,
    listed: read.listed,
    listPages: read.listPages,
    gets: read.gets,
    ignored: read.ignored
  }
}

async function readLedger(
  deps: ReaderDeps,
  where: {
    bucket: string
    runPrefix: string
    listPrefix: string
    jobs?: readonly string[]
    region?: string | undefined
  }
): Promise<RunLedger> {
  const { s3, logger } = deps
  const shown = `s3://${where.bucket}/${where.listPrefix}`
  const result: RunLedger = { jobs: [], listed: true, listPages: 0, gets: 0, ignored: 0 }
  const wanted = new Map<string, Wanted>()
  const jobs = where.jobs === undefined ? undefined : new Set(where.jobs)
  try {
    let token: string | undefined
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: where.bucket,
          Prefix: where.listPrefix,
          MaxKeys: LIST_PAGE_KEYS,
          ...(token !== undefined ? { ContinuationToken: token } : {})
        })
      )
      result.listPages++
      for (const o of page.Contents ?? []) {
        const key = o.Key === undefined ? undefined : classifyKey(where.runPrefix, o.Key)
        if (key === undefined || o.Key === undefined) continue
        if (jobs !== undefined && !jobs.has(segmentParts(key.segment).job)) continue
        note(wanted, key, o.Key)
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  } catch (error) {
    const hint =
      errorName(error) === 'AccessDenied'
        ? `; grant s3:ListBucket on arn:${partitionOf(where.region ?? '')}:s3:::${where.bucket} ` +
          `for the prefix ${where.runPrefix}`
        : ''
    logger.warning(
      `Could not list the ledger under ${shown}, so it reads as unknown: ` +
        `${foreignErrorMessage(error)}${hint}`
    )
    return { ...result, listed: false }
  }

  const gets: { key: string; apply: (body: string) => string | undefined }[] = []
  const byJob = new Map<string, JobLedger>()
  for (const w of [...wanted.values()].sort((a, b) => a.segment.localeCompare(b.segment))) {
    const job: JobLedger = { jobSegment: w.segment, ...segmentParts(w.segment), tasks: new Map() }
    byJob.set(w.segment, job)
    const indexes = new Set([...w.task.keys(), ...w.v1.keys()])
    for (const index of [...indexes].sort((a, b) => a - b)) {
      const v2 = w.task.get(index)
      if (v2 !== undefined) {
        gets.push({
          key: v2.key,
          apply: (body) => {
            const parsed = parseTaskRecord(body)
            if (!parsed.ok) return parsed.why
            const r = parsed.value
            if (
              r.index !== index ||
              r.runAttempt !== v2.runAttempt ||
              r.taskAttempt !== v2.taskAttempt
            ) {
              return 'its index or attempts differ from its key'
            }
            job.tasks.set(index, asLedgerTask(r, v2.key))
            return undefined
          }
        })
        continue
      }
      const v1 = w.v1.get(index) as string
      gets.push({
        key: v1,
        apply: (body) => {
          const parsed = parseV1AsTask(body, { key: v1, jobSegment: w.segment })
          if (!parsed.ok) return parsed.why
          if (parsed.value.index !== index) return 'its index differs from its key'
          job.tasks.set(index, parsed.value)
          return undefined
        }
      })
    }
    const intent = w.intent
    if (intent !== undefined) {
      gets.push({
        key: intent.key,
        apply: (body) => {
          const parsed = parseJobIntent(body)
          if (!parsed.ok) return parsed.why
          if (parsed.value.runAttempt !== intent.runAttempt) {
            return 'its run attempt differs from its key'
          }
          job.intent = parsed.value
          return undefined
        }
      })
    }
  }

  // Answers arrive in any order: the first problem is the first in key order.
  const problems: (string | undefined)[] = []
  await pool(
    gets.map((get, order) => ({ ...get, order })),
    READ_CONCURRENCY,
    async ({ key, apply, order }) => {
      let why: string | undefined
      try {
        result.gets++
        const out = await s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: key }))
        why = apply((await out.Body?.transformToString()) ?? '')
      } catch (error) {
        why = `could not be read: ${foreignErrorMessage(error)}`
      }
      if (why !== undefined) {
        result.ignored++
        problems[order] = `${key}: ${why}`
      }
    }
  )
  if (result.ignored > 0) {
    logger.warning(
      `${result.ignored} ledger record(s) under ${shown} were not trusted and are left out ` +
        `(malformed, of an unknown version, or unreadable); the first: ` +
        `${problems.find((p) => p !== undefined) ?? ''}`
    )
  }
  for (const job of byJob.values()) {
    job.tasks = new Map([...job.tasks].sort(([a], [b]) => a - b))
  }
  result.jobs = [...byJob.values()]
  return result
}

/** Keeps, per job segment, the newest task key of each index, its v1 keys and newest intent. */
function note(wanted: Map<string, Wanted>, key: LedgerKey, objectKey: string): void {
  let w = wanted.get(key.segment)
  if (w === undefined) {
    w = { segment: key.segment, task: new Map(), v1: new Map() }
    wanted.set(key.segment, w)
  }
  if (key.kind === 'v1') {
    w.v1.set(key.index, objectKey)
  } else if (key.kind === 'intent') {
    if (w.intent === undefined || key.runAttempt > w.intent.runAttempt) {
      w.intent = { key: objectKey, runAttempt: key.runAttempt }
    }
  } else {
    const seen = w.task.get(key.index)
    const newer =
      seen === undefined ||
      key.runAttempt > seen.runAttempt ||
      (key.runAttempt === seen.runAttempt && key.taskAttempt > seen.taskAttempt)
    if (newer) {
      w.task.set(key.index, {
        key: objectKey,
        runAttempt: key.runAttempt,
        taskAttempt: key.taskAttempt
      })
    }
  }
}
