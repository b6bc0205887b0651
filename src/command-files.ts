/**
 * The runner's command files: `GITHUB_OUTPUT` (outputs), `GITHUB_STATE` (state for the post
 * step) and `GITHUB_STEP_SUMMARY` (the job summary). On a runner each names a file that exists.
 * In a local run (`node dist/index.js`) a variable may name a file nobody created, and
 * @actions/core would then fail deep inside with "Missing file at path ..." and a stack trace;
 * this check says it first, once, with the fix.
 */

/** The command files, by variable, and what each carries. */
export const COMMAND_FILES = {
  GITHUB_OUTPUT: 'outputs',
  GITHUB_STATE: 'state for the post step',
  GITHUB_STEP_SUMMARY: 'the job summary'
} as const

/**
 * The problem with the command files, or undefined when every variable that is set names a
 * file that exists. An unset variable is fine: @actions/core then writes outputs and state as
 * workflow commands on stdout, and the action writes no summary.
 * @param exists whether a path names an existing file (the real one: `fs.existsSync`)
 */
export function commandFilesProblem(
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean
): string | undefined {
  const missing = Object.entries(COMMAND_FILES).filter(([name]) => {
    const path = env[name]
    return path !== undefined && path !== '' && !exists(path)
  })
  if (missing.length === 0) return undefined
  const lines = missing.map(([name, what]) => `${name}=${env[name]} (${what})`)
  const paths = missing.map(([name]) => `"${env[name]}"`).join(' ')
  return (
    `The runner's command files do not exist: ${lines.join(', ')}. ` +
    `On a runner they always do; in a local run create them first (touch ${paths}), ` +
    `or leave the variables unset to see outputs and state as workflow commands in the log.`
  )
}
