/**
 * GET or LIST, by cost (pure): which way a tick of the wait engine reads the notification
 * objects of its pending tasks.
 */
import { meanIntervalMs } from './schedule.js'
import { prefixKey } from '../aws/s3.js'

/** What one LIST request costs in GETs (docs/limits.md, "S3 pricing"). */
export const LIST_COST_IN_GETS = 12.5
/** ListObjectsV2 answers at most 1,000 keys a page. */
export const LIST_PAGE_KEYS = 1000
/** No task is read more often than this, whatever the poll interval. */
export const MIN_READ_GAP_MS = 1000

/** How the next tick looks for stopped tasks. */
export type ReadMode = 'get' | 'list' | 'describe'

/** The inputs of the LIST-versus-GET choice. */
export interface ModeInputs {
  /** Ages (ms since the wait on them began) of the pending tasks that have no final state. */
  ages: number[]
  baseSeconds: number
  /** LIST pages the prefix took last time (1 before the first LIST). */
  pages: number
  /** Why listing was given up, when it was: then a GET per task, whatever the costs. */
  listOff?: string
}

/** The choice, and the sentence for the debug log (which gives the costs). */
export interface ModeChoice {
  mode: 'get' | 'list'
  reason: string
}

/** The gap between reads of a task `ageMs` old: the age-grown mean, never under a second. */
function meanGapMs(baseSeconds: number, ageMs: number): number {
  return Math.max(MIN_READ_GAP_MS, meanIntervalMs(baseSeconds, ageMs))
}

/**
 * LIST or GET, by cost (pure), unless listing was given up. A GET per task costs one request
 * per task per read interval (the interval grows with each task's age); a LIST tick serves
 * every task at the youngest task's interval and costs LIST_COST_IN_GETS per page.
 */
export function chooseReadMode(input: ModeInputs): ModeChoice {
  if (input.listOff !== undefined) {
    return { mode: 'get', reason: `Reading each task's stopped.json: ${input.listOff}` }
  }
  const { ages, baseSeconds } = input
  const pages = Math.max(1, input.pages)
  let getsPerSecond = 0
  for (const age of ages) getsPerSecond += 1000 / meanGapMs(baseSeconds, age)
  const youngest = ages.length === 0 ? 0 : Math.min(...ages)
  const listGapMs = meanGapMs(baseSeconds, youngest)
  const listPerSecond = (LIST_COST_IN_GETS * pages * 1000) / listGapMs
  const mode = ages.length > 0 && listPerSecond < getsPerSecond ? 'list' : 'get'
  const costs =
    `a GET per task costs about ${getsPerSecond.toFixed(1)} GETs/s for ${ages.length} pending ` +
    `task(s); a LIST of ${pages} page(s) every ${(listGapMs / 1000).toFixed(1)} s costs about ` +
    `${listPerSecond.toFixed(1)} GET-equivalents/s (a LIST costs about ${LIST_COST_IN_GETS} GETs)`
  return {
    mode,
    reason:
      mode === 'list'
        ? `Listing the prefix instead of reading each task's stopped.json: ${costs}`
        : `Reading each task's stopped.json: ${costs}`
  }
}

/**
 * The LIST prefix for a task: the notification prefix and the task ARN up to its cluster,
 * `<prefix>/arn:aws:ecs:<region>:<account>:task/<cluster>/`.
 */
export function listPrefixOf(prefix: string, taskArn: string): string {
  const upToCluster = taskArn.slice(0, taskArn.lastIndexOf('/') + 1)
  return prefixKey(prefix, upToCluster)
}
