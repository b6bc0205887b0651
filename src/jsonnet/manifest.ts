import { runtimeError } from './errors.js'
import type { Core } from './evaluator.js'
import { JArray, JFunction, JObject, typeOf, type Value } from './values.js'

/** A number as Jsonnet prints it: integers in full, others with 17 significant digits. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return Object.is(n, -0) ? '-0' : BigInt(n).toString()
  return formatG17(n)
}

/** C's `%.17g`. */
function formatG17(n: number): string {
  const exp = Number(n.toExponential(16).split('e')[1])
  if (exp < -4 || exp >= 17) {
    const [mantissa, e] = n.toExponential(16).split('e') as [string, string]
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa
    const sign = e.startsWith('-') ? '-' : '+'
    return `${m}e${sign}${e.replace(/^[+-]/, '').padStart(2, '0')}`
  }
  return n
    .toFixed(16 - exp)
    .replace(/0+$/, '')
    .replace(/\.$/, '')
}

/** A JSON string literal as Jsonnet writes it (control characters and U+007F–U+009F escaped). */
export function escapeJson(s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const ch = s[i]!
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (ch === '\b') out += '\\b'
    else if (ch === '\f') out += '\\f'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\u${c.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return `${out}"`
}

/** Manifests values as JSON text in the shapes the reference implementation prints. */
export class Manifester {
  constructor(private readonly core: Core) {}

  private fieldsOf(obj: JObject): Array<[string, Value]> {
    this.core.ensureAsserts(obj)
    return this.core.fieldNames(obj, false).map((k) => [k, this.core.getField(obj, k, undefined)])
  }

  private scalar(v: Value, path: string): string | undefined {
    if (v === null) return 'null'
    if (v === true) return 'true'
    if (v === false) return 'false'
    if (typeof v === 'number') return formatNumber(v)
    if (typeof v === 'string') return escapeJson(v)
    if (v instanceof JFunction)
      throw runtimeError(undefined, `tried to manifest a function at ${path || 'the top level'}`)
    return undefined
  }

  /** The command line's output: 3-space indent, `[ ]` and `{ }` for empty containers. */
  pretty(v: Value, indent = '   ', cindent = '', path = ''): string {
    const s = this.scalar(v, path)
    if (s !== undefined) return s
    const inner = cindent + indent
    if (v instanceof JArray) {
      if (v.items.length === 0) return '[ ]'
      const parts = v.items.map(
        (item, i) => inner + this.pretty(item.force(), indent, inner, `${path}[${i}]`)
      )
      return `[\n${parts.join(',\n')}\n${cindent}]`
    }
    const fields = this.fieldsOf(v as JObject)
    if (fields.length === 0) return '{ }'
    const parts = fields.map(
      ([k, fv]) => `${inner}${escapeJson(k)}: ${this.pretty(fv, indent, inner, `${path}.${k}`)}`
    )
    return `{\n${parts.join(',\n')}\n${cindent}}`
  }

  /** One line, as `std.toString` and string concatenation show non-strings. */
  oneLine(v: Value, path = ''): string {
    const s = this.scalar(v, path)
    if (s !== undefined) return s
    if (v instanceof JArray) {
      if (v.items.length === 0) return '[ ]'
      return `[${v.items.map((item, i) => this.oneLine(item.force(), `${path}[${i}]`)).join(', ')}]`
    }
    const fields = this.fieldsOf(v as JObject)
    if (fields.length === 0) return '{ }'
    return `{${fields.map(([k, fv]) => `${escapeJson(k)}: ${this.oneLine(fv, `${path}.${k}`)}`).join(', ')}}`
  }

  /** `std.manifestJsonEx` (the library's algorithm: empty containers keep their newlines). */
  jsonEx(v: Value, indent: string, newline: string, sep: string, cindent = '', path = ''): string {
    const s = this.scalar(v, path)
    if (s !== undefined) return s
    const inner = cindent + indent
    if (v instanceof JArray) {
      const parts = v.items.map(
        (item, i) => inner + this.jsonEx(item.force(), indent, newline, sep, inner, `${path}[${i}]`)
      )
      return `[${newline}${parts.join(`,${newline}`)}${newline}${cindent}]`
    }
    const parts = this.fieldsOf(v as JObject).map(
      ([k, fv]) =>
        `${inner}${escapeJson(k)}${sep}${this.jsonEx(fv, indent, newline, sep, inner, `${path}.${k}`)}`
    )
    return `{${newline}${parts.join(`,${newline}`)}${newline}${cindent}}`
  }

  /** `std.manifestJsonMinified`. */
  minified(v: Value, path = ''): string {
    const s = this.scalar(v, path)
    if (s !== undefined) return s
    if (v instanceof JArray)
      return `[${v.items.map((item, i) => this.minified(item.force(), `${path}[${i}]`)).join(',')}]`
    return `{${this.fieldsOf(v as JObject)
      .map(([k, fv]) => `${escapeJson(k)}:${this.minified(fv, `${path}.${k}`)}`)
      .join(',')}}`
  }

  /** `std.manifestYamlDoc`. */
  yaml(
    v: Value,
    indentArrayInObject: boolean,
    quoteKeys: boolean,
    cindent = '',
    path = ''
  ): string {
    if (typeof v === 'string') {
      if (v === '') return '""'
      if (v.endsWith('\n')) {
        const lines = v.split('\n')
        return ['|', ...lines.slice(0, -1)].join(`\n${cindent}  `)
      }
      return escapeJson(v)
    }
    const s = this.scalar(v, path)
    if (s !== undefined) return s
    const nonEmpty = (x: Value): 'array' | 'object' | undefined =>
      x instanceof JArray && x.items.length > 0
        ? 'array'
        : x instanceof JObject && this.core.fieldNames(x, false).length > 0
          ? 'object'
          : undefined
    if (v instanceof JArray) {
      if (v.items.length === 0) return '[]'
      const parts = v.items.map((item, i) => {
        const x = item.force()
        const kind = nonEmpty(x)
        const newIndent = kind ? `${cindent}  ` : cindent
        const space = kind === 'array' ? `\n${newIndent}` : ' '
        return `-${space}${this.yaml(x, indentArrayInObject, quoteKeys, newIndent, `${path}[${i}]`)}`
      })
      return parts.join(`\n${cindent}`)
    }
    const fields = this.fieldsOf(v as JObject)
    if (fields.length === 0) return '{}'
    const lines = fields.map(([k, x]) => {
      const kind = nonEmpty(x)
      const newIndent =
        kind === 'array'
          ? indentArrayInObject
            ? `${cindent}  `
            : cindent
          : kind === 'object'
            ? `${cindent}  `
            : cindent
      const space = kind ? `\n${newIndent}` : ' '
      const key = quoteKeys || !bareYamlKey(k) ? escapeJson(k) : k
      return `${key}:${space}${this.yaml(x, indentArrayInObject, quoteKeys, newIndent, `${path}.${k}`)}`
    })
    return lines.join(`\n${cindent}`)
  }

  /** `std.manifestPython`. */
  python(v: Value): string {
    if (v === true) return 'True'
    if (v === false) return 'False'
    if (v === null) return 'None'
    if (v instanceof JArray) return `[${v.items.map((i) => this.python(i.force())).join(', ')}]`
    if (v instanceof JObject)
      return `{${this.fieldsOf(v)
        .map(([k, x]) => `${escapeJson(k)}: ${this.python(x)}`)
        .join(', ')}}`
    return this.scalar(v, '')!
  }

  /** `std.manifestTomlEx`. */
  toml(v: Value, indent: string): string {
    if (!(v instanceof JObject))
      throw runtimeError(undefined, `TOML body must be an object, got ${typeOf(v)}`)
    return this.tomlTable(v, [], '', indent)
  }

  private tomlValue(
    v: Value,
    inline: boolean,
    cindent: string,
    indent: string,
    path: string
  ): string {
    if (v === null) throw runtimeError(undefined, `tried to manifest "null" at ${path}`)
    if (typeof v === 'string') return escapeJson(v)
    if (v instanceof JArray) {
      if (v.items.length === 0) return '[]'
      const newIndent = inline ? '' : cindent + indent
      const sep = inline ? ' ' : '\n'
      const parts = v.items.map(
        (item, i) => newIndent + this.tomlValue(item.force(), true, '', indent, `${path}[${i}]`)
      )
      return `[${sep}${parts.join(`,${sep}`)}${sep}${inline ? '' : cindent}]`
    }
    if (v instanceof JObject) {
      const parts = this.fieldsOf(v).map(
        ([k, x]) => `${tomlKey(k)} = ${this.tomlValue(x, true, '', indent, `${path}.${k}`)}`
      )
      return `{ ${parts.join(', ')} }`
    }
    return this.scalar(v, path)!
  }

  private isSection(v: Value): boolean {
    return (
      v instanceof JObject ||
      (v instanceof JArray &&
        v.items.length > 0 &&
        v.items.every((i) => i.force() instanceof JObject))
    )
  }

  private tomlTable(v: JObject, path: string[], cindent: string, indent: string): string {
    const fields = this.fieldsOf(v)
    const kvp = fields
      .filter(([, x]) => !this.isSection(x))
      .map(([k, x]) => `${cindent}${tomlKey(k)} = ${this.tomlValue(x, false, cindent, indent, k)}`)
    const sections = [kvp.join('\n')]
    for (const [k, x] of fields) {
      if (!this.isSection(x)) continue
      const p = [...path, k]
      const header = p.map(tomlKey).join('.')
      if (x instanceof JObject) {
        const empty = this.core.fieldNames(x, false).length === 0
        sections.push(
          `${cindent}[${header}]${empty ? '' : '\n'}${this.tomlTable(x, p, cindent + indent, indent)}`
        )
      } else {
        const tables = (x as JArray).items.map((item) => {
          const t = item.force() as JObject
          const empty = this.core.fieldNames(t, false).length === 0
          return `${cindent}[[${header}]]${empty ? '' : '\n'}${this.tomlTable(t, p, cindent + indent, indent)}`
        })
        sections.push(tables.join('\n\n'))
      }
    }
    return sections.join('\n\n')
  }
}

function tomlKey(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : escapeJson(k)
}

const YAML_RESERVED = new Set(
  'y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL ~'.split(
    ' '
  )
)

/** Whether a key can be written unquoted in YAML (std.manifestYamlDoc with quote_keys=false). */
function bareYamlKey(k: string): boolean {
  if (YAML_RESERVED.has(k)) return false
  if (!/^[A-Za-z0-9_\-./]+$/.test(k)) return false
  // Keys that would read as numbers must stay quoted.
  return !/^[-+]?(?:\.[0-9]|[0-9])/.test(k)
}
