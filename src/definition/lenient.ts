import type { z } from 'zod'
import { setKey } from '../util/objects.js'
import type { Origins } from './load.js'
import { valueAt, type KeySegment, type Problem } from './problems.js'

type Issue = z.core.$ZodIssue

const INTEGER_TEXT = /^[+-]?[0-9]+$/

/** The value hako would let through for `value` where `issue` was raised, if any. */
function lenientValue(issue: Issue, value: unknown): number | string | undefined {
  if (typeof value !== 'string') return undefined
  if (issue.code === 'invalid_type' && (issue.expected === 'int' || issue.expected === 'number')) {
    if (!INTEGER_TEXT.test(value)) return undefined
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : undefined
  }
  if (issue.code === 'invalid_value') {
    const values = issue.values.filter((v): v is string => typeof v === 'string')
    // Only enumerations ECS spells in lower case (protocol: tcp/udp, network_mode, ...): a value
    // in another case names the same thing. Mixed-case enumerations stay strict.
    if (values.length !== issue.values.length || values.some((v) => v !== v.toLowerCase()))
      return undefined
    const lower = value.toLowerCase()
    return values.find((v) => v === lower)
  }
  return undefined
}

/**
 * Normalises, in `tree`, values that hako accepts and ECS takes in another spelling: numeric
 * strings in integer fields (`size_in_gi_b: '25'`, as in hako's own examples) and lower-case
 * enumerations written in another case (`protocol: 'TCP'`). Returns one notice per value
 * changed (empty when nothing could be fixed, so the caller reports the issues as problems).
 */
export function normaliseIssues(
  issues: readonly Issue[],
  tree: unknown,
  origins: Origins
): Problem[] {
  const notices: Problem[] = []
  for (const issue of issues) {
    const path = issue.path.filter((s): s is KeySegment => typeof s !== 'symbol')
    const last = path[path.length - 1]
    if (last === undefined) continue
    const value = valueAt(tree, path)
    const fixed = lenientValue(issue, value)
    if (fixed === undefined) continue
    const parent = valueAt(tree, path.slice(0, -1))
    if (parent === null || typeof parent !== 'object') continue
    setKey(parent, last, fixed)
    const how =
      typeof fixed === 'number'
        ? `read the string ${JSON.stringify(value)} as the number ${fixed}; write ${fixed} without quotes`
        : `read ${JSON.stringify(value)} as ${JSON.stringify(fixed)}, the spelling ECS takes`
    notices.push({ file: origins.fileOf(tree, path), path, message: how })
  }
  return notices
}
