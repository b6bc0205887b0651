/**
 * Infrastructure failures the simulator injects, as AWS causes them (docs/retries.md): Fargate
 * Spot reclaiming a running task (stop code SpotInterruption, SIGTERM to the containers, so the
 * app exits 143), a registry's pull rate limit (TaskFailedToStart, CannotPullContainerError
 * with 429 toomanyrequests), and an ENI that never gets provisioned (TaskFailedToStart,
 * "Timeout waiting for network interface provisioning to complete").
 *
 * Chosen attempts: `SIM_SPOT_INTERRUPTION`, `SIM_PULL_THROTTLE`, `SIM_ENI_TIMEOUT` in the app
 * container's environment list the attempts (1-based, comma separated) that meet the failure,
 * counted per request content (everything but the client token), which is all that tells one
 * attempt of a task from the next. Random ones: `rates` gives each new task a chance of each
 * failure, drawn from the simulator's seeded random.
 */
import type { Random } from '../src/util/clock.js'
import { AwsError } from './json-server.js'

/** The failures this module injects. */
export type Fault = 'spot-interruption' | 'pull-throttle' | 'eni-timeout'

/** The SIM_* variables this module reads. */
export const FAULT_VARIABLES = [
  'SIM_SPOT_INTERRUPTION',
  'SIM_PULL_THROTTLE',
  'SIM_ENI_TIMEOUT',
  'SIM_SPOT_AFTER_SECONDS'
] as const

/** Chance of each failure for every new task (0 to 1). */
export interface FaultRates {
  spotInterruption?: number
  pullThrottle?: number
  eniTimeout?: number
}

/** The stopped reason of a Spot interruption. */
export const SPOT_REASON = 'Your Spot Task was interrupted.'

/** The stopped reason of an ENI that was never provisioned. */
export const ENI_TIMEOUT_REASON = 'Timeout waiting for network interface provisioning to complete.'

/** The container reason (and stopped reason) when the registry's pull limit answers 429. */
export function pullThrottleReason(image: string): string {
  return (
    `CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: ` +
    `failed open: unexpected status code https://registry-1.docker.io/v2/${image}/manifests/latest: ` +
    `429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate ` +
    `limit. You may increase the limit by authenticating and upgrading: ` +
    `https://www.docker.com/increase-rate-limit`
  )
}

function attemptList(env: ReadonlyMap<string, string>, name: string): Set<number> {
  const raw = env.get(name)
  if (raw === undefined || raw.trim() === '') return new Set()
  const values = raw.split(',').map((s) => Number(s.trim()))
  if (!values.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    throw new AwsError(
      'InvalidParameterException',
      `Simulator: ${name} must list attempts (1, 2, ...) separated by commas, got '${raw}'`
    )
  }
  return new Set(values)
}

/** Decides, task by task, which failure each new task meets. */
export class FaultInjector {
  private readonly attempts = new Map<string, number>()

  constructor(
    private readonly random: Random,
    private readonly rates: FaultRates = {}
  ) {}

  /**
   * The failure of the next task started for request content `key`, with the app container's
   * environment `env`; undefined for none. Scripted attempts win over the random rates.
   */
  next(key: string, env: ReadonlyMap<string, string>): Fault | undefined {
    const attempt = (this.attempts.get(key) ?? 0) + 1
    this.attempts.set(key, attempt)
    if (attemptList(env, 'SIM_SPOT_INTERRUPTION').has(attempt)) return 'spot-interruption'
    if (attemptList(env, 'SIM_PULL_THROTTLE').has(attempt)) return 'pull-throttle'
    if (attemptList(env, 'SIM_ENI_TIMEOUT').has(attempt)) return 'eni-timeout'
    const draw = (rate: number | undefined): boolean => rate !== undefined && this.random() < rate
    if (draw(this.rates.spotInterruption)) return 'spot-interruption'
    if (draw(this.rates.pullThrottle)) return 'pull-throttle'
    if (draw(this.rates.eniTimeout)) return 'eni-timeout'
    return undefined
  }
}

/**
 * Simulated seconds after RUNNING when Spot reclaims the task: SIM_SPOT_AFTER_SECONDS, else half
 * the app's run time (1 s for an app that runs until stopped), so it lands mid-run.
 */
export function spotAfterSeconds(env: ReadonlyMap<string, string>, runSeconds?: number): number {
  const raw = Number(env.get('SIM_SPOT_AFTER_SECONDS'))
  if (env.get('SIM_SPOT_AFTER_SECONDS') !== undefined && Number.isFinite(raw) && raw >= 0) {
    return raw
  }
  return runSeconds === undefined ? 1 : runSeconds / 2
}
