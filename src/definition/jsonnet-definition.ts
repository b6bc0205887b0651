import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { errorMessage, readErrorReason, UserError } from '../util/errors.js'
import { fileProviderSource, type ProviderSource } from './env.js'
import {
  evaluateSnippet,
  JsonnetError,
  type JsonnetOptions,
  type Limits,
  NativeError,
  type NativeFunction
} from '../jsonnet/index.js'
import { isPlainMap, type LoadedTree, Origins } from './load.js'
import type { EnvProviderDefinition } from './schema.js'

/** The env providers hako defines as `std.native('provide.<name>')` without plugins. */
export const JSONNET_PROVIDERS = ['file', 'yaml'] as const

/** Signals that a provider's data must be read (asynchronously) before evaluating again. */
class ProvidersPending extends Error {
  constructor(readonly reads: Array<Promise<void>>) {
    super('provider data is being read')
  }
}

type Answer = { values: Map<string, string> } | { error: string }

/**
 * `provide.file` and `provide.yaml` as hako defines them for Jsonnet: `(optionsJson, key)` →
 * the value the provider has for `key` (docs/hako.md, "Jsonnet"). Paths are relative to the
 * definition's directory, whichever file calls the function. Reads go through the same
 * ProviderSource as YAML definitions' `$providers`; a read not done yet stops the evaluation
 * (which is restarted once the data is there: evaluation has no side effects).
 */
function providerNatives(
  source: ProviderSource,
  answers: Map<string, Answer>,
  displayDir: string
): Record<string, NativeFunction> {
  const natives: Record<string, NativeFunction> = {}
  for (const type of JSONNET_PROVIDERS) {
    natives[`provide.${type}`] = {
      params: ['options', 'name'],
      call: ([options, name]) => {
        const provider = parseProviderOptions(type, options)
        if (typeof name !== 'string')
          throw new NativeError(`the key to look up must be a string, got ${JSON.stringify(name)}`)
        const cacheKey = JSON.stringify(provider)
        const answer = answers.get(cacheKey)
        if (!answer) {
          const read = source.values(provider).then(
            (values) => void answers.set(cacheKey, { values }),
            (error: unknown) => void answers.set(cacheKey, { error: errorMessage(error) })
          )
          throw new ProvidersPending([read])
        }
        if ('error' in answer) throw new NativeError(answer.error)
        const value = answer.values.get(name)
        if (value === undefined) {
          const where = path.isAbsolute(provider.path)
            ? provider.path
            : path.join(displayDir, provider.path)
          throw new NativeError(`'${name}' is not defined in ${where}`)
        }
        return value
      }
    }
  }
  return natives
}

function parseProviderOptions(type: 'file' | 'yaml', options: unknown): EnvProviderDefinition {
  if (typeof options !== 'string')
    throw new NativeError(
      `the first argument must be the options as a JSON string, such as std.toString({ path: 'app.env' })`
    )
  let parsed: unknown
  try {
    parsed = JSON.parse(options)
  } catch {
    throw new NativeError(`the options are not valid JSON: ${options}`)
  }
  if (!isPlainMap(parsed) || typeof parsed.path !== 'string' || parsed.path === '')
    throw new NativeError(`path must be set in the options, such as { path: 'app.env' }`)
  const provider: EnvProviderDefinition = { type, path: parsed.path }
  for (const key of ['key_sep', 'ary_sep'] as const) {
    const value = parsed[key]
    if (value === undefined) continue
    if (typeof value !== 'string') throw new NativeError(`${key} must be a string`)
    if (type === 'yaml') provider[key] = value
  }
  return provider
}

/** Settings of a Jsonnet definition's evaluation (tests tighten the limits); std.trace is dropped. */
export interface JsonnetDefinitionOptions {
  limits?: Partial<Limits>
}

/**
 * Evaluates a `.jsonnet` (or `.json`) definition as hako does: ext var `appId` is the file's
 * base name, `std.native('provide.file'|'provide.yaml')` read env providers. Returns the
 * rendered tree; throws a UserError with file:line:column and the chain of calls and imports.
 */
export async function loadJsonnetTree(
  file: string,
  cwd: string,
  options: JsonnetDefinitionOptions = {}
): Promise<LoadedTree> {
  const source = fileProviderSource(path.resolve(cwd, path.dirname(file)), path.dirname(file))
  const answers = new Map<string, Answer>()
  const appId = path.basename(file, path.extname(file))
  const text = await readDefinitionText(file, cwd)
  for (;;) {
    const origins = new Origins(file)
    const jsonnetOptions: JsonnetOptions = {
      extVars: { appId },
      natives: providerNatives(source, answers, path.dirname(file)),
      // Problems with a key name the file and line that defined it: `lib/app.libsonnet:12`.
      onField: (container, key, loc) => origins.recordKey(container, key, `${loc.file}:${loc.line}`)
    }
    if (options.limits) jsonnetOptions.limits = options.limits
    try {
      const { value } = evaluateSnippet(text, file, jsonnetOptions, cwd)
      return { tree: value, origins }
    } catch (error) {
      if (error instanceof ProvidersPending) {
        await Promise.all(error.reads)
        continue
      }
      if (error instanceof JsonnetError) throw new UserError(error.format())
      throw error
    }
  }
}

async function readDefinitionText(file: string, cwd: string): Promise<string> {
  try {
    return await readFile(path.resolve(cwd, file), 'utf8')
  } catch (error) {
    throw new UserError(`${file}: cannot read the definition: ${readErrorReason(error)}`)
  }
}
