/**
 * RunTask with retries: transient errors (throttling, 5xx, network) with full-jitter backoff
 * under the same clientToken, so a retry never starts a second task; failures that can clear
 * (no room on the cluster yet) until a deadline, scaling an Auto Scaling group out as hako does
 * when the definition names one; account quotas (Fargate vCPUs or tasks, tasks in PROVISIONING)
 * until the deadline too, with retries spread over the fan-out; everything else fails at once
 * with ECS's reason.
 */
import {
  RunTaskCommand,
  type ECSClient,
  type Failure,
  type RunTaskCommandInput,
  type Task
} from '@aws-sdk/client-ecs'
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling'
import type { SNSClient } from '@aws-sdk/client-sns'
import { fullJitter } from '../util/backoff.js'
import { formatDuration } from '../util/duration.js'
import { UserError, errorMessage, errorName } from '../util/errors.js'
import type { Runtime } from '../util/runtime.js'
import { escapeLogText } from '../util/safe-text.js'
import { quotaRetryDelayMs, runTaskBudgetOf } from '../model/run-task-pacing.js'
import { isThrottling, isTransient } from '../aws/errors.js'
import { accountQuotaOf, describeError, type AccountQuota } from './errors.js'
import { newClientToken } from './run-task-fields.js'
import { publishScaleOutRequest, scaleOutUntilCapacity, type TaskResources } from './scale-out.js'

export interface RunTaskDeps extends Runtime {
  ecs: Pick<ECSClient, 'send'>
  /** Needed with `autoscalingGroup` (without a topic). */
  autoScaling?: Pick<AutoScalingClient, 'send'>
  /** Needed with `autoscalingTopic`. */
  sns?: Pick<SNSClient, 'send'>
  /** Makes the token after an answer that started nothing (default newClientToken). */
  nextClientToken?: () => string
}

export interface RunTaskOptions {
  /** The complete request: task definition ARN, cluster, count, overrides, startedBy, group, tags. */
  request: RunTaskCommandInput
  /** The first call's token (newClientToken); kept while a call's outcome is unknown. */
  clientToken: string
  /** Epoch ms: stop retrying capacity failures then. */
  deadline: number
  /** Aborts the waits between attempts (the job is being cancelled). */
  signal?: AbortSignal
  /** scheduler.autoscaling_group_for_oneshot. */
  autoscalingGroup?: string
  /** scheduler.autoscaling_topic_for_oneshot (publish instead of scaling the group ourselves). */
  autoscalingTopic?: string
  /** What the task needs, for the scale-out fit check and the SNS message (taskResourcesOf). */
  taskResources?: TaskResources
  /** Called with the started tasks as soon as RunTask returns them (save the ARN to state). */
  onStarted?: (tasks: Task[]) => void
  /**
   * The fan-out's width N (src/model/fan-out.ts): retries under an account quota are spread so
   * that N waiting tasks stay within the fan-out's share of RunTask's refill (default 1).
   */
  fanOutWidth?: number
  /**
   * Account quotas this job has already announced (kinds): the line that says the job waits
   * for room is printed once per job, not once per call or retry. Shared by a set's calls.
   */
  announcedQuotas?: Set<AccountQuota['kind']>
  /** Called when tasks started after waiting for room under an account quota, with how long. */
  onRoomWaited?: (waitedMs: number, quota: AccountQuota) => void
}

/** Transient errors: 8 attempts, full jitter from 1 s, capped at 20 s (about a minute in all). */
export const RUN_TASK_MAX_TRANSIENT_ATTEMPTS = 8
export const RUN_TASK_TRANSIENT_BASE_MS = 1000
export const RUN_TASK_TRANSIENT_CAP_MS = 20000
/**
 * Capacity failures: full jitter from 2 s, capped at 30 s, until the deadline. Room on a cluster
 * appears when other tasks stop or instances join, on the scale of seconds to minutes; a 30 s cap
 * keeps polling cheap (RunTask refills at 40 per s per account, docs/limits.md, "Token buckets") while reacting
 * within half a minute.
 */
export const RUN_TASK_CAPACITY_BASE_MS = 2000
export const RUN_TASK_CAPACITY_CAP_MS = 30000

/** ECS's answer when a cluster has no container instance at all (hako retries it). */
const NO_CONTAINER_INSTANCES = 'No Container Instances were found in your cluster.'

/**
 * RunTask failure reasons that can clear with time or capacity: RESOURCE:CPU/MEMORY/PORTS/...
 * (no instance has room), AGENT (an agent is disconnected), ATTRIBUTE (no instance with a
 * required attribute yet) and capacity unavailable (Fargate/capacity providers: "Capacity is
 * unavailable at this time"). MISSING/INACTIVE task definitions and the rest cannot.
 */
export function isClearableFailure(reason: string | undefined): boolean {
  if (!reason) return false
  return (
    reason.startsWith('RESOURCE:') ||
    reason === 'AGENT' ||
    reason.startsWith('ATTRIBUTE') ||
    /capacity is unavailable/i.test(reason)
  )
}

/** Error names that mean the request itself is wrong: retrying cannot help. */
const USER_ERROR_NAMES = new Set([
  'ClientException',
  'InvalidParameterException',
  'AccessDeniedException',
  'ClusterNotFoundException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'UnsupportedFeatureException',
  'BlockedException'
])

/** One RunTask call's outcome: ECS's answer, or an error to wait out and retry. */
type Attempt =
  | { kind: 'answer'; tasks: Task[]; failures: Failure[] }
  | { kind: 'retry'; delayMs: number; message: string }

/**
 * Starts the task(s) of `request`; returns the started tasks. Throws a UserError for failures
 * the user must fix, or when no capacity appears before the deadline.
 *
 * The client token stays the same while the outcome of a call is unknown (throttling, 5xx,
 * network errors), so a retry never starts a second set; after an answer that definitely
 * started nothing (capacity failures) the next call takes a fresh token, as ECS may replay a
 * token's recorded answer for 24 hours (docs/limits.md, "RunTask clientToken").
 */
export async function runTask(deps: RunTaskDeps, options: RunTaskOptions): Promise<Task[]> {
  const { clock, logger } = deps
  const { request, deadline, signal } = options
  const what = `a task of '${request.taskDefinition ?? ''}' on cluster '${request.cluster ?? 'default'}'`
  const nextToken = deps.nextClientToken ?? newClientToken
  // Retries so far, by cause.
  const counts = { transient: 0, throttled: 0 }
  let clientToken = options.clientToken
  let capacityRounds = 0
  let quotaRounds = 0
  /** Since when, and under which quota, this call has waited for room. */
  let room: { since: number; quota: AccountQuota } | undefined
  const announced = options.announcedQuotas ?? new Set<AccountQuota['kind']>()

  for (;;) {
    if (signal?.aborted) throw new Error(`Cancelled before starting ${what}`)
    const attempt = await callRunTask(deps, options, { ...request, clientToken }, counts, what)
    if (attempt.kind === 'retry') {
      logger.info(attempt.message)
      await clock.sleep(attempt.delayMs, signal)
      continue
    }
    const { tasks, failures } = attempt
    if (tasks.length > 0) {
      if (room !== undefined) options.onRoomWaited?.(clock.now() - room.since, room.quota)
      options.onStarted?.(tasks)
      for (const task of tasks)
        logger.info(`Started task: ${escapeLogText(task.taskArn ?? '(no ARN)')}`)
      for (const f of failures)
        logger.warning(`RunTask could not start every task: ${formatFailure(f)}`)
      return tasks
    }
    if (failures.length === 0) {
      throw new Error(`Could not start ${what}: RunTask answered with neither tasks nor failures`)
    }
    const fatal = failures.find(
      (f) =>
        f.reason !== NO_CONTAINER_INSTANCES &&
        !isClearableFailure(f.reason) &&
        accountQuotaOf(f.reason) === undefined
    )
    if (fatal) {
      throw new UserError(`Could not start ${what}: ECS answered ${formatFailure(fatal)}.`)
    }
    const reasons = failures.map(formatFailure).join('; ')
    const quota = failures.map((f) => accountQuotaOf(f.reason)).find((q) => q !== undefined)
    if (quota !== undefined) {
      room ??= { since: clock.now(), quota }
      if (clock.now() >= deadline) {
        throw new UserError(
          `Could not start ${what} before the deadline (${new Date(deadline).toISOString()}): ` +
            `the account's ${quota.name} stayed full (ECS answered ${reasons}). Raise the quota ` +
            `in Service Quotas, run fewer tasks at once (max-parallel), or raise the 'timeout' input.`
        )
      }
      clientToken = nextToken()
      await waitForRoom(deps, options, { quota, reasons, round: quotaRounds++, announced })
      continue
    }
    if (clock.now() >= deadline) {
      throw new UserError(
        `Could not start ${what} before the deadline (${new Date(deadline).toISOString()}): ` +
          `ECS answered ${reasons}. Add capacity to the cluster (a capacity provider, or ` +
          `scheduler.autoscaling_group_for_oneshot), or raise the 'timeout' input.`
      )
    }
    logger.info(`RunTask started no task: ${reasons}`)
    // Nothing started, for certain: the next call is a new request with a new token.
    clientToken = nextToken()
    await waitForCapacity(deps, options, capacityRounds++)
  }
}

/** One RunTask call, its error classified: an answer, a retry after a delay, or a throw. */
async function callRunTask(
  deps: RunTaskDeps,
  options: RunTaskOptions,
  input: RunTaskCommandInput,
  counts: { transient: number; throttled: number },
  what: string
): Promise<Attempt> {
  const { clock, random } = deps
  const { deadline } = options
  /** The wait before the `n`th retry in a row (from 1) of a call whose outcome is unknown. */
  const backoff = (n: number): number =>
    fullJitter(n - 1, RUN_TASK_TRANSIENT_BASE_MS, RUN_TASK_TRANSIENT_CAP_MS, random)
  try {
    const out = await deps.ecs.send(new RunTaskCommand(input))
    counts.transient = 0
    return { kind: 'answer', tasks: out.tasks ?? [], failures: out.failures ?? [] }
  } catch (error) {
    if (isThrottling(error) && clock.now() < deadline) {
      // Throttling is the account's shared RunTask bucket running dry (docs/limits.md, "ECS
      // API"), not a fault: hundreds of jobs starting together drain it in a burst and it
      // refills at 40 a second. Wait for it until the start deadline rather than a fixed
      // number of attempts, so no job of a large fan-out fails for having been unlucky.
      counts.throttled++
      const delay = backoff(Math.min(counts.throttled, 16))
      return {
        kind: 'retry',
        delayMs: Math.min(delay, Math.max(0, deadline - clock.now())),
        message: `RunTask was throttled; retrying in ${(delay / 1000).toFixed(1)} s`
      }
    }
    if (isTransient(error)) {
      counts.transient++
      if (counts.transient >= RUN_TASK_MAX_TRANSIENT_ATTEMPTS) {
        throw new Error(
          `Could not start ${what}: RunTask failed ${counts.transient} times in a row; last ` +
            `error: ${describeError(error)}`,
          { cause: error }
        )
      }
      const delay = backoff(counts.transient)
      return {
        kind: 'retry',
        delayMs: delay,
        message: `RunTask failed (${describeError(error)}); retrying in ${(delay / 1000).toFixed(1)} s`
      }
    }
    const adopted = conflictTasks(error)
    if (adopted !== undefined) {
      deps.logger.info(
        `RunTask's client token is already in use; taking the tasks it started: ` +
          adopted.map((t) => t.taskArn).join(', ')
      )
      return { kind: 'answer', tasks: adopted, failures: [] }
    }
    if (
      errorName(error) === 'InvalidParameterException' &&
      String((error as Error).message) === NO_CONTAINER_INSTANCES
    ) {
      return { kind: 'answer', tasks: [], failures: [{ reason: NO_CONTAINER_INSTANCES }] }
    }
    if (errorName(error) === 'ClientException' && accountQuotaOf(errorMessage(error))) {
      // The PROVISIONING limit answers as an error, not a failure: nothing started, and room
      // comes as provisioning tasks move on (docs/limits.md, "Account quotas").
      return { kind: 'answer', tasks: [], failures: [{ reason: errorMessage(error) }] }
    }
    if (USER_ERROR_NAMES.has(errorName(error))) {
      throw new UserError(`Could not start ${what}: ${describeError(error)}.`)
    }
    throw new Error(`Could not start ${what}: ${describeError(error)}`, { cause: error })
  }
}

/**
 * The tasks a ConflictException names: the token was already used for a request that started
 * them (docs/limits.md, "RunTask clientToken"). Undefined for any other error.
 */
function conflictTasks(error: unknown): Task[] | undefined {
  if (errorName(error) !== 'ConflictException') return undefined
  const ids = (error as { resourceIds?: string[] }).resourceIds ?? []
  return ids.length > 0 ? ids.map((taskArn) => ({ taskArn })) : undefined
}

async function waitForCapacity(
  deps: RunTaskDeps,
  options: RunTaskOptions,
  round: number
): Promise<void> {
  const { clock, random, logger } = deps
  const { request, deadline, signal, autoscalingGroup, autoscalingTopic } = options
  const cluster = request.cluster ?? 'default'
  if (autoscalingGroup) {
    const needed = options.taskResources
    if (!needed) throw new Error('runTask: taskResources is required with autoscalingGroup')
    if (autoscalingTopic) {
      if (!deps.sns) throw new Error('runTask: an SNS client is required with autoscalingTopic')
      await publishScaleOutRequest(
        { sns: deps.sns, clock, logger },
        {
          topicArn: autoscalingTopic,
          group: autoscalingGroup,
          cluster,
          needed,
          hakoTaskId: options.clientToken,
          deadline,
          signal
        }
      )
      return
    }
    if (!deps.autoScaling)
      throw new Error('runTask: an Auto Scaling client is required with autoscalingGroup')
    await scaleOutUntilCapacity(
      { ecs: deps.ecs, autoScaling: deps.autoScaling, clock, logger },
      { cluster, group: autoscalingGroup, needed, deadline, signal }
    )
    return
  }
  const delay = Math.min(
    fullJitter(round, RUN_TASK_CAPACITY_BASE_MS, RUN_TASK_CAPACITY_CAP_MS, random),
    Math.max(0, deadline - clock.now())
  )
  logger.info(`Waiting ${(delay / 1000).toFixed(1)} s for capacity before retrying RunTask`)
  await clock.sleep(delay, signal)
}

/**
 * Waits before retrying a RunTask an account quota refused: spread by the fan-out's width so
 * that every waiting task together stays within half of RunTask's refill (quotaRetryDelayMs,
 * src/model/run-task-pacing.ts). The job says once that it waits, for what, and how long at most.
 */
async function waitForRoom(
  deps: RunTaskDeps,
  options: RunTaskOptions,
  at: { quota: AccountQuota; reasons: string; round: number; announced: Set<AccountQuota['kind']> }
): Promise<void> {
  const { clock, random, logger } = deps
  const { deadline, signal } = options
  const budget = runTaskBudgetOf(options.request)
  const fanOut = { width: options.fanOutWidth ?? 1 }
  const untilDeadlineMs = Math.max(0, deadline - clock.now())
  const delay = quotaRetryDelayMs({ round: at.round, fanOut, budget, random, untilDeadlineMs })
  const announced = at.announced
  if (!announced.has(at.quota.kind)) {
    announced.add(at.quota.kind)
    const first = quotaRetryDelayMs({ round: 0, fanOut, budget, random: () => 0, untilDeadlineMs })
    logger.info(
      `Waiting for room under the account's ${at.quota.name}: RunTask answered ${at.reasons.replace(/\.+$/, '')}. ` +
        `Retrying until ${new Date(deadline).toISOString()} (${formatDuration(untilDeadlineMs)} ` +
        `from now: the start deadline, which is the 'timeout' input, else 10 minutes), at first ` +
        `every ${(first / 1000).toFixed(1)} to ${((2 * first) / 1000).toFixed(1)} s, spread over ` +
        `the fan-out's ${fanOut.width} task(s). To wait less, raise the quota in Service Quotas ` +
        `or lower max-parallel.`
    )
  } else {
    logger.debug(
      `RunTask started no task (${at.reasons}); retrying in ${(delay / 1000).toFixed(1)} s`
    )
  }
  await clock.sleep(delay, signal)
}

/** `REASON (detail) for arn`, as much as ECS gave, safe for a log line (escapeLogText). */
export function formatFailure(f: Failure): string {
  let text = f.reason ?? 'unknown reason'
  if (f.detail) text += ` (${f.detail})`
  if (f.arn) text += ` for ${f.arn}`
  return escapeLogText(text)
}
