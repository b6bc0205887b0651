import type { CompSpec, Expr } from './ast.js'
import { staticError } from './errors.js'

/**
 * The static check the language specification asks for before evaluation: every variable is
 * bound where it is used, so a misspelt name fails even in a branch that is never evaluated.
 */
export function checkVariables(expr: Expr, scope: ReadonlySet<string>, inObject = false): void {
  const walk = (e: Expr, s: ReadonlySet<string>): void => checkVariables(e, s, inObject)
  const walkInside = (e: Expr, s: ReadonlySet<string>): void => checkVariables(e, s, true)
  const extend = (s: ReadonlySet<string>, names: string[]): ReadonlySet<string> =>
    names.length === 0 ? s : new Set([...s, ...names])
  switch (expr.k) {
    case 'var':
      if (!scope.has(expr.name)) throw staticError(expr.loc, `unknown variable: ${expr.name}`)
      return
    case 'self':
    case 'dollar':
      if (!inObject)
        throw staticError(expr.loc, `${expr.k === 'self' ? 'self' : '$'} used outside of an object`)
      return
    case 'lit':
    case 'import':
      return
    case 'local': {
      const inner = extend(
        scope,
        expr.binds.map((b) => b.name)
      )
      for (const b of expr.binds) walk(b.value, inner)
      walk(expr.body, inner)
      return
    }
    case 'function': {
      const inner = extend(
        scope,
        expr.params.map((p) => p.name)
      )
      for (const p of expr.params) if (p.def) walk(p.def, inner)
      walk(expr.body, inner)
      return
    }
    case 'object': {
      const inner = extend(
        scope,
        expr.locals.map((b) => b.name)
      )
      for (const b of expr.locals) walkInside(b.value, inner)
      for (const f of expr.fields) {
        // Field names are evaluated outside the object: its locals are not visible there.
        walk(f.name, scope)
        walkInside(f.value, inner)
      }
      for (const a of expr.asserts) {
        walkInside(a.cond, inner)
        if (a.msg) walkInside(a.msg, inner)
      }
      return
    }
    case 'objcomp': {
      const vars = specsScope(expr.specs, scope, walk, extend)
      walk(expr.name, vars)
      const inner = extend(
        vars,
        expr.locals.map((b) => b.name)
      )
      for (const b of expr.locals) walkInside(b.value, inner)
      walkInside(expr.value, inner)
      return
    }
    case 'arrcomp':
      walk(expr.body, specsScope(expr.specs, scope, walk, extend))
      return
    case 'array':
      for (const item of expr.items) walk(item, scope)
      return
    case 'index':
      walk(expr.target, scope)
      walk(expr.index, scope)
      return
    case 'superindex':
    case 'insuper':
      if (!inObject) throw staticError(expr.loc, 'super used outside of an object')
      walk(expr.k === 'superindex' ? expr.index : expr.key, scope)
      return
    case 'slice':
      walk(expr.target, scope)
      for (const part of [expr.from, expr.to, expr.step]) if (part) walk(part, scope)
      return
    case 'apply':
      walk(expr.fn, scope)
      for (const a of expr.args) walk(a, scope)
      for (const [, a] of expr.named) walk(a, scope)
      return
    case 'binary':
      walk(expr.left, scope)
      walk(expr.right, scope)
      return
    case 'unary':
    case 'error':
      walk(expr.expr, scope)
      return
    case 'if':
      walk(expr.cond, scope)
      walk(expr.then, scope)
      if (expr.else) walk(expr.else, scope)
      return
    case 'assert':
      walk(expr.assert.cond, scope)
      if (expr.assert.msg) walk(expr.assert.msg, scope)
      walk(expr.rest, scope)
      return
  }
}

/** The scope after a comprehension's `for` and `if` clauses, each checked in its own scope. */
function specsScope(
  specs: CompSpec[],
  scope: ReadonlySet<string>,
  walk: (e: Expr, s: ReadonlySet<string>) => void,
  extend: (s: ReadonlySet<string>, names: string[]) => ReadonlySet<string>
): ReadonlySet<string> {
  let current = scope
  for (const spec of specs) {
    walk(spec.expr, current)
    if (spec.kind === 'for') current = extend(current, [spec.name])
  }
  return current
}
