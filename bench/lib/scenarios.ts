/**
 * What each demo job's task does, scripted through the simulator's SIM_* variables in the
 * action's `env` input (sim/README.md, "Script a task"), and the exit code the job must end
 * with. Pure, so the demo's plan is tested without running it.
 */

export const SCENARIOS = ['mixed', 'success', 'failures', 'lossy'] as const
export type Scenario = (typeof SCENARIOS)[number]

/** One job's script. */
export interface JobPlan {
  index: number
  /** `KEY=VALUE` lines for the action's `env` input. */
  env: Record<string, string>
  /** The exit code the job (and its `exit-code` output) must end with. */
  expectedExitCode: number
  /** What is special about it, for the summary ('' for an ordinary job). */
  note: string
}

/** Simulated seconds a task runs: spread over [min, max] by index, deterministic. */
export function runSeconds(index: number, min: number, max: number): number {
  // A fixed stride through the range, so neighbouring jobs differ and the spread is even.
  const span = max - min + 1
  return min + ((index * 7) % span)
}

/**
 * The plan for `jobs` jobs of `scenario`:
 * - `success`: every task exits 0 after 5-20 simulated seconds.
 * - `mixed`: most exit 0; every 8th exits 1, 2 or 3 in turn; one image pull failure (127, the
 *   action's exit code for a task that stopped without one); one whose first two RunTask calls
 *   answer a capacity failure that then clears (exits 0).
 * - `failures`: like mixed with every 2nd job failing.
 * - `lossy`: like success; the demo also makes the simulator lose, duplicate and reorder
 *   events, so some jobs finish through the DescribeTasks verify check.
 */
export function planJobs(scenario: Scenario, jobs: number): JobPlan[] {
  const plans: JobPlan[] = []
  const pullFailure = scenario === 'mixed' || scenario === 'failures' ? Math.floor(jobs / 3) : -1
  const capacity = scenario === 'mixed' || scenario === 'failures' ? Math.floor((2 * jobs) / 3) : -1
  const failEvery = scenario === 'mixed' ? 8 : scenario === 'failures' ? 2 : 0
  let failures = 0
  for (let index = 0; index < jobs; index++) {
    const env: Record<string, string> = {
      SHARD: String(index),
      SHARDS: String(jobs),
      SIM_RUN_SECONDS: String(runSeconds(index, 5, 20))
    }
    let expectedExitCode = 0
    let note = ''
    if (index === pullFailure && jobs > 1) {
      env.SIM_PULL_FAILURE = '1'
      expectedExitCode = 127
      note = 'image pull failure'
    } else if (index === capacity && jobs > 2) {
      env.SIM_CAPACITY_FAILURES = '2'
      note = 'capacity failure that clears'
    } else if (failEvery > 0 && index % failEvery === failEvery - 1) {
      expectedExitCode = (failures % 3) + 1
      failures++
      env.SIM_EXIT_CODE = String(expectedExitCode)
      note = `exits ${expectedExitCode}`
    }
    plans.push({ index, env, expectedExitCode, note })
  }
  return plans
}

/** The action's `env` input for a plan: `KEY=VALUE` lines. */
export function envInput(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
}

/**
 * Exit codes as a grid, `perRow` jobs a row, each cell the code, `-` for none (the job ended
 * without reporting one), and `!` after a job that did not end as expected.
 */
export function exitCodeGrid(
  results: readonly { index: number; exitCode: number | undefined; ok: boolean }[],
  perRow = 10
): string {
  const width = Math.max(3, ...results.map((r) => String(r.exitCode ?? '-').length + 1))
  const lastIndex = Math.max(0, ...results.map((r) => r.index))
  const label = (i: number): string =>
    `${String(i).padStart(String(lastIndex).length)}-${String(Math.min(i + perRow - 1, lastIndex)).padEnd(String(lastIndex).length)}`
  const rows: string[] = []
  const sorted = [...results].sort((a, b) => a.index - b.index)
  for (let i = 0; i < sorted.length; i += perRow) {
    const cells = sorted.slice(i, i + perRow).map((r) => {
      const code = r.exitCode === undefined ? '-' : String(r.exitCode)
      const mark = r.ok ? '' : '!'
      return `${code}${mark}`.padStart(width)
    })
    rows.push(`  ${label(sorted[i]?.index ?? i)} ${cells.join('')}`)
  }
  return rows.join('\n')
}
