// Operators and their precedence.
{
  arith: [1 + 2 * 3, (1 + 2) * 3, 7 / 2, 7 % 3, -7 % 3, 2 - 3 - 4, 10 / 4 / 5],
  bits: [5 & 3, 5 | 3, 5 ^ 3, ~5, 1 << 10, 1024 >> 3, -16 >> 2],
  logic: [true && false, true || error 'lazy', false && error 'lazy', !true],
  compare: [1 < 2, 2 <= 2, 3 > 4, 4 >= 4, 1 == 1.0, 'a' != 'b'],
  strings: ['a' + 'b', 'n=' + 1, 1 + 'x', 'x' + null, 'x' + [1, 'a'], 'x' + { a: true }],
  in_op: ['a' in { a: 1 }, 'h' in { h:: 1 }, 'z' in {}],
  unary: [-(-3), +4, !false],
  mod_format: 'Hello %s, you are %d' % ['Bob', 42],
  mod_single: 'n=%05.1f' % 3.14159,
  precedence: [1 + 2 < 4 && 'a' < 'b', 2 * 3 % 4, 1 | 2 ^ 3 & 4],
  numbers: [0.1, 1e3, 1.5e-3, 100000000000000000000, 0.1 + 0.2, 1 / 3, 123456789.123, -0.5],
  text_block: |||
    line one
      indented
    line three
  |||,
  verbatim: @'C:\path\n',
  escapes: "tab\tnewline\nquote\"unicode\u00e9\u263a",
}
