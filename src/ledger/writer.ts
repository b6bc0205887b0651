/**
 * Writes a job's ledger records (src/ledger/records.ts) while the job runs, and never fails the
 * step: a record that cannot be written costs a re-run's knowledge of that task, never this run.
 *
 * Cost (docs/retries.md, "The ledger"): one PUT per job run attempt (the intent), at most two per
 * task attempt (started, ended; an end seen before the start was sent is one PUT), one per
 * StopTask. Writes go through a queue, at most 16 in flight (S3 takes 3,500 PUTs a second per
 * prefix; 60 jobs of 16 stay far below), one at a time per key so a started record can never
 * land after its end. SlowDown, 5xx and network errors are retried with full-jitter backoff;
 * the first failure that is not retryable (AccessDenied, NoSuchBucket) turns the writer off with
 * one warning naming the missing permission and what is lost.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { isRetryableS3 } from '../aws/errors.js'
import { s3ObjectArn } from '../aws/s3.js'
import type { TaskStatus } from '../model/result.js'
import { fullJitter } from '../util/backoff.js'
import type { Clock, Random } from '../util/clock.js'
import { errorName, foreignErrorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import {
  LEDGER_VERSION,
  clientTokenOf,
  jobIntentKey,
  recordedReason,
  taskRecordKey,
  type IntentIndex,
  type JobIntent,
  type LedgerPlace,
  type TaskLedgerRecord
} from './records.js'
import type { StopRequest } from '../model/ledger.js'

/** Writes in flight at once, per job. */
export const LEDGER_CONCURRENCY = 16
/** Tries of one write in all, retries included. */
export const LEDGER_WRITE_TRIES = 8
/** Full-jitter backoff between tries: base and cap, milliseconds. */
export const LEDGER_BACKOFF_BASE_MS = 200
export const LEDGER_BACKOFF_CAP_MS = 10_000
/** How long `flush()` waits for pending writes by default, milliseconds. */
export const LEDGER_FLUSH_MS = 30_000

export interface LedgerWriterDeps {
  s3: Pick<S3Client, 'send'>
  clock: Clock
  random: Random
  logger: Logger
}

/** What every record of this job and run attempt shares. */
export interface LedgerContext {
  place: LedgerPlace
  /** This workflow run attempt (GITHUB_RUN_ATTEMPT): the only one whose keys this writes. */
  runAttempt: number
  /** Tasks in the job's set. */
  tasks: number
  /** The cluster and region the tasks run in. */
  cluster: string
  region: string
  /** The bucket's region, for the partition of the ARN a warning names; default `region`. */
  bucketRegion?: string
}

/** A task attempt whose RunTask returned its ARN (or that this run attempt adopted). */
export interface StartedTask {
  index: number
  /** 1-based, counting on across run attempts. */
  taskAttempt: number
  /** The task's fingerprint (src/tasks/rerun.ts `specFingerprint`). */
  spec: string
  taskArn: string
  /** True when this run attempt adopted a task an earlier one started. */
  adopted?: boolean
  /** The token its RunTask used; default clientTokenOf this run attempt's key. */
  clientToken?: string
  startedAt?: Date | string | null
  logsUrl?: string | null
}

/** A task attempt's end. `spec` and `taskArn` are needed only when `started` was not called. */
export interface EndedTask {
  index: number
  taskAttempt: number
  status: Exclude<TaskStatus, 'unfinished'>
  exitCode?: number | null
  stopCode?: string | null
  stoppedReason?: string | null
  startedAt?: Date | string | null
  stoppedAt?: Date | string | null
  logsUrl?: string | null
  spec?: string
  taskArn?: string
  adopted?: boolean
  clientToken?: string
}

/** What the writer did, for logs and the benchmark. */
export interface LedgerWriterStats {
  /** PutObject calls sent, retries included. */
  puts: number
  /** Retryable errors met (SlowDown, 5xx, network). */
  retried: number
  /** Records stored. */
  written: number
  /** Records given up after LEDGER_WRITE_TRIES, or dropped when the writer turned off. */
  lost: number
  /** True once a failure that is not retryable turned the writer off. */
  off: boolean
}

interface Slot {
  body: string
  inFlight: boolean
  /** A newer body for the same key, sent once the one in flight is answered. */
  next?: string
}

function iso(value: Date | string | null | undefined): string | null {
  if (value === undefined || value === null) return null
  return typeof value === 'string' ? value : value.toISOString()
}

/**
 * A job's ledger writer. Every method returns at once and never throws; `flush()` awaits what is
 * pending. A writer writes only its own run attempt's keys, so a record of another attempt is
 * never overwritten.
 */
export class LedgerWriter {
  private readonly slots = new Map<string, Slot>()
  private readonly ready: string[] = []
  private readonly records = new Map<string, TaskLedgerRecord>()
  private active = 0
  private idleWaiters: (() => void)[] = []
  private intentWritten = false
  private firstLoss: unknown
  private lossWarned = 0
  private readonly counters: LedgerWriterStats = {
    puts: 0,
    retried: 0,
    written: 0,
    lost: 0,
    off: false
  }

  constructor(
    private readonly deps: LedgerWriterDeps,
    private readonly context: LedgerContext
  ) {}

  /** The RunTask clientToken of a task attempt of this run attempt. */
  clientToken(index: number, taskAttempt: number): string {
    const { place, runAttempt } = this.context
    return clientTokenOf({
      runId: place.runId,
      jobSegment: place.jobSegment,
      index,
      runAttempt,
      taskAttempt
    })
  }

  /**
   * The job intent: the indexes this run attempt may start, each with the token of its first
   * RunTask. Call once, before the job's first RunTask; a second call writes nothing. Returns
   * the indexes with their tokens.
   */
  intent(
    indexes: readonly { index: number; spec: string; taskAttempt: number; clientToken?: string }[]
  ): IntentIndex[] {
    const entries = indexes.map((i) => ({
      index: i.index,
      spec: i.spec,
      taskAttempt: i.taskAttempt,
      // A start an earlier attempt never recorded is sent again with its own token.
      clientToken: i.clientToken ?? this.clientToken(i.index, i.taskAttempt)
    }))
    if (this.intentWritten) {
      this.deps.logger.debug('The ledger intent of this run attempt was already written')
      return entries
    }
    this.intentWritten = true
    const { place, runAttempt, tasks } = this.context
    const intent: JobIntent = {
      version: LEDGER_VERSION,
      kind: 'job',
      job: place.job,
      step: place.step,
      matrixIndex: place.matrixIndex,
      jobTotal: place.jobTotal,
      runAttempt,
      tasks,
      writtenAt: new Date(this.deps.clock.now()).toISOString(),
      indexes: entries
    }
    this.enqueue(jobIntentKey(place, runAttempt), intent)
    return entries
  }

  /** A task attempt started (RunTask returned its ARN) or was adopted: status `unfinished`. */
  started(task: StartedTask): void {
    this.putTask(this.startedRecord(task))
  }

  private startedRecord(task: StartedTask): TaskLedgerRecord {
    const { place, runAttempt, tasks, cluster, region } = this.context
    return {
      version: LEDGER_VERSION,
      kind: 'task',
      job: place.job,
      step: place.step,
      matrixIndex: place.matrixIndex,
      jobTotal: place.jobTotal,
      index: task.index,
      tasks,
      runAttempt,
      taskAttempt: task.taskAttempt,
      spec: task.spec,
      clientToken: task.clientToken ?? this.clientToken(task.index, task.taskAttempt),
      status: 'unfinished',
      adopted: task.adopted ?? false,
      taskArn: task.taskArn,
      cluster,
      region,
      exitCode: null,
      stopCode: null,
      stoppedReason: null,
      stopRequest: null,
      startedAt: iso(task.startedAt),
      stoppedAt: null,
      logsUrl: task.logsUrl ?? null,
      recordedAt: this.now()
    }
  }

  /** A task attempt's end was seen: its final status overwrites the started record. */
  ended(end: EndedTask): void {
    let base = this.records.get(this.taskKey(end.index, end.taskAttempt))
    if (base === undefined) {
      if (end.spec === undefined || end.taskArn === undefined) {
        this.deps.logger.debug(
          `No ledger record for task ${end.index} attempt ${end.taskAttempt}: its end is not recorded`
        )
        return
      }
      // Adopted already ended, or started unrecorded: one PUT, its end.
      base = this.startedRecord({
        index: end.index,
        taskAttempt: end.taskAttempt,
        spec: end.spec,
        taskArn: end.taskArn,
        ...(end.adopted !== undefined ? { adopted: end.adopted } : {}),
        ...(end.clientToken !== undefined ? { clientToken: end.clientToken } : {})
      })
    }
    this.putTask({
      ...base,
      status: end.status,
      exitCode: end.exitCode ?? null,
      stopCode: end.stopCode ?? null,
      stoppedReason: recordedReason(end.stoppedReason),
      startedAt: iso(end.startedAt) ?? base.startedAt,
      stoppedAt: iso(end.stoppedAt),
      logsUrl: end.logsUrl ?? base.logsUrl,
      recordedAt: this.now()
    })
  }

  /** The action asked ECS to stop a task attempt (one PUT per StopTask). */
  stopRequested(index: number, taskAttempt: number, why: StopRequest): void {
    const base = this.records.get(this.taskKey(index, taskAttempt))
    if (base === undefined) {
      this.deps.logger.debug(`No ledger record for task ${index} attempt ${taskAttempt} to stop`)
      return
    }
    this.putTask({ ...base, stopRequest: why, recordedAt: this.now() })
  }

  /**
   * Awaits the writes pending, at most `deadlineMs`; then says what could not be written. Never
   * throws.
   */
  async flush(deadlineMs: number = LEDGER_FLUSH_MS): Promise<LedgerWriterStats> {
    if (!this.idle()) {
      const timer = new AbortController()
      const done = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)))
      const late = this.deps.clock.sleep(deadlineMs, timer.signal).then(() => false)
      const finished = await Promise.race([done, late])
      timer.abort()
      if (!finished) {
        const pending = this.ready.length + this.active
        this.deps.logger.warning(
          `${pending} ledger write(s) under s3://${this.context.place.bucket}/` +
            `${this.context.place.keyPrefix} were still pending after ${deadlineMs / 1000}s ` +
            'and are left behind: a re-run may start those tasks again'
        )
      }
    }
    this.warnLosses()
    return this.stats()
  }

  /** What the writer did so far. */
  stats(): LedgerWriterStats {
    return { ...this.counters }
  }

  private now(): string {
    return new Date(this.deps.clock.now()).toISOString()
  }

  private taskKey(index: number, taskAttempt: number): string {
    const { place, runAttempt } = this.context
    return taskRecordKey(place, { index, runAttempt, taskAttempt })
  }

  private putTask(record: TaskLedgerRecord): void {
    const key = this.taskKey(record.index, record.taskAttempt)
    this.records.set(key, record)
    this.enqueue(key, record)
  }

  private enqueue(key: string, value: object): void {
    if (this.counters.off) return
    const body = JSON.stringify(value)
    const slot = this.slots.get(key)
    if (slot === undefined) {
      this.slots.set(key, { body, inFlight: false })
      this.ready.push(key)
    } else if (slot.inFlight) {
      slot.next = body
    } else {
      // Still queued: the newer body replaces it, one PUT for both.
      slot.body = body
    }
    this.pump()
  }

  private pump(): void {
    while (!this.counters.off && this.active < LEDGER_CONCURRENCY && this.ready.length > 0) {
      const key = this.ready.shift() as string
      const slot = this.slots.get(key)
      if (slot === undefined) continue
      slot.inFlight = true
      this.active++
      void this.write(key, slot.body).then(() => {
        this.active--
        slot.inFlight = false
        if (slot.next !== undefined && !this.counters.off) {
          slot.body = slot.next
          delete slot.next
          this.ready.push(key)
        } else {
          this.slots.delete(key)
        }
        this.pump()
        if (this.idle()) {
          const waiters = this.idleWaiters
          this.idleWaiters = []
          for (const resolve of waiters) resolve()
        }
      })
    }
  }

  private idle(): boolean {
    return this.active === 0 && (this.ready.length === 0 || this.counters.off)
  }

  /** One record, retried on SlowDown, 5xx and network errors. Never throws. */
  private async write(key: string, body: string): Promise<void> {
    const { s3, clock, random } = this.deps
    for (let attempt = 0; attempt < LEDGER_WRITE_TRIES; attempt++) {
      if (this.counters.off) return
      try {
        this.counters.puts++
        await s3.send(
          new PutObjectCommand({
            Bucket: this.context.place.bucket,
            Key: key,
            Body: body,
            ContentType: 'application/json'
          })
        )
        this.counters.written++
        return
      } catch (error) {
        if (!isRetryableS3(error)) {
          this.turnOff(error)
          return
        }
        this.counters.retried++
        if (attempt + 1 < LEDGER_WRITE_TRIES) {
          await clock.sleep(
            fullJitter(attempt, LEDGER_BACKOFF_BASE_MS, LEDGER_BACKOFF_CAP_MS, random)
          )
        } else {
          this.counters.lost++
          this.firstLoss ??= error
        }
      }
    }
  }

  /** The first failure that is not retryable: one warning, and no more writes. */
  private turnOff(error: unknown): void {
    if (this.counters.off) return
    this.counters.off = true
    // This record, and every one still queued.
    this.counters.lost += 1 + this.ready.length
    this.ready.length = 0
    this.deps.logger.warning(ledgerOffWarning(error, this.context))
  }

  private warnLosses(): void {
    const lost = this.counters.lost
    if (this.counters.off || lost === this.lossWarned || this.firstLoss === undefined) return
    this.lossWarned = lost
    const { place } = this.context
    this.deps.logger.warning(
      `${lost} ledger record(s) under s3://${place.bucket}/${place.keyPrefix} could not be ` +
        `written after ${LEDGER_WRITE_TRIES} tries (${foreignErrorMessage(this.firstLoss)}): ` +
        'a re-run may start those tasks again, and mode: summary may count them as not run'
    )
  }
}

/** What the ledger's IAM grant covers: `<prefix>/runs/*`. */
export function ledgerResource(place: Pick<LedgerPlace, 'prefix'>): string {
  return `${place.prefix === '' ? '' : `${place.prefix}/`}runs/*`
}

/** The one warning of a writer turned off, naming the missing permission and what is lost. */
export function ledgerOffWarning(
  error: unknown,
  context: Pick<LedgerContext, 'place' | 'region' | 'bucketRegion'>
): string {
  const { place } = context
  const name = errorName(error)
  const lost =
    'The ledger is off for this step: a re-run of this workflow run starts every task of this ' +
    'job again, and mode: summary sees these tasks as not run.'
  const where = `s3://${place.bucket}/${place.runPrefix}`
  if (name === 'NoSuchBucket') {
    return (
      `Could not write the ledger under ${where}: the bucket '${place.bucket}' does not exist ` +
      `(NoSuchBucket); check the notification prefix. ${lost}`
    )
  }
  const arn = s3ObjectArn(
    context.bucketRegion ?? context.region,
    place.bucket,
    ledgerResource(place)
  )
  return (
    `Could not write the ledger under ${where} (${foreignErrorMessage(error)}): ` +
    `grant s3:PutObject on ${arn}. ${lost}`
  )
}
