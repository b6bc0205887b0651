import type {
  AssertNode,
  BinaryOp,
  Bind,
  CompSpec,
  Expr,
  FieldNode,
  Loc,
  Param,
  Visibility
} from './ast.js'
import { checkVariables } from './check.js'
import { syntaxError } from './errors.js'
import { type Token, tokenize } from './lexer.js'

// Binding power of the binary operators, loosest first (the specification's precedence table).
const PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '|': 3,
  '^': 4,
  '&': 5,
  '==': 6,
  '!=': 6,
  '<': 7,
  '<=': 7,
  '>': 7,
  '>=': 7,
  in: 7,
  '<<': 8,
  '>>': 8,
  '+': 9,
  '-': 9,
  '*': 10,
  '/': 10,
  '%': 10
}
const UNARY_PRECEDENCE = 11

const VISIBILITY: Record<string, Visibility> = { ':': 'inherit', '::': 'hidden', ':::': 'visible' }

/** Parses a whole Jsonnet file into an expression. Throws a syntax JsonnetError. */
export function parse(source: string, file: string): Expr {
  const parser = new Parser(tokenize(source, file))
  const expr = parser.expr(0)
  parser.expectEnd()
  checkVariables(expr, new Set(['std']))
  return expr
}

/** `local x = 1, x = 2` (or twice in one object) is an error, as in the reference. */
function checkDuplicateLocals(binds: Bind[]): void {
  const seen = new Set<string>()
  for (const bind of binds) {
    if (seen.has(bind.name)) throw syntaxError(bind.loc, `duplicate local var: ${bind.name}`)
    seen.add(bind.name)
  }
}

class Parser {
  private pos = 0

  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!
  }

  private next(): Token {
    const token = this.peek()
    if (this.pos < this.tokens.length - 1) this.pos++
    return token
  }

  private is(value: string, offset = 0): boolean {
    const token = this.peek(offset)
    return (token.kind === 'op' || token.kind === 'keyword') && token.value === value
  }

  private accept(value: string): boolean {
    if (!this.is(value)) return false
    this.next()
    return true
  }

  private expect(value: string, context: string): Token {
    if (this.is(value)) return this.next()
    throw this.unexpected(`expected ${value} ${context}`)
  }

  private unexpected(what: string): Error {
    const token = this.peek()
    const got = token.kind === 'eof' ? 'end of file' : `'${token.value}'`
    return syntaxError(token.loc, `${what}, got ${got}`)
  }

  expectEnd(): void {
    if (this.peek().kind !== 'eof') throw this.unexpected('expected end of file')
  }

  private identifier(context: string): Token {
    const token = this.peek()
    if (token.kind !== 'id') throw this.unexpected(`expected an identifier ${context}`)
    return this.next()
  }

  /** An expression whose binary operators bind tighter than `minPrec`. */
  expr(minPrec: number): Expr {
    const token = this.peek()
    if (token.kind === 'keyword') {
      switch (token.value) {
        case 'local':
          return this.local()
        case 'if':
          return this.ifExpr()
        case 'function':
          return this.functionExpr()
        case 'assert': {
          this.next()
          const assert = this.assertBody(token.loc)
          this.expect(';', 'after assert')
          return { k: 'assert', assert, rest: this.expr(0), loc: token.loc }
        }
        case 'error':
          this.next()
          return { k: 'error', expr: this.expr(0), loc: token.loc }
        default:
          break
      }
    }
    let left = this.unary()
    for (;;) {
      const op = this.peek()
      if (op.kind !== 'op' && !(op.kind === 'keyword' && op.value === 'in')) break
      const prec = PRECEDENCE[op.value]
      if (prec === undefined || prec <= minPrec) break
      this.next()
      if (op.value === 'in' && this.is('super')) {
        this.next()
        left = { k: 'insuper', key: left, loc: op.loc }
        continue
      }
      const right = this.expr(prec)
      left = { k: 'binary', op: op.value as BinaryOp, left, right, loc: op.loc }
    }
    return left
  }

  private unary(): Expr {
    const token = this.peek()
    if (token.kind === 'op' && ['-', '+', '!', '~'].includes(token.value)) {
      this.next()
      const operand = this.keywordOr(() => this.unary())
      return { k: 'unary', op: token.value as '-' | '+' | '!' | '~', expr: operand, loc: token.loc }
    }
    return this.postfix(this.primary())
  }

  /** A greedy keyword expression (`local`, `if`, ...) may follow a unary operator. */
  private keywordOr(parse: () => Expr): Expr {
    const token = this.peek()
    if (
      token.kind === 'keyword' &&
      ['local', 'if', 'function', 'assert', 'error'].includes(token.value)
    ) {
      return this.expr(UNARY_PRECEDENCE)
    }
    return parse()
  }

  private postfix(target: Expr): Expr {
    let expr = target
    for (;;) {
      const token = this.peek()
      if (this.is('.')) {
        this.next()
        const name = this.identifier('after .')
        expr = {
          k: 'index',
          target: expr,
          index: { k: 'lit', value: name.value, loc: name.loc },
          loc: token.loc
        }
      } else if (this.is('[')) {
        this.next()
        expr = this.indexOrSlice(expr, token.loc)
      } else if (this.is('(')) {
        this.next()
        expr = this.call(expr, token.loc)
      } else if (this.is('{')) {
        // `e { ... }` is `e + { ... }`.
        this.next()
        const right = this.objectBody(token.loc)
        expr = { k: 'binary', op: '+', left: expr, right, loc: token.loc }
      } else {
        return expr
      }
    }
  }

  private indexOrSlice(target: Expr, loc: Loc): Expr {
    let from: Expr | undefined
    if (!this.is(':') && !this.is('::')) from = this.expr(0)
    if (this.accept(']')) {
      if (!from) throw this.unexpected('expected an index')
      return { k: 'index', target, index: from, loc }
    }
    let to: Expr | undefined
    let step: Expr | undefined
    if (this.accept('::')) {
      if (!this.is(']')) step = this.expr(0)
    } else {
      this.expect(':', 'in slice')
      if (!this.is(']') && !this.is(':')) to = this.expr(0)
      if (this.accept(':') && !this.is(']')) step = this.expr(0)
    }
    this.expect(']', 'to close the slice')
    const slice: Expr = { k: 'slice', target, loc }
    if (from) slice.from = from
    if (to) slice.to = to
    if (step) slice.step = step
    return slice
  }

  private call(fn: Expr, loc: Loc): Expr {
    const args: Expr[] = []
    const named: Array<[string, Expr]> = []
    while (!this.is(')')) {
      if (this.peek().kind === 'id' && this.is('=', 1)) {
        const name = this.next().value
        this.next()
        named.push([name, this.expr(0)])
      } else {
        if (named.length > 0) throw this.unexpected('positional argument after a named argument')
        args.push(this.expr(0))
      }
      if (!this.accept(',')) break
    }
    this.expect(')', 'to close the argument list')
    const tailstrict = this.accept('tailstrict')
    return { k: 'apply', fn, args, named, tailstrict, loc }
  }

  private primary(): Expr {
    const token = this.next()
    const loc = token.loc
    switch (token.kind) {
      case 'number': {
        const value = Number(token.value)
        if (!Number.isFinite(value)) throw syntaxError(loc, `number ${token.value} overflows`)
        return { k: 'lit', value, loc }
      }
      case 'string':
        return { k: 'lit', value: token.value, loc }
      case 'id':
        return { k: 'var', name: token.value, loc }
      case 'keyword':
        switch (token.value) {
          case 'null':
            return { k: 'lit', value: null, loc }
          case 'true':
            return { k: 'lit', value: true, loc }
          case 'false':
            return { k: 'lit', value: false, loc }
          case 'self':
            return { k: 'self', loc }
          case 'super': {
            if (this.accept('.')) {
              const name = this.identifier('after super.')
              return { k: 'superindex', index: { k: 'lit', value: name.value, loc: name.loc }, loc }
            }
            this.expect('[', 'after super (write super.name or super[name])')
            const index = this.expr(0)
            this.expect(']', 'after super[')
            return { k: 'superindex', index, loc }
          }
          case 'import':
          case 'importstr':
          case 'importbin': {
            const target = this.next()
            if (target.kind !== 'string')
              throw syntaxError(target.loc, `${token.value} needs a string literal path`)
            return { k: 'import', kind: token.value, path: target.value, loc }
          }
          case 'local':
          case 'if':
          case 'function':
          case 'assert':
          case 'error':
            this.pos--
            return this.expr(UNARY_PRECEDENCE)
          default:
            break
        }
        break
      case 'op':
        if (token.value === '$') return { k: 'dollar', loc }
        if (token.value === '(') {
          const inner = this.expr(0)
          this.expect(')', 'to close the parenthesis')
          return inner
        }
        if (token.value === '{') return this.objectBody(loc)
        if (token.value === '[') return this.arrayBody(loc)
        break
      default:
        break
    }
    this.pos--
    throw this.unexpected('expected an expression')
  }

  private local(): Expr {
    const loc = this.next().loc
    const binds: Bind[] = []
    do {
      binds.push(this.bind())
    } while (this.accept(','))
    this.expect(';', 'after the local bindings')
    checkDuplicateLocals(binds)
    return { k: 'local', binds, body: this.expr(0), loc }
  }

  private bind(): Bind {
    const name = this.identifier('in local')
    if (this.accept('(')) {
      const params = this.params()
      this.expect('=', 'in local function')
      const body = this.expr(0)
      return {
        name: name.value,
        loc: name.loc,
        value: { k: 'function', params, body, name: name.value, loc: name.loc }
      }
    }
    this.expect('=', 'in local')
    const value = this.expr(0)
    if (value.k === 'function' && value.name === undefined) value.name = name.value
    return { name: name.value, value, loc: name.loc }
  }

  /** Parameters after `(`, through `)`. */
  private params(): Param[] {
    const params: Param[] = []
    while (!this.is(')')) {
      const name = this.identifier('as a parameter name')
      const param: Param = { name: name.value }
      if (this.accept('=')) param.def = this.expr(0)
      if (params.some((p) => p.name === name.value))
        throw syntaxError(name.loc, `duplicate parameter ${name.value}`)
      params.push(param)
      if (!this.accept(',')) break
    }
    this.expect(')', 'to close the parameter list')
    return params
  }

  private ifExpr(): Expr {
    const loc = this.next().loc
    const cond = this.expr(0)
    this.expect('then', 'after the if condition')
    const then = this.expr(0)
    const node: Expr = { k: 'if', cond, then, loc }
    if (this.accept('else')) node.else = this.expr(0)
    return node
  }

  private functionExpr(): Expr {
    const loc = this.next().loc
    this.expect('(', 'after function')
    const params = this.params()
    return { k: 'function', params, body: this.expr(0), loc }
  }

  private assertBody(loc: Loc): AssertNode {
    const cond = this.expr(0)
    const node: AssertNode = { cond, loc }
    if (this.accept(':')) node.msg = this.expr(0)
    return node
  }

  private arrayBody(loc: Loc): Expr {
    const items: Expr[] = []
    while (!this.is(']')) {
      items.push(this.expr(0))
      if (this.is('for') && items.length === 1) {
        const specs = this.compSpecs()
        this.expect(']', 'to close the array comprehension')
        return { k: 'arrcomp', body: items[0]!, specs, loc }
      }
      if (!this.accept(',')) break
    }
    this.expect(']', 'to close the array')
    return { k: 'array', items, loc }
  }

  private compSpecs(): CompSpec[] {
    const specs: CompSpec[] = []
    while (this.is('for') || this.is('if')) {
      if (this.accept('for')) {
        const name = this.identifier('after for').value
        this.expect('in', 'in for')
        specs.push({ kind: 'for', name, expr: this.expr(0) })
      } else {
        this.next()
        if (specs.length === 0) throw this.unexpected('expected for')
        specs.push({ kind: 'if', expr: this.expr(0) })
      }
    }
    return specs
  }

  private objectBody(loc: Loc): Expr {
    const fields: FieldNode[] = []
    const locals: Bind[] = []
    const asserts: AssertNode[] = []
    let sawComputed = false
    for (;;) {
      if (this.is('}')) break
      const token = this.peek()
      if (this.accept('local')) {
        locals.push(this.bind())
      } else if (this.accept('assert')) {
        asserts.push(this.assertBody(token.loc))
      } else {
        if (this.is('[')) sawComputed = true
        fields.push(this.field())
      }
      if (this.is('for')) {
        if (fields.length !== 1 || !sawComputed || asserts.length > 0)
          throw syntaxError(
            this.peek().loc,
            'an object comprehension needs exactly one field with a computed [name] and no assert'
          )
        const field = fields[0]!
        if (field.vis !== 'inherit')
          throw syntaxError(field.loc, 'an object comprehension field must use :')
        const specs = this.compSpecs()
        this.expect('}', 'to close the object comprehension')
        return {
          k: 'objcomp',
          locals,
          name: field.name,
          plus: field.plus,
          value: field.value,
          specs,
          loc
        }
      }
      if (!this.accept(',')) break
    }
    this.expect('}', 'to close the object')
    checkDuplicateLocals(locals)
    const seen = new Set<string>()
    for (const field of fields) {
      if (field.name.k === 'lit' && typeof field.name.value === 'string') {
        if (seen.has(field.name.value))
          throw syntaxError(field.loc, `duplicate field: ${field.name.value}`)
        seen.add(field.name.value)
      }
    }
    return { k: 'object', fields, locals, asserts, loc }
  }

  private field(): FieldNode {
    const token = this.next()
    const loc = token.loc
    let name: Expr
    if (token.kind === 'id' || token.kind === 'string') {
      name = { k: 'lit', value: token.value, loc }
    } else if (token.kind === 'op' && token.value === '[') {
      name = this.expr(0)
      this.expect(']', 'after a computed field name')
    } else {
      this.pos--
      throw this.unexpected('expected a field name')
    }
    let params: Param[] | undefined
    if (this.accept('(')) params = this.params()
    const plus = this.accept('+')
    if (plus && params) throw syntaxError(loc, 'a method cannot use +:')
    const colon = this.next()
    const vis = colon.kind === 'op' ? VISIBILITY[colon.value] : undefined
    if (!vis) {
      this.pos--
      throw this.unexpected('expected :, :: or ::: after the field name')
    }
    let value = this.expr(0)
    const fieldName = name.k === 'lit' && typeof name.value === 'string' ? name.value : undefined
    if (params) value = { k: 'function', params, body: value, loc }
    if (value.k === 'function' && value.name === undefined && fieldName !== undefined)
      value.name = fieldName
    return { name, plus, vis, value, loc }
  }
}
