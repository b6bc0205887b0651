import { runtimeError } from './errors.js'
import { checkNumber } from './primitives.js'
import type { Builtin } from './std-support.js'
import { JArray, JFunction, JObject, typeOf } from './values.js'

/** frexp: x = mantissa * 2^exponent with 0.5 <= |mantissa| < 1. */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0]
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1)
  let m = x * Math.pow(2, -e)
  while (Math.abs(m) < 0.5) {
    m *= 2
    e--
  }
  while (Math.abs(m) >= 1) {
    m /= 2
    e++
  }
  return [m, e]
}

const math1 = (name: string, f: (x: number) => number): Builtin => [
  name,
  ['x'],
  (args, a) => checkNumber(f(a.num(args[0], 'x')), a.loc)
]

/** Numbers, booleans and comparisons. */
export const MATH_BUILTINS: Builtin[] = [
  math1('abs', Math.abs),
  math1('sign', (x) => (x > 0 ? 1 : x < 0 ? -1 : 0)),
  math1('floor', Math.floor),
  math1('ceil', Math.ceil),
  math1('round', (x) => Math.floor(x + 0.5)),
  math1('sqrt', Math.sqrt),
  math1('sin', Math.sin),
  math1('cos', Math.cos),
  math1('tan', Math.tan),
  math1('asin', Math.asin),
  math1('acos', Math.acos),
  math1('atan', Math.atan),
  math1('exp', Math.exp),
  math1('log', Math.log),
  math1('log2', Math.log2),
  math1('log10', Math.log10),
  math1('deg2rad', (x) => (x * Math.PI) / 180),
  math1('rad2deg', (x) => (x * 180) / Math.PI),
  math1('mantissa', (x) => frexp(x)[0]),
  math1('exponent', (x) => frexp(x)[1]),
  // The library defines these through std.round (floor(x + 0.5)).
  ['isEven', ['x'], (args, a) => Math.floor(a.num(args[0], 'x') + 0.5) % 2 === 0],
  ['isOdd', ['x'], (args, a) => Math.floor(a.num(args[0], 'x') + 0.5) % 2 !== 0],
  [
    'isInteger',
    ['x'],
    (args, a) => {
      const x = a.num(args[0], 'x')
      return Math.floor(x + 0.5) === x
    }
  ],
  [
    'isDecimal',
    ['x'],
    (args, a) => {
      const x = a.num(args[0], 'x')
      return Math.floor(x + 0.5) !== x
    }
  ],
  ...(['max', 'min', 'pow', 'atan2', 'hypot'] as const).map((name): Builtin => [
    name,
    name === 'pow' ? ['x', 'n'] : name === 'atan2' ? ['y', 'x'] : ['a', 'b'],
    (args, a) => {
      const x = a.num(args[0], 'the first argument')
      const y = a.num(args[1], 'the second argument')
      const f = {
        max: Math.max,
        min: Math.min,
        pow: Math.pow,
        atan2: Math.atan2,
        hypot: Math.hypot
      }[name]
      return checkNumber(f(x, y), a.loc)
    }
  ]),
  [
    'clamp',
    ['x', 'minVal', 'maxVal'],
    (args, a) =>
      Math.min(Math.max(a.num(args[0], 'x'), a.num(args[1], 'minVal')), a.num(args[2], 'maxVal'))
  ],
  [
    'modulo',
    ['x', 'y'],
    (args, a, cx) => cx.core.binaryValues('%', a.num(args[0], 'x'), args[1]!, a.loc)
  ],
  ['mod', ['a', 'b'], (args, a, cx) => cx.core.binaryValues('%', args[0]!, args[1]!, a.loc)],
  ['xor', ['x', 'y'], (args, a) => a.bool(args[0], 'x') !== a.bool(args[1], 'y')],
  ['xnor', ['x', 'y'], (args, a) => a.bool(args[0], 'x') === a.bool(args[1], 'y')],
  ['equals', ['a', 'b'], (args, _a, cx) => cx.core.equals(args[0]!, args[1]!)],
  [
    'primitiveEquals',
    ['a', 'b'],
    (args, a) => {
      const [x, y] = [args[0]!, args[1]!]
      if (typeOf(x) !== typeOf(y)) return false
      if (x instanceof JArray || x instanceof JObject || x instanceof JFunction)
        throw runtimeError(
          a.loc,
          'std.primitiveEquals: cannot compare arrays, objects or functions'
        )
      return x === y
    }
  ],
  ['id', ['x'], (args) => args[0]!]
]
