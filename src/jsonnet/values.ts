import type { Expr, Loc, Visibility } from './ast.js'

/** A Jsonnet value. Numbers are IEEE doubles, strings JavaScript strings. */
export type Value = null | boolean | number | string | JArray | JObject | JFunction

/** A value that may not be computed yet (Jsonnet is lazy). */
export interface Lazy {
  force(): Value
}

/** An already computed value. */
export class Ready implements Lazy {
  constructor(readonly value: Value) {}
  force(): Value {
    return this.value
  }
}

/** An array: its elements stay lazy until read. */
export class JArray {
  constructor(readonly items: Lazy[]) {}
}

/** Variables in scope: a prototype chain of plain dictionaries, innermost first. */
export type Vars = Record<string, Lazy>

/** What an expression is evaluated in: variables, and `self`/`super`/`$` inside objects. */
export interface Scope {
  vars: Vars
  self: JObject | undefined
  /** The layer of `self` that `super` starts below. */
  sup: number
  dollar: JObject | undefined
}

/** One field as written in an object literal (or built by the standard library). */
export interface FieldDef {
  name: string
  plus: boolean
  vis: Visibility
  /** The value's expression, evaluated with `self` bound; absent for library-built fields. */
  body?: Expr
  /** A value computed without `self` (library-built objects). */
  lazy?: Lazy
  /** The scope of a comprehension field (its `for` variables); the layer's scope otherwise. */
  scope?: Scope
  loc?: Loc
}

/** An object literal as written: the unit that `+` stacks. */
export interface Layer {
  fields: Map<string, FieldDef>
  asserts: Array<{ cond: Expr; msg?: Expr; loc: Loc }>
  locals: Array<{ name: string; value: Expr }>
  /** The scope the literal was written in (without its own `self`). */
  scope: Scope
}

/** An object: layers, the later overriding the earlier (`a + b` is a's layers then b's). */
export class JObject {
  /** Visible field values, computed once. */
  readonly cache = new Map<string, Value>()
  /** Per-layer scope with `self` bound (locals included). */
  readonly scopes: Array<Scope | undefined> = []
  /** Field name → visible, once computed. */
  fieldInfo: Map<string, boolean> | undefined
  /** 0: asserts not run, 1: running or passed. */
  assertsState = 0

  constructor(readonly layers: Layer[]) {}
}

/** A function parameter as a caller sees it. */
export interface ParamSpec {
  name: string
  hasDefault: boolean
}

/** A function: a closure over Jsonnet code, or a library function written in TypeScript. */
export class JFunction {
  constructor(
    readonly name: string,
    readonly params: ParamSpec[],
    readonly closure:
      { params: Array<{ name: string; def?: Expr }>; body: Expr; scope: Scope } | undefined,
    /** A library function; receives one Lazy per parameter (undefined when defaulted). */
    readonly native: ((args: Array<Lazy | undefined>, loc: Loc) => Value) | undefined
  ) {}
}

/** The type name Jsonnet uses in messages and std.type. */
export function typeOf(value: Value): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean':
      return 'boolean'
    case 'number':
      return 'number'
    case 'string':
      return 'string'
    default:
      break
  }
  if (value instanceof JArray) return 'array'
  if (value instanceof JObject) return 'object'
  return 'function'
}
