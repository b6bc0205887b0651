import type { Loc } from './ast.js'
import { runtimeError } from './errors.js'
import { codepoints } from './primitives.js'
import type { Core } from './evaluator.js'
import type { Manifester } from './manifest.js'
import {
  type FieldDef,
  JArray,
  JFunction,
  JObject,
  type Lazy,
  Ready,
  type Scope,
  typeOf,
  type Value
} from './values.js'

/** What library functions reach: the language core, manifesting, and the host's hooks. */
export interface StdContext {
  core: Core
  manifest: Manifester
  extVars: ReadonlyMap<string, Value>
  natives: ReadonlyMap<string, JFunction>
  /** std.trace's output. */
  trace: (message: string, loc: Loc) => void
}

/**
 * A library function: its documented parameter names (`?` marks optional) and its body, which
 * reads its arguments through `a` (named after the function, at the call's position `a.loc`).
 */
export type Builtin = [
  name: string,
  params: string[],
  impl: (args: Array<Value | undefined>, a: Args, cx: StdContext) => Value
]

const EMPTY_SCOPE: Scope = {
  vars: Object.create(null) as Record<string, Lazy>,
  self: undefined,
  sup: 0,
  dollar: undefined
}

/** An object built by the library, its fields visible unless `hidden`. */
export function makeObject(entries: Iterable<[string, Lazy]>, hidden = false): JObject {
  const fields = new Map<string, FieldDef>()
  for (const [name, lazy] of entries)
    fields.set(name, { name, plus: false, vis: hidden ? 'hidden' : 'inherit', lazy })
  return new JObject([{ fields, asserts: [], locals: [], scope: EMPTY_SCOPE }])
}

export function makeArray(values: Value[]): JArray {
  return new JArray(values.map((v) => new Ready(v)))
}

/** A function call computed only when read (elements of std.map, std.makeArray, ...). */
export class LazyCall implements Lazy {
  private done = false
  private value: Value = null
  constructor(
    private readonly core: Core,
    private readonly fn: JFunction,
    private readonly args: Value[],
    private readonly loc: Loc
  ) {}
  force(): Value {
    if (!this.done) {
      this.value = this.core.callValues(this.fn, this.args, this.loc)
      this.done = true
    }
    return this.value
  }
}

/** Typed access to a library function's arguments, with messages naming the parameter. */
export class Args {
  constructor(
    readonly fname: string,
    readonly loc: Loc
  ) {}

  fail(param: string, want: string, got: Value): never {
    throw runtimeError(this.loc, `std.${this.fname}: ${param} must be ${want}, got ${typeOf(got)}`)
  }

  num(v: Value | undefined, param: string): number {
    if (typeof v !== 'number') this.fail(param, 'a number', v ?? null)
    return v
  }

  int(v: Value | undefined, param: string): number {
    const n = this.num(v, param)
    if (!Number.isInteger(n))
      throw runtimeError(this.loc, `std.${this.fname}: ${param} must be an integer, got ${n}`)
    return n
  }

  str(v: Value | undefined, param: string): string {
    if (typeof v !== 'string') this.fail(param, 'a string', v ?? null)
    return v
  }

  bool(v: Value | undefined, param: string): boolean {
    if (typeof v !== 'boolean') this.fail(param, 'a boolean', v ?? null)
    return v
  }

  arr(v: Value | undefined, param: string): Lazy[] {
    if (!(v instanceof JArray)) this.fail(param, 'an array', v ?? null)
    return v.items
  }

  values(v: Value | undefined, param: string): Value[] {
    return this.arr(v, param).map((i) => i.force())
  }

  /** An array's elements, or a string's characters (the set functions take either). */
  sequence(v: Value | undefined, param: string): Value[] {
    return typeof v === 'string' ? codepoints(v) : this.values(v, param)
  }

  obj(v: Value | undefined, param: string): JObject {
    if (!(v instanceof JObject)) this.fail(param, 'an object', v ?? null)
    return v
  }

  fn(v: Value | undefined, param: string): JFunction {
    if (!(v instanceof JFunction)) this.fail(param, 'a function', v ?? null)
    return v
  }
}
