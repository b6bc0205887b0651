/**
 * A logger for tests of what reaches the job log: every call is recorded in a memory logger
 * and printed through `coreLogger`, as the action prints it, while `process.stdout.write` is
 * captured (restore it with `jest.restoreAllMocks()`).
 */
import { jest } from '@jest/globals'
import { coreLogger, type Logger } from '../../src/util/logger.js'
import { memoryLogger, type MemoryLogger } from './logger.js'

export interface CapturedLog {
  /** What coreLogger wrote to stdout, chunk by chunk. */
  stdout: string[]
  memory: MemoryLogger
  logger: Logger
}

export function captureLog(): CapturedLog {
  const stdout: string[] = []
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk))
    return true
  })
  const memory = memoryLogger()
  const logger: Logger = {
    debug: (m) => (memory.debug(m), coreLogger.debug(m)),
    info: (m) => (memory.info(m), coreLogger.info(m)),
    notice: (m) => (memory.notice(m), coreLogger.notice(m)),
    warning: (m) => (memory.warning(m), coreLogger.warning(m)),
    error: (m) => (memory.error(m), coreLogger.error(m)),
    group: (name, fn) => memory.group(name, () => coreLogger.group(name, fn))
  }
  return { stdout, memory, logger }
}
