import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { errorMessage, readErrorReason } from '../util/errors.js'
import { isPlainMap, loadYamlData } from './load.js'
import type { KeySegment, Problem } from './problems.js'
import type { EnvProviderDefinition } from './schema.js'

/** The reserved key of a container's `env` that lists its providers. */
export const PROVIDERS_KEY = '$providers'

/** A piece of an env value: literal text or a `#{name}` reference. */
export type EnvToken = { literal: string } | { variable: string }

/**
 * Splits an env value at its `#{name}` references, as hako's EnvExpander does (`#{` up to the
 * first `}` on the same line; there is no escape). An empty `#{}` is an error.
 */
export function parseEnvValue(value: string): { tokens: EnvToken[]; empty: boolean } {
  const tokens: EnvToken[] = []
  let empty = false
  let last = 0
  for (const match of value.matchAll(/#\{(.*?)\}/g)) {
    if (match.index > last) tokens.push({ literal: value.slice(last, match.index) })
    const name = match[1] ?? ''
    if (name === '') empty = true
    else tokens.push({ variable: name })
    last = match.index + match[0].length
  }
  if (last < value.length) tokens.push({ literal: value.slice(last) })
  return { tokens, empty }
}

/** Parses a `file` provider: `KEY=VALUE` lines, leading spaces stripped, `#` lines skipped. */
export function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>()
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/^\s+/, '')
    if (line.startsWith('#')) continue
    const eq = line.indexOf('=')
    // Lines without `=` are skipped; a later line for the same key wins, as in hako.
    if (eq < 0) continue
    values.set(line.slice(0, eq), line.slice(eq + 1))
  }
  return values
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value)
  return JSON.stringify(value) ?? ''
}

/**
 * Flattens a `yaml` provider's data as hako does: nested map keys joined with `keySep`, lists
 * joined with `arySep`, scalars as text (`1` → "1", `true` → "true", null → "").
 */
export function flattenYaml(data: unknown, keySep = '.', arySep = ','): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (node: unknown, root: string | undefined): void => {
    if (Array.isArray(node)) {
      out.set(root ?? '', (node as unknown[]).flat(Infinity).map(scalarText).join(arySep))
    } else if (isPlainMap(node)) {
      for (const [key, value] of Object.entries(node))
        walk(value, root === undefined ? key : `${root}${keySep}${key}`)
    } else {
      out.set(root ?? '', scalarText(node))
    }
  }
  walk(data, undefined)
  return out
}

/** Reads what providers answer; file and YAML reads are cached per definition. */
export interface ProviderSource {
  /** Every name → value a provider can answer. Throws an Error whose message says why not. */
  values(provider: EnvProviderDefinition): Promise<Map<string, string>>
}

/** Providers read from disk, paths relative to the definition's directory (as hako does). */
export function fileProviderSource(definitionDir: string, displayDir: string): ProviderSource {
  const cache = new Map<string, Promise<Map<string, string>>>()
  const read = async (provider: EnvProviderDefinition): Promise<Map<string, string>> => {
    const absolute = path.resolve(definitionDir, provider.path)
    const display = path.isAbsolute(provider.path)
      ? provider.path
      : path.join(displayDir, provider.path)
    if (provider.type === 'file') {
      let text: string
      try {
        text = await readFile(absolute, 'utf8')
      } catch (error) {
        throw new Error(`cannot read '${display}': ${readErrorReason(error)}`, { cause: error })
      }
      return parseEnvFile(text)
    }
    // loadYamlData throws a UserError whose message names the file and the problem.
    const data = await loadYamlData(absolute, display)
    if (!isPlainMap(data)) throw new Error(`'${display}' must hold a map at its root`)
    return flattenYaml(data, provider.key_sep ?? '.', provider.ary_sep ?? ',')
  }
  return {
    values: (provider) => {
      const key = JSON.stringify([provider.type, provider.path, provider.key_sep, provider.ary_sep])
      let entry = cache.get(key)
      if (!entry) {
        entry = read(provider)
        cache.set(key, entry)
      }
      return entry
    }
  }
}

/** The inputs of one container's env expansion. */
export interface ExpandEnvParams {
  /** The container's `env` as validated: string values plus the optional `$providers` list. */
  env: Record<string, unknown>
  /** Key path of the `env` map (`['app', 'env']`, `['sidecars', 'front', 'env']`). */
  envPath: KeySegment[]
  /** Where a key was written, for messages. */
  fileOf: (path: KeySegment[]) => string
  source: ProviderSource
}

/**
 * Resolves the `#{name}` references of one container's env through its `$providers`, asked in
 * list order for the names still unresolved; the first answer wins (docs/hako.md, "Env expansion"). Returns
 * the expanded env (without `$providers`, in the order written) and every problem found.
 */
export async function expandEnv(
  params: ExpandEnvParams
): Promise<{ env: Map<string, string>; problems: Problem[] }> {
  const { env, envPath, fileOf, source } = params
  const problems: Problem[] = []
  const parsed = new Map<string, EnvToken[]>()
  const wanted = new Set<string>()
  for (const [name, value] of Object.entries(env)) {
    if (name === PROVIDERS_KEY) continue
    if (typeof value !== 'string') continue // reported by the schema
    const { tokens, empty } = parseEnvValue(value)
    if (empty) {
      problems.push({
        file: fileOf([...envPath, name]),
        path: [...envPath, name],
        message: 'empty #{} is not allowed; write #{NAME} with the name a provider answers for'
      })
    }
    parsed.set(name, tokens)
    for (const token of tokens) if ('variable' in token) wanted.add(token.variable)
  }

  const providers = (env[PROVIDERS_KEY] as EnvProviderDefinition[] | undefined) ?? []
  const resolved = new Map<string, string>()
  for (const [index, provider] of providers.entries()) {
    if ([...wanted].every((name) => resolved.has(name))) break
    let values: Map<string, string>
    try {
      values = await source.values(provider)
    } catch (error) {
      const providerPath = [...envPath, PROVIDERS_KEY, index, 'path']
      problems.push({
        file: fileOf(providerPath),
        path: providerPath,
        message: errorMessage(error)
      })
      continue
    }
    for (const name of wanted) {
      const value = values.get(name)
      if (!resolved.has(name) && value !== undefined) resolved.set(name, value)
    }
  }

  const expanded = new Map<string, string>()
  const described =
    providers.length === 0
      ? 'env.$providers lists no provider'
      : `no provider in env.$providers answers for it (${providers.map((p) => `${p.type}: ${p.path}`).join(', ')})`
  for (const [name, tokens] of parsed) {
    const missing = tokens.flatMap((t) =>
      'variable' in t && !resolved.has(t.variable) ? [t.variable] : []
    )
    for (const variable of new Set(missing)) {
      problems.push({
        file: fileOf([...envPath, name]),
        path: [...envPath, name],
        message: `cannot resolve #{${variable}}: ${described}`
      })
    }
    expanded.set(
      name,
      tokens.map((t) => ('literal' in t ? t.literal : (resolved.get(t.variable) ?? ''))).join('')
    )
  }
  return { env: expanded, problems }
}
