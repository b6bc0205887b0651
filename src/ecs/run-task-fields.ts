/**
 * The fields of a RunTask request that say who started the task and make a retry safe
 * (pure): startedBy, the tags, the idempotency token.
 */
import { randomUUID } from 'node:crypto'
import type { Tag } from '@aws-sdk/client-ecs'
import { UserError } from '../util/errors.js'
import type { GitHubContext } from '../util/github.js'
import { DEADLINE_TAG } from './deadline.js'

/** ECS startedBy: up to 128 letters, numbers, hyphens and underscores (RunTask reference). */
const STARTED_BY_MAX = 128
/** ECS tag limits (Tagging your Amazon ECS resources): 50 tags, key 128, value 256 chars. */
export const MAX_TAGS = 50
const TAG_KEY_MAX = 128
const TAG_VALUE_MAX = 256
/** Letters, numbers and spaces representable in UTF-8, and _ . : / = + - @ */
const TAG_TEXT = /^[\p{L}\p{N}\s_.:/=+\-@]*$/u
const TAG_BAD_CHAR = /[^\p{L}\p{N}\s_.:/=+\-@]/gu

/**
 * The default RunTask `startedBy`: `gha-<run id>-<run attempt>` (GITHUB_RUN_ID is unique
 * across GitHub, so this names one attempt of one workflow run). A cleanup finds every task
 * of that attempt with `aws ecs list-tasks --cluster C --started-by gha-<run id>-<attempt>`.
 * Outside Actions (no GITHUB_RUN_ID) it is `hako-oneshot-action`.
 */
export function defaultStartedBy(github: GitHubContext): string {
  if (github.runId === undefined) return 'hako-oneshot-action'
  return sanitizeStartedBy(`gha-${github.runId}-${github.runAttempt ?? '1'}`)
}

/** Keeps a startedBy within ECS's rule: other characters become `_`, at most 128. */
export function sanitizeStartedBy(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, STARTED_BY_MAX)
}

/** Keys of the tags the action adds. */
export const TAG_KEYS = {
  repository: 'github:repository',
  runId: 'github:run-id',
  runAttempt: 'github:run-attempt',
  job: 'github:job',
  deadline: DEADLINE_TAG
} as const

/**
 * RunTask tags: the user's `tags` (validated: a bad one is a UserError naming the input) in
 * input order, then the task's deadline (`hako-oneshot:deadline`, epoch seconds, when
 * `deadline` is given: src/ecs/deadline.ts), then tags naming the repository, workflow run id,
 * run attempt and job (sanitised and truncated to ECS's limits). Each of ours is skipped when
 * the user set the same key or when it would pass the 50-tag limit; the deadline comes first
 * of ours so it is the last to go. Tags propagated from the task definition
 * (`propagateTags: TASK_DEFINITION`) count toward ECS's 50 too; that total is ECS's to check.
 */
export function launchTags(
  github: GitHubContext,
  userTags: Record<string, string>,
  deadline?: number
): Tag[] {
  const tags: Tag[] = []
  for (const [key, value] of Object.entries(userTags)) {
    validateUserTag(key, value)
    tags.push({ key, value })
  }
  if (tags.length > MAX_TAGS) {
    throw new UserError(
      `Input 'tags' has ${tags.length} tags; ECS allows at most ${MAX_TAGS} on a task. Remove some.`
    )
  }
  const ours: [string, string | undefined][] = [
    // Digits only: within ECS's tag rules, and what the sweeper accepts.
    [TAG_KEYS.deadline, deadline === undefined ? undefined : String(Math.trunc(deadline))],
    [TAG_KEYS.repository, github.repository],
    [TAG_KEYS.runId, github.runId],
    [TAG_KEYS.runAttempt, github.runAttempt],
    [TAG_KEYS.job, github.job]
  ]
  for (const [key, value] of ours) {
    if (value === undefined || key in userTags || tags.length >= MAX_TAGS) continue
    tags.push({ key, value: value.replace(TAG_BAD_CHAR, '_').slice(0, TAG_VALUE_MAX) })
  }
  return tags
}

function validateUserTag(key: string, value: string): void {
  const where = `Input 'tags': tag '${key}'`
  if (key.length === 0 || key.length > TAG_KEY_MAX) {
    throw new UserError(`${where}: the key must be 1 to ${TAG_KEY_MAX} characters long.`)
  }
  if (/^aws:/i.test(key)) {
    throw new UserError(`${where}: keys starting with 'aws:' are reserved by AWS. Rename the key.`)
  }
  if (value.length > TAG_VALUE_MAX) {
    throw new UserError(`${where}: the value must be at most ${TAG_VALUE_MAX} characters long.`)
  }
  if (!TAG_TEXT.test(key) || !TAG_TEXT.test(value)) {
    throw new UserError(
      `${where}: keys and values may hold only letters, numbers, spaces and _ . : / = + - @`
    )
  }
}

/**
 * A RunTask clientToken for one action run: a random UUID (36 characters, within ECS's 64).
 * The same token is sent on every retry of that RunTask, so a retry never starts a second
 * task.
 */
export function newClientToken(): string {
  return randomUUID()
}
