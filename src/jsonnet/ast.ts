/** Where a piece of Jsonnet source was written (1-based line and column). */
export interface Loc {
  file: string
  line: number
  col: number
}

/** One `name = value` binding of a `local` (function sugar already turned into a function). */
export interface Bind {
  name: string
  value: Expr
  loc: Loc
}

/** A function parameter, with its default expression when it has one. */
export interface Param {
  name: string
  def?: Expr
}

/** `for x in e` or `if e` of a comprehension, in source order. */
export type CompSpec = { kind: 'for'; name: string; expr: Expr } | { kind: 'if'; expr: Expr }

/** `:` (inherit), `::` (hidden), `:::` (forced visible). */
export type Visibility = 'inherit' | 'hidden' | 'visible'

/** A field of an object literal. */
export interface FieldNode {
  /** The name's expression: a string literal for `a:` and `'a':`, any expression for `[e]:`. */
  name: Expr
  plus: boolean
  vis: Visibility
  value: Expr
  loc: Loc
}

/** An `assert cond : msg` of an object literal, or of an `assert` expression. */
export interface AssertNode {
  cond: Expr
  msg?: Expr
  loc: Loc
}

export type BinaryOp =
  | '*'
  | '/'
  | '%'
  | '+'
  | '-'
  | '<<'
  | '>>'
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | '=='
  | '!='
  | '&'
  | '^'
  | '|'
  | '&&'
  | '||'

export type UnaryOp = '-' | '+' | '!' | '~'

export type ImportKind = 'import' | 'importstr' | 'importbin'

/** The abstract syntax of Jsonnet, after parsing (sugar that needs no evaluation is removed). */
export type Expr =
  | { k: 'lit'; value: null | boolean | number | string; loc: Loc }
  | { k: 'self'; loc: Loc }
  | { k: 'dollar'; loc: Loc }
  | { k: 'var'; name: string; loc: Loc }
  | {
      k: 'object'
      fields: FieldNode[]
      locals: Bind[]
      asserts: AssertNode[]
      loc: Loc
    }
  | {
      k: 'objcomp'
      locals: Bind[]
      name: Expr
      plus: boolean
      value: Expr
      specs: CompSpec[]
      loc: Loc
    }
  | { k: 'array'; items: Expr[]; loc: Loc }
  | { k: 'arrcomp'; body: Expr; specs: CompSpec[]; loc: Loc }
  | { k: 'index'; target: Expr; index: Expr; loc: Loc }
  | { k: 'superindex'; index: Expr; loc: Loc }
  | { k: 'insuper'; key: Expr; loc: Loc }
  | {
      k: 'slice'
      target: Expr
      from?: Expr
      to?: Expr
      step?: Expr
      loc: Loc
    }
  | {
      k: 'apply'
      fn: Expr
      args: Expr[]
      named: Array<[string, Expr]>
      tailstrict: boolean
      loc: Loc
    }
  | { k: 'binary'; op: BinaryOp; left: Expr; right: Expr; loc: Loc }
  | { k: 'unary'; op: UnaryOp; expr: Expr; loc: Loc }
  | { k: 'if'; cond: Expr; then: Expr; else?: Expr; loc: Loc }
  | { k: 'function'; params: Param[]; body: Expr; name?: string; loc: Loc }
  | { k: 'local'; binds: Bind[]; body: Expr; loc: Loc }
  | { k: 'assert'; assert: AssertNode; rest: Expr; loc: Loc }
  | { k: 'error'; expr: Expr; loc: Loc }
  | { k: 'import'; kind: ImportKind; path: string; loc: Loc }
