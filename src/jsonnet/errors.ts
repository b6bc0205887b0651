import type { Loc } from './ast.js'

/** One step of the chain that led to an error: where, and what was being evaluated. */
export interface TraceFrame {
  loc: Loc
  what: string
}

/** `file:line:column`. */
export function formatLoc(loc: Loc): string {
  return `${loc.file}:${loc.line}:${loc.col}`
}

/**
 * A Jsonnet syntax or runtime error: the message, where it was raised, and the chain of calls,
 * fields and imports that led there (innermost first).
 */
export class JsonnetError extends Error {
  override readonly name = 'JsonnetError'
  readonly trace: TraceFrame[] = []
  /** The key path of the output being rendered when the error was raised (`app.env.PORT`). */
  outputPath: string | undefined
  /** How the files named above were reached: `lib.libsonnet imported from app.jsonnet:1:13`. */
  readonly imports: string[] = []

  constructor(
    readonly kind: 'syntax' | 'static' | 'runtime',
    readonly reason: string,
    /** Where it was raised; a library function's own error gets its call's (Evaluator.call). */
    public loc: Loc | undefined
  ) {
    super(reason)
  }

  /** Adds an outer step of the chain; consecutive duplicates are dropped. */
  addFrame(loc: Loc, what: string): void {
    const last =
      this.trace[this.trace.length - 1] ?? (this.loc ? { loc: this.loc, what } : undefined)
    if (last && last.loc === loc && last.what === what) return
    if (this.trace.length < 40) this.trace.push({ loc, what })
    else if (this.trace.length === 40) this.trace.push({ loc, what: '...' })
  }

  /** The error as shown to a person: position, message, then the chain, one step a line. */
  format(): string {
    const head = `${this.loc ? `${formatLoc(this.loc)}: ` : ''}${this.kind} error: ${this.reason}`
    const lines = this.trace.map(
      (f) => `    ${f.what === '...' ? '...' : `at ${formatLoc(f.loc)} (${f.what})`}`
    )
    if (this.outputPath) lines.push(`    while rendering ${this.outputPath}`)
    for (const note of this.imports) lines.push(`    ${note}`)
    return [head, ...lines].join('\n')
  }
}

export function syntaxError(loc: Loc, message: string): JsonnetError {
  return new JsonnetError('syntax', message, loc)
}

/** An error found by checking the program before running it (an unbound variable). */
export function staticError(loc: Loc, message: string): JsonnetError {
  return new JsonnetError('static', message, loc)
}

export function runtimeError(loc: Loc | undefined, message: string): JsonnetError {
  return new JsonnetError('runtime', message, loc)
}
