import { escapeLogText } from './safe-text.js'

/**
 * An error caused by the user's input or environment (a bad definition, a bad input, a missing
 * permission). Its message is complete and actionable: the shell prints it as it is, with no
 * stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError'
}

/** The message of anything thrown, for logs and annotations. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

/**
 * The message of an error from outside the action (an AWS answer, the network, the file
 * system), safe to print in a log line: its line breaks and controls escaped, no command in it
 * (escapeLogText). Not for the action's own errors, whose messages may list problems on lines.
 */
export function foreignErrorMessage(error: unknown): string {
  return escapeLogText(errorMessage(error))
}

/**
 * The message of anything thrown, for a log line or the step's failure: a UserError's as it is
 * (the action's own words, maybe on several lines, with any foreign part already escaped where
 * it was built), any other's escaped as foreignErrorMessage does.
 */
export function shownErrorMessage(error: unknown): string {
  return error instanceof UserError ? error.message : foreignErrorMessage(error)
}

/** The SDK error name (`ThrottlingException`, `NoSuchKey`, ...) or '' when there is none. */
export function errorName(error: unknown): string {
  if (error && typeof error === 'object' && 'name' in error && typeof error.name === 'string') {
    return error.name
  }
  return ''
}

/** The HTTP status an SDK error carries, if any. */
export function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode
}

/**
 * Why a file could not be read, in words for the user: the one wording of every definition,
 * include and env file read (`no such file`, `it is a directory, not a file`, ...).
 */
export function readErrorReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'ENOENT') return 'no such file'
  if (code === 'EISDIR') return 'it is a directory, not a file'
  if (code === 'EACCES') return 'permission denied'
  return errorMessage(error)
}
