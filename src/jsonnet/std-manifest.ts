import { type Builtin, makeObject } from './std-support.js'
import { JArray, JObject, type Value } from './values.js'

/** One entry, written as a call so that the list reads one function a line. */
const manifestFn = (...entry: Builtin): Builtin => entry

/** Manifesting: JSON, YAML, Python, INI, XML and TOML text. */
export const MANIFEST_BUILTINS: Builtin[] = [
  manifestFn('manifestJsonEx', ['value', 'indent', 'newline?', 'key_val_sep?'], (args, a, cx) =>
    cx.manifest.jsonEx(
      args[0]!,
      a.str(args[1], 'indent'),
      args[2] === undefined ? '\n' : a.str(args[2], 'newline'),
      args[3] === undefined ? ': ' : a.str(args[3], 'key_val_sep')
    )
  ),
  manifestFn('manifestJson', ['value'], (args, _a, cx) =>
    cx.manifest.jsonEx(args[0]!, '    ', '\n', ': ')
  ),
  manifestFn('manifestJsonMinified', ['value'], (args, _a, cx) => cx.manifest.minified(args[0]!)),
  manifestFn(
    'manifestYamlDoc',
    ['value', 'indent_array_in_object?', 'quote_keys?'],
    (args, a, cx) =>
      cx.manifest.yaml(
        args[0]!,
        args[1] === undefined ? false : a.bool(args[1], 'indent_array_in_object'),
        args[2] === undefined ? true : a.bool(args[2], 'quote_keys')
      )
  ),
  manifestFn(
    'manifestYamlStream',
    ['value', 'indent_array_in_object?', 'c_document_end?', 'quote_keys?'],
    (args, a, cx) => {
      const docs = a.values(args[0], 'value')
      const indent = args[1] === undefined ? false : a.bool(args[1], 'indent_array_in_object')
      const end = args[2] === undefined ? true : a.bool(args[2], 'c_document_end')
      const quote = args[3] === undefined ? true : a.bool(args[3], 'quote_keys')
      return `---\n${docs.map((d) => cx.manifest.yaml(d, indent, quote)).join('\n---\n')}${end ? '\n...\n' : '\n'}`
    }
  ),
  manifestFn('manifestPython', ['v'], (args, _a, cx) => cx.manifest.python(args[0]!)),
  manifestFn('manifestPythonVars', ['conf'], (args, a, cx) => {
    const o = a.obj(args[0], 'conf')
    return cx.core
      .fieldNames(o, false)
      .map((k) => `${k} = ${cx.manifest.python(cx.core.getField(o, k, a.loc))}\n`)
      .join('')
  }),
  manifestFn('manifestIni', ['ini'], (args, a, cx) => {
    const ini = a.obj(args[0], 'ini')
    const body = (v: Value): string[] => {
      const o = a.obj(v, 'each section')
      return cx.core.fieldNames(o, false).flatMap((k) => {
        const x = cx.core.getField(o, k, a.loc)
        const xs = x instanceof JArray ? x.items.map((i) => i.force()) : [x]
        return xs.map((y) => `${k} = ${cx.core.toText(y)}`)
      })
    }
    const main = cx.core.fields(ini).get('main') ? body(cx.core.getField(ini, 'main', a.loc)) : []
    const sectionsValue = cx.core.fields(ini).get('sections')
      ? cx.core.getField(ini, 'sections', a.loc)
      : makeObject([])
    const sections = a.obj(sectionsValue, 'ini.sections')
    const lines = cx.core
      .fieldNames(sections, false)
      .flatMap((k) => [`[${k}]`, ...body(cx.core.getField(sections, k, a.loc))])
    return [...main, ...lines, ''].join('\n')
  }),
  manifestFn('manifestXmlJsonml', ['value'], (args, a, cx) => {
    const walk = (v: Value): string => {
      if (typeof v === 'string') return v
      const items = a.values(v, 'each element')
      const tag = cx.core.toText(items[0] ?? null)
      const hasAttrs = items.length > 1 && items[1] instanceof JObject
      const attrs = hasAttrs ? (items[1] as JObject) : undefined
      const children = items.slice(hasAttrs ? 2 : 1)
      const attrText = attrs
        ? cx.core
            .fieldNames(attrs, false)
            .map((k) => ` ${k}="${cx.core.toText(cx.core.getField(attrs, k, a.loc))}"`)
            .join('')
        : ''
      return `<${tag}${attrText}>${children.map(walk).join('')}</${tag}>`
    }
    a.arr(args[0], 'value')
    return walk(args[0]!)
  }),
  manifestFn('manifestTomlEx', ['value', 'indent'], (args, a, cx) =>
    cx.manifest.toml(args[0]!, a.str(args[1], 'indent'))
  ),
  manifestFn('manifestToml', ['value'], (args, _a, cx) => cx.manifest.toml(args[0]!, '  '))
]
