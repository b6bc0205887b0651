/**
 * How wide the fan-out this job belongs to is, and this job's share of a budget that every job
 * of it spends at once (docs/limits.md, "Shares of a budget").
 *
 * A matrix job learns its place from the `strategy` context, which the runner evaluates in
 * action.yml input defaults (docs/limits.md, "The strategy context in input defaults"):
 * `job-index` (zero-based), `job-total`, and `max-parallel` when the workflow sets one. The width
 * N is how many tasks of the fan-out can run at the same moment: the jobs that run at once times
 * the tasks this job runs at once. Every shared budget (CloudWatch Logs reads, RunTask's bucket)
 * is divided by N. Plain data and pure functions.
 */

/** What this job knows of the fan-out it belongs to. */
export interface FanOut {
  /** This job's place in the matrix, zero-based (0 outside a matrix). */
  jobIndex: number
  /** Jobs of the matrix (1 outside a matrix). */
  jobTotal: number
  /** Jobs that can run at once: job-total, capped by the matrix's max-parallel. */
  jobsAtOnce: number
  /** Tasks this job runs at once: its task count, capped by `max-parallel`. */
  tasksAtOnce: number
  /** N: tasks of the whole fan-out that can run at once; every shared budget is divided by it. */
  width: number
  /** This job's first slot among the N (jobs at once × its own tasks), for spreading starts. */
  firstSlot: number
  /** Where N came from: the matrix (`strategy`), or the `fan-out-width` input. */
  source: 'strategy' | 'input'
}

/** What `fanOutOf` reads (the inputs, already validated). */
export interface FanOutInputs {
  jobIndex?: number
  jobTotal?: number
  jobMaxParallel?: number
  /** The `fan-out-width` input: N given by the user for fan-outs GitHub cannot see. */
  width?: number
  /** Tasks of this job (`count`/`tasks`; 1 otherwise). */
  tasks: number
  /** The `max-parallel` input: tasks of this job running at once. */
  maxParallel?: number
}

/** The fan-out of one job, from its inputs. Outside a matrix it is a fan-out of one job. */
export function fanOutOf(inputs: FanOutInputs): FanOut {
  const jobTotal = Math.max(1, inputs.jobTotal ?? 1)
  const jobIndex = Math.min(Math.max(0, inputs.jobIndex ?? 0), jobTotal - 1)
  const jobsAtOnce = Math.min(jobTotal, inputs.jobMaxParallel ?? jobTotal)
  const tasksAtOnce = Math.max(1, Math.min(inputs.tasks, inputs.maxParallel ?? inputs.tasks))
  const derived = jobsAtOnce * tasksAtOnce
  const width = inputs.width ?? derived
  // Jobs beyond max-parallel start when an earlier one ends, so they take its slot.
  const firstSlot = ((jobIndex % jobsAtOnce) * tasksAtOnce) % width
  return {
    jobIndex,
    jobTotal,
    jobsAtOnce,
    tasksAtOnce,
    width,
    firstSlot,
    source: inputs.width !== undefined ? 'input' : 'strategy'
  }
}

/** The default share of a shared budget that the fan-out as a whole may spend. */
export const DEFAULT_BUDGET_FRACTION = 0.5

/**
 * One task's share of a per-second budget that the whole fan-out shares:
 * `budget × fraction / N`. Half by default, so the fan-out leaves the other half to the
 * console, dashboards and every other tool of the account.
 */
export function shareOf(
  budgetPerSecond: number,
  fanOut: Pick<FanOut, 'width'>,
  fraction = DEFAULT_BUDGET_FRACTION
): number {
  return (budgetPerSecond * fraction) / Math.max(1, fanOut.width)
}

/** A one-line description of the fan-out, for the job log. */
export function describeFanOut(fanOut: FanOut): string {
  if (fanOut.source === 'input') {
    return `fan-out width ${fanOut.width} (input fan-out-width)`
  }
  const jobs =
    fanOut.jobTotal === 1
      ? 'one job'
      : `job ${fanOut.jobIndex + 1} of ${fanOut.jobTotal}` +
        (fanOut.jobsAtOnce < fanOut.jobTotal ? `, ${fanOut.jobsAtOnce} at once` : '')
  const tasks = fanOut.tasksAtOnce === 1 ? '' : ` × ${fanOut.tasksAtOnce} tasks at once`
  return `fan-out width ${fanOut.width} (${jobs}${tasks})`
}
