/**
 * A Jsonnet evaluator in TypeScript: lexer (`lexer.ts`), parser (`parser.ts`, to the AST of
 * `ast.ts`), static checks of variables and `self`/`super`/`$` (`check.ts`), a lazy evaluator
 * (`evaluator.ts`, `values.ts`, `objects.ts`), the documented standard library (`std*.ts`) and
 * manifestation to JSON (`manifest.ts`). It is a library of its own: it imports nothing of the
 * rest of `src/`, and the rest of `src/` imports only this file (scripts/check-layers.js keeps
 * both true). Errors carry file, line and column and the chain of imports and calls
 * (`errors.ts`); depth, steps and sizes are bounded (`Limits`).
 *
 * The entry points: `evaluateSnippet` (a file's text with its imports, ext vars and native
 * functions) and the types the host needs to give native functions.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Loc } from './ast.js'
import { formatLoc, JsonnetError, runtimeError } from './errors.js'
import { Core, DEFAULT_LIMITS, type Importer, type Limits, Thunk } from './evaluator.js'
import { formatString } from './format.js'
import { Manifester } from './manifest.js'
import { parse } from './parser.js'
import { makeStd, stdForFile } from './std.js'
import { fromPlain } from './std-encoding.js'
import type { StdContext } from './std-support.js'
import { JArray, JFunction, JObject, type Lazy, Ready, type Scope, type Value } from './values.js'

export { JsonnetError } from './errors.js'
export { STD_FUNCTION_NAMES } from './std.js'
export type { Limits } from './evaluator.js'

/** Thrown by a native function to report a problem at the call (shown with its position). */
export class NativeError extends Error {
  override readonly name = 'NativeError'
}

/** A function the host gives the code through `std.native(name)`: JSON-like values in and out. */
export interface NativeFunction {
  params: string[]
  /** May throw a NativeError (a problem with the call) or anything else (passed through). */
  call(args: unknown[]): unknown
}

export interface JsonnetOptions {
  /** `std.extVar` values (strings, as `--ext-str`). */
  extVars?: Record<string, string>
  /** `std.native` functions. */
  natives?: Record<string, NativeFunction>
  limits?: Partial<Limits>
  /** Reads a file (imports); fs.readFileSync by default. */
  readFile?: (absolute: string) => Buffer
  /** Where std.trace writes. */
  trace?: (message: string) => void
  /** Told where each field of the plain result was defined (for messages about its keys). */
  onField?: (container: Record<string, unknown>, key: string, loc: Loc) => void
}

/** The result: plain JSON data, and the text the reference implementation would print. */
export interface JsonnetResult {
  value: unknown
  json: string
}

class FileImporter implements Importer {
  private readonly code = new Map<string, Lazy>()
  private readonly absolutes = new Map<string, string>()
  /** Where each imported file (display path) was first imported. */
  readonly importedAt = new Map<string, Loc>()

  constructor(
    private readonly vm: Vm,
    private readonly read: (absolute: string) => Buffer
  ) {}

  register(display: string, absolute: string): void {
    this.absolutes.set(display, absolute)
  }

  /** [display, absolute] of `target` imported from the file shown as `fromFile`. */
  resolve(target: string, fromFile: string, loc: Loc): [string, string] {
    if (target === '') throw runtimeError(loc, 'import path is empty')
    const fromAbs = this.absolutes.get(fromFile) ?? path.resolve(fromFile)
    const absolute = path.resolve(path.dirname(fromAbs), target)
    const display = path.isAbsolute(target) ? target : path.join(path.dirname(fromFile), target)
    this.absolutes.set(display, absolute)
    if (!this.importedAt.has(display)) this.importedAt.set(display, loc)
    return [display, absolute]
  }

  private bytes(display: string, absolute: string, loc: Loc): Buffer {
    try {
      return this.read(absolute)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      const reason =
        code === 'ENOENT'
          ? 'no such file'
          : code === 'EISDIR'
            ? 'it is a directory'
            : String((error as Error).message)
      throw runtimeError(loc, `cannot import '${display}': ${reason}`)
    }
  }

  importCode(target: string, fromFile: string, loc: Loc): Value {
    const [display, absolute] = this.resolve(target, fromFile, loc)
    let lazy = this.code.get(absolute)
    if (!lazy) {
      const source = this.bytes(display, absolute, loc).toString('utf8')
      lazy = new Thunk(this.vm.core, parse(source, display), this.vm.rootScope(display))
      this.code.set(absolute, lazy)
    }
    return lazy.force()
  }

  importText(target: string, fromFile: string, loc: Loc): string {
    const [display, absolute] = this.resolve(target, fromFile, loc)
    return this.bytes(display, absolute, loc).toString('utf8')
  }

  importBytes(target: string, fromFile: string, loc: Loc): number[] {
    const [display, absolute] = this.resolve(target, fromFile, loc)
    return [...this.bytes(display, absolute, loc)]
  }
}

/** One evaluation: the core, the library, imports and host functions. */
class Vm {
  readonly core: Core
  readonly importer: FileImporter
  readonly manifest: Manifester
  private readonly std: JObject
  private readonly onField: JsonnetOptions['onField']

  constructor(options: JsonnetOptions) {
    this.importer = new FileImporter(this, options.readFile ?? ((p) => readFileSync(p)))
    this.onField = options.onField
    this.core = new Core({ ...DEFAULT_LIMITS, ...options.limits }, this.importer)
    this.manifest = new Manifester(this.core)
    const helpers = {
      toText: (v: Value) => this.core.toText(v),
      arrayItems: (v: Value) => (v instanceof JArray ? v.items.map((i) => i.force()) : undefined),
      field: (v: Value, name: string, loc: Loc | undefined) =>
        v instanceof JObject ? this.core.getField(v, name, loc) : undefined,
      isObject: (v: Value) => v instanceof JObject
    }
    this.core.toText = (v) => (typeof v === 'string' ? v : this.manifest.oneLine(v))
    this.core.format = (fmt, values, loc) => formatString(fmt, values, helpers, loc)
    const natives = new Map<string, JFunction>()
    for (const [name, native] of Object.entries(options.natives ?? {})) {
      natives.set(name, this.nativeFunction(name, native))
    }
    const extVars = new Map<string, Value>(Object.entries(options.extVars ?? {}))
    const trace = options.trace ?? (() => undefined)
    const cx: StdContext = {
      core: this.core,
      manifest: this.manifest,
      extVars,
      natives,
      trace: (message, loc) => trace(`TRACE: ${loc.file}:${loc.line} ${message}`)
    }
    this.std = makeStd(cx)
  }

  private nativeFunction(name: string, native: NativeFunction): JFunction {
    const params = native.params.map((p) => ({ name: p, hasDefault: false }))
    return new JFunction(name, params, undefined, (args, loc) => {
      const values = args.map((a) => this.toPlain(a!.force(), loc))
      try {
        return fromPlain(native.call(values), loc)
      } catch (error) {
        if (error instanceof NativeError) throw runtimeError(loc, `${name}: ${error.message}`)
        throw error
      }
    })
  }

  rootScope(file: string): Scope {
    const vars = Object.create(null) as Record<string, Lazy>
    vars.std = new Ready(stdForFile(this.std, file))
    return { vars, self: undefined, sup: 0, dollar: undefined }
  }

  /** Plain JSON data (objects with visible fields only); errors name the output key path. */
  toPlain(value: Value, loc?: Loc, where = ''): unknown {
    const read = (lazy: () => Value, at: string, itemLoc = loc): unknown => {
      let item: Value
      try {
        item = lazy()
      } catch (error) {
        if (error instanceof JsonnetError && error.outputPath === undefined)
          error.outputPath = at.replace(/^\./, '')
        throw error
      }
      return this.toPlain(item, itemLoc, at)
    }
    if (value instanceof JArray)
      return value.items.map((item, i) => read(() => item.force(), `${where}[${i}]`))
    if (value instanceof JObject) {
      read(() => (this.core.ensureAsserts(value), null), where || '(the top level)')
      const out: Record<string, unknown> = {}
      for (const name of this.core.fieldNames(value, false)) {
        const key = /^[A-Za-z_][\w-]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`
        const defined = this.core.findField(value, name, value.layers.length)?.def.loc
        if (defined) this.onField?.(out, name, defined)
        Object.defineProperty(out, name, {
          value: read(() => this.core.getField(value, name, loc), `${where}${key}`, defined ?? loc),
          enumerable: true,
          writable: true,
          configurable: true
        })
      }
      return out
    }
    if (value instanceof JFunction) {
      const at = where === '' ? '' : ` (at ${where.replace(/^\./, '')})`
      throw runtimeError(loc, `a function cannot be turned into JSON${at}`)
    }
    return value
  }

  /** Adds to `error` how each file it names was imported, back to the root file. */
  private noteImports(error: JsonnetError, root: string): void {
    const files = [error.loc?.file, ...error.trace.map((f) => f.loc.file)]
    const seen = new Set<string>([root])
    for (const start of files) {
      let file = start
      while (file !== undefined && !seen.has(file)) {
        seen.add(file)
        const at = this.importer.importedAt.get(file)
        if (!at) break
        error.imports.push(`${file} imported from ${formatLoc(at)}`)
        file = at.file
      }
    }
  }

  run(source: string, display: string, absolute: string): JsonnetResult {
    this.importer.register(display, absolute)
    try {
      const expr = parse(source, display)
      const value = this.core.evaluate(expr, this.rootScope(display))
      // Plain data first: an error while rendering then names the output's key path.
      const plain = this.toPlain(value)
      return { value: plain, json: this.manifest.pretty(value) }
    } catch (error) {
      if (error instanceof JsonnetError) this.noteImports(error, display)
      if (error instanceof RangeError && /call stack/i.test(error.message))
        throw runtimeError(
          { file: display, line: 1, col: 1 },
          'max stack frames exceeded (the definition nests too deeply)'
        )
      throw error
    }
  }
}

/**
 * Evaluates Jsonnet source text read from `file` (shown in messages as given; relative to
 * `cwd`), whose imports are relative to its directory. Throws a JsonnetError (syntax or
 * runtime) whose `format()` names file:line:column and the chain that led there.
 */
export function evaluateSnippet(
  source: string,
  file: string,
  options: JsonnetOptions = {},
  cwd = process.cwd()
): JsonnetResult {
  return new Vm(options).run(source, file, path.resolve(cwd, file))
}
