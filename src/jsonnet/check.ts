import type { CompSpec, Expr } from './ast.js'
import { staticError } from './errors.js'

/**
 * The static check the language specification asks for before evaluation: every variable is
 * bound where it is used, so a misspelt name fails even in a branch that is never evaluated.
 */
export function checkVariables(expr: Expr, scope: ReadonlySet<string>, inObject = false): void {
  switch (expr.k) {
    case 'var':
      if (!scope.has(expr.name)) throw staticError(expr.loc, `unknown variable: ${expr.name}`)
      return
    case 'self':
    case 'dollar':
      if (!inObject)
        throw staticError(expr.loc, `${expr.k === 'self' ? 'self' : '$'} used outside of an object`)
      return
    case 'superindex':
    case 'insuper':
      if (!inObject) throw staticError(expr.loc, 'super used outside of an object')
      break
    case 'local':
    case 'function':
    case 'object':
    case 'objcomp':
    case 'arrcomp':
      checkBinder(expr, scope, inObject)
      return
  }
  for (const child of childrenOf(expr)) checkVariables(child, scope, inObject)
}

type Binder = Extract<Expr, { k: 'local' | 'function' | 'object' | 'objcomp' | 'arrcomp' }>

/** An expression that binds names: its parts, each checked in the scope it sees. */
function checkBinder(expr: Binder, scope: ReadonlySet<string>, inObject: boolean): void {
  const walk = (e: Expr, s: ReadonlySet<string>): void => checkVariables(e, s, inObject)
  const walkInside = (e: Expr, s: ReadonlySet<string>): void => checkVariables(e, s, true)
  switch (expr.k) {
    case 'local': {
      const inner = extend(scope, expr.binds)
      for (const b of expr.binds) walk(b.value, inner)
      walk(expr.body, inner)
      return
    }
    case 'function': {
      const inner = extend(scope, expr.params)
      for (const p of expr.params) if (p.def) walk(p.def, inner)
      walk(expr.body, inner)
      return
    }
    case 'object': {
      const inner = extend(scope, expr.locals)
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
      const vars = specsScope(expr.specs, scope, walk)
      walk(expr.name, vars)
      const inner = extend(vars, expr.locals)
      for (const b of expr.locals) walkInside(b.value, inner)
      walkInside(expr.value, inner)
      return
    }
    case 'arrcomp':
      walk(expr.body, specsScope(expr.specs, scope, walk))
      return
  }
}

/** The parts of an expression that binds no name, in the order they are checked. */
function childrenOf(expr: Expr): Expr[] {
  const present = (parts: (Expr | undefined)[]): Expr[] =>
    parts.filter((e): e is Expr => e !== undefined)
  switch (expr.k) {
    case 'array':
      return expr.items
    case 'index':
      return [expr.target, expr.index]
    case 'superindex':
      return [expr.index]
    case 'insuper':
      return [expr.key]
    case 'slice':
      return present([expr.target, expr.from, expr.to, expr.step])
    case 'apply':
      return [expr.fn, ...expr.args, ...expr.named.map(([, a]) => a)]
    case 'binary':
      return [expr.left, expr.right]
    case 'unary':
    case 'error':
      return [expr.expr]
    case 'if':
      return present([expr.cond, expr.then, expr.else])
    case 'assert':
      return present([expr.assert.cond, expr.assert.msg, expr.rest])
    default:
      return []
  }
}

function extend(s: ReadonlySet<string>, binds: readonly { name: string }[]): ReadonlySet<string> {
  return binds.length === 0 ? s : new Set([...s, ...binds.map((b) => b.name)])
}

/** The scope after a comprehension's `for` and `if` clauses, each checked in its own scope. */
function specsScope(
  specs: CompSpec[],
  scope: ReadonlySet<string>,
  walk: (e: Expr, s: ReadonlySet<string>) => void
): ReadonlySet<string> {
  let current = scope
  for (const spec of specs) {
    walk(spec.expr, current)
    if (spec.kind === 'for') current = extend(current, [spec])
  }
  return current
}
