import type { Loc } from './ast.js'
import { runtimeError } from './errors.js'
import { codepoints, sliceValue } from './primitives.js'
import { escapeJson } from './manifest.js'
import { type Builtin, makeArray } from './std-support.js'
import { JArray, typeOf, type Value } from './values.js'

const WHITESPACE = ' \t\n\f\r\u0085\u00a0'

function strip(s: string, chars: string, left: boolean, right: boolean): string {
  const cs = codepoints(s)
  const set = new Set(codepoints(chars))
  let start = 0
  let end = cs.length
  if (left) while (start < end && set.has(cs[start]!)) start++
  if (right) while (end > start && set.has(cs[end - 1]!)) end--
  return cs.slice(start, end).join('')
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase())
}

function splitLimit(s: string, c: string, maxSplits: number, fromRight: boolean, loc: Loc): Value {
  if (c === '') throw runtimeError(loc, 'std.split: the separator must not be empty')
  const parts = s.split(c)
  if (maxSplits < 0 || parts.length <= maxSplits + 1) return makeArray(parts)
  if (fromRight) {
    const keep = parts.length - maxSplits
    return makeArray([parts.slice(0, keep).join(c), ...parts.slice(keep)])
  }
  return makeArray([...parts.slice(0, maxSplits), parts.slice(maxSplits).join(c)])
}

/** Strings, formatting, and the host (ext vars, natives, trace). */
export const TEXT_BUILTINS: Builtin[] = [
  ['toString', ['a'], (args, _a, cx) => cx.core.toText(args[0]!)],
  [
    'codepoint',
    ['str'],
    (args, a) => {
      const s = a.str(args[0], 'str')
      if (codepoints(s).length !== 1)
        throw runtimeError(
          a.loc,
          `std.codepoint: expected a one-character string, got ${JSON.stringify(s)}`
        )
      return s.codePointAt(0)!
    }
  ],
  [
    'char',
    ['n'],
    (args, a) => {
      const n = a.num(args[0], 'n')
      if (n < 0 || n > 0x10ffff) throw runtimeError(a.loc, `std.char: invalid code point ${n}`)
      return String.fromCodePoint(Math.floor(n))
    }
  ],
  [
    'substr',
    ['str', 'from', 'len'],
    (args, a) => {
      const from = a.int(args[1], 'from')
      const len = a.int(args[2], 'len')
      if (from < 0 || len < 0)
        throw runtimeError(a.loc, 'std.substr: from and len must not be negative')
      return codepoints(a.str(args[0], 'str'))
        .slice(from, from + len)
        .join('')
    }
  ],
  [
    'findSubstr',
    ['pat', 'str'],
    (args, a) => {
      const pat = codepoints(a.str(args[0], 'pat'))
      const s = codepoints(a.str(args[1], 'str'))
      const out: number[] = []
      if (pat.length === 0) return makeArray(out)
      for (let i = 0; i + pat.length <= s.length; i++)
        if (pat.every((c, j) => s[i + j] === c)) out.push(i)
      return makeArray(out)
    }
  ],
  ['startsWith', ['a', 'b'], (args, a) => a.str(args[0], 'a').startsWith(a.str(args[1], 'b'))],
  ['endsWith', ['a', 'b'], (args, a) => a.str(args[0], 'a').endsWith(a.str(args[1], 'b'))],
  ...(
    [
      ['stripChars', true, true],
      ['lstripChars', true, false],
      ['rstripChars', false, true]
    ] as const
  ).map(([name, left, right]): Builtin => [
    name,
    ['str', 'chars'],
    (args, a) => strip(a.str(args[0], 'str'), a.str(args[1], 'chars'), left, right)
  ]),
  ['trim', ['str'], (args, a) => strip(a.str(args[0], 'str'), WHITESPACE, true, true)],
  [
    'split',
    ['str', 'c'],
    (args, a) => splitLimit(a.str(args[0], 'str'), a.str(args[1], 'c'), -1, false, a.loc)
  ],
  ...(['splitLimit', 'splitLimitR'] as const).map((name): Builtin => [
    name,
    ['str', 'c', 'maxsplits'],
    (args, a) =>
      splitLimit(
        a.str(args[0], 'str'),
        a.str(args[1], 'c'),
        a.int(args[2], 'maxsplits'),
        name === 'splitLimitR',
        a.loc
      )
  ]),
  [
    'strReplace',
    ['str', 'from', 'to'],
    (args, a) => {
      const from = a.str(args[1], 'from')
      if (from === '') throw runtimeError(a.loc, "std.strReplace: 'from' must not be empty")
      return a.str(args[0], 'str').split(from).join(a.str(args[2], 'to'))
    }
  ],
  [
    'asciiUpper',
    ['str'],
    (args, a) => a.str(args[0], 'str').replace(/[a-z]+/g, (m) => m.toUpperCase())
  ],
  ['asciiLower', ['str'], (args, a) => asciiLower(a.str(args[0], 'str'))],
  ['stringChars', ['str'], (args, a) => makeArray(codepoints(a.str(args[0], 'str')))],
  ['isEmpty', ['str'], (args, a) => a.str(args[0], 'str') === ''],
  [
    'equalsIgnoreCase',
    ['str1', 'str2'],
    (args, a) => asciiLower(a.str(args[0], 'str1')) === asciiLower(a.str(args[1], 'str2'))
  ],
  [
    'format',
    ['str', 'vals'],
    (args, a, cx) => cx.core.format(a.str(args[0], 'str'), args[1]!, a.loc)
  ],
  ...(['escapeStringJson', 'escapeStringPython'] as const).map((name): Builtin => [
    name,
    ['str'],
    (args, _a, cx) => escapeJson(typeof args[0] === 'string' ? args[0] : cx.core.toText(args[0]!))
  ]),
  [
    'escapeStringBash',
    ['str'],
    (args, _a, cx) => `'${cx.core.toText(args[0]!).split("'").join(`'"'"'`)}'`
  ],
  [
    'escapeStringDollars',
    ['str'],
    (args, _a, cx) => cx.core.toText(args[0]!).split('$').join('$$')
  ],
  ...(['escapeStringXml', 'escapeStringXML'] as const).map((name): Builtin => [
    name,
    ['str'],
    (args, _a, cx) =>
      cx.core
        .toText(args[0]!)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&apos;')
  ]),
  [
    'join',
    ['sep', 'arr'],
    (args, a) => {
      const sep = args[0]!
      const items = a.values(args[1], 'arr').filter((v) => v !== null)
      if (typeof sep === 'string')
        return items.map((v) => a.str(v, 'each element (joining with a string)')).join(sep)
      const sepItems = a.arr(sep, 'sep')
      return new JArray(
        items.flatMap((v, i) => [
          ...(i > 0 ? sepItems : []),
          ...a.arr(v, 'each element (joining with an array)')
        ])
      )
    }
  ],
  [
    'deepJoin',
    ['arr'],
    (args, a) => {
      const walk = (v: Value): string => {
        if (typeof v === 'string') return v
        if (v instanceof JArray) return v.items.map((i) => walk(i.force())).join('')
        throw runtimeError(a.loc, `std.deepJoin: expected strings or arrays, got ${typeOf(v)}`)
      }
      return walk(args[0]!)
    }
  ],
  [
    'lines',
    ['arr'],
    (args, a) =>
      a
        .values(args[0], 'arr')
        .filter((v) => v !== null)
        .map((v) => `${a.str(v, 'each element')}\n`)
        .join('')
  ],
  [
    'slice',
    ['indexable', 'index', 'end', 'step'],
    (args, a) => {
      const opt = (v: Value | undefined, p: string): number | undefined =>
        v === null || v === undefined ? undefined : a.num(v, p)
      return sliceValue(
        args[0]!,
        opt(args[1], 'index'),
        opt(args[2], 'end'),
        opt(args[3], 'step'),
        a.loc
      )
    }
  ],
  // ---- the host ----
  [
    'extVar',
    ['x'],
    (args, a, cx) => {
      const name = a.str(args[0], 'x')
      const value = cx.extVars.get(name)
      if (value === undefined) {
        const known = [...cx.extVars.keys()].join(', ') || 'none'
        throw runtimeError(a.loc, `undefined external variable: ${name} (defined: ${known})`)
      }
      return value
    }
  ],
  [
    'native',
    ['name'],
    (args, a, cx) => {
      const name = a.str(args[0], 'name')
      const fn = cx.natives.get(name)
      if (!fn) {
        const known = [...cx.natives.keys()].map((k) => `'${k}'`).join(', ') || 'none'
        throw runtimeError(
          a.loc,
          `std.native: unknown native function '${name}'; the ones that exist are ${known}`
        )
      }
      return fn
    }
  ],
  [
    'trace',
    ['str', 'rest'],
    (args, a, cx) => {
      cx.trace(a.str(args[0], 'str'), a.loc)
      return args[1]!
    }
  ],
  [
    'assertEqual',
    ['a', 'b'],
    (args, a, cx) => {
      if (cx.core.equals(args[0]!, args[1]!)) return true
      throw runtimeError(
        a.loc,
        `Assertion failed. ${cx.core.toText(args[0]!)} != ${cx.core.toText(args[1]!)}`
      )
    }
  ],
  [
    'resolvePath',
    ['f', 'r'],
    (args, a) => {
      const f = a.str(args[0], 'f')
      const slash = f.lastIndexOf('/')
      return slash < 0 ? a.str(args[1], 'r') : f.slice(0, slash + 1) + a.str(args[1], 'r')
    }
  ]
]
