import { runtimeError } from './errors.js'
import { codepoints } from './primitives.js'
import { type Builtin, makeArray, makeObject, type StdContext } from './std-support.js'
import { JArray, JFunction, JObject, type Lazy, Ready, typeOf, type Value } from './values.js'

/** Objects' fields as [name, lazy value] (visible only unless `all`). */
function entries(cx: StdContext, o: JObject, all: boolean): Array<[string, Lazy]> {
  return cx.core
    .fieldNames(o, all)
    .map((k) => [k, { force: () => cx.core.getField(o, k, undefined) }])
}

function mergePatch(cx: StdContext, target: Value, patch: Value): Value {
  if (!(patch instanceof JObject)) return patch
  const t = target instanceof JObject ? target : undefined
  const out: Array<[string, Lazy]> = []
  const tFields = t ? cx.core.fieldNames(t, false) : []
  const pFields = cx.core.fieldNames(patch, false)
  const names = [...new Set([...tFields, ...pFields])].sort()
  for (const k of names) {
    const inPatch = pFields.includes(k)
    if (!inPatch) {
      out.push([k, new Ready(cx.core.getField(t!, k, undefined))])
      continue
    }
    const p = cx.core.getField(patch, k, undefined)
    if (p === null) continue
    const tv = t && tFields.includes(k) ? cx.core.getField(t, k, undefined) : null
    out.push([k, new Ready(mergePatch(cx, tv, p))])
  }
  return makeObject(out)
}

function prune(cx: StdContext, v: Value): Value {
  const empty = (x: Value): boolean =>
    x === null ||
    (x instanceof JArray && x.items.length === 0) ||
    (x instanceof JObject && cx.core.fieldNames(x, false).length === 0)
  if (v instanceof JArray) {
    return makeArray(v.items.map((i) => prune(cx, i.force())).filter((x) => !empty(x)))
  }
  if (v instanceof JObject) {
    const out: Array<[string, Lazy]> = []
    for (const k of cx.core.fieldNames(v, false)) {
      const x = prune(cx, cx.core.getField(v, k, undefined))
      if (!empty(x)) out.push([k, new Ready(x)])
    }
    return makeObject(out)
  }
  return v
}

const isType = (name: string, type: string): Builtin => [
  name,
  ['v'],
  (args) => typeOf(args[0]!) === type
]

/** Types, reflection and objects. */
export const OBJECT_BUILTINS: Builtin[] = [
  ['type', ['x'], (args) => typeOf(args[0]!)],
  ['isNull', ['v'], (args) => args[0] === null],
  isType('isArray', 'array'),
  isType('isBoolean', 'boolean'),
  isType('isFunction', 'function'),
  isType('isNumber', 'number'),
  isType('isObject', 'object'),
  isType('isString', 'string'),
  [
    'length',
    ['x'],
    (args, a, cx) => {
      const x = args[0]!
      if (typeof x === 'string') return codepoints(x).length
      if (x instanceof JArray) return x.items.length
      if (x instanceof JObject) return cx.core.fieldNames(x, false).length
      if (x instanceof JFunction) return x.params.length
      throw runtimeError(a.loc, `std.length: cannot take the length of ${typeOf(x)}`)
    }
  ],
  ...(['objectFields', 'objectFieldsAll'] as const).map((name): Builtin => [
    name,
    ['o'],
    (args, a, cx) => makeArray(cx.core.fieldNames(a.obj(args[0], 'o'), name === 'objectFieldsAll'))
  ]),
  [
    'objectHas',
    ['o', 'f'],
    (args, a, cx) => cx.core.fields(a.obj(args[0], 'o')).get(a.str(args[1], 'f')) === true
  ],
  [
    'objectHasAll',
    ['o', 'f'],
    (args, a, cx) => cx.core.fields(a.obj(args[0], 'o')).has(a.str(args[1], 'f'))
  ],
  ...(['objectValues', 'objectValuesAll'] as const).map((name): Builtin => [
    name,
    ['o'],
    (args, a, cx) =>
      new JArray(entries(cx, a.obj(args[0], 'o'), name === 'objectValuesAll').map((e) => e[1]))
  ]),
  ...(['objectKeysValues', 'objectKeysValuesAll'] as const).map((name): Builtin => [
    name,
    ['o'],
    (args, a, cx) =>
      new JArray(
        entries(cx, a.obj(args[0], 'o'), name === 'objectKeysValuesAll').map(
          ([k, v]) =>
            new Ready(
              makeObject([
                ['key', new Ready(k)],
                ['value', v]
              ])
            )
        )
      )
  ]),
  [
    'get',
    ['o', 'f', 'default?', 'inc_hidden?'],
    (args, a, cx) => {
      const o = a.obj(args[0], 'o')
      const f = a.str(args[1], 'f')
      const all = args[3] === undefined ? true : a.bool(args[3], 'inc_hidden')
      const visible = cx.core.fields(o).get(f)
      if (visible === undefined || (!all && !visible)) return args[2] ?? null
      return cx.core.getField(o, f, a.loc)
    }
  ],
  [
    'objectRemoveKey',
    ['obj', 'key'],
    (args, a, cx) => {
      const key = a.str(args[1], 'key')
      return makeObject(entries(cx, a.obj(args[0], 'obj'), false).filter(([k]) => k !== key))
    }
  ],
  [
    'mapWithKey',
    ['func', 'obj'],
    (args, a, cx) => {
      const f = a.fn(args[0], 'func')
      const o = a.obj(args[1], 'obj')
      return makeObject(
        cx.core
          .fieldNames(o, false)
          .map((k) => [
            k,
            { force: () => cx.core.callValues(f, [k, cx.core.getField(o, k, a.loc)], a.loc) }
          ])
      )
    }
  ],
  ['mergePatch', ['target', 'patch'], (args, _a, cx) => mergePatch(cx, args[0]!, args[1]!)],
  ['prune', ['a'], (args, _a, cx) => prune(cx, args[0]!)]
]
