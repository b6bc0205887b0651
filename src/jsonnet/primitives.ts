import type { BinaryOp, Loc } from './ast.js'
import { runtimeError } from './errors.js'
import { JArray, typeOf, type Value } from './values.js'

/** Code point order (JavaScript's `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x < y ? -1 : 1
    if (x > 0xffff) i++
  }
  return a.length - b.length
}

/** A string's characters as Jsonnet counts them (code points). */
export function codepoints(s: string): string[] {
  return /[\uD800-\uDFFF]/.test(s) ? Array.from(s) : s.split('')
}

export function checkNumber(n: number, loc: Loc | undefined): number {
  if (!Number.isFinite(n)) throw runtimeError(loc, n !== n ? 'not a number' : 'overflow')
  return n
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** An operand of a bitwise operator: an integer the double represents exactly. */
export function bitwiseOperand(n: number, loc: Loc | undefined): bigint {
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER)
    throw runtimeError(loc, 'numeric value outside safe integer range for bitwise operation')
  return BigInt(Math.trunc(n))
}

export function bitwise(op: BinaryOp, a: number, b: number, loc: Loc | undefined): number {
  const x = bitwiseOperand(a, loc)
  const y = bitwiseOperand(b, loc)
  let r: bigint
  switch (op) {
    case '&':
      r = x & y
      break
    case '|':
      r = x | y
      break
    case '^':
      r = x ^ y
      break
    default:
      if (y < 0n) throw runtimeError(loc, 'shift by negative exponent')
      r = op === '<<' ? BigInt.asIntN(64, x << (y & 63n)) : x >> (y & 63n)
  }
  if (r > MAX_SAFE || r < -MAX_SAFE)
    throw runtimeError(loc, 'numeric value outside safe integer range for bitwise operation')
  return Number(r)
}

/** `target[from:to:step]` for arrays and strings. */
export function sliceValue(
  target: Value,
  from: number | undefined,
  to: number | undefined,
  step: number | undefined,
  loc: Loc | undefined
): Value {
  const s = step ?? 1
  if (s <= 0 || !Number.isInteger(s))
    throw runtimeError(loc, `slice step must be a positive integer, got ${s}`)
  const pick = <T>(items: T[]): T[] => {
    const len = items.length
    const start = Math.max(0, from === undefined ? 0 : from < 0 ? len + from : from)
    const end = Math.min(len, to === undefined ? len : to < 0 ? len + to : to)
    const out: T[] = []
    for (let i = start; i < end; i += s) out.push(items[i]!)
    return out
  }
  if (target instanceof JArray) return new JArray(pick(target.items))
  if (typeof target === 'string') return pick(codepoints(target)).join('')
  throw runtimeError(loc, `only arrays and strings can be sliced, got ${typeOf(target)}`)
}
