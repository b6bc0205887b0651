/**
 * EventBridge's delivery as the notifier sees it: at least once, late, out of order, and (for
 * tests of the verify path) sometimes not at all. Every choice is drawn from a seeded random
 * source, so a run is reproducible.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { Clock, Random } from '../src/util/clock.js'
import type { TaskStateEvent } from './events.js'

/** How events travel from ECS to the notifier. Durations are simulated seconds. */
export interface DeliveryOptions {
  /** Fixed delay before an event reaches the notifier (default 0.3). */
  delaySeconds?: number
  /** Extra uniform random delay in [0, jitterSeconds) (default 0.4). */
  jitterSeconds?: number
  /** Probability that an event is delivered twice (default 0). */
  duplicateProbability?: number
  /** Probability that an event is held back by `lateSeconds`, arriving after newer ones (default 0). */
  lateProbability?: number
  /** How much later a late event arrives (default 3). */
  lateSeconds?: number
  /** Probability that an event is lost (default 0). */
  dropProbability?: number
  /** Task `lastStatus` values whose events are all lost, e.g. `['STOPPED']` (default none). */
  dropStatuses?: string[]
  /** Any other rule for losing an event. */
  drop?: (event: TaskStateEvent) => boolean
}

/** Receives one delivered event; what it returns is kept in the delivery record. */
export type EventSink = (event: TaskStateEvent) => Promise<unknown>

/** What happened to one copy of one event. */
export interface DeliveryRecord {
  eventId: string
  taskArn: string
  version: number
  lastStatus: string
  /** `dropped` events never reach the sink. */
  outcome: 'delivered' | 'dropped' | 'failed'
  /** True for the second copy of a duplicated event. */
  duplicate: boolean
  late: boolean
  /** Epoch milliseconds the sink finished (or the event was dropped). */
  at: number
  /** What the sink returned, or the error message. */
  result?: unknown
}

/** Counts of what the channel did. */
export interface DeliveryStats {
  emitted: number
  delivered: number
  dropped: number
  duplicated: number
  late: number
  failed: number
}

/** Schedules events to a sink with the configured delay, duplication, reordering and loss. */
export class DeliveryChannel {
  private readonly inFlight = new Set<Promise<void>>()
  private readonly sending = new Set<Promise<unknown>>()
  private readonly counts: DeliveryStats = {
    emitted: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    late: 0,
    failed: 0
  }

  constructor(
    private readonly deps: {
      sink: EventSink
      clock: Clock
      random: Random
      /** Real milliseconds per simulated second (1000 × time scale). */
      msPerSecond: number
      signal: AbortSignal
      onRecord?: (record: DeliveryRecord) => void
    },
    private readonly options: DeliveryOptions = {}
  ) {}

  /** Hands an event to the channel; it reaches the sink later, maybe twice, maybe never. */
  send(event: TaskStateEvent): void {
    this.counts.emitted++
    const o = this.options
    const base = {
      eventId: event.id,
      taskArn: event.detail.taskArn,
      version: event.detail.version,
      lastStatus: event.detail.lastStatus
    }
    const dropped =
      this.deps.random() < (o.dropProbability ?? 0) ||
      (o.dropStatuses ?? []).includes(event.detail.lastStatus) ||
      (o.drop?.(event) ?? false)
    if (dropped) {
      this.counts.dropped++
      this.deps.onRecord?.({
        ...base,
        outcome: 'dropped',
        duplicate: false,
        late: false,
        at: this.deps.clock.now()
      })
      return
    }
    this.schedule(event, base, false)
    if (this.deps.random() < (o.duplicateProbability ?? 0)) {
      this.counts.duplicated++
      this.schedule(event, base, true)
    }
  }

  private schedule(
    event: TaskStateEvent,
    base: Pick<DeliveryRecord, 'eventId' | 'taskArn' | 'version' | 'lastStatus'>,
    duplicate: boolean
  ): void {
    const o = this.options
    const late = this.deps.random() < (o.lateProbability ?? 0)
    if (late) this.counts.late++
    const seconds =
      (o.delaySeconds ?? 0.3) +
      this.deps.random() * (o.jitterSeconds ?? 0.4) +
      (late ? (o.lateSeconds ?? 3) : 0)
    const run = async (): Promise<void> => {
      await this.deps.clock.sleep(seconds * this.deps.msPerSecond, this.deps.signal)
      if (this.deps.signal.aborted) return
      // Each copy is its own object, as two Lambda invocations would each parse their own.
      const copy = JSON.parse(JSON.stringify(event)) as TaskStateEvent
      const sent = Promise.resolve().then(() => this.deps.sink(copy))
      this.sending.add(sent)
      try {
        const result = await sent
        this.counts.delivered++
        this.deps.onRecord?.({
          ...base,
          outcome: 'delivered',
          duplicate,
          late,
          at: this.deps.clock.now(),
          result
        })
      } catch (error) {
        this.counts.failed++
        const message = error instanceof Error ? error.message : String(error)
        this.deps.onRecord?.({
          ...base,
          outcome: 'failed',
          duplicate,
          late,
          at: this.deps.clock.now(),
          result: message
        })
      } finally {
        this.sending.delete(sent)
      }
    }
    const promise = run()
    this.inFlight.add(promise)
    void promise.finally(() => this.inFlight.delete(promise))
  }

  /** Resolves when every event sent so far has been delivered, dropped or failed. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight])
  }

  /**
   * Resolves when every copy whose delay has elapsed has been handled by the sink; copies still
   * waiting are not awaited (with a fake clock they wait for `advance`).
   */
  async flush(): Promise<void> {
    while (this.sending.size > 0) await Promise.allSettled([...this.sending])
    // Let the records of what just finished be written.
    await new Promise<void>((resolve) => setImmediate(resolve))
  }

  /** Number of copies scheduled but not yet handed to the sink. */
  get pending(): number {
    return this.inFlight.size
  }

  stats(): DeliveryStats {
    return { ...this.counts }
  }
}

/**
 * A notifier as many already run: hako's example Lambda (examples/put-ecs-container-status-to-s3
 * in hako's repository, docs/hako.md) and its ports, which write the whole event, RunTask
 * `overrides` and all, with a plain PutObject: started.json when the task and every container
 * run, stopped.json on STOPPED, the last write winning even when it carries an older event.
 * Pass it as `notifier` to startLocalAws to run the action against such a bucket. Same signature
 * and outcome as notifier/handler.ts's `processEvent`.
 */
export async function writeWholeEvent(
  event: unknown,
  deps: { s3: S3Client; bucket: string; prefix: string; log: (line: string) => void }
): Promise<{ action: 'written' | 'skipped'; key?: string; reason: string }> {
  const detail = (event as { detail?: Partial<TaskStateEvent['detail']> }).detail ?? {}
  const running =
    detail.lastStatus === 'RUNNING' &&
    (detail.containers ?? []).every((c) => c.lastStatus === 'RUNNING')
  const file = detail.lastStatus === 'STOPPED' ? 'stopped' : running ? 'started' : undefined
  if (file === undefined || typeof detail.taskArn !== 'string') {
    deps.log(`skipped: ${String(detail.taskArn)} is ${String(detail.lastStatus)}`)
    return { action: 'skipped', reason: `${String(detail.lastStatus)}` }
  }
  const key = `${deps.prefix ? `${deps.prefix}/` : ''}${detail.taskArn}/${file}.json`
  await deps.s3.send(
    new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: JSON.stringify(event) })
  )
  deps.log(`${detail.taskArn} ${file}`)
  return { action: 'written', key, reason: `version ${String(detail.version)}, whole event` }
}
