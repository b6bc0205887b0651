#!/usr/bin/env node
/**
 * Keeps the imports of src/ pointing down the floors of docs/architecture.md: a module may
 * import its own folder and any floor below its own, never a floor above it nor another
 * folder of its own floor. `npm run lint` runs it; it exits 1 and names each offending import.
 *
 *   node scripts/check-layers.js            check src/
 *   node scripts/check-layers.js DIR        check another tree laid out like src/
 *
 * Plain JavaScript so it runs on Node without a TypeScript loader. Imports are read as text
 * (static `import`/`export ... from` and dynamic `import()` with a literal path), which is all
 * the project writes.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import process from 'node:process'

/**
 * The floors, lowest first. A room is a folder of src/, or '(top)' for the files at its top;
 * each floor may import only the floors before it (and its own room).
 */
export const FLOORS = [
  ['util'],
  ['aws'],
  ['model'],
  ['jsonnet'],
  ['definition'],
  ['ecs'],
  ['wait', 'logs', 'ledger'],
  ['tasks'],
  ['report'],
  // The files at the top of src/: inputs, state, main, post and the entry point.
  ['(top)']
]

/** Rooms that are libraries of their own: the rest of src/ may import only this file of each. */
export const ENTRY_ONLY = { jsonnet: 'index.ts' }

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm

/** The room (folder of src/, or '(top)') a path inside `root` belongs to. */
function roomOf(root, file) {
  const parts = relative(root, file).split(sep)
  return parts.length > 1 ? parts[0] : '(top)'
}

function floorOf(room) {
  const index = FLOORS.findIndex((rooms) => rooms.includes(room))
  return index === -1 ? undefined : index
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

/**
 * Every import of `root` that breaks the floors, as `file: imports 'spec' (room, floor N) from
 * room (floor M)` lines; also every room no floor lists.
 */
export function checkLayers(root) {
  const problems = []
  for (const file of sourceFiles(root)) {
    const from = roomOf(root, file)
    const fromFloor = floorOf(from)
    const shown = relative(process.cwd(), file)
    if (fromFloor === undefined) {
      problems.push(
        `${shown}: '${from}' is on no floor; add it to FLOORS in scripts/check-layers.js`
      )
      continue
    }
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1]
      const target = resolve(dirname(file), spec)
      if (relative(root, target).startsWith('..')) {
        problems.push(
          `${shown}: imports '${spec}' from outside ${relative(process.cwd(), root) || '.'}`
        )
        continue
      }
      const to = roomOf(root, target)
      if (to === from) continue
      const entry = ENTRY_ONLY[to]
      if (entry && relative(join(root, to), target).replace(/\.js$/, '.ts') !== entry) {
        problems.push(
          `${shown}: imports '${spec}' inside ${to}/; import ${to}/${entry.replace(/\.ts$/, '.js')} only`
        )
        continue
      }
      const toFloor = floorOf(to)
      if (toFloor === undefined || toFloor >= fromFloor) {
        const where = toFloor === undefined ? 'no floor' : `floor ${toFloor}`
        problems.push(
          `${shown}: imports '${spec}' (${to}, ${where}) from ${from} (floor ${fromFloor}); ` +
            'imports may only point down (docs/architecture.md)'
        )
      }
    }
  }
  return problems
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../src'))
  const problems = checkLayers(root)
  for (const line of problems) process.stderr.write(`${line}\n`)
  if (problems.length > 0) {
    process.stderr.write(`${problems.length} import(s) break the floors of src/\n`)
    process.exit(1)
  }
  process.stdout.write('src/ imports point down\n')
}
