import { describe, expect, it } from '@jest/globals'
import { evaluateSnippet, JsonnetError, STD_FUNCTION_NAMES } from '../../src/jsonnet/index.js'

function run(source: string): unknown {
  return evaluateSnippet(source, 'std.jsonnet', { extVars: { appId: 'batch' } }).value
}

// One row (or more) per library function: [function, expression, expected value].
const CASES: Array<[string, string, unknown]> = [
  ['extVar', "std.extVar('appId')", 'batch'],
  [
    'type',
    '[std.type(null), std.type(1), std.type({}), std.type(std.type)]',
    ['null', 'number', 'object', 'function']
  ],
  ['isArray', '[std.isArray([]), std.isArray({})]', [true, false]],
  ['isBoolean', '[std.isBoolean(false), std.isBoolean(0)]', [true, false]],
  ['isFunction', '[std.isFunction(std.map), std.isFunction(1)]', [true, false]],
  ['isNumber', '[std.isNumber(1), std.isNumber("1")]', [true, false]],
  ['isObject', '[std.isObject({}), std.isObject([])]', [true, false]],
  ['isString', '[std.isString(""), std.isString(null)]', [true, false]],
  ['isNull', '[std.isNull(null), std.isNull(0)]', [true, false]],
  [
    'length',
    '[std.length("héllo"), std.length([1]), std.length({ a: 1, h:: 2 }), std.length(function(x) x)]',
    [5, 1, 1, 1]
  ],
  [
    'get',
    "[std.get({ a: 1 }, 'a'), std.get({}, 'a', 'dflt'), std.get({ h:: 1 }, 'h'), std.get({ h:: 1 }, 'h', 0, false)]",
    [1, 'dflt', 1, 0]
  ],
  ['objectHas', "[std.objectHas({ a: 1 }, 'a'), std.objectHas({ a:: 1 }, 'a')]", [true, false]],
  ['objectHasAll', "std.objectHasAll({ a:: 1 }, 'a')", true],
  ['objectFields', 'std.objectFields({ b: 1, a: 2, h:: 3 })', ['a', 'b']],
  ['objectFieldsAll', 'std.objectFieldsAll({ b: 1, h:: 3 })', ['b', 'h']],
  ['objectValues', 'std.objectValues({ b: 1, a: 2, h:: 3 })', [2, 1]],
  ['objectValuesAll', 'std.objectValuesAll({ b: 1, h:: 3 })', [1, 3]],
  ['objectKeysValues', 'std.objectKeysValues({ a: 1, h:: 2 })', [{ key: 'a', value: 1 }]],
  ['objectKeysValuesAll', 'std.objectKeysValuesAll({ h:: 2 })', [{ key: 'h', value: 2 }]],
  ['objectRemoveKey', "std.objectRemoveKey({ a: 1, b: 2 }, 'a')", { b: 2 }],
  [
    'prune',
    'std.prune({ a: null, b: [], c: {}, d: [null, 1, {}], e: { f: null }, g: 0 })',
    { d: [1], g: 0 }
  ],
  ['mapWithKey', "std.mapWithKey(function(k, v) k + v, { a: 'x' })", { a: 'ax' }],
  [
    'mergePatch',
    'std.mergePatch({ a: 1, b: { c: 2 } }, { a: null, b: { d: 3 } })',
    { b: { c: 2, d: 3 } }
  ],
  ['abs', 'std.abs(-2)', 2],
  ['sign', '[std.sign(-3), std.sign(0), std.sign(2)]', [-1, 0, 1]],
  ['max', 'std.max(1, 2)', 2],
  ['min', 'std.min(1, 2)', 1],
  ['pow', 'std.pow(2, 10)', 1024],
  ['exp', 'std.exp(0)', 1],
  ['log', 'std.log(1)', 0],
  ['log2', 'std.log2(8)', 3],
  ['log10', 'std.log10(1000)', 3],
  ['exponent', '[std.exponent(8), std.exponent(0.1)]', [4, -3]],
  ['mantissa', '[std.mantissa(8), std.mantissa(0)]', [0.5, 0]],
  ['floor', 'std.floor(-1.5)', -2],
  ['ceil', 'std.ceil(1.2)', 2],
  ['sqrt', 'std.sqrt(9)', 3],
  ['sin', 'std.sin(0)', 0],
  ['cos', 'std.cos(0)', 1],
  ['tan', 'std.tan(0)', 0],
  ['asin', 'std.asin(0)', 0],
  ['acos', 'std.acos(1)', 0],
  ['atan', 'std.atan(0)', 0],
  ['atan2', 'std.atan2(0, 1)', 0],
  ['hypot', 'std.hypot(3, 4)', 5],
  ['deg2rad', 'std.deg2rad(180) == std.pi', true],
  ['rad2deg', 'std.rad2deg(std.pi)', 180],
  ['round', '[std.round(2.5), std.round(-2.5), std.round(1.4)]', [3, -2, 1]],
  ['isEven', '[std.isEven(4), std.isEven(3)]', [true, false]],
  ['isOdd', '[std.isOdd(-3), std.isOdd(2)]', [true, false]],
  ['isInteger', '[std.isInteger(2), std.isInteger(2.5)]', [true, false]],
  ['isDecimal', '[std.isDecimal(2.5), std.isDecimal(2)]', [true, false]],
  ['clamp', '[std.clamp(-1, 0, 5), std.clamp(9, 0, 5), std.clamp(3, 0, 5)]', [0, 5, 3]],
  ['mod', "[std.mod(7, 3), std.mod('%s!', 'x')]", [1, 'x!']],
  ['modulo', 'std.modulo(-7, 3)', -1],
  [
    'toString',
    "[std.toString(1.5), std.toString('s'), std.toString([1, 'a'])]",
    ['1.5', 's', '[1, "a"]']
  ],
  ['codepoint', "std.codepoint('é')", 233],
  ['char', 'std.char(128512)', '😀'],
  ['substr', "std.substr('héllo', 1, 3)", 'éll'],
  ['findSubstr', "std.findSubstr('aa', 'aaaa')", [0, 1, 2]],
  ['startsWith', "std.startsWith('hello', 'he')", true],
  ['endsWith', "std.endsWith('hello', 'he')", false],
  ['stripChars', "std.stripChars('xxaxx', 'x')", 'a'],
  ['lstripChars', "std.lstripChars('xxaxx', 'x')", 'axx'],
  ['rstripChars', "std.rstripChars('xxaxx', 'x')", 'xxa'],
  ['trim', "std.trim(' \\t a b \\n')", 'a b'],
  ['split', "std.split('a,b,,c', ',')", ['a', 'b', '', 'c']],
  ['splitLimit', "std.splitLimit('a,b,c', ',', 1)", ['a', 'b,c']],
  ['splitLimitR', "std.splitLimitR('a,b,c', ',', 1)", ['a,b', 'c']],
  ['strReplace', "std.strReplace('a-b-c', '-', '+')", 'a+b+c'],
  ['asciiUpper', "std.asciiUpper('abé')", 'ABé'],
  ['asciiLower', "std.asciiLower('ABÉ')", 'abÉ'],
  ['stringChars', "std.stringChars('a😀')", ['a', '😀']],
  ['isEmpty', "[std.isEmpty(''), std.isEmpty('a')]", [true, false]],
  ['equalsIgnoreCase', "std.equalsIgnoreCase('AbC', 'aBc')", true],
  ['format', "std.format('%s=%05.2f %(x)s', ['pi', 3.14159, ''])", null],
  ['escapeStringJson', "std.escapeStringJson('a\"b\\n')", '"a\\"b\\n"'],
  ['escapeStringPython', "std.escapeStringPython('q\"')", '"q\\""'],
  ['escapeStringBash', 'std.escapeStringBash("it\'s")', "'it'\"'\"'s'"],
  ['escapeStringDollars', "std.escapeStringDollars('$x')", '$$x'],
  [
    'escapeStringXml',
    "std.escapeStringXml('<a href=\"x\">&\\'</a>')",
    '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;'
  ],
  ['escapeStringXML', "std.escapeStringXML('<&>')", '&lt;&amp;&gt;'],
  ['join', "[std.join(', ', ['a', null, 'b']), std.join([0], [[1], [2]])]", ['a, b', [1, 0, 2]]],
  ['deepJoin', "std.deepJoin(['a', ['b', ['c']]])", 'abc'],
  ['lines', "std.lines(['a', 'b'])", 'a\nb\n'],
  ['slice', "[std.slice([1, 2, 3, 4], 1, null, 2), std.slice('abcd', 0, 2, null)]", [[2, 4], 'ab']],
  ['parseInt', "std.parseInt('-42')", -42],
  ['parseOctal', "std.parseOctal('755')", 493],
  ['parseHex', "std.parseHex('fF')", 255],
  ['parseJson', 'std.parseJson(\'{"a": [1, null]}\')', { a: [1, null] }],
  ['parseYaml', "std.parseYaml('a: [1, x]\\nb: {c: true}')", { a: [1, 'x'], b: { c: true } }],
  ['encodeUTF8', "std.encodeUTF8('é')", [195, 169]],
  ['decodeUTF8', 'std.decodeUTF8([195, 169])', 'é'],
  ['base64', "[std.base64('hi'), std.base64([0, 255])]", ['aGk=', 'AP8=']],
  ['base64Decode', "std.base64Decode('aGk=')", 'hi'],
  ['base64DecodeBytes', "std.base64DecodeBytes('AP8=')", [0, 255]],
  ['md5', "std.md5('')", 'd41d8cd98f00b204e9800998ecf8427e'],
  ['sha1', "std.sha1('')", 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
  ['sha256', "std.sha256('')", 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  [
    'sha512',
    "std.sha512('')",
    'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e'
  ],
  [
    'sha3',
    "std.sha3('')",
    'a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a615b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26'
  ],
  [
    'manifestJsonEx',
    "std.manifestJsonEx({ a: [1], b: {} }, '  ')",
    '{\n  "a": [\n    1\n  ],\n  "b": {\n\n  }\n}'
  ],
  ['manifestJson', 'std.manifestJson({ a: 1 })', '{\n    "a": 1\n}'],
  ['manifestJsonMinified', 'std.manifestJsonMinified({ a: [1, 2] })', '{"a":[1,2]}'],
  [
    'manifestYamlDoc',
    "std.manifestYamlDoc({ a: [1, { b: 'x' }], c: 'l1\\nl2\\n' })",
    '"a":\n- 1\n- "b": "x"\n"c": |\n  l1\n  l2'
  ],
  [
    'manifestYamlDoc',
    "std.manifestYamlDoc({ a: [1], 'b c': 2, yes: 3 }, true, false)",
    'a:\n  - 1\n"b c": 2\n"yes": 3'
  ],
  ['manifestYamlStream', 'std.manifestYamlStream([1, { a: 2 }])', '---\n1\n---\n"a": 2\n...\n'],
  ['manifestPython', "std.manifestPython({ a: [true, null, 'x'] })", '{"a": [True, None, "x"]}'],
  ['manifestPythonVars', 'std.manifestPythonVars({ x: 1 })', 'x = 1\n'],
  [
    'manifestIni',
    'std.manifestIni({ main: { a: 1 }, sections: { s: { b: [1, 2] } } })',
    'a = 1\n[s]\nb = 1\nb = 2\n'
  ],
  [
    'manifestXmlJsonml',
    "std.manifestXmlJsonml(['a', { href: 'x' }, ['b'], 'text'])",
    '<a href="x"><b></b>text</a>'
  ],
  [
    'manifestTomlEx',
    "std.manifestTomlEx({ a: 1, t: { b: 'x' } }, '  ')",
    'a = 1\n\n[t]\n  b = "x"'
  ],
  ['manifestToml', "std.manifestToml({ 'a b': [1] })", '"a b" = [\n  1\n]'],
  ['makeArray', 'std.makeArray(3, function(i) i * 2)', [0, 2, 4]],
  ['range', 'std.range(2, 4)', [2, 3, 4]],
  ['repeat', "[std.repeat('ab', 2), std.repeat([1], 2)]", ['abab', [1, 1]]],
  ['member', "[std.member([1, 2], 2), std.member('abc', 'b')]", [true, true]],
  ['contains', 'std.contains([1, 2], 3)', false],
  ['count', 'std.count([1, 2, 1], 1)', 2],
  ['find', 'std.find(1, [1, 2, 1])', [0, 2]],
  [
    'map',
    "[std.map(function(x) x * 2, [1, 2]), std.map(std.asciiUpper, 'ab')]",
    [
      [2, 4],
      ['A', 'B']
    ]
  ],
  ['mapWithIndex', 'std.mapWithIndex(function(i, x) i * x, [5, 6])', [0, 6]],
  ['filter', 'std.filter(function(x) x > 1, [1, 2, 3])', [2, 3]],
  ['filterMap', 'std.filterMap(function(x) x > 1, function(x) x * 10, [1, 2])', [20]],
  [
    'flatMap',
    "[std.flatMap(function(x) [x, x], [1, 2]), std.flatMap(function(c) c + c, 'ab')]",
    [[1, 1, 2, 2], 'aabb']
  ],
  ['foldl', 'std.foldl(function(acc, x) acc + [x], [1, 2], [0])', [0, 1, 2]],
  ['foldr', 'std.foldr(function(x, acc) acc + [x], [1, 2], [0])', [0, 2, 1]],
  ['reverse', 'std.reverse([1, 2, 3])', [3, 2, 1]],
  ['flattenArrays', 'std.flattenArrays([[1], [], [2, 3]])', [1, 2, 3]],
  ['flattenDeepArray', 'std.flattenDeepArray([1, [2, [3]]])', [1, 2, 3]],
  ['remove', 'std.remove([1, 2, 1], 1)', [2, 1]],
  ['removeAt', 'std.removeAt([1, 2, 3], 1)', [1, 3]],
  [
    'sort',
    "[std.sort([3, 1, 2]), std.sort(['b', 'a']), std.sort([{ n: 2 }, { n: 1 }], keyF=function(o) o.n)]",
    [
      [1, 2, 3],
      ['a', 'b'],
      [{ n: 1 }, { n: 2 }]
    ]
  ],
  ['uniq', 'std.uniq([1, 1, 2, 1])', [1, 2, 1]],
  ['set', 'std.set([3, 1, 3, 2])', [1, 2, 3]],
  ['setInter', 'std.setInter([1, 2, 3], [2, 3, 4])', [2, 3]],
  ['setUnion', 'std.setUnion([1, 3], [2, 3])', [1, 2, 3]],
  ['setDiff', 'std.setDiff([1, 2, 3], [2])', [1, 3]],
  ['setMember', '[std.setMember(2, [1, 2, 3]), std.setMember(4, [1, 2, 3])]', [true, false]],
  ['all', '[std.all([true, true]), std.all([true, false]), std.all([])]', [true, false, true]],
  ['any', '[std.any([false, true]), std.any([])]', [true, false]],
  ['sum', 'std.sum([1, 2, 3])', 6],
  ['avg', 'std.avg([1, 2, 3, 4])', 2.5],
  ['minArray', "[std.minArray([3, 1, 2]), std.minArray([], onEmpty='none')]", [1, 'none']],
  ['maxArray', 'std.maxArray([{ n: 1 }, { n: 3 }], keyF=function(o) o.n)', { n: 3 }],
  ['xor', 'std.xor(true, false)', true],
  ['xnor', 'std.xnor(true, false)', false],
  ['equals', 'std.equals({ a: [1] }, { a: [1] })', true],
  ['primitiveEquals', "std.primitiveEquals('a', 'a')", true],
  ['assertEqual', 'std.assertEqual([1], [1])', true],
  ['trace', "std.trace('message', 'value')", 'value'],
  ['id', 'std.id(4)', 4],
  ['resolvePath', "std.resolvePath('a/b.jsonnet', 'c.libsonnet')", 'a/c.libsonnet'],
  ['native', "std.isFunction(std.native('double'))", true]
]

describe('the standard library: every function', () => {
  it.each(CASES)('std.%s: %s', (_name, source, expected) => {
    const value = evaluateSnippet(source, 'std.jsonnet', {
      extVars: { appId: 'batch' },
      natives: { double: { params: ['x'], call: ([x]) => (x as number) * 2 } }
    }).value
    if (expected !== null) expect(value).toEqual(expected)
    else expect(value).toBe('pi=03.14 ')
  })

  it('has a case for every function it provides', () => {
    const tested = new Set(CASES.map(([name]) => name))
    expect(STD_FUNCTION_NAMES.filter((name) => !tested.has(name))).toEqual([])
  })

  it('hides its fields and gives std.thisFile and std.pi', () => {
    expect(run('[std, std.thisFile, std.pi > 3.14]')).toEqual([{}, 'std.jsonnet', true])
  })

  it('calls native functions with JSON values', () => {
    const result = evaluateSnippet("std.native('double')(21)", 'n.jsonnet', {
      natives: { double: { params: ['x'], call: ([x]) => (x as number) * 2 } }
    })
    expect(result.value).toBe(42)
  })

  it('sends std.trace to the host', () => {
    const lines: string[] = []
    evaluateSnippet("std.trace('hello', 1)", 't.jsonnet', { trace: (m) => lines.push(m) })
    expect(lines).toEqual(['TRACE: t.jsonnet:1 hello'])
  })

  it.each([
    [
      "std.extVar('nope')",
      'std.jsonnet:1:11: runtime error: undefined external variable: nope (defined: appId)'
    ],
    [
      "std.parseInt('x1')",
      'std.jsonnet:1:13: runtime error: std.parseInt: "x1" is not a base 10 integer'
    ],
    ["std.assertEqual(1, 'a')", 'std.jsonnet:1:16: runtime error: Assertion failed. 1 != a'],
    ["'%d' % ['x']", 'std.jsonnet:1:6: runtime error: format %d needs a number, got string'],
    ["'%s %s' % ['x']", 'std.jsonnet:1:9: runtime error: Not enough values to format: 1'],
    [
      "'%s' % ['x', 'y']",
      'std.jsonnet:1:6: runtime error: Too many values to format: 2, expected 1'
    ],
    [
      'std.filter(function(x) 1, [1])',
      'std.jsonnet:1:11: runtime error: std.filter: the function must return a boolean, got number'
    ],
    [
      'std.avg([])',
      'std.jsonnet:1:8: runtime error: std.avg: cannot take the average of an empty array'
    ]
  ])('reports %s', (source, expected) => {
    let message = ''
    try {
      run(source)
    } catch (error) {
      message = error instanceof JsonnetError ? error.format() : String(error)
    }
    expect(message).toBe(expected)
  })
})
