local data = { a: [1, { b: 2 }], c: 'x\ny', d: {}, e: [], f: 'multi\nline\n', g: null, h: 1.5, 'k w': true, n: [[1, 2], []] };
{
  jsonEx: std.manifestJsonEx(data, '  '),
  jsonEx2: std.manifestJsonEx({ a: [1] }, '', ' ', ':'),
  json: std.manifestJson({ a: [1, 2], b: { c: null } }),
  minified: std.manifestJsonMinified(data),
  yaml: std.manifestYamlDoc(data),
  yaml_indent: std.manifestYamlDoc(data, true),
  yaml_stream: std.manifestYamlStream([1, { a: 'b' }, [1]]),
  yaml_stream2: std.manifestYamlStream([{ a: 1 }], false, false),
  python: std.manifestPython({ a: [true, false, null, 1, 'x'], b: { c: 1.5 } }),
  pythonVars: std.manifestPythonVars({ x: 1, y: 'z' }),
  ini: std.manifestIni({ main: { a: 1, b: 'x' }, sections: { s1: { c: [1, 2] }, s2: { d: true } } }),
  xml: std.manifestXmlJsonml(['svg', { height: 100 }, ['circle', { cx: 50, r: 40 }], 'text']),
  toml: std.manifestTomlEx({ a: 1, b: 'x', c: [1, 2], d: { e: true, f: { g: 1 } }, h: [{ i: 1 }, { j: 2 }], k: [[1], [2]], l: { m: [1] } }, '  '),
  toml2: std.manifestToml({ key: 'v', 'needs quote': 1, sub: {} }),
}
