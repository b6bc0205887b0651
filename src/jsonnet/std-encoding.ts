import { createHash } from 'node:crypto'
import { CORE_SCHEMA, loadAll } from 'js-yaml'
import type { Loc } from './ast.js'
import { runtimeError } from './errors.js'
import { codepoints } from './primitives.js'
import { Args, type Builtin, makeArray, makeObject } from './std-support.js'
import { Ready, type Value } from './values.js'

/** Plain JSON-like data (parsed JSON or YAML) as a Jsonnet value. */
export function fromPlain(data: unknown, loc: Loc): Value {
  if (data === null || data === undefined) return null
  if (typeof data === 'string' || typeof data === 'boolean') return data
  if (typeof data === 'number') return data
  if (typeof data === 'bigint') return Number(data)
  if (data instanceof Date) return data.toISOString()
  if (Array.isArray(data)) return makeArray(data.map((d) => fromPlain(d, loc)))
  if (typeof data === 'object')
    return makeObject(
      Object.entries(data as Record<string, unknown>).map(([k, v]) => [
        k,
        new Ready(fromPlain(v, loc))
      ])
    )
  throw runtimeError(loc, `cannot convert ${typeof data} to a Jsonnet value`)
}

function bytesOf(a: Args, v: Value | undefined, param: string): Uint8Array {
  if (typeof v === 'string') {
    return Uint8Array.from(codepoints(v), (c) => {
      const n = c.codePointAt(0)!
      if (n > 255)
        throw runtimeError(a.loc, `std.${a.fname}: ${param} has a code point above 255 (${n})`)
      return n
    })
  }
  return Uint8Array.from(a.values(v, param), (b) => {
    const n = a.int(b, 'each byte')
    if (n < 0 || n > 255)
      throw runtimeError(a.loc, `std.${a.fname}: ${param} has a value that is not a byte: ${n}`)
    return n
  })
}

function parseBase(name: string, radix: number, pattern: RegExp): Builtin {
  return [
    name,
    ['str'],
    (args, a) => {
      const s = a.str(args[0], 'str')
      if (!pattern.test(s))
        throw runtimeError(
          a.loc,
          `std.${name}: ${JSON.stringify(s)} is not a base ${radix} integer`
        )
      const neg = s.startsWith('-')
      let n = 0
      for (const c of neg ? s.slice(1) : s) n = n * radix + parseInt(c, radix)
      return neg ? -n : n
    }
  ]
}

const hash = (name: string, algorithm: string): Builtin => [
  name,
  ['s'],
  (args, a) => createHash(algorithm).update(a.str(args[0], 's'), 'utf8').digest('hex')
]

/** Parsing (numbers, JSON, YAML), UTF-8, base64 and hashes. */
export const ENCODING_BUILTINS: Builtin[] = [
  parseBase('parseInt', 10, /^-?[0-9]+$/),
  parseBase('parseOctal', 8, /^[0-7]+$/),
  parseBase('parseHex', 16, /^[0-9a-fA-F]+$/),
  [
    'parseJson',
    ['str'],
    (args, a) => {
      const s = a.str(args[0], 'str')
      let data: unknown
      try {
        data = JSON.parse(s)
      } catch (error) {
        throw runtimeError(a.loc, `std.parseJson: invalid JSON: ${(error as Error).message}`)
      }
      return fromPlain(data, a.loc)
    }
  ],
  [
    'parseYaml',
    ['str'],
    (args, a) => {
      const s = a.str(args[0], 'str')
      let docs: unknown[]
      try {
        docs = loadAll(s, { schema: CORE_SCHEMA })
      } catch (error) {
        throw runtimeError(a.loc, `std.parseYaml: invalid YAML: ${(error as Error).message}`)
      }
      return fromPlain(docs.length === 1 ? docs[0] : docs, a.loc)
    }
  ],
  ['encodeUTF8', ['str'], (args, a) => makeArray([...Buffer.from(a.str(args[0], 'str'), 'utf8')])],
  ['decodeUTF8', ['arr'], (args, a) => Buffer.from(bytesOf(a, args[0], 'arr')).toString('utf8')],
  ['base64', ['input'], (args, a) => Buffer.from(bytesOf(a, args[0], 'input')).toString('base64')],
  ['base64DecodeBytes', ['str'], (args, a) => makeArray([...decodeBase64(a, args[0])])],
  ['base64Decode', ['str'], (args, a) => String.fromCharCode(...decodeBase64(a, args[0]))],
  hash('md5', 'md5'),
  hash('sha1', 'sha1'),
  hash('sha256', 'sha256'),
  hash('sha512', 'sha512'),
  hash('sha3', 'sha3-512')
]

function decodeBase64(a: Args, v: Value | undefined): number[] {
  const s = a.str(v, 'str')
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s))
    throw runtimeError(
      a.loc,
      `std.${a.fname}: not valid base64 (length a multiple of 4, characters A-Z a-z 0-9 + / =)`
    )
  return [...Buffer.from(s, 'base64')]
}
