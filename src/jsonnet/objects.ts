import type { CompSpec, Expr, Loc } from './ast.js'
import { runtimeError } from './errors.js'
import { compareStrings } from './primitives.js'
import {
  type FieldDef,
  JArray,
  JObject,
  type Scope,
  typeOf,
  type Value,
  type Vars
} from './values.js'

/**
 * Objects: literals and comprehensions, inheritance through layers (`self`, `super`, `+:`),
 * visibility and asserts. The expression evaluator (Core) builds on it.
 */
export abstract class ObjectCore {
  abstract evaluate(expr: Expr, scope: Scope): Value
  abstract bindLocals(binds: ReadonlyArray<{ name: string; value: Expr }>, scope: Scope): Scope
  abstract traced(error: unknown, loc: Loc, what: string): unknown
  abstract plus(left: Value, right: Value, loc: Loc | undefined): Value
  protected abstract checkAssert(assert: { cond: Expr; msg?: Expr; loc: Loc }, scope: Scope): void

  protected objectLiteral(expr: Extract<Expr, { k: 'object' }>, scope: Scope): JObject {
    const fields = new Map<string, FieldDef>()
    for (const field of expr.fields) {
      const name = field.name.k === 'lit' ? field.name.value : this.evaluate(field.name, scope)
      if (name === null) continue
      if (typeof name !== 'string')
        throw runtimeError(field.loc, `field name must be a string, got ${typeOf(name)}`)
      if (fields.has(name)) throw runtimeError(field.loc, `duplicate field name: "${name}"`)
      fields.set(name, {
        name,
        plus: field.plus,
        vis: field.vis,
        body: field.value,
        loc: field.loc
      })
    }
    return new JObject([{ fields, asserts: expr.asserts, locals: expr.locals, scope }])
  }

  protected objectComprehension(expr: Extract<Expr, { k: 'objcomp' }>, scope: Scope): JObject {
    const fields = new Map<string, FieldDef>()
    this.comprehend(expr.specs, 0, scope, (s) => {
      const name = this.evaluate(expr.name, s)
      if (name === null) return
      if (typeof name !== 'string')
        throw runtimeError(expr.name.loc, `field name must be a string, got ${typeOf(name)}`)
      if (fields.has(name)) throw runtimeError(expr.loc, `duplicate field name: "${name}"`)
      fields.set(name, {
        name,
        plus: expr.plus,
        vis: 'inherit',
        body: expr.value,
        scope: s,
        loc: expr.loc
      })
    })
    return new JObject([{ fields, asserts: [], locals: expr.locals, scope }])
  }

  protected comprehend(specs: CompSpec[], i: number, scope: Scope, emit: (s: Scope) => void): void {
    const spec = specs[i]
    if (!spec) {
      emit(scope)
      return
    }
    if (spec.kind === 'if') {
      const ok = this.evaluate(spec.expr, scope)
      if (typeof ok !== 'boolean')
        throw runtimeError(
          spec.expr.loc,
          `if in a comprehension needs a boolean, got ${typeOf(ok)}`
        )
      if (ok) this.comprehend(specs, i + 1, scope, emit)
      return
    }
    const arr = this.evaluate(spec.expr, scope)
    if (!(arr instanceof JArray))
      throw runtimeError(
        spec.expr.loc,
        `for in a comprehension iterates over an array, got ${typeOf(arr)}`
      )
    for (const item of arr.items) {
      const vars: Vars = Object.create(scope.vars) as Vars
      vars[spec.name] = item
      this.comprehend(specs, i + 1, { ...scope, vars }, emit)
    }
  }

  /** The topmost definition of `name` in layers below `below`. */
  findField(
    obj: JObject,
    name: string,
    below: number
  ): { layer: number; def: FieldDef } | undefined {
    for (let i = below - 1; i >= 0; i--) {
      const def = obj.layers[i]!.fields.get(name)
      if (def) return { layer: i, def }
    }
    return undefined
  }

  /** The scope a field of layer `i` is evaluated in: `self` is `obj`, object locals bound. */
  private fieldScope(obj: JObject, i: number, def: FieldDef): Scope {
    const layer = obj.layers[i]!
    if (!def.scope) {
      const cached = obj.scopes[i]
      if (cached) return cached
    }
    const base = def.scope ?? layer.scope
    const withSelf: Scope = { vars: base.vars, self: obj, sup: i, dollar: base.dollar ?? obj }
    const scope = layer.locals.length > 0 ? this.bindLocals(layer.locals, withSelf) : withSelf
    if (!def.scope) obj.scopes[i] = scope
    return scope
  }

  /** The value of a field as defined in layer `i` (with `+:` applied on what is below). */
  fieldValue(obj: JObject, i: number, def: FieldDef): Value {
    let value: Value
    try {
      value = def.lazy ? def.lazy.force() : this.evaluate(def.body!, this.fieldScope(obj, i, def))
    } catch (error) {
      throw def.loc ? this.traced(error, def.loc, `field ${def.name}`) : error
    }
    if (def.plus) {
      const below = this.findField(obj, def.name, i)
      if (below) value = this.plus(this.fieldValue(obj, below.layer, below.def), value, def.loc)
    }
    return value
  }

  /** Runs the object's asserts once (before its fields are first read from outside). */
  ensureAsserts(obj: JObject): void {
    if (obj.assertsState !== 0) return
    obj.assertsState = 1
    try {
      obj.layers.forEach((layer, i) => {
        if (layer.asserts.length === 0) return
        const scope = this.fieldScope(obj, i, { name: '', plus: false, vis: 'inherit' })
        for (const a of layer.asserts) this.checkAssert(a, scope)
      })
    } catch (error) {
      obj.assertsState = 0
      throw error
    }
  }

  /** A field's value, seen from outside the object. */
  getField(obj: JObject, name: string, loc: Loc | undefined): Value {
    const cached = obj.cache.get(name)
    if (cached !== undefined) return cached
    this.ensureAsserts(obj)
    const found = this.findField(obj, name, obj.layers.length)
    if (!found) throw runtimeError(loc, `field does not exist: ${name}`)
    const value = this.fieldValue(obj, found.layer, found.def)
    obj.cache.set(name, value)
    return value
  }

  /** Every field name → visible (the topmost `::`/`:::` decides; `:` inherits). */
  fields(obj: JObject): Map<string, boolean> {
    if (obj.fieldInfo) return obj.fieldInfo
    const info = new Map<string, boolean>()
    for (const layer of obj.layers) {
      for (const def of layer.fields.values()) {
        if (def.vis === 'hidden') info.set(def.name, false)
        else if (def.vis === 'visible') info.set(def.name, true)
        else if (!info.has(def.name)) info.set(def.name, true)
      }
    }
    obj.fieldInfo = info
    return info
  }

  /** Field names, sorted; hidden ones only when `all`. */
  fieldNames(obj: JObject, all: boolean): string[] {
    const names: string[] = []
    for (const [name, visible] of this.fields(obj)) if (all || visible) names.push(name)
    return names.sort(compareStrings)
  }
}
