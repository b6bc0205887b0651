/**
 * Logging as a dependency. The shell passes `coreLogger` (the runner's log commands); tests
 * pass `memoryLogger()` and assert the exact lines.
 */
import * as core from '@actions/core'
import { neutraliseCommands } from './safe-text.js'

export interface Logger {
  debug(message: string): void
  info(message: string): void
  notice(message: string): void
  warning(message: string): void
  error(message: string): void
  /** Runs `fn` inside a collapsed log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

/**
 * The runner's log. `info` and `debug` neutralise every line that the runner would read as a
 * workflow command (neutraliseCommands): a second layer behind escapeLogText at the call sites,
 * since the action never issues a command through them (groups use `core.group`). `core.info`
 * writes the message as it is, so this is what stops a command there; `core.debug` already keeps
 * its message inside one `::debug::` command (it escapes `%`, `\r`, `\n`), and is guarded only so
 * the two levels read alike. Annotations (notice, warning, error, and `setFailed`) keep
 * `@actions/core`'s escaping of `%`, `\r` and `\n`, which keeps each one a single command.
 */
export const coreLogger: Logger = {
  debug: (m) => core.debug(neutraliseCommands(m)),
  info: (m) => core.info(neutraliseCommands(m)),
  notice: (m) => core.notice(m),
  warning: (m) => core.warning(m),
  error: (m) => core.error(m),
  group: (name, fn) => core.group(name, fn)
}
