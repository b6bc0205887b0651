import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { evaluateSnippet, JsonnetError } from '../../src/jsonnet/index.js'

function run(source: string): unknown {
  return evaluateSnippet(source, 'test.jsonnet').value
}

function failure(
  source: string,
  limits?: { maxStack?: number; maxSteps?: number; maxSize?: number }
): string {
  try {
    evaluateSnippet(source, 'test.jsonnet', limits ? { limits } : {})
  } catch (error) {
    if (error instanceof JsonnetError) return error.format()
    throw error
  }
  throw new Error('expected an error')
}

describe('Jsonnet language: values and literals', () => {
  it.each<[string, string, unknown]>([
    [
      'null, booleans, numbers',
      '[null, true, false, 0, -1.5, 1e3, 2E-2]',
      [null, true, false, 0, -1.5, 1000, 0.02]
    ],
    [
      'double and single quoted strings with escapes',
      `["a\\"b\\n\\t\\u00e9\\\\/", 'it\\'s']`,
      ['a"b\n\té\\/', "it's"]
    ],
    ['surrogate pairs in \\u escapes', '"\\ud83d\\ude00"', '😀'],
    ['verbatim strings', `[@'a''b\\n', @"c""d"]`, ["a'b\\n", 'c"d']],
    ['text blocks strip the first line indent', '|||\n  a\n    b\n\n  c\n|||', 'a\n  b\n\nc\n'],
    ['text blocks with |||- drop the final newline', '|||-\n  a\n|||', 'a'],
    ['comments of three kinds', '/* c */ 1 # c\n + // c\n 2', 3],
    ['trailing commas', '[1, 2,] + std.objectFields({a: 1,})', [1, 2, 'a']]
  ])('%s', (_name, source, expected) => {
    expect(run(source)).toEqual(expected)
  })
})

describe('Jsonnet language: operators', () => {
  it.each<[string, string, unknown]>([
    [
      'precedence of * over + and left associativity',
      '[1 + 2 * 3, 10 - 4 - 3, 2 * 3 % 4]',
      [7, 3, 2]
    ],
    [
      'bitwise operators on 64-bit integers',
      '[5 & 3, 5 | 3, 5 ^ 3, ~5, 1 << 40, -16 >> 2]',
      [1, 7, 6, -6, 1099511627776, -4]
    ],
    [
      'comparison of strings by code point and arrays by element',
      '["a" < "b", "é" > "z", [1, 2] < [1, 3], [1] < [1, 0]]',
      [true, true, true, true]
    ],
    [
      'equality is deep and ignores hidden fields',
      '[{a: [1]} == {a: [1], b:: 2}, [1] != [1, 2], null == null]',
      [true, true, true]
    ],
    ['&& and || short-circuit', "[false && error 'x', true || error 'x']", [false, true]],
    [
      '+ concatenates strings with any value',
      "['a' + 1, 1 + 'b', 'c' + null, 'd' + [1, 'e'], 'f' + {g: {}}]",
      ['a1', '1b', 'cnull', 'd[1, "e"]', 'f{"g": { }}']
    ],
    [
      'in tests fields including hidden ones',
      "['a' in {a: 1}, 'h' in {h:: 1}, 'z' in {}]",
      [true, true, false]
    ],
    [
      '% formats strings and takes the remainder of numbers',
      "['%s-%d' % ['x', 2], 7 % 3, -7 % 3]",
      ['x-2', 1, -1]
    ],
    ['unary operators', '[-(1), +2, !true, -(-3)]', [-1, 2, false, 3]]
  ])('%s', (_name, source, expected) => {
    expect(run(source)).toEqual(expected)
  })
})

describe('Jsonnet language: locals, functions, conditionals', () => {
  it.each<[string, string, unknown]>([
    ['locals are recursive and mutually visible', 'local a = [1, b], b = 2; a', [1, 2]],
    [
      'function sugar, defaults that see other parameters, named arguments',
      'local f(a, b=a * 2, c=b + 1) = [a, b, c]; [f(1), f(1, c=0), f(b=5, a=2)]',
      [
        [1, 2, 3],
        [1, 2, 0],
        [2, 5, 6]
      ]
    ],
    ['closures capture their scope', 'local k = 3; local mul = function(x) x * k; mul(4)', 12],
    [
      'tailstrict calls run in constant stack',
      'local sum(n, acc) = if n == 0 then acc else sum(n - 1, acc + n) tailstrict; sum(100000, 0)',
      5000050000
    ],
    ['arguments are lazy', "local first(a, b) = a; first(1, error 'never')", 1],
    ['if without else is null', '[if false then 1, if true then 2]', [null, 2]],
    ['assert expressions pass through', "assert 1 < 2 : 'never'; 'ok'", 'ok'],
    ['std.length of a function is its arity', 'std.length(function(a, b=1) a)', 2]
  ])('%s', (_name, source, expected) => {
    expect(run(source)).toEqual(expected)
  })
})

describe('Jsonnet language: objects', () => {
  it.each<[string, string, unknown]>([
    ['self is late bound through inheritance', '({ a: self.b, b: 1 } + { b: 2 }).a', 2],
    ['super reaches the object on the left', '{ a: 1 } + { a: super.a + 10 }', { a: 11 }],
    [
      '+: merges with the inherited field, or sets it when there is none',
      '{ a: { b: 1 }, l: [1] } + { a+: { c: 2 }, l+: [2], n+: 3 }',
      { a: { b: 1, c: 2 }, l: [1, 2], n: 3 }
    ],
    [
      'nested +: on deep objects',
      '{ a: { b: { c: 1 } } } + { a+: { b+: { d: 2 } } }',
      { a: { b: { c: 1, d: 2 } } }
    ],
    ['$ is the outermost object', '{ x: 1, inner: { y: $.x + 1 } }', { x: 1, inner: { y: 2 } }],
    [
      ':: hides, ::: forces visible, : inherits visibility',
      '{ h:: 1, v: 2 } + { h: 3, v:: 4, w::: 5 }',
      { w: 5 }
    ],
    ['e { } is e + { }', '{ a: 1 } { b: self.a }', { a: 1, b: 1 }],
    ['object locals see self', '{ local double = self.a * 2, a: 2, b: double }', { a: 2, b: 4 }],
    ['computed field names; null names are left out', "{ ['k' + 1]: 1, [null]: 2 }", { k1: 1 }],
    ['methods', '{ f(x):: x + 1, r: self.f(1) }', { r: 2 }],
    [
      'in super',
      "{ a: 1 } + { has: 'a' in super, not: 'b' in super }",
      { a: 1, has: true, not: false }
    ],
    ['object asserts pass', "{ a: 2, assert self.a > 1 : 'too small' }", { a: 2 }],
    ['hidden fields are not manifested, but readable', '{ h:: { x: 1 }, r: self.h.x }', { r: 1 }],
    ['fields come out sorted', 'std.objectFields({ b: 1, a: 2, C: 3 })', ['C', 'a', 'b']]
  ])('%s', (_name, source, expected) => {
    expect(run(source)).toEqual(expected)
  })
})

describe('Jsonnet language: arrays and comprehensions', () => {
  it.each<[string, string, unknown]>([
    [
      'array comprehension with for, if and nested for',
      "[[x, y] for x in [1, 2, 3] if x != 2 for y in ['a']]",
      [
        [1, 'a'],
        [3, 'a']
      ]
    ],
    [
      'object comprehension with locals',
      '{ local v = x * 10, [std.toString(x)]: v for x in [1, 2] }',
      { 1: 10, 2: 20 }
    ],
    [
      'object comprehension with +:',
      "{ a: { x: 1 } } + { [k]+: { y: 2 } for k in ['a'] }",
      { a: { x: 1, y: 2 } }
    ],
    [
      'slices with steps and negative bounds',
      '[[1, 2, 3, 4, 5][1:4], [1, 2, 3, 4, 5][::2], [1, 2, 3][-2:], "abcdef"[1:5:2]]',
      [[2, 3, 4], [1, 3, 5], [2, 3], 'bd']
    ],
    ['indexing strings by code point', '"a😀b"[1]', '😀'],
    ['elements are lazy', "std.length([error 'a', error 'b'])", 2]
  ])('%s', (_name, source, expected) => {
    expect(run(source)).toEqual(expected)
  })
})

describe('Jsonnet language: imports relative to the importing file', () => {
  it('import, importstr, importbin and std.thisFile', () => {
    const cwd = path.resolve('__fixtures__/jsonnet')
    const source = readFileSync(path.join(cwd, 'imports/main.jsonnet'), 'utf8')
    const result = evaluateSnippet(source, 'imports/main.jsonnet', {}, cwd)
    expect(result.value).toEqual({
      greeting: 'hello main',
      text: 'hi\n',
      bytes: [104, 105, 10],
      file: 'imports/main.jsonnet',
      nested: {
        file: 'imports/sub/util.libsonnet',
        sibling: 'sibling next to util'
      }
    })
  })
})

describe('Jsonnet language: errors with file:line:column and the chain that led there', () => {
  it.each<[string, string, string]>([
    [
      'a syntax error',
      'local x = ; x',
      "test.jsonnet:1:11: syntax error: expected an expression, got ';'"
    ],
    [
      'an unterminated string',
      "{ a: 'open }",
      'test.jsonnet:1:6: syntax error: unterminated string'
    ],
    ['a duplicate field', '{ a: 1, a: 2 }', 'test.jsonnet:1:9: syntax error: duplicate field: a'],
    [
      'a text block without a newline',
      '||| a |||',
      'test.jsonnet:1:1: syntax error: text block syntax requires new line after |||'
    ],
    [
      'an unknown variable, even in a branch never evaluated',
      '{ a: if true then 1 else nope }',
      'test.jsonnet:1:26: static error: unknown variable: nope'
    ],
    [
      'an object local used in a field name, where it is not visible',
      "{ local k = 'a', [k]: 1 }",
      'test.jsonnet:1:19: static error: unknown variable: k'
    ],
    [
      'self outside of an object, even in a function called from one',
      'local f() = self.x; { x: 1, y: f() }',
      'test.jsonnet:1:13: static error: self used outside of an object'
    ],
    [
      'super outside of an object',
      'super.a',
      'test.jsonnet:1:1: static error: super used outside of an object'
    ],
    [
      'error with its message',
      "local f(x) = error 'bad ' + x;\nf('input')",
      'test.jsonnet:1:14: runtime error: bad input\n    at test.jsonnet:2:2 (function <f>)'
    ],
    [
      'a type error in an operator',
      '{ a: 1 } + 1',
      'test.jsonnet:1:10: runtime error: operator + cannot add object and number'
    ],
    [
      'a failed object assert',
      "{ a: 1, assert self.a > 1 : 'a must be more than 1' }",
      'test.jsonnet:1:9: runtime error: a must be more than 1\n    while rendering (the top level)'
    ],
    [
      'a missing field',
      '{ a: {}.b }',
      'test.jsonnet:1:8: runtime error: field does not exist: b\n    at test.jsonnet:1:3 (field a)\n    while rendering a'
    ],
    [
      'too many arguments',
      'local f(a) = a; f(1, 2)',
      'test.jsonnet:1:18: runtime error: too many arguments for f: it takes 1, got 2'
    ],
    [
      'a missing argument',
      'local f(a, b) = a; f(1)',
      'test.jsonnet:1:21: runtime error: missing argument b for f'
    ],
    [
      'an unknown named argument',
      'local f(a) = a; f(b=1)',
      'test.jsonnet:1:18: runtime error: function f has no parameter b'
    ],
    [
      'an index out of bounds',
      '[1, 2][5]',
      'test.jsonnet:1:7: runtime error: array index 5 out of bounds (length 2)'
    ],
    ['division by zero', '1 / 0', 'test.jsonnet:1:3: runtime error: division by zero'],
    [
      'a library function given the wrong type: at its call',
      "std.manifestTomlEx(function(x) x, '  ')",
      'test.jsonnet:1:19: runtime error: TOML body must be an object, got function'
    ],
    [
      'a library function failing on a value inside: at its call, in its field',
      '{ a: std.manifestToml({ b: null }) }',
      'test.jsonnet:1:22: runtime error: tried to manifest "null" at b\n    at test.jsonnet:1:3 (field a)\n    while rendering a'
    ],
    [
      'a bitwise operand beyond 2^53',
      '9007199254740992 << 1',
      'test.jsonnet:1:18: runtime error: numeric value outside safe integer range for bitwise operation'
    ],
    ['a negative shift', '1 >> -2', 'test.jsonnet:1:3: runtime error: shift by negative exponent'],
    [
      'a number literal that overflows',
      '1e309',
      'test.jsonnet:1:1: syntax error: number 1e309 overflows'
    ],
    [
      'a duplicate local',
      'local x = 1, x = 2; x',
      'test.jsonnet:1:14: syntax error: duplicate local var: x'
    ],
    [
      'a duplicate object local',
      '{ local x = 1, local x = 2 }',
      'test.jsonnet:1:22: syntax error: duplicate local var: x'
    ],
    [
      'a value that depends on itself',
      'local x = x + 1; x',
      'test.jsonnet:1:13: runtime error: infinite recursion: a value depends on itself'
    ],
    [
      'manifesting a function',
      '{ f: function(x) x }',
      'test.jsonnet:1:3: runtime error: a function cannot be turned into JSON (at f)'
    ],
    [
      'a wrong argument type to std',
      'std.substr(1, 0, 1)',
      'test.jsonnet:1:11: runtime error: std.substr: str must be a string, got number'
    ]
  ])('reports %s', (_name, source, expected) => {
    expect(failure(source)).toBe(expected)
  })

  it('bounds recursion depth, evaluation steps and sizes', () => {
    expect(failure('local f(n) = f(n + 1) + 1; f(0)', { maxStack: 20 })).toBe(
      'test.jsonnet:1:15: runtime error: max stack frames exceeded (20 nested calls): unbounded recursion?\n    at test.jsonnet:1:29 (function <f>)'
    )
    expect(failure('local f(n) = f(n + 1) tailstrict; f(0)', { maxSteps: 1000 })).toBe(
      'test.jsonnet:1:14: runtime error: evaluation exceeded 1000 steps; the definition is probably looping\n    at test.jsonnet:1:36 (function <f>)'
    )
    expect(failure("std.repeat('ab', 100)", { maxSize: 100 })).toBe(
      'test.jsonnet:1:11: runtime error: a string or array of 200 elements exceeds the limit of 100'
    )
    expect(failure('std.range(1, 1000)', { maxSize: 100 })).toBe(
      'test.jsonnet:1:10: runtime error: a string or array of 1000 elements exceeds the limit of 100'
    )
  })

  it('turns a JavaScript stack overflow into a Jsonnet error', () => {
    const deep = `${'['.repeat(20000)}1${']'.repeat(20000)}`
    expect(failure(deep)).toMatch(/max stack frames exceeded|nests too deeply/)
  })
})
