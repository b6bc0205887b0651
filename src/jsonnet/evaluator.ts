import type { BinaryOp, Expr, Loc } from './ast.js'
import { JsonnetError, runtimeError } from './errors.js'
import { ObjectCore } from './objects.js'
import {
  bitwise,
  bitwiseOperand,
  checkNumber,
  codepoints,
  compareStrings,
  sliceValue
} from './primitives.js'
import {
  JArray,
  JFunction,
  JObject,
  type Lazy,
  Ready,
  type Scope,
  typeOf,
  type Value,
  type Vars
} from './values.js'

/** Limits that make a runaway definition fail cleanly instead of hanging or crashing. */
export interface Limits {
  /** Nested (non tail-strict) function calls, as the reference implementation's 500 frames. */
  maxStack: number
  /** Evaluation steps (expressions evaluated) in total. */
  maxSteps: number
  /** Elements of one array, or characters of one string. */
  maxSize: number
}

// A hako definition takes some thousands of steps; 20 million take a few seconds.
export const DEFAULT_LIMITS: Limits = { maxStack: 500, maxSteps: 20_000_000, maxSize: 10_000_000 }

/** A value not computed yet: an expression and the scope to evaluate it in. */
export class Thunk implements Lazy {
  private value: Value = null
  private state = 0 // 0: not yet, 1: computing, 2: done

  constructor(
    private readonly ev: Core,
    private expr: Expr | undefined,
    private scope: Scope | undefined
  ) {}

  force(): Value {
    if (this.state === 2) return this.value
    if (this.state === 1)
      throw runtimeError(this.expr?.loc, 'infinite recursion: a value depends on itself')
    this.state = 1
    try {
      this.value = this.ev.evaluate(this.expr!, this.scope!)
    } catch (error) {
      this.state = 0
      throw error
    }
    this.state = 2
    this.expr = undefined
    this.scope = undefined
    return this.value
  }
}

/** Loads an imported file: parsed code, text or bytes. Implemented by the file loader. */
export interface Importer {
  /** Evaluates (once) the Jsonnet file `path` imported from `fromFile`. */
  importCode(path: string, fromFile: string, loc: Loc): Value
  importText(path: string, fromFile: string, loc: Loc): string
  importBytes(path: string, fromFile: string, loc: Loc): number[]
}

/** The language core: expressions, objects, functions and operators. */
export class Core extends ObjectCore {
  private steps = 0
  private depth = 0

  constructor(
    readonly limits: Limits,
    readonly importer: Importer
  ) {
    super()
  }

  /** Evaluates `expr` in `scope`. Tail positions loop instead of recursing. */
  override evaluate(start: Expr, startScope: Scope): Value {
    let expr = start
    let scope = startScope
    for (;;) {
      if (++this.steps > this.limits.maxSteps)
        throw runtimeError(
          expr.loc,
          `evaluation exceeded ${this.limits.maxSteps} steps; the definition is probably looping`
        )
      switch (expr.k) {
        case 'lit':
          return expr.value
        case 'var': {
          const lazy = scope.vars[expr.name]
          if (lazy === undefined) throw runtimeError(expr.loc, `unknown variable: ${expr.name}`)
          return lazy.force()
        }
        case 'self':
          if (!scope.self) throw runtimeError(expr.loc, 'self used outside of an object')
          return scope.self
        case 'dollar':
          if (!scope.dollar) throw runtimeError(expr.loc, '$ used outside of an object')
          return scope.dollar
        case 'local':
          scope = this.bindLocals(expr.binds, scope)
          expr = expr.body
          continue
        case 'if': {
          const cond = this.evaluate(expr.cond, scope)
          if (typeof cond !== 'boolean')
            throw runtimeError(expr.cond.loc, `if condition must be a boolean, got ${typeOf(cond)}`)
          if (cond) expr = expr.then
          else if (expr.else) expr = expr.else
          else return null
          continue
        }
        case 'assert':
          this.checkAssert(expr.assert, scope)
          expr = expr.rest
          continue
        case 'apply': {
          const fn = this.evaluate(expr.fn, scope)
          if (!(fn instanceof JFunction))
            throw runtimeError(expr.loc, `only functions can be called, got ${typeOf(fn)}`)
          const strict = expr.tailstrict
          const args = expr.args.map((a) => this.lazy(a, scope, strict))
          const named: Array<[string, Lazy]> = expr.named.map(([n, a]) => [
            n,
            this.lazy(a, scope, strict)
          ])
          if (strict && fn.closure) {
            scope = this.bindParams(fn, args, named, expr.loc)
            expr = fn.closure.body
            continue
          }
          return this.call(fn, args, named, expr.loc)
        }
        case 'error': {
          const message = this.evaluate(expr.expr, scope)
          throw runtimeError(expr.loc, typeof message === 'string' ? message : this.toText(message))
        }
        default:
          return this.evaluateOther(expr, scope)
      }
    }
  }

  private evaluateOther(expr: Expr, scope: Scope): Value {
    switch (expr.k) {
      case 'object':
        return this.objectLiteral(expr, scope)
      case 'objcomp':
        return this.objectComprehension(expr, scope)
      case 'array':
        return new JArray(expr.items.map((item) => new Thunk(this, item, scope)))
      case 'arrcomp': {
        const items: Lazy[] = []
        this.comprehend(expr.specs, 0, scope, (s) => items.push(new Thunk(this, expr.body, s)))
        return new JArray(items)
      }
      case 'index':
        return this.index(
          this.evaluate(expr.target, scope),
          this.evaluate(expr.index, scope),
          expr.loc
        )
      case 'superindex': {
        const name = this.evaluate(expr.index, scope)
        const self = scope.self
        if (!self || scope.sup === 0)
          throw runtimeError(expr.loc, 'super used outside of an inheriting object')
        if (typeof name !== 'string')
          throw runtimeError(expr.loc, `super index must be a string, got ${typeOf(name)}`)
        const found = this.findField(self, name, scope.sup)
        if (!found) throw runtimeError(expr.loc, `field does not exist in super: ${name}`)
        return this.fieldValue(self, found.layer, found.def)
      }
      case 'insuper': {
        const name = this.evaluate(expr.key, scope)
        if (typeof name !== 'string')
          throw runtimeError(expr.loc, `in super needs a string, got ${typeOf(name)}`)
        if (!scope.self || scope.sup === 0) return false
        return this.findField(scope.self, name, scope.sup) !== undefined
      }
      case 'slice':
        return this.slice(expr, scope)
      case 'binary':
        return this.binary(expr.op, expr.left, expr.right, scope, expr.loc)
      case 'unary':
        return this.unary(expr.op, this.evaluate(expr.expr, scope), expr.loc)
      case 'function':
        return new JFunction(
          expr.name ?? 'anonymous',
          expr.params.map((p) => ({ name: p.name, hasDefault: p.def !== undefined })),
          { params: expr.params, body: expr.body, scope },
          undefined
        )
      case 'import': {
        const from = expr.loc.file
        try {
          if (expr.kind === 'importstr') return this.importer.importText(expr.path, from, expr.loc)
          if (expr.kind === 'importbin')
            return new JArray(
              this.importer.importBytes(expr.path, from, expr.loc).map((b) => new Ready(b))
            )
          return this.importer.importCode(expr.path, from, expr.loc)
        } catch (error) {
          if (error instanceof JsonnetError) error.addFrame(expr.loc, `${expr.kind} '${expr.path}'`)
          throw error
        }
      }
      default:
        throw runtimeError(expr.loc, `cannot evaluate ${expr.k}`)
    }
  }

  /** An argument: lazy, or computed now for a tail-strict call. */
  private lazy(expr: Expr, scope: Scope, strict: boolean): Lazy {
    if (expr.k === 'lit') return new Ready(expr.value)
    return strict ? new Ready(this.evaluate(expr, scope)) : new Thunk(this, expr, scope)
  }

  /** A scope with `binds` added; every binding sees all of them (they may be recursive). */
  override bindLocals(binds: ReadonlyArray<{ name: string; value: Expr }>, scope: Scope): Scope {
    const vars: Vars = Object.create(scope.vars) as Vars
    const inner: Scope = { ...scope, vars }
    for (const bind of binds) vars[bind.name] = new Thunk(this, bind.value, inner)
    return inner
  }

  protected override checkAssert(assert: { cond: Expr; msg?: Expr; loc: Loc }, scope: Scope): void {
    const ok = this.evaluate(assert.cond, scope)
    if (typeof ok !== 'boolean')
      throw runtimeError(assert.loc, `assert condition must be a boolean, got ${typeOf(ok)}`)
    if (ok) return
    if (!assert.msg) throw runtimeError(assert.loc, 'assertion failed')
    const msg = this.evaluate(assert.msg, scope)
    throw runtimeError(assert.loc, typeof msg === 'string' ? msg : this.toText(msg))
  }

  /** Binds a call's arguments to a closure's parameters: the scope its body runs in. */
  private bindParams(fn: JFunction, args: Lazy[], named: Array<[string, Lazy]>, loc: Loc): Scope {
    const closure = fn.closure!
    const bound = this.matchArgs(fn, args, named, loc)
    const vars: Vars = Object.create(closure.scope.vars) as Vars
    const scope: Scope = { ...closure.scope, vars }
    closure.params.forEach((param, i) => {
      vars[param.name] = bound[i] ?? new Thunk(this, param.def, scope)
    })
    return scope
  }

  /** One Lazy per parameter (undefined where the default applies); checks arity and names. */
  private matchArgs(
    fn: JFunction,
    args: Lazy[],
    named: Array<[string, Lazy]>,
    loc: Loc
  ): Array<Lazy | undefined> {
    const params = fn.params
    if (args.length > params.length)
      throw runtimeError(
        loc,
        `too many arguments for ${fn.name}: it takes ${params.length}, got ${args.length}`
      )
    const bound: Array<Lazy | undefined> = params.map((_, i) => args[i])
    for (const [name, value] of named) {
      const i = params.findIndex((p) => p.name === name)
      if (i < 0) throw runtimeError(loc, `function ${fn.name} has no parameter ${name}`)
      if (bound[i]) throw runtimeError(loc, `argument ${name} given twice to ${fn.name}`)
      bound[i] = value
    }
    params.forEach((param, i) => {
      if (!bound[i] && !param.hasDefault)
        throw runtimeError(loc, `missing argument ${param.name} for ${fn.name}`)
    })
    return bound
  }

  /** Calls a function (Jsonnet or library). */
  call(fn: JFunction, args: Lazy[], named: Array<[string, Lazy]>, loc: Loc): Value {
    if (fn.native) {
      try {
        return fn.native(this.matchArgs(fn, args, named, loc), loc)
      } catch (error) {
        // An error the library function raised without a position is the call's.
        if (error instanceof JsonnetError && error.loc === undefined) error.loc = loc
        throw error
      }
    }
    const scope = this.bindParams(fn, args, named, loc)
    if (++this.depth > this.limits.maxStack) {
      this.depth--
      throw runtimeError(
        loc,
        `max stack frames exceeded (${this.limits.maxStack} nested calls): unbounded recursion?`
      )
    }
    try {
      return this.evaluate(fn.closure!.body, scope)
    } catch (error) {
      throw this.traced(error, loc, `function <${fn.name}>`)
    } finally {
      this.depth--
    }
  }

  /** Calls with already computed values (library functions calling user functions). */
  callValues(fn: Value, args: Value[], loc: Loc): Value {
    if (!(fn instanceof JFunction))
      throw runtimeError(loc, `expected a function, got ${typeOf(fn)}`)
    return this.call(
      fn,
      args.map((a) => new Ready(a)),
      [],
      loc
    )
  }

  /** Adds a frame to a JsonnetError; turns a JavaScript stack overflow into one. */
  override traced(error: unknown, loc: Loc, what: string): unknown {
    if (error instanceof JsonnetError) {
      error.addFrame(loc, what)
      return error
    }
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      return runtimeError(loc, 'max stack frames exceeded (the definition nests too deeply)')
    }
    return error
  }

  // ---- operators ----

  index(target: Value, index: Value, loc: Loc): Value {
    if (target instanceof JObject) {
      if (typeof index !== 'string')
        throw runtimeError(loc, `object index must be a string, got ${typeOf(index)}`)
      return this.getField(target, index, loc)
    }
    if (target instanceof JArray) {
      if (typeof index !== 'number')
        throw runtimeError(loc, `array index must be a number, got ${typeOf(index)}`)
      if (!Number.isInteger(index))
        throw runtimeError(loc, `array index must be an integer, got ${index}`)
      const item = target.items[index]
      if (!item)
        throw runtimeError(
          loc,
          `array index ${index} out of bounds (length ${target.items.length})`
        )
      return item.force()
    }
    if (typeof target === 'string') {
      if (typeof index !== 'number')
        throw runtimeError(loc, `string index must be a number, got ${typeOf(index)}`)
      const chars = codepoints(target)
      const ch = chars[index]
      if (ch === undefined)
        throw runtimeError(loc, `string index ${index} out of bounds (length ${chars.length})`)
      return ch
    }
    throw runtimeError(
      loc,
      `only objects, arrays and strings can be indexed, got ${typeOf(target)}`
    )
  }

  private slice(expr: Extract<Expr, { k: 'slice' }>, scope: Scope): Value {
    const target = this.evaluate(expr.target, scope)
    const num = (e: Expr | undefined, what: string): number | undefined => {
      if (!e) return undefined
      const v = this.evaluate(e, scope)
      if (v === null) return undefined
      if (typeof v !== 'number')
        throw runtimeError(e.loc, `slice ${what} must be a number, got ${typeOf(v)}`)
      return v
    }
    const from = num(expr.from, 'start')
    const to = num(expr.to, 'end')
    const step = num(expr.step, 'step')
    return sliceValue(target, from, to, step, expr.loc)
  }

  private binary(op: BinaryOp, leftExpr: Expr, rightExpr: Expr, scope: Scope, loc: Loc): Value {
    const left = this.evaluate(leftExpr, scope)
    if (op === '&&' || op === '||') {
      if (typeof left !== 'boolean')
        throw runtimeError(loc, `${op} needs booleans, got ${typeOf(left)}`)
      if (op === '&&' ? !left : left) return left
      const right = this.evaluate(rightExpr, scope)
      if (typeof right !== 'boolean')
        throw runtimeError(loc, `${op} needs booleans, got ${typeOf(right)}`)
      return right
    }
    const right = this.evaluate(rightExpr, scope)
    return this.binaryValues(op, left, right, loc)
  }

  binaryValues(op: BinaryOp, left: Value, right: Value, loc: Loc | undefined): Value {
    switch (op) {
      case '+':
        return this.plus(left, right, loc)
      case '==':
        return this.equals(left, right)
      case '!=':
        return !this.equals(left, right)
      case '<':
        return this.compare(left, right, loc) < 0
      case '<=':
        return this.compare(left, right, loc) <= 0
      case '>':
        return this.compare(left, right, loc) > 0
      case '>=':
        return this.compare(left, right, loc) >= 0
      case 'in':
        if (typeof left !== 'string' || !(right instanceof JObject))
          throw runtimeError(
            loc,
            `in needs a string and an object, got ${typeOf(left)} and ${typeOf(right)}`
          )
        return this.fields(right).has(left)
      case '%':
        if (typeof left === 'string') return this.format(left, right, loc)
        break
      default:
        break
    }
    if (typeof left !== 'number' || typeof right !== 'number')
      throw runtimeError(
        loc,
        `operator ${op} needs numbers, got ${typeOf(left)} and ${typeOf(right)}`
      )
    switch (op) {
      case '-':
        return checkNumber(left - right, loc)
      case '*':
        return checkNumber(left * right, loc)
      case '/':
        if (right === 0) throw runtimeError(loc, 'division by zero')
        return checkNumber(left / right, loc)
      case '%':
        if (right === 0) throw runtimeError(loc, 'division by zero')
        return checkNumber(left % right, loc)
      default:
        return bitwise(op, left, right, loc)
    }
  }

  /** The library's string formatting; set by the standard library. */
  format: (fmt: string, values: Value, loc: Loc | undefined) => Value = () => null
  /** The library's toString; set by the standard library. */
  toText: (value: Value) => string = (v) => (typeof v === 'string' ? v : typeOf(v))

  /** Fails cleanly when an array or string would grow past the size limit. */
  checkSize(size: number, loc: Loc | undefined): void {
    if (size > this.limits.maxSize)
      throw runtimeError(
        loc,
        `a string or array of ${size} elements exceeds the limit of ${this.limits.maxSize}`
      )
  }

  override plus(left: Value, right: Value, loc: Loc | undefined): Value {
    if (typeof left === 'number' && typeof right === 'number') return checkNumber(left + right, loc)
    if (typeof left === 'string' || typeof right === 'string') {
      const l = this.toText(left)
      const r = this.toText(right)
      this.checkSize(l.length + r.length, loc)
      return l + r
    }
    if (left instanceof JArray && right instanceof JArray) {
      this.checkSize(left.items.length + right.items.length, loc)
      return new JArray(left.items.concat(right.items))
    }
    if (left instanceof JObject && right instanceof JObject)
      return new JObject(left.layers.concat(right.layers))
    throw runtimeError(loc, `operator + cannot add ${typeOf(left)} and ${typeOf(right)}`)
  }

  private unary(op: string, value: Value, loc: Loc): Value {
    if (op === '!') {
      if (typeof value !== 'boolean')
        throw runtimeError(loc, `! needs a boolean, got ${typeOf(value)}`)
      return !value
    }
    if (typeof value !== 'number')
      throw runtimeError(loc, `unary ${op} needs a number, got ${typeOf(value)}`)
    if (op === '-') return -value
    if (op === '+') return value
    return Number(~bitwiseOperand(value, loc))
  }

  /** Deep equality (objects: visible fields only; functions cannot be compared). */
  equals(a: Value, b: Value): boolean {
    if (a === b) return true
    if (a instanceof JArray) {
      if (!(b instanceof JArray) || a.items.length !== b.items.length) return false
      return a.items.every((item, i) => this.equals(item.force(), b.items[i]!.force()))
    }
    if (a instanceof JObject) {
      if (!(b instanceof JObject)) return false
      const an = this.fieldNames(a, false)
      const bn = this.fieldNames(b, false)
      if (an.length !== bn.length || an.some((n, i) => n !== bn[i])) return false
      return an.every((n) =>
        this.equals(this.getField(a, n, undefined), this.getField(b, n, undefined))
      )
    }
    if (a instanceof JFunction || b instanceof JFunction)
      throw runtimeError(undefined, 'cannot test equality of functions')
    return false
  }

  /** Orders numbers, strings (by code point) and arrays (element by element). */
  compare(a: Value, b: Value, loc: Loc | undefined): number {
    if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0
    if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b)
    if (a instanceof JArray && b instanceof JArray) {
      const n = Math.min(a.items.length, b.items.length)
      for (let i = 0; i < n; i++) {
        const c = this.compare(a.items[i]!.force(), b.items[i]!.force(), loc)
        if (c !== 0) return c
      }
      return a.items.length - b.items.length
    }
    throw runtimeError(loc, `cannot compare ${typeOf(a)} and ${typeOf(b)}`)
  }
}
