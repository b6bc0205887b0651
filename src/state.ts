/**
 * What the main step hands to the post step through the runner's state (GITHUB_STATE). The
 * task ARNs are saved the moment RunTask returns, so a job cancelled at any later point still
 * lets the post step stop them.
 */
import * as core from '@actions/core'
import { parseJson } from './util/objects.js'

export interface StateStore {
  save(name: string, value: string): void
  get(name: string): string
}

export const coreState: StateStore = {
  save: (name, value) => core.saveState(name, value),
  get: (name) => core.getState(name)
}

export const STATE = {
  /** Set by the main step at its start: the next run of the bundle is the post step. */
  isPost: 'isPost',
  /** JSON array of the ARNs of every task the main step started. */
  taskArns: 'taskArns',
  /** JSON array of the ARNs the main step saw stop (or left running on purpose). */
  settledArns: 'settledArns',
  cluster: 'cluster',
  region: 'region'
} as const

/** Reads a JSON array of strings saved by `saveList`; [] when absent or unreadable. */
export function readList(state: StateStore, name: string): string[] {
  const raw = state.get(name)
  if (!raw) return []
  const parsed = parseJson(raw)
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : []
}

/**
 * Saves a list of task ARNs. State values are written to the GITHUB_STATE file as they are
 * saved; a later save of the same name wins.
 */
export function saveList(state: StateStore, name: string, arns: readonly string[]): void {
  state.save(name, JSON.stringify(arns))
}
