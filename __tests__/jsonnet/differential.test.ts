import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { evaluateSnippet, JsonnetError, type JsonnetOptions } from '../../src/jsonnet/index.js'
import { loadJsonnetTree } from '../../src/definition/jsonnet-definition.js'
import {
  REFERENCE_BINARY,
  referenceError,
  referenceOutput,
  referenceWithFileProvider
} from './reference.js'

// The corpus (language features, the standard library, hako-style definitions) is compared with
// the reference implementation when its `jsonnet` command is installed (.ci/run installs it);
// otherwise with the outputs it printed, stored next to each case as `<name>.golden`.
// Regenerate those with: for f in *.jsonnet; do jsonnet --ext-str appId=${f%.jsonnet} $f > ${f%.jsonnet}.golden; done
const CORPUS = path.resolve('__fixtures__/jsonnet/corpus')
// Programs that must fail (the messages differ by design: ours name the output key path).
const FAILING = path.resolve('__fixtures__/jsonnet/corpus-errors')
const failing = readdirSync(FAILING)
  .filter((f) => f.endsWith('.jsonnet'))
  .sort()
// The project's hako-style definitions (shared libraries, provide.file and provide.yaml); their
// `.golden` outputs come from the reference command, with the providers stood in for
// (./reference.ts). Regenerate them with referenceWithFileProvider when a definition changes.
const HAKO_STYLE = path.resolve('__fixtures__/definitions/hako-style')

const corpus = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.jsonnet'))
  .sort()
const hakoDefinitions = readdirSync(HAKO_STYLE)
  .filter((f) => f.endsWith('.jsonnet'))
  .sort()

function evaluateFile(file: string, options: JsonnetOptions = {}) {
  return evaluateSnippet(readFileSync(file, 'utf8'), file, options)
}

function ours(file: string): string {
  const appId = path.basename(file, '.jsonnet')
  return `${evaluateFile(file, { extVars: { appId } }).json}\n`
}

function ourError(file: string): string {
  try {
    evaluateFile(file)
  } catch (error) {
    if (error instanceof JsonnetError) return error.format()
    throw error
  }
  return 'no error'
}

function golden(file: string): string {
  return readFileSync(file.replace(/\.jsonnet$/, '.golden'), 'utf8')
}

function hakoGolden(definition: string): string {
  return golden(path.join(HAKO_STYLE, definition))
}

if (REFERENCE_BINARY) {
  describe('the corpus: identical output to the reference jsonnet command', () => {
    it.each(corpus)('%s', (name) => {
      const file = path.join(CORPUS, name)
      const reference = referenceOutput(file)
      expect(ours(file)).toBe(reference)
      // The stored output is what the reference prints, so the fallback below stays honest.
      expect(golden(file)).toBe(reference)
    })
  })

  describe('failing programs: an error from both, at the same line', () => {
    it.each(failing)('%s', (name) => {
      const file = path.join(FAILING, name)
      const reference = referenceError(file)
      const ours = ourError(file)
      expect(ours).toMatch(/^\S+:\d+:\d+: (syntax|static|runtime) error: /)
      // The reference prints `<file>:<line>:<columns>` in its first line or the one after.
      const line = /:(\d+):\d+/.exec(ours)?.[1]
      expect(reference).toMatch(new RegExp(`\\.jsonnet:\\(?${line}:`))
    })
  })

  describe('hako-style definitions: the tree hako reads, as the reference renders it', () => {
    it.each(hakoDefinitions)('%s', async (definition) => {
      const reference = referenceWithFileProvider(path.join(HAKO_STYLE, definition))
      const { tree } = await loadJsonnetTree(definition, HAKO_STYLE)
      expect(tree).toEqual(JSON.parse(reference))
      expect(hakoGolden(definition)).toBe(reference)
    })
  })
} else {
  describe('without the reference jsonnet command (apt-get install jsonnet)', () => {
    it('evaluates every corpus case to the output the reference printed, as stored', () => {
      expect(corpus.length).toBeGreaterThan(5)
      for (const name of corpus) {
        const file = path.join(CORPUS, name)
        expect({ name, output: ours(file) }).toEqual({ name, output: golden(file) })
      }
    })

    it('fails on every failing program with a position', () => {
      for (const name of failing) {
        expect(ourError(path.join(FAILING, name))).toMatch(
          /^\S+:\d+:\d+: (syntax|static|runtime) error: /
        )
      }
    })

    it('evaluates the hako-style definitions to the trees the reference rendered', async () => {
      expect(hakoDefinitions.length).toBeGreaterThan(5)
      for (const definition of hakoDefinitions) {
        const { tree } = await loadJsonnetTree(definition, HAKO_STYLE)
        expect({ definition, tree }).toEqual({
          definition,
          tree: JSON.parse(hakoGolden(definition)) as unknown
        })
      }
    })
  })
}
