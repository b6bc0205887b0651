import type { Loc } from './ast.js'
import { runtimeError } from './errors.js'
import { ARRAY_BUILTINS } from './std-arrays.js'
import { ENCODING_BUILTINS } from './std-encoding.js'
import { MANIFEST_BUILTINS } from './std-manifest.js'
import { MATH_BUILTINS } from './std-math.js'
import { OBJECT_BUILTINS } from './std-objects.js'
import { Args, makeObject, type StdContext } from './std-support.js'
import { TEXT_BUILTINS } from './std-text.js'
import { JFunction, JObject, type Lazy, Ready, type Value } from './values.js'

const BUILTINS = [
  ...OBJECT_BUILTINS,
  ...ARRAY_BUILTINS,
  ...MATH_BUILTINS,
  ...TEXT_BUILTINS,
  ...ENCODING_BUILTINS,
  ...MANIFEST_BUILTINS
]

/** The names of every `std` function this implementation provides. */
export const STD_FUNCTION_NAMES: readonly string[] = BUILTINS.map(([name]) => name).sort()

/**
 * The `std` object: every library function as a hidden field (so `std` manifests as `{}`), and
 * `std.pi`. `std.thisFile` is added per file by `stdForFile`.
 */
export function makeStd(cx: StdContext): JObject {
  const entries: Array<[string, Lazy]> = BUILTINS.map(([name, params, impl]) => {
    const specs = params.map((p) => ({ name: p.replace(/\?$/, ''), hasDefault: p.endsWith('?') }))
    const fn = new JFunction(
      name,
      specs,
      undefined,
      (args: Array<Lazy | undefined>, loc: Loc): Value => {
        const values = args.map((a) => a?.force())
        try {
          return impl(values, new Args(name, loc), cx)
        } catch (error) {
          if (error instanceof RangeError && /call stack/i.test(error.message))
            throw runtimeError(
              loc,
              `std.${name}: max stack frames exceeded (the value nests too deeply)`
            )
          throw error
        }
      }
    )
    return [name, new Ready(fn)]
  })
  entries.push(['pi', new Ready(Math.PI)])
  return makeObject(entries, true)
}

/** `std` as seen from one file: the library plus `std.thisFile`. */
export function stdForFile(std: JObject, file: string): JObject {
  return new JObject([...std.layers, ...makeObject([['thisFile', new Ready(file)]], true).layers])
}
