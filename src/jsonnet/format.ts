import type { Loc } from './ast.js'
import { runtimeError } from './errors.js'
import { codepoints } from './primitives.js'
import { typeOf, type Value } from './values.js'

/**
 * `std.format` / the `%` operator, following the standard library's documented algorithm
 * (Python-style codes `%[(name)][flags][width][.precision]type`), including its floating point
 * rendering, so that output matches the reference implementation digit for digit.
 */
export interface FormatHelpers {
  toText(value: Value): string
  /** The items of an array value, or undefined when it is not an array. */
  arrayItems(value: Value): Value[] | undefined
  /** A field of an object value, or undefined when it is not an object. */
  field(value: Value, name: string, loc: Loc | undefined): Value | undefined
  isObject(value: Value): boolean
}

interface Code {
  name?: string
  alt: boolean
  zero: boolean
  left: boolean
  blank: boolean
  plus: boolean
  width: number | '*' | undefined
  prec: number | '*' | undefined
  type: string
  caps: boolean
}

function parseCodes(fmt: string, loc: Loc | undefined): Array<string | Code> {
  const out: Array<string | Code> = []
  let literal = ''
  let i = 0
  const cps = codepoints(fmt)
  while (i < cps.length) {
    const c = cps[i]!
    if (c !== '%') {
      literal += c
      i++
      continue
    }
    i++
    const code: Code = {
      alt: false,
      zero: false,
      left: false,
      blank: false,
      plus: false,
      width: undefined,
      prec: undefined,
      type: '',
      caps: false
    }
    if (cps[i] === '(') {
      const end = cps.indexOf(')', i)
      if (end < 0) throw runtimeError(loc, `truncated format code: ${fmt}`)
      code.name = cps.slice(i + 1, end).join('')
      i = end + 1
    }
    for (;;) {
      const f = cps[i]
      if (f === '#') code.alt = true
      else if (f === '0') code.zero = true
      else if (f === '-') code.left = true
      else if (f === ' ') code.blank = true
      else if (f === '+') code.plus = true
      else break
      i++
    }
    const number = (): number | '*' | undefined => {
      if (cps[i] === '*') {
        i++
        return '*'
      }
      let digits = ''
      while (cps[i] !== undefined && /[0-9]/.test(cps[i]!)) digits += cps[i++]
      return digits === '' ? undefined : Number(digits)
    }
    code.width = number()
    if (cps[i] === '.') {
      i++
      code.prec = number() ?? 0
    }
    while (cps[i] === 'h' || cps[i] === 'l' || cps[i] === 'L') i++
    const t = cps[i]
    if (t === undefined) throw runtimeError(loc, `truncated format code: ${fmt}`)
    i++
    const types: Record<string, [string, boolean]> = {
      d: ['d', false],
      i: ['d', false],
      u: ['d', false],
      o: ['o', false],
      x: ['x', false],
      X: ['x', true],
      e: ['e', false],
      E: ['e', true],
      f: ['f', false],
      F: ['f', true],
      g: ['g', false],
      G: ['g', true],
      c: ['c', false],
      s: ['s', false],
      r: ['s', false],
      '%': ['%', false]
    }
    const found = types[t]
    if (!found) throw runtimeError(loc, `unrecognised conversion type: ${t}`)
    code.type = found[0]
    code.caps = found[1]
    if (literal !== '') out.push(literal)
    literal = ''
    out.push(code)
  }
  if (literal !== '') out.push(literal)
  return out
}

function padLeft(s: string, width: number, ch: string): string {
  const len = codepoints(s).length
  return len >= width ? s : ch.repeat(width - len) + s
}

function padRight(s: string, width: number, ch: string): string {
  const len = codepoints(s).length
  return len >= width ? s : s + ch.repeat(width - len)
}

/** The digits of a whole number `mag` >= 0 in `radix`, from `numerals` ('0' for 0). */
function digitsOf(mag: number, radix: number, numerals: string): string {
  if (mag === 0) return '0'
  let digits = ''
  for (let n = mag; n !== 0; n = Math.floor(n / radix)) digits = numerals[n % radix]! + digits
  return digits
}

function renderInt(
  neg: boolean,
  mag: number,
  minChars: number,
  minDigits: number,
  blank: boolean,
  plus: boolean,
  radix: number,
  zeroPrefix: string
): string {
  const digits = mag === 0 ? '0' : zeroPrefix + digitsOf(mag, radix, '0123456789')
  const zp = minChars - (neg || blank || plus ? 1 : 0)
  const padded = padLeft(digits, Math.max(zp, minDigits), '0')
  return (neg ? '-' : plus ? '+' : blank ? ' ' : '') + padded
}

function renderHex(
  neg: boolean,
  mag: number,
  minChars: number,
  minDigits: number,
  code: Code
): string {
  const digits = digitsOf(mag, 16, code.caps ? '0123456789ABCDEF' : '0123456789abcdef')
  const zp = minChars - (neg || code.blank || code.plus ? 1 : 0) - (code.alt ? 2 : 0)
  const body =
    (code.alt ? (code.caps ? '0X' : '0x') : '') + padLeft(digits, Math.max(zp, minDigits), '0')
  return (neg ? '-' : code.plus ? '+' : code.blank ? ' ' : '') + body
}

function stripTrailingZeros(s: string): string {
  return s.replace(/0+$/, '')
}

function renderFloatDec(
  n: number,
  zeroPad: number,
  blank: boolean,
  plus: boolean,
  ensurePt: boolean,
  trailing: boolean,
  prec: number
): string {
  const denominator = Math.pow(10, prec)
  const numerator = Math.abs(n) * denominator + 0.5
  const whole = Math.floor(numerator / denominator)
  const frac = Math.floor(numerator) % denominator
  const dotSize = prec === 0 && !ensurePt ? 0 : 1
  const zp = zeroPad - prec - dotSize
  const str = renderInt(n < 0, whole, zp, 0, blank, plus, 10, '')
  if (prec === 0) return str + (ensurePt ? '.' : '')
  if (trailing || frac > 0) {
    const fracStr = renderInt(false, frac, prec, 0, false, false, 10, '')
    return `${str}.${trailing ? fracStr : stripTrailingZeros(fracStr)}`
  }
  return str
}

function exponentOf(n: number, loc: Loc | undefined): number {
  const e = Math.floor(Math.log(Math.abs(n)) / Math.log(10))
  if (!Number.isFinite(e)) throw runtimeError(loc, 'overflow')
  return e
}

function renderFloatSci(
  n: number,
  zeroPad: number,
  code: Code,
  trailing: boolean,
  prec: number,
  loc: Loc | undefined
): string {
  const exponent = n === 0 ? 0 : exponentOf(n, loc)
  const suffix =
    (code.caps ? 'E' : 'e') + renderInt(exponent < 0, Math.abs(exponent), 3, 0, false, true, 10, '')
  const mantissa =
    exponent === -324 ? (n * 10) / Math.pow(10, exponent + 1) : n / Math.pow(10, exponent)
  return (
    renderFloatDec(
      mantissa,
      zeroPad - suffix.length,
      code.blank,
      code.plus,
      code.alt,
      trailing,
      prec
    ) + suffix
  )
}

function formatOne(
  value: Value,
  code: Code,
  width: number,
  prec: number | undefined,
  h: FormatHelpers,
  loc: Loc | undefined
): string {
  const fpprec = prec ?? 6
  const iprec = prec ?? 0
  const zp = code.zero && !code.left ? width : 0
  const needNumber = (): number => {
    if (typeof value !== 'number')
      throw runtimeError(loc, `format %${code.type} needs a number, got ${typeOf(value)}`)
    return value
  }
  switch (code.type) {
    case 's':
      return h.toText(value)
    case 'd': {
      const n = needNumber()
      return renderInt(n <= -1, Math.floor(Math.abs(n)), zp, iprec, code.blank, code.plus, 10, '')
    }
    case 'o': {
      const n = needNumber()
      return renderInt(
        n <= -1,
        Math.floor(Math.abs(n)),
        zp,
        iprec,
        code.blank,
        code.plus,
        8,
        code.alt ? '0' : ''
      )
    }
    case 'x': {
      const n = needNumber()
      return renderHex(n <= -1, Math.floor(Math.abs(n)), zp, iprec, code)
    }
    case 'f':
      return renderFloatDec(needNumber(), zp, code.blank, code.plus, code.alt, true, fpprec)
    case 'e':
      return renderFloatSci(needNumber(), zp, code, true, fpprec, loc)
    case 'g': {
      const n = needNumber()
      const exponent = n === 0 ? 0 : exponentOf(n, loc)
      if (exponent < -4 || exponent >= fpprec)
        return renderFloatSci(n, zp, code, code.alt, fpprec - 1, loc)
      const before = Math.max(1, exponent + 1)
      return renderFloatDec(n, zp, code.blank, code.plus, code.alt, code.alt, fpprec - before)
    }
    case 'c':
      if (typeof value === 'number') return String.fromCodePoint(value)
      if (typeof value === 'string') {
        if (codepoints(value).length === 1) return value
        throw runtimeError(loc, `%c expected 1-sized string got: ${codepoints(value).length}`)
      }
      throw runtimeError(loc, `%c expected number / string, got: ${typeOf(value)}`)
    default:
      throw runtimeError(loc, `unknown format code: ${code.type}`)
  }
}

/** Formats `values` (an array, an object for `%(name)` codes, or one value) into `fmt`. */
export function formatString(
  fmt: string,
  values: Value,
  h: FormatHelpers,
  loc: Loc | undefined
): string {
  const codes = parseCodes(fmt, loc)
  let out = ''
  if (h.isObject(values)) {
    for (const code of codes) {
      if (typeof code === 'string') {
        out += code
        continue
      }
      if (code.type === '%') {
        out += pad('%', code)
        continue
      }
      if (code.name === undefined)
        throw runtimeError(loc, 'format with an object needs %(name) codes')
      if (code.width === '*' || code.prec === '*')
        throw runtimeError(loc, 'cannot use * width or precision in object-keyed format')
      const value = h.field(values, code.name, loc)!
      out += pad(formatOne(value, code, code.width ?? 0, code.prec, h, loc), code)
    }
    return out
  }
  const items = h.arrayItems(values) ?? [values]
  let next = 0
  const take = (): Value => {
    if (next >= items.length)
      throw runtimeError(loc, `Not enough values to format: ${items.length}`)
    return items[next++]!
  }
  for (const code of codes) {
    if (typeof code === 'string') {
      out += code
      continue
    }
    let width: number
    if (code.width === '*') {
      const w = take()
      if (typeof w !== 'number') throw runtimeError(loc, `* width needs a number, got ${typeOf(w)}`)
      width = w
    } else width = code.width ?? 0
    let prec: number | undefined
    if (code.prec === '*') {
      const p = take()
      if (typeof p !== 'number')
        throw runtimeError(loc, `* precision needs a number, got ${typeOf(p)}`)
      prec = p
    } else prec = code.prec
    // `%%` takes no value, but its width still pads it (as in the library's algorithm).
    const text = code.type === '%' ? '%' : formatOne(take(), code, width, prec, h, loc)
    out += pad(text, { ...code, width })
  }
  if (next < items.length)
    throw runtimeError(loc, `Too many values to format: ${items.length}, expected ${next}`)
  return out
}

function pad(s: string, code: Code): string {
  const width = typeof code.width === 'number' ? code.width : 0
  return code.left ? padRight(s, width, ' ') : padLeft(s, width, ' ')
}
