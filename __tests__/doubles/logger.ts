/**
 * The logger the tests inject wherever the action takes a `Logger` (src/util/logger.ts). It
 * lives here, outside src/, so it never reaches the bundle.
 */
import type { Logger } from '../../src/util/logger.js'

/** A logger that records `level: message` lines, for tests. */
export interface MemoryLogger extends Logger {
  readonly lines: string[]
  /** Lines of one level, without the level prefix. */
  of(level: 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'group'): string[]
}

export function memoryLogger(): MemoryLogger {
  const lines: string[] = []
  const push =
    (level: string) =>
    (m: string): void => {
      lines.push(`${level}: ${m}`)
    }
  return {
    lines,
    of: (level) =>
      lines.filter((l) => l.startsWith(`${level}: `)).map((l) => l.slice(level.length + 2)),
    debug: push('debug'),
    info: push('info'),
    notice: push('notice'),
    warning: push('warning'),
    error: push('error'),
    group: async (name, fn) => {
      lines.push(`group: ${name}`)
      try {
        return await fn()
      } finally {
        lines.push(`endgroup: ${name}`)
      }
    }
  }
}
