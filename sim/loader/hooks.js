/**
 * Module hooks that let Node 20 run this project's TypeScript directly (Node 20 has no type
 * stripping): `.ts` files are transpiled one by one with the TypeScript compiler already in
 * devDependencies (no type check: `npx tsc -p .` does that), and a relative `./x.js` import
 * that has no `.js` file resolves to `./x.ts`, the way the sources are written.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { fileURLToPath, URL } from 'node:url'
import ts from 'typescript'

const COMPILER_OPTIONS = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  isolatedModules: true,
  inlineSourceMap: true,
  inlineSources: true
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (error) {
    const relative =
      specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:')
    if (relative && specifier.endsWith('.js') && context.parentURL) {
      const url = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL)
      if (existsSync(fileURLToPath(url)))
        return { url: url.href, format: 'module', shortCircuit: true }
    }
    throw error
  }
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const fileName = fileURLToPath(url)
    const source = await readFile(fileName, 'utf8')
    const { outputText } = ts.transpileModule(source, {
      fileName,
      compilerOptions: COMPILER_OPTIONS
    })
    return { format: 'module', source: outputText, shortCircuit: true }
  }
  return nextLoad(url, context)
}
