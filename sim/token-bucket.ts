/**
 * ECS API throttling as AWS documents it: a token bucket per action category, per account and
 * region, shared by every caller (docs/limits.md, "Token buckets"). Each call takes one token; an empty bucket
 * answers ThrottlingException.
 */
import type { Clock } from '../src/util/clock.js'

/** Size and refill rate of one bucket. */
export interface BucketLimit {
  /** Tokens the bucket holds when full: the largest burst. */
  burst: number
  /** Tokens added per second, up to `burst`. */
  refillPerSecond: number
}

/** A token bucket over an injected clock, so refill is deterministic in tests. */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor(
    readonly limit: BucketLimit,
    private readonly clock: Clock
  ) {
    this.tokens = limit.burst
    this.last = clock.now()
  }

  /** Takes one token if there is one; false means "throttle this call". */
  take(): boolean {
    if (!this.has(1)) return false
    this.tokens -= 1
    return true
  }

  /** Refills, then whether `n` tokens are there (none taken). */
  has(n: number): boolean {
    const now = this.clock.now()
    const elapsed = Math.max(0, now - this.last) / 1000
    this.tokens = Math.min(this.limit.burst, this.tokens + elapsed * this.limit.refillPerSecond)
    this.last = now
    return this.tokens >= n
  }

  /** Takes `n` tokens, which `has(n)` just found. */
  spend(n: number): void {
    this.tokens -= n
  }
}

/**
 * Action categories and their default limits. The first four rows are AWS's documented ECS
 * numbers (docs/limits.md, "Token buckets"). `ecs-other` (tags, clusters, anything else
 * ECS) is this simulator's choice. `logs` and `logs-filter` are CloudWatch Logs' GetLogEvents
 * (25 per second per account and region, 10 in us-west-2, eu-west-1, eu-central-1 and a few
 * more) and FilterLogEvents (10, 5 in some regions) quotas (docs/limits.md, "CloudWatch Logs
 * read quotas"); the burst of a per-second quota is taken as one second of it. `fargate-run-task`
 * and `fargate-launch` are Fargate's own on top of ECS's: RunTask calls that launch on Fargate,
 * 20 a second (burst and sustained), and the tasks they launch, 100 at once and 20 a second
 * (docs/limits.md, "Fargate").
 */
export const DEFAULT_LIMITS = {
  'run-stop': { burst: 100, refillPerSecond: 40 },
  describe: { burst: 100, refillPerSecond: 20 },
  register: { burst: 20, refillPerSecond: 1 },
  'describe-task-definition': { burst: 50, refillPerSecond: 20 },
  'ecs-other': { burst: 50, refillPerSecond: 20 },
  logs: { burst: 25, refillPerSecond: 25 },
  'logs-filter': { burst: 10, refillPerSecond: 10 },
  autoscaling: { burst: 40, refillPerSecond: 20 },
  'fargate-run-task': { burst: 20, refillPerSecond: 20 },
  'fargate-launch': { burst: 100, refillPerSecond: 20 }
} satisfies Record<string, BucketLimit>

/** A throttling category name. */
export type ThrottleCategory = keyof typeof DEFAULT_LIMITS

const CATEGORY_OF: Record<string, ThrottleCategory> = {
  RunTask: 'run-stop',
  StartTask: 'run-stop',
  StopTask: 'run-stop',
  DescribeTasks: 'describe',
  // DescribeServices is not in the documented table this project cites; it draws from the
  // DescribeTasks bucket (100 burst, 20 a second), shared with DescribeTasks: never kinder.
  DescribeServices: 'describe',
  ListTasks: 'describe',
  DescribeContainerInstances: 'describe',
  ListContainerInstances: 'describe',
  RegisterTaskDefinition: 'register',
  DeregisterTaskDefinition: 'register',
  DescribeTaskDefinition: 'describe-task-definition',
  ListTaskDefinitions: 'describe-task-definition',
  ListTaskDefinitionFamilies: 'describe-task-definition',
  GetLogEvents: 'logs',
  FilterLogEvents: 'logs-filter',
  DescribeAutoScalingGroups: 'autoscaling',
  SetDesiredCapacity: 'autoscaling'
}

/** The bucket an operation draws from. */
export function categoryOf(operation: string): ThrottleCategory {
  return CATEGORY_OF[operation] ?? 'ecs-other'
}

/** One bucket per category, with limits overridable per category (`Infinity` burst disables). */
export class Throttler {
  private readonly buckets = new Map<ThrottleCategory, TokenBucket>()

  constructor(clock: Clock, overrides: Partial<Record<ThrottleCategory, BucketLimit>> = {}) {
    for (const name of Object.keys(DEFAULT_LIMITS) as ThrottleCategory[]) {
      this.buckets.set(name, new TokenBucket(overrides[name] ?? DEFAULT_LIMITS[name], clock))
    }
  }

  /**
   * Takes a token for `operation`; false when the call must be throttled. A RunTask that launches
   * on Fargate (`body`'s launch type or capacity providers) must also find a token in Fargate's
   * RunTask bucket and one per task in its launch bucket; nothing is taken when any is short.
   */
  allow(operation: string, body?: Record<string, unknown>): boolean {
    const needs: [TokenBucket | undefined, number][] = [
      [this.buckets.get(categoryOf(operation)), 1]
    ]
    if (operation === 'RunTask' && body !== undefined && launchesOnFargate(body)) {
      const count = typeof body.count === 'number' && body.count > 0 ? body.count : 1
      needs.push(
        [this.buckets.get('fargate-run-task'), 1],
        [this.buckets.get('fargate-launch'), count]
      )
    }
    if (!needs.every(([bucket, n]) => bucket === undefined || bucket.has(n))) return false
    for (const [bucket, n] of needs) bucket?.spend(n)
    return true
  }
}

/** A RunTask request for Fargate: its launch type, or capacity providers that are Fargate's. */
function launchesOnFargate(body: Record<string, unknown>): boolean {
  if (body.launchType === 'FARGATE') return true
  const strategy = Array.isArray(body.capacityProviderStrategy) ? body.capacityProviderStrategy : []
  return strategy.some((item: { capacityProvider?: unknown }) =>
    ['FARGATE', 'FARGATE_SPOT'].includes(String(item.capacityProvider))
  )
}
