/**
 * StopTask for cancel and cleanup paths: never throws, so a cleanup cannot fail the job; it
 * reports which tasks it could not stop.
 */
import { StopTaskCommand, type ECSClient } from '@aws-sdk/client-ecs'
import { fullJitter } from '../util/backoff.js'
import { errorMessage, errorName } from '../util/errors.js'
import type { Runtime } from '../util/runtime.js'
import { isTransient } from '../aws/errors.js'
import { describeError } from './errors.js'

export interface StopTaskDeps extends Runtime {
  ecs: Pick<ECSClient, 'send'>
}

export interface StopTasksOptions {
  cluster: string
  taskArns: string[]
  /** Shown in ECS as the task's stoppedReason; cut to ECS's 255 characters. */
  reason: string
}

/** StopTask's reason limit (StopTask API reference). */
export const STOP_REASON_MAX = 255
/** Throttling and transient errors: 4 attempts, full jitter from 200 ms capped at 2 s. */
export const STOP_MAX_ATTEMPTS = 4
const STOP_BASE_MS = 200
const STOP_CAP_MS = 2000

/**
 * Stops each task (in parallel: StopTask refills at 40 per s, docs/limits.md, "Token buckets"). A task that is
 * already stopped or no longer found counts as stopped; the others fail, each with a warning that says why. Never throws.
 */
export async function stopTasks(
  deps: StopTaskDeps,
  options: StopTasksOptions
): Promise<{ stopped: string[]; failed: string[] }> {
  const reason = options.reason.slice(0, STOP_REASON_MAX)
  const done = await Promise.all(
    options.taskArns.map((taskArn) => stopOne(deps, options.cluster, taskArn, reason))
  )
  return {
    stopped: options.taskArns.filter((_, i) => done[i]),
    failed: options.taskArns.filter((_, i) => !done[i])
  }
}

/** true when stopped (or already gone); false after warning why not. */
async function stopOne(
  deps: StopTaskDeps,
  cluster: string,
  taskArn: string,
  reason: string
): Promise<boolean> {
  const { ecs, clock, random, logger } = deps
  for (let attempt = 0; ; attempt++) {
    try {
      await ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason }))
      logger.info(`Stop requested: ${taskArn}`)
      return true
    } catch (error) {
      if (isGone(error)) {
        logger.info(`Task already gone: ${taskArn}`)
        return true
      }
      if (isTransient(error) && attempt + 1 < STOP_MAX_ATTEMPTS) {
        await clock.sleep(fullJitter(attempt, STOP_BASE_MS, STOP_CAP_MS, random))
        continue
      }
      logger.warning(`Could not stop ${taskArn}: ${describeError(error)}`)
      return false
    }
  }
}

/** ECS's answers for a task that no longer exists or has already stopped. */
function isGone(error: unknown): boolean {
  const name = errorName(error)
  if (name !== 'InvalidParameterException' && name !== 'ClientException') return false
  return /not found|already stopped|is stopped|does not exist/i.test(errorMessage(error))
}
