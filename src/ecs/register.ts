/**
 * Register the oneshot task definition only when it changed (docs/hako.md, "Registering"), in a way that
 * many jobs racing on one changed definition create one revision: every retry describes and
 * compares again before registering, because another job may have registered the same content
 * meanwhile.
 */
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition
} from '@aws-sdk/client-ecs'
import { fullJitter } from '../util/backoff.js'
import { UserError } from '../util/errors.js'
import { isAccessDenied, isThrottling, isTransient } from '../aws/errors.js'
import type { Runtime } from '../util/runtime.js'
import { compareTaskDefinition, formatDifference } from './compare.js'
import { describeError, isNoSuchTaskDefinition, isTooManyConcurrentRevisions } from './errors.js'

export interface RegisterDeps extends Runtime {
  ecs: Pick<ECSClient, 'send'>
  /** Describe-compare-register rounds before giving up (default REGISTER_MAX_ATTEMPTS). */
  maxAttempts?: number
}

export interface RegisterOptions {
  /**
   * The jittered re-check for jobs that race without a shared cache (no bucket, no write
   * permission, or the cache turned off): after a "differs" answer, wait a uniformly random
   * delay over this window, describe again and register only if it still differs. 0 (the
   * default) registers at once. See RECHECK_WINDOW_MS.
   */
  recheckWindowMs?: number
}

export interface RegisterResult {
  /** The ARN of the revision to run: the one registered now, or the unchanged latest one. */
  taskDefinitionArn: string
  revision: number
  /** true when this call registered a new revision. */
  registered: boolean
}

/**
 * Backoff between rounds: full jitter over [0, min(cap, base * 2^i)). RegisterTaskDefinition
 * refills at 1 call per second per account and region (docs/limits.md, "Token buckets"), so waiting less than
 * about a second cannot help; a 2 s base spreads a burst of jobs over a window wide enough for
 * the first registration to become visible to the others' next describe, and the 30 s cap
 * keeps 10 rounds within about 3 minutes. hako waits 2^i + rand(0..10) s.
 */
export const REGISTER_BACKOFF_BASE_MS = 2000
export const REGISTER_BACKOFF_CAP_MS = 30000
export const REGISTER_MAX_ATTEMPTS = 10

/**
 * The re-check window: RegisterTaskDefinition refills at 1 call per second with a burst of 20
 * (docs/limits.md, "Token buckets"), so 20 s is the time the bucket takes to refill, and
 * spreading N racing jobs over it brings about N / 20 of them per second to the describe. The
 * first registration is visible to DescribeTaskDefinition about a second later (ECS reads are
 * eventually consistent, docs/limits.md, "Registration"), so with 30 jobs only the two or three
 * that describe within that second of it can register again; the others see it and run it.
 */
export const RECHECK_WINDOW_MS = 20000
/**
 * After "Too many concurrent attempts to create a new revision", another job holds the
 * family's registration lock: its revision exists a moment later but may take about a second to
 * show in DescribeTaskDefinition, so the next describe waits at least this long.
 */
export const CONCURRENT_REGISTER_MIN_WAIT_MS = 1500

/**
 * Describes the latest ACTIVE revision of `request.family` with its tags; returns it when it
 * equals `request` (hako's comparison), else registers `request`. Logs why it registers.
 */
export async function registerIfChanged(
  deps: RegisterDeps,
  request: RegisterTaskDefinitionCommandInput,
  options: RegisterOptions = {}
): Promise<RegisterResult> {
  const { ecs, clock, random, logger } = deps
  const family = request.family ?? ''
  const maxAttempts = deps.maxAttempts ?? REGISTER_MAX_ATTEMPTS
  const recheckWindowMs = options.recheckWindowMs ?? 0
  let rechecked = recheckWindowMs <= 0
  let lastError: unknown

  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    if (attempt > 0) {
      let delay = fullJitter(attempt - 1, REGISTER_BACKOFF_BASE_MS, REGISTER_BACKOFF_CAP_MS, random)
      if (isTooManyConcurrentRevisions(lastError)) {
        // Someone else is registering: give their revision time to become visible.
        delay += CONCURRENT_REGISTER_MIN_WAIT_MS
        logger.info(
          `Another job is registering '${family}'; describing again in ` +
            `${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${maxAttempts})`
        )
      } else {
        logger.info(
          `Retrying task definition '${family}' in ${(delay / 1000).toFixed(1)} s ` +
            `(attempt ${attempt + 1} of ${maxAttempts}) after: ${describeError(lastError)}`
        )
      }
      await clock.sleep(delay)
    }
    try {
      let latest = await describeLatest(ecs, family)
      let unchanged = reportDifferences(logger, request, latest)
      if (!unchanged && !rechecked) {
        rechecked = true
        const delay = Math.floor(random() * recheckWindowMs)
        logger.info(
          `Describing '${family}' again in ${(delay / 1000).toFixed(1)} s before registering, ` +
            `in case another job registers the same content first`
        )
        await clock.sleep(delay)
        latest = await describeLatest(ecs, family)
        unchanged = reportDifferences(logger, request, latest)
      }
      if (unchanged && latest) {
        return { taskDefinitionArn: latest.arn, revision: latest.revision, registered: false }
      }
      const out = await ecs.send(new RegisterTaskDefinitionCommand(request))
      const arn = out.taskDefinition?.taskDefinitionArn
      const revision = out.taskDefinition?.revision
      if (!arn || revision === undefined) {
        throw new Error('RegisterTaskDefinition answered without a task definition ARN')
      }
      logger.info(`Registered task definition: ${arn}`)
      return { taskDefinitionArn: arn, revision, registered: true }
    } catch (error) {
      if (isThrottling(error) || isTooManyConcurrentRevisions(error) || isTransient(error)) {
        lastError = error
        continue
      }
      throw registerFailure(family, error)
    }
  }
  throw new UserError(
    `Could not register task definition '${family}': gave up after ${maxAttempts} attempts; ` +
      `last error: ${describeError(lastError)}. ECS allows RegisterTaskDefinition at 20 calls ` +
      `in a burst and 1 per second per account and region, and one registration per family at ` +
      `a time. When many jobs use one definition, run this action once with 'mode: register' ` +
      `and pass its 'task-definition-arn' output to the other jobs as 'task-definition'.`
  )
}

/** Logs whether `latest` equals `request` and how it differs; true when it is unchanged. */
function reportDifferences(
  logger: Runtime['logger'],
  request: RegisterTaskDefinitionCommandInput,
  latest: Latest | undefined
): boolean {
  const family = request.family ?? ''
  if (!latest) {
    logger.info(`Task definition family '${family}' has no active revision yet`)
    return false
  }
  const differences = compareTaskDefinition(request, latest.definition, latest.tags)
  if (differences.length === 0) {
    logger.info(`Task definition is unchanged: ${latest.arn}`)
    return true
  }
  logger.info(
    `Task definition '${family}' differs from revision ${latest.revision} in ` +
      `${differences.length} field${differences.length === 1 ? '' : 's'}:`
  )
  for (const d of differences) logger.info(`  ${formatDifference(d)}`)
  return false
}

interface Latest {
  arn: string
  revision: number
  definition: TaskDefinition
  tags: Tag[] | undefined
}

/** The latest ACTIVE revision and its tags, or undefined when the family has none. */
async function describeLatest(
  ecs: RegisterDeps['ecs'],
  family: string
): Promise<Latest | undefined> {
  try {
    const out = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: family, include: ['TAGS'] })
    )
    const definition = out.taskDefinition
    if (!definition?.taskDefinitionArn || definition.revision === undefined) return undefined
    return {
      arn: definition.taskDefinitionArn,
      revision: definition.revision,
      definition,
      tags: out.tags
    }
  } catch (error) {
    if (isNoSuchTaskDefinition(error)) return undefined
    throw error
  }
}

/** Errors the user fixes (permissions, an invalid definition) become UserErrors. */
function registerFailure(family: string, error: unknown): Error {
  const message = `Could not register task definition '${family}': ${describeError(error)}`
  const name = (error as { name?: unknown } | null)?.name
  if (isAccessDenied(error)) {
    return new UserError(
      `${message}. Grant the action's role ecs:DescribeTaskDefinition, ` +
        `ecs:RegisterTaskDefinition, ecs:TagResource and iam:PassRole on the task and execution roles.`
    )
  }
  if (name === 'ClientException' || name === 'InvalidParameterException') {
    return new UserError(`${message}. Fix the definition and run again.`)
  }
  return new Error(message, { cause: error })
}
