/**
 * Retry by rule (pure): the `retry-on` rules (docs/retries.md, "Retry rules"), their default set,
 * the decision for one ended attempt, and the storm guard. Modelled on AWS Batch's retry strategy
 * (docs/retries.md, "AWS Batch retry strategy"), except that a task no rule matches is not
 * retried: an app's own exit is the app's answer, and running it again by default would hide a
 * bug or repeat a side effect.
 */
import { TASK_END_KINDS, classifyEnd, describeEndClass } from '../model/task-end-kind.js'
import type { EndClass, TaskEndKind } from '../model/task-end-kind.js'
import { APP_RULE, decidingContainer, succeeded, type ResultRule } from '../model/result.js'
import type { TaskEnd } from '../model/task.js'
import { UserError } from '../util/errors.js'

/** What `retry-on` may test. */
export const RETRY_KEYS = ['stop-code', 'reason', 'exit-code', 'kind'] as const
export type RetryKey = (typeof RETRY_KEYS)[number]

/** One condition of a rule: `key=glob`. */
export interface RetryCondition {
  key: RetryKey
  glob: string
}

/** One `retry-on` rule. */
export interface RetryRule {
  action: 'retry' | 'exit'
  /** Every one must match. */
  conditions: RetryCondition[]
  /** Where it came from, for the job log: `retry-on line 2`, `the default rule`. */
  source: string
  /** The rule as written (conditions only, action first when it is `exit`). */
  text: string
}

/**
 * The default set: the capacity under a task went away, or its start failed for a reason that
 * passes (src/model/task-end-kind.ts, docs/retries.md). Never an app's exit code.
 */
export const DEFAULT_RETRY_ON = ['kind=infrastructure', 'kind=start-transient'] as const

/** The `retry-on` line that stands for the default set. */
export const DEFAULTS_LINE = 'defaults'

/** Most attempts a task may have (AWS Batch's bound, docs/retries.md, "AWS Batch retry strategy"). */
export const MAX_ATTEMPTS = 10

/** Most rule lines `retry-on` may hold. */
export const MAX_RULES = 50

/**
 * The storm guard: once this many tasks of the set, and at least STORM_MIN_TASKS, have failed
 * with the same cause, that cause is not retried any more (an image nobody can pull, a registry
 * that refuses everyone). A set of fewer than STORM_MIN_TASKS tasks never trips it; `attempts`
 * bounds each of them.
 */
export const STORM_SHARE = 0.5
export const STORM_MIN_TASKS = 5

/** True when `glob` (with `*` for any run of characters) covers the whole of `text`. */
export function globMatches(glob: string, text: string): boolean {
  const parts = glob.split('*')
  if (parts.length === 1) return glob === text
  const first = parts[0] as string
  const last = parts[parts.length - 1] as string
  if (!text.startsWith(first) || text.length < first.length + last.length) return false
  if (!text.endsWith(last)) return false
  let at = first.length
  const end = text.length - last.length
  for (const part of parts.slice(1, -1)) {
    const found = text.indexOf(part, at)
    if (found < 0 || found + part.length > end) return false
    at = found + part.length
  }
  return true
}

function parseRule(name: string, line: string, where: string): RetryRule {
  let rest = line
  let action: RetryRule['action'] = 'retry'
  const head = /^(retry|exit)\s+/.exec(rest)
  if (head !== null) {
    action = head[1] as RetryRule['action']
    rest = rest.slice(head[0].length)
  }
  const fail = (why: string): never => {
    throw new UserError(
      `Input '${name}' ${where} must be conditions like stop-code=SpotInterruption; ` +
        `reason=CannotPullContainerError*toomanyrequests*; exit-code=137 (optionally after ` +
        `'retry' or 'exit'), got '${line}': ${why}`
    )
  }
  const conditions = rest.split(';').map((part): RetryCondition => {
    const text = part.trim()
    const eq = text.indexOf('=')
    if (eq < 0) fail(`'${text}' has no =`)
    const key = text.slice(0, eq).trim()
    const glob = text.slice(eq + 1).trim()
    if (!(RETRY_KEYS as readonly string[]).includes(key)) {
      fail(`unknown key '${key}'; the keys are ${RETRY_KEYS.join(', ')}`)
    }
    if (glob === '') fail(`'${key}' has no value`)
    if (key === 'exit-code' && !/^[\d*]+$/.test(glob)) {
      fail(`exit-code '${glob}' must be digits, with * for any digits`)
    }
    if (key === 'kind' && !TASK_END_KINDS.some((k) => globMatches(glob, k))) {
      fail(`kind '${glob}' matches none of ${TASK_END_KINDS.join(', ')}`)
    }
    return { key: key as RetryKey, glob }
  })
  const text = conditions.map((c) => `${c.key}=${c.glob}`).join('; ')
  return { action, conditions, source: where, text: action === 'exit' ? `exit ${text}` : text }
}

export function defaultRetryRules(): RetryRule[] {
  return DEFAULT_RETRY_ON.map((line) => parseRule('retry-on', line, 'the default rule'))
}

/**
 * The `retry-on` input: one rule a line, blank lines and `#` comments skipped, `defaults` for
 * the default set. Empty: the default set.
 * @throws UserError naming the line and what is wrong with it.
 */
export function parseRetryOn(name: string, value: string): RetryRule[] {
  const rules: RetryRule[] = []
  const lines = value.split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    if (line === DEFAULTS_LINE) rules.push(...defaultRetryRules())
    else rules.push(parseRule(name, line, `line ${index + 1}`))
  })
  if (rules.length > MAX_RULES) {
    throw new UserError(`Input '${name}' has ${rules.length} rules; at most ${MAX_RULES}`)
  }
  return rules.length === 0 ? defaultRetryRules() : rules
}

function conditionMatches(
  c: RetryCondition,
  end: TaskEnd,
  cls: EndClass,
  rule: ResultRule
): boolean {
  if (c.key === 'kind') return globMatches(c.glob, cls.kind)
  if (end.kind !== 'stopped') return false
  const task = end.task
  if (c.key === 'stop-code') return globMatches(c.glob, task.stopCode ?? '')
  if (c.key === 'exit-code') {
    const code = decidingContainer(task, rule)?.exitCode
    return code !== undefined && globMatches(c.glob, String(code))
  }
  const reasons = [task.stoppedReason, ...task.containers.map((x) => x.reason)]
  return reasons.some((r) => r !== undefined && globMatches(c.glob, r))
}

/** The first rule whose every condition matches the attempt's end, if any. */
export function matchingRule(
  rules: readonly RetryRule[],
  end: TaskEnd,
  cls: EndClass,
  rule: ResultRule = APP_RULE
): RetryRule | undefined {
  return rules.find((r) => r.conditions.every((c) => conditionMatches(c, end, cls, rule)))
}

/** Ends that no rule may retry: this action stopped it, or nobody knows whether it still runs. */
const NEVER_RETRIED: readonly TaskEndKind[] = ['stopped-by-action', 'lost']

/** What becomes of one ended attempt. */
export interface RetryDecision {
  retry: boolean
  class: EndClass
  /** Why, for the job log and the summary: `retry-on line 1 (stop-code=SpotInterruption)`. */
  why: string
  /** Set once, when this end tripped the storm guard: the warning to print. */
  storm?: string
}

/** The settings of retries: `attempts`, `retry-on`, and how many tasks the set holds. */
export interface RetrySettings {
  /** Total attempts per task; 1 turns retries off. */
  attempts: number
  rules: readonly RetryRule[]
  /** Whose exit code is the task's, for `exit-code=` and success (default the app container's). */
  rule?: ResultRule
}

/**
 * The retry decisions of one task set, with the storm guard's state: which tasks failed with
 * which cause.
 */
export class RetryPolicy {
  private readonly failedBy = new Map<string, Set<number>>()
  private readonly stormed = new Set<string>()

  constructor(
    private readonly settings: RetrySettings,
    /** Tasks in the set, for the storm guard's share. */
    private readonly tasks: number
  ) {}

  /** The storm guard's bar: tasks failed with one cause before it stops retrying that cause. */
  get stormBar(): number {
    return Math.max(STORM_MIN_TASKS, Math.ceil(STORM_SHARE * this.tasks))
  }

  /** Total attempts per task (`attempts`). */
  get attempts(): number {
    return this.settings.attempts
  }

  /**
   * Decides whether attempt `attempt` (1-based) of task `index` runs again, given how it ended.
   * An exit code of 0 is never retried: the app says the work is done.
   */
  decide(input: {
    index: number
    attempt: number
    end: TaskEnd
    stopRequested: boolean
  }): RetryDecision {
    const { end } = input
    const cls = classifyEnd(end, { stopRequested: input.stopRequested })
    const no = (why: string): RetryDecision => ({ retry: false, class: cls, why })
    if (succeeded(end, this.settings.rule ?? APP_RULE)) return no('it succeeded')
    if (NEVER_RETRIED.includes(cls.kind)) return no(`a ${cls.kind} task is never retried`)
    const signature = describeEndClass(cls)
    const seen = this.failedBy.get(signature) ?? new Set<number>()
    seen.add(input.index)
    this.failedBy.set(signature, seen)
    const rule = matchingRule(this.settings.rules, end, cls, this.settings.rule ?? APP_RULE)
    if (rule === undefined) return no('no retry-on rule matches')
    const by = `${rule.source} (${rule.text})`
    if (rule.action === 'exit') return no(`${by} says exit`)
    if (input.attempt >= this.settings.attempts) {
      return no(`attempt ${input.attempt} of ${this.settings.attempts} was the last`)
    }
    if (this.stormed.has(signature)) return no(`the storm guard stopped retrying ${signature}`)
    if (seen.size >= this.stormBar) {
      this.stormed.add(signature)
      return {
        ...no(`the storm guard stopped retrying ${signature}`),
        storm:
          `${seen.size} of ${this.tasks} tasks failed the same way (${signature}): not retrying ` +
          `it any more, since every retry would meet the same failure. Fix the cause and re-run ` +
          `the job; a re-run starts only the tasks that did not succeed.`
      }
    }
    return { retry: true, class: cls, why: by }
  }
}
