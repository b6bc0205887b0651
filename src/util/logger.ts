/**
 * Logging as a dependency. The shell passes `coreLogger` (the runner's log commands); tests
 * pass `memoryLogger()` and assert the exact lines.
 */
import * as core from '@actions/core'

export interface Logger {
  debug(message: string): void
  info(message: string): void
  notice(message: string): void
  warning(message: string): void
  error(message: string): void
  /** Runs `fn` inside a collapsed log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

export const coreLogger: Logger = {
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  notice: (m) => core.notice(m),
  warning: (m) => core.warning(m),
  error: (m) => core.error(m),
  group: (name, fn) => core.group(name, fn)
}
