// Output formatting and less common corners.
{
  numbers: [1e-7, 1.5e300, -1e21, 1e21, 123456789012345678, 0.000001, 1 / 7, 2e-308, 4.9e-324, 255 / 256, -0.0],
  int_ops: [std.floor(1e15 + 0.5), 9007199254740991, -9007199254740991, 1 << 52, std.pow(2, 60)],
  strings: ['\u0000\u001f\u007f\u0080\u009f\u00a0', '"quoted" \\ back', 'tab\there', '😀 emoji', '\ud83d\ude00'],
  keys: { '': 'empty', ' ': 'space', '\n': 'newline', '😀': 'emoji', 'é': 'accent', Z: 1, a: 2, _: 3, '0': 4 },
  unicode_sort: std.sort(['b', 'a', 'é', 'z', 'Z', '😀', '\uffff', '0']),
  deep: { a: { b: { c: { d: { e: { f: [[[[[1]]]]] } } } } } },
  empty: { o: {}, a: [], s: '', n: null, nested: [{}, [], [[]], { x: {} }] },
  to_string: [std.toString(1e-7), std.toString(1 / 3), std.toString(1e21), '' + 0.5, '' + true],
  format_floats: ['%.3f' % (1 / 3), '%10.4e' % 123456, '%g' % 1e21, '%g' % 0.00001234, '%.10g' % 3.14159265358979, '%5.1f%%' % 99.44],
  format_ints: ['%d' % 1e15, '%x' % 4294967295, '%o' % 511, '%+05d' % 42, '%-6d|' % -7, '% 5d' % 3],
  string_ops: [std.substr('日本語テキスト', 2, 3), std.stringChars('añ😀'), std.length('añ😀'), std.asciiUpper('straße'), std.split('a:b::c', ':')],
  object_order: std.objectFields({ b: 1, a: 1, B: 1, A: 1, _b: 1, '1': 1, '10': 1, '2': 1 }),
  comparisons: [[] < [1], 'abc' < 'abd', 'Z' < 'a', '' < 'a', 1e-300 > 0],
  equality: [{ a: 1 } == { a: 1.0 }, [[]] == [[]], 'a' == 'a', 1 == 1.0000000000000001, {} == { h:: 1 }],
  lazy_object: { a: error 'hidden fields are never evaluated', b: 1 }.b,
  shadowing: local x = 1; local f(x) = x * 2; { x: x, fx: f(10), inner: local x = 3; x },
  self_in_array: { list: [self.n, self.n * 2], n: 5 },
  method_self: { n: 2, double():: self.n * 2, r: self.double() },
  string_multiply: std.join('', std.makeArray(3, function(i) std.toString(i))),
  text_block_indent: |||
    base
      deeper

    base again
  |||,
}
