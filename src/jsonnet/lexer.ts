import type { Loc } from './ast.js'
import { syntaxError } from './errors.js'

/** A token of Jsonnet source. `value` is the decoded text of strings and the spelling otherwise. */
export interface Token {
  kind: 'id' | 'keyword' | 'number' | 'string' | 'op' | 'eof'
  value: string
  loc: Loc
}

const KEYWORDS = new Set([
  'assert',
  'else',
  'error',
  'false',
  'for',
  'function',
  'if',
  'import',
  'importstr',
  'importbin',
  'in',
  'local',
  'null',
  'tailstrict',
  'then',
  'self',
  'super',
  'true'
])

// Longest first, so that `::` is not read as two `:`.
const OPERATORS = [
  ':::',
  '::',
  '==',
  '!=',
  '<=',
  '>=',
  '<<',
  '>>',
  '&&',
  '||',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ',',
  '.',
  ';',
  ':',
  '=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '~',
  '<',
  '>',
  '&',
  '|',
  '^',
  '$'
]

/** Splits Jsonnet source into tokens (the lexical rules of the language specification). */
export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = []
  let pos = 0
  let line = 1
  let lineStart = 0
  const locAt = (at: number): Loc => ({ file, line, col: at - lineStart + 1 })
  const newline = (at: number): void => {
    line++
    lineStart = at + 1
  }
  const n = source.length
  while (pos < n) {
    const c = source[pos]!
    if (c === '\n') {
      newline(pos)
      pos++
      continue
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      pos++
      continue
    }
    if (c === '#' || (c === '/' && source[pos + 1] === '/')) {
      while (pos < n && source[pos] !== '\n') pos++
      continue
    }
    if (c === '/' && source[pos + 1] === '*') {
      const start = locAt(pos)
      const end = source.indexOf('*/', pos + 2)
      if (end < 0) throw syntaxError(start, 'unterminated comment')
      for (let i = pos; i < end; i++) if (source[i] === '\n') newline(i)
      pos = end + 2
      continue
    }
    const loc = locAt(pos)
    if (/[A-Za-z_]/.test(c)) {
      let end = pos + 1
      while (end < n && /[A-Za-z0-9_]/.test(source[end]!)) end++
      const word = source.slice(pos, end)
      tokens.push({ kind: KEYWORDS.has(word) ? 'keyword' : 'id', value: word, loc })
      pos = end
      continue
    }
    if (c >= '0' && c <= '9') {
      const match = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(
        source.slice(pos, pos + 400)
      )
      if (!match) throw syntaxError(loc, 'invalid number')
      tokens.push({ kind: 'number', value: match[0], loc })
      pos += match[0].length
      continue
    }
    if (c === '"' || c === "'") {
      const { value, end } = readQuoted(source, pos, c, loc)
      for (let i = pos; i < end; i++) if (source[i] === '\n') newline(i)
      tokens.push({ kind: 'string', value, loc })
      pos = end
      continue
    }
    if (c === '@' && (source[pos + 1] === '"' || source[pos + 1] === "'")) {
      const quote = source[pos + 1]!
      let value = ''
      let i = pos + 2
      for (;;) {
        if (i >= n) throw syntaxError(loc, 'unterminated string')
        const ch = source[i]!
        if (ch === quote) {
          if (source[i + 1] === quote) {
            value += quote
            i += 2
            continue
          }
          break
        }
        if (ch === '\n') newline(i)
        value += ch
        i++
      }
      tokens.push({ kind: 'string', value, loc })
      pos = i + 1
      continue
    }
    if (source.startsWith('|||', pos)) {
      const block = readTextBlock(source, pos, loc)
      for (let i = pos; i < block.end; i++) if (source[i] === '\n') newline(i)
      tokens.push({ kind: 'string', value: block.value, loc })
      pos = block.end
      continue
    }
    const op = OPERATORS.find((o) => source.startsWith(o, pos))
    if (!op) throw syntaxError(loc, `unexpected character ${JSON.stringify(c)}`)
    tokens.push({ kind: 'op', value: op, loc })
    pos += op.length
  }
  tokens.push({ kind: 'eof', value: '', loc: locAt(pos) })
  return tokens
}

function readQuoted(
  source: string,
  start: number,
  quote: string,
  loc: Loc
): { value: string; end: number } {
  let value = ''
  let i = start + 1
  for (;;) {
    if (i >= source.length) throw syntaxError(loc, 'unterminated string')
    const ch = source[i]!
    if (ch === quote) return { value, end: i + 1 }
    if (ch !== '\\') {
      value += ch
      i++
      continue
    }
    const esc = source[i + 1]
    i += 2
    switch (esc) {
      case '"':
      case "'":
      case '\\':
      case '/':
        value += esc
        break
      case 'b':
        value += '\b'
        break
      case 'f':
        value += '\f'
        break
      case 'n':
        value += '\n'
        break
      case 'r':
        value += '\r'
        break
      case 't':
        value += '\t'
        break
      case 'u': {
        const hex = source.slice(i, i + 4)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError(loc, 'invalid \\u escape in string')
        value += String.fromCharCode(parseInt(hex, 16))
        i += 4
        break
      }
      default:
        throw syntaxError(loc, `unknown escape \\${esc ?? ''} in string`)
    }
  }
}

/** A `|||` text block: the first line's indentation is stripped from every line. */
function readTextBlock(source: string, start: number, loc: Loc): { value: string; end: number } {
  let i = start + 3
  let chomp = false
  if (source[i] === '-') {
    chomp = true
    i++
  }
  while (source[i] === ' ' || source[i] === '\t' || source[i] === '\r') i++
  if (source[i] !== '\n') throw syntaxError(loc, 'text block syntax requires new line after |||')
  i++
  // Blank lines before the first line of text are kept as newlines.
  let value = ''
  while (source[i] === '\n') {
    value += '\n'
    i++
  }
  let indent = ''
  while (source[i] === ' ' || source[i] === '\t') indent += source[i++]
  if (indent === '') throw syntaxError(loc, 'text block first line must begin with whitespace')
  for (;;) {
    const eol = source.indexOf('\n', i)
    if (eol < 0) throw syntaxError(loc, 'unexpected end of file in text block')
    value += source.slice(i, eol + 1)
    i = eol + 1
    // Empty lines belong to the block whatever their indentation.
    while (source[i] === '\n') {
      value += '\n'
      i++
    }
    if (source.startsWith(indent, i)) {
      i += indent.length
      continue
    }
    let j = i
    while (source[j] === ' ' || source[j] === '\t') j++
    if (!source.startsWith('|||', j)) {
      throw syntaxError(loc, 'text block not terminated with |||')
    }
    if (chomp) value = value.replace(/\n$/, '')
    return { value, end: j + 3 }
  }
}
