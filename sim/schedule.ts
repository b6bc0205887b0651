/**
 * An EventBridge schedule (`rate(1 minute)`) for the simulator: it sends the target the
 * scheduled event EventBridge sends (`"source": "aws.events"`, `"detail-type": "Scheduled
 * Event"`, `time` the scheduled minute), one run after another. Like EventBridge it does not
 * wait for a run to end before the next one is due; a run still going then is simply overlapped.
 */
import type { Clock } from '../src/util/clock.js'

/** The event EventBridge sends a scheduled rule's target. */
export interface ScheduledEvent {
  version: '0'
  id: string
  'detail-type': 'Scheduled Event'
  source: 'aws.events'
  account: string
  time: string
  region: string
  resources: string[]
  detail: Record<string, never>
}

/** The scheduled event for the run due at `at` (epoch ms; `time` drops the milliseconds). */
export function scheduledEvent(
  at: number,
  options: { account: string; region: string; rule: string; sequence: number }
): ScheduledEvent {
  return {
    version: '0',
    id: `00000000-0000-4000-8000-${String(options.sequence).padStart(12, '0')}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: options.account,
    time: new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region: options.region,
    resources: [`arn:aws:events:${options.region}:${options.account}:rule/${options.rule}`],
    detail: {}
  }
}

export interface ScheduleOptions {
  clock: Clock
  /** Real ms between runs (60,000 × the simulator's timeScale for `rate(1 minute)`). */
  periodMs: number
  /** The schedule time of the first run, epoch ms; later runs add one simulated minute each. */
  firstTime: number
  account: string
  region: string
  rule?: string
  /** The target: one invocation per event. A rejection is recorded, never thrown. */
  target: (event: ScheduledEvent) => Promise<unknown>
}

/** A running schedule. */
export interface Schedule {
  /** Every invocation so far: its event and how it ended. */
  runs(): { event: ScheduledEvent; result?: unknown; error?: unknown }[]
  /** Resolves once `n` runs have ended (whatever their outcome). */
  ended(n: number): Promise<void>
  /** Stops scheduling and waits for the runs under way. */
  stop(): Promise<void>
}

/** Starts invoking `target` now, then every `periodMs`. */
export function startSchedule(options: ScheduleOptions): Schedule {
  const abort = new AbortController()
  const records: { event: ScheduledEvent; result?: unknown; error?: unknown }[] = []
  const pending = new Set<Promise<void>>()
  const waiters: { n: number; resolve: () => void }[] = []
  let endedCount = 0
  const onEnd = (): void => {
    endedCount++
    for (const w of waiters.filter((x) => x.n <= endedCount)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  }
  const loop = async (): Promise<void> => {
    for (let sequence = 0; !abort.signal.aborted; sequence++) {
      const event = scheduledEvent(options.firstTime + sequence * 60_000, {
        account: options.account,
        region: options.region,
        rule: options.rule ?? 'hako-oneshot-sweeper',
        sequence
      })
      const record: (typeof records)[number] = { event }
      records.push(record)
      const run = options.target(event).then(
        (result) => void (record.result = result),
        (error: unknown) => void (record.error = error)
      )
      const tracked = run.finally(() => {
        pending.delete(tracked)
        onEnd()
      })
      pending.add(tracked)
      await options.clock.sleep(options.periodMs, abort.signal)
    }
  }
  const looping = loop()
  return {
    runs: () => records.map((r) => ({ ...r })),
    ended: (n) =>
      n <= endedCount ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    async stop() {
      abort.abort()
      await looping
      await Promise.all([...pending])
    }
  }
}
