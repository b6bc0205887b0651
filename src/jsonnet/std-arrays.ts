import { runtimeError } from './errors.js'
import { codepoints } from './primitives.js'
import { Args, type Builtin, LazyCall, makeArray, type StdContext } from './std-support.js'
import { JArray, type Lazy, Ready, typeOf, type Value } from './values.js'

function keyed(cx: StdContext, a: Args, keyF: Value | undefined): (v: Value) => Value {
  if (keyF === undefined) return (v) => v
  const f = a.fn(keyF, 'keyF')
  return (v) => cx.core.callValues(f, [v], a.loc)
}

/** Sorts by key (stable), comparing as the `<` operator does. */
function sortValues(cx: StdContext, a: Args, values: Value[], keyF: Value | undefined): Value[] {
  const key = keyed(cx, a, keyF)
  const keys = values.map((v) => key(v))
  const order = values.map((_, i) => i)
  order.sort((x, y) => cx.core.compare(keys[x]!, keys[y]!, a.loc))
  return order.map((i) => values[i]!)
}

function uniqValues(cx: StdContext, a: Args, values: Value[], keyF: Value | undefined): Value[] {
  const key = keyed(cx, a, keyF)
  const out: Value[] = []
  let lastKey: Value = null
  for (const v of values) {
    const k = key(v)
    if (out.length === 0 || !cx.core.equals(lastKey, k)) out.push(v)
    lastKey = k
  }
  return out
}

/** Arrays and sets. */
export const ARRAY_BUILTINS: Builtin[] = [
  [
    'makeArray',
    ['sz', 'func'],
    (args, a, cx) => {
      const n = a.int(args[0], 'sz')
      const f = a.fn(args[1], 'func')
      if (n < 0) throw runtimeError(a.loc, `std.makeArray: sz must be >= 0, got ${n}`)
      cx.core.checkSize(n, a.loc)
      return new JArray(
        Array.from({ length: Math.max(0, n) }, (_, i) => new LazyCall(cx.core, f, [i], a.loc))
      )
    }
  ],
  [
    'range',
    ['from', 'to'],
    (args, a, cx) => {
      const from = a.int(args[0], 'from')
      const to = a.int(args[1], 'to')
      cx.core.checkSize(to - from + 1, a.loc)
      return makeArray(Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i))
    }
  ],
  [
    'repeat',
    ['what', 'count'],
    (args, a, cx) => {
      const n = a.int(args[1], 'count')
      const what = args[0]!
      const unit =
        typeof what === 'string' ? what.length : what instanceof JArray ? what.items.length : 0
      cx.core.checkSize(unit * n, a.loc)
      if (typeof what === 'string') return what.repeat(Math.max(0, n))
      const items = a.arr(what, 'what')
      return new JArray(Array.from({ length: Math.max(0, n) }, () => items).flat())
    }
  ],
  ...(['map', 'mapWithIndex'] as const).map((name): Builtin => [
    name,
    ['func', 'arr'],
    (args, a, cx) => {
      const f = a.fn(args[0], 'func')
      const arr = args[1]!
      const items =
        typeof arr === 'string' ? codepoints(arr).map((c) => new Ready(c)) : a.arr(arr, 'arr')
      return new JArray(
        items.map((item, i) => {
          const fnArgs = name === 'map' ? [item.force()] : [i, item.force()]
          return new LazyCall(cx.core, f, fnArgs, a.loc)
        })
      )
    }
  ]),
  [
    'filter',
    ['func', 'arr'],
    (args, a, cx) => {
      const f = a.fn(args[0], 'func')
      return new JArray(
        a.arr(args[1], 'arr').filter((item) => {
          const keep = cx.core.callValues(f, [item.force()], a.loc)
          if (typeof keep !== 'boolean')
            throw runtimeError(
              a.loc,
              `std.filter: the function must return a boolean, got ${typeOf(keep)}`
            )
          return keep
        })
      )
    }
  ],
  [
    'filterMap',
    ['filter_func', 'map_func', 'arr'],
    (args, a, cx) => {
      const ff = a.fn(args[0], 'filter_func')
      const mf = a.fn(args[1], 'map_func')
      const kept = a
        .arr(args[2], 'arr')
        .filter((item) => cx.core.callValues(ff, [item.force()], a.loc) === true)
      return new JArray(kept.map((item) => new LazyCall(cx.core, mf, [item.force()], a.loc)))
    }
  ],
  [
    'flatMap',
    ['func', 'arr'],
    (args, a, cx) => {
      const f = a.fn(args[0], 'func')
      const arr = args[1]!
      if (typeof arr === 'string') {
        return codepoints(arr)
          .map((c) => {
            const r = cx.core.callValues(f, [c], a.loc)
            if (typeof r !== 'string')
              throw runtimeError(
                a.loc,
                `std.flatMap: on a string, the function must return strings, got ${typeOf(r)}`
              )
            return r
          })
          .join('')
      }
      const out: Lazy[] = []
      for (const item of a.arr(arr, 'arr')) {
        const r = cx.core.callValues(f, [item.force()], a.loc)
        out.push(...a.arr(r, 'the function result'))
      }
      return new JArray(out)
    }
  ],
  [
    'foldl',
    ['func', 'arr', 'init'],
    (args, a, cx) => {
      const f = a.fn(args[0], 'func')
      let acc = args[2] as Value
      for (const item of a.arr(args[1], 'arr'))
        acc = cx.core.callValues(f, [acc, item.force()], a.loc)
      return acc
    }
  ],
  [
    'foldr',
    ['func', 'arr', 'init'],
    (args, a, cx) => {
      const f = a.fn(args[0], 'func')
      let acc = args[2] as Value
      const items = a.arr(args[1], 'arr')
      for (let i = items.length - 1; i >= 0; i--)
        acc = cx.core.callValues(f, [items[i]!.force(), acc], a.loc)
      return acc
    }
  ],
  [
    'member',
    ['arr', 'x'],
    (args, a, cx) => {
      const arr = args[0]!
      if (typeof arr === 'string')
        return typeof args[1] === 'string' && codepoints(arr).includes(args[1])
      return a.arr(arr, 'arr').some((i) => cx.core.equals(i.force(), args[1]!))
    }
  ],
  [
    'contains',
    ['arr', 'elem'],
    (args, a, cx) => a.arr(args[0], 'arr').some((i) => cx.core.equals(i.force(), args[1]!))
  ],
  [
    'count',
    ['arr', 'x'],
    (args, a, cx) => a.arr(args[0], 'arr').filter((i) => cx.core.equals(i.force(), args[1]!)).length
  ],
  [
    'find',
    ['value', 'arr'],
    (args, a, cx) =>
      makeArray(
        a
          .arr(args[1], 'arr')
          .flatMap((item, i) => (cx.core.equals(item.force(), args[0]!) ? [i] : []))
      )
  ],
  [
    'remove',
    ['arr', 'elem'],
    (args, a, cx) => {
      const items = a.arr(args[0], 'arr')
      const i = items.findIndex((item) => cx.core.equals(item.force(), args[1]!))
      return new JArray(i < 0 ? items : [...items.slice(0, i), ...items.slice(i + 1)])
    }
  ],
  [
    'removeAt',
    ['arr', 'idx'],
    (args, a) => {
      const items = a.arr(args[0], 'arr')
      const i = a.int(args[1], 'idx')
      return new JArray(items.filter((_, j) => j !== i))
    }
  ],
  ['reverse', ['arr'], (args, a) => new JArray([...a.arr(args[0], 'arr')].reverse())],
  [
    'flattenArrays',
    ['arrs'],
    (args, a) => new JArray(a.arr(args[0], 'arrs').flatMap((i) => a.arr(i.force(), 'each element')))
  ],
  [
    'flattenDeepArray',
    ['value'],
    (args) => {
      const out: Value[] = []
      const walk = (v: Value): void => {
        if (v instanceof JArray) for (const i of v.items) walk(i.force())
        else out.push(v)
      }
      walk(args[0]!)
      return makeArray(out)
    }
  ],
  [
    'sort',
    ['arr', 'keyF?'],
    (args, a, cx) => makeArray(sortValues(cx, a, a.values(args[0], 'arr'), args[1]))
  ],
  [
    'uniq',
    ['arr', 'keyF?'],
    (args, a, cx) => makeArray(uniqValues(cx, a, a.values(args[0], 'arr'), args[1]))
  ],
  [
    'set',
    ['arr', 'keyF?'],
    (args, a, cx) =>
      makeArray(uniqValues(cx, a, sortValues(cx, a, a.values(args[0], 'arr'), args[1]), args[1]))
  ],
  ...(['setInter', 'setUnion', 'setDiff'] as const).map((name): Builtin => [
    name,
    ['a', 'b', 'keyF?'],
    (args, a, cx) => {
      const key = keyed(cx, a, args[2])
      const xs = a.sequence(args[0], 'a')
      const ys = a.sequence(args[1], 'b')
      const out: Value[] = []
      let i = 0
      let j = 0
      while (i < xs.length || j < ys.length) {
        if (i >= xs.length) {
          if (name === 'setUnion') out.push(ys[j]!)
          j++
          continue
        }
        if (j >= ys.length) {
          if (name !== 'setInter') out.push(xs[i]!)
          i++
          continue
        }
        const c = cx.core.compare(key(xs[i]!), key(ys[j]!), a.loc)
        if (c === 0) {
          if (name !== 'setDiff') out.push(xs[i]!)
          i++
          j++
        } else if (c < 0) {
          if (name !== 'setInter') out.push(xs[i]!)
          i++
        } else {
          if (name === 'setUnion') out.push(ys[j]!)
          j++
        }
      }
      return makeArray(out)
    }
  ]),
  [
    'setMember',
    ['x', 'arr', 'keyF?'],
    (args, a, cx) => {
      const key = keyed(cx, a, args[2])
      const k = key(args[0]!)
      const xs = a.values(args[1], 'arr')
      let lo = 0
      let hi = xs.length - 1
      while (lo <= hi) {
        const mid = (lo + hi) >> 1
        const c = cx.core.compare(key(xs[mid]!), k, a.loc)
        if (c === 0) return true
        if (c < 0) lo = mid + 1
        else hi = mid - 1
      }
      return false
    }
  ],
  [
    'all',
    ['arr'],
    (args, a) => a.arr(args[0], 'arr').every((i) => a.bool(i.force(), 'each element'))
  ],
  [
    'any',
    ['arr'],
    (args, a) => a.arr(args[0], 'arr').some((i) => a.bool(i.force(), 'each element'))
  ],
  [
    'sum',
    ['arr'],
    (args, a) => a.arr(args[0], 'arr').reduce((s, i) => s + a.num(i.force(), 'each element'), 0)
  ],
  [
    'avg',
    ['arr'],
    (args, a) => {
      const xs = a.arr(args[0], 'arr')
      if (xs.length === 0)
        throw runtimeError(a.loc, 'std.avg: cannot take the average of an empty array')
      return xs.reduce((s, i) => s + a.num(i.force(), 'each element'), 0) / xs.length
    }
  ],
  ...(['minArray', 'maxArray'] as const).map((name): Builtin => [
    name,
    ['arr', 'keyF?', 'onEmpty?'],
    (args, a, cx) => {
      const xs = a.values(args[0], 'arr')
      if (xs.length === 0) {
        if (args[2] !== undefined) return args[2]
        throw runtimeError(a.loc, `std.${name}: expected a non-empty array`)
      }
      const key = keyed(cx, a, args[1])
      let best: Value = xs[0]!
      let bestKey = key(best)
      for (const x of xs.slice(1)) {
        const k = key(x)
        const c = cx.core.compare(k, bestKey, a.loc)
        if (name === 'minArray' ? c < 0 : c > 0) {
          best = x
          bestKey = k
        }
      }
      return best
    }
  ])
]
