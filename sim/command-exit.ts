/**
 * The exit code a container's command asks for, when the command is one the simulator can read
 * without running anything: `exit N`, `sh -c "exit N"` (also `bash`, `/bin/sh`, `-ec`, ...),
 * `true` and `false`. A real container runs its command; the simulator runs none, so without
 * this a task told `sh -c "exit 3"` would exit 0, a kinder answer than AWS would give.
 * Anything else (a real program) says nothing here and the container's script decides
 * (`SIM_EXIT_CODE`, default 0).
 */

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh'])

/** The exit code of a shell script that is only `exit N` (or `true`/`false`), else undefined. */
export function scriptExitCode(script: string): number | undefined {
  const text = script.trim().replace(/;\s*$/, '')
  if (text === 'true' || text === ':') return 0
  if (text === 'false') return 1
  const match = /^exit(?:\s+(\d{1,3}))?$/.exec(text)
  if (!match) return undefined
  // A shell exits with N modulo 256, as the kernel keeps only the low byte.
  return match[1] === undefined ? 0 : Number(match[1]) % 256
}

/**
 * The exit code the command (the RunTask override's, else the definition's) asks for, or
 * undefined when it is not one of the forms above.
 */
export function commandExitCode(command: readonly string[] | undefined): number | undefined {
  if (!command || command.length === 0) return undefined
  const [program = '', ...args] = command
  const name = program.split('/').pop() ?? program
  if (command.length === 1)
    return scriptExitCode(name === 'true' || name === 'false' ? name : program)
  if (name === 'exit' && args.length === 1) return scriptExitCode(command.join(' '))
  if (SHELLS.has(name)) {
    // sh -c 'script' [name args...]; options before -c such as -e or -ec are allowed.
    const flagIndex = args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a))
    if (flagIndex < 0 || !args.slice(0, flagIndex).every((a) => /^-[a-z]+$/.test(a))) {
      return undefined
    }
    const script = args[flagIndex + 1]
    return script === undefined ? undefined : scriptExitCode(script)
  }
  return undefined
}
