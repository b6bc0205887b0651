import { afterAll, describe, expect, it } from '@jest/globals'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { checkLayers } from '../../scripts/check-layers.js'

const roots: string[] = []
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })))

/** A tree laid out like src/, from path → text. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'layers-'))
  roots.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

describe('checkLayers (docs/architecture.md)', () => {
  it('finds no import of src/ that points up or sideways', () => {
    expect(checkLayers(join(process.cwd(), 'src'))).toEqual([])
  })

  it('accepts imports of its own folder and of lower floors', () => {
    const root = tree({
      'util/a.ts': "import { b } from './b.js'\n",
      'util/b.ts': 'export const b = 1\n',
      'report/r.ts': "import { b } from '../util/b.js'\nimport type { T } from '../tasks/t.js'\n",
      'tasks/t.ts': 'export type T = number\n',
      'main.ts': "import { r } from './report/r.js'\nimport { s } from './state.js'\n",
      'state.ts': 'export const s = 1\n'
    })
    expect(checkLayers(root)).toEqual([])
  })

  it('refuses an upward import, a sideways one, a dynamic one, and a room on no floor', () => {
    const root = tree({
      'util/logger.ts': "import { escape } from '../report/safe-text.js'\n",
      'report/safe-text.ts': 'export const escape = 1\n',
      'wait/engine.ts': "import { follow } from '../logs/follow.js'\n",
      'logs/follow.ts': 'export const follow = 1\n',
      'ecs/run.ts': "const m = await import('../tasks/queue.js')\n",
      'tasks/queue.ts': "export { x } from '../main.js'\n",
      'main.ts': 'export const x = 1\n',
      'extra/thing.ts': 'export const y = 1\n',
      'jsonnet/index.ts': "export { parse } from './parser.js'\n",
      'jsonnet/parser.ts': 'export const parse = 1\n',
      'definition/load.ts':
        "import { parse } from '../jsonnet/parser.js'\nimport { p } from '../jsonnet/index.js'\n"
    })
    const shown = (path: string) => relative(process.cwd(), join(root, path))
    expect(checkLayers(root).sort()).toEqual(
      [
        `${shown('util/logger.ts')}: imports '../report/safe-text.js' (report, floor 8) from util (floor 0); imports may only point down (docs/architecture.md)`,
        `${shown('wait/engine.ts')}: imports '../logs/follow.js' (logs, floor 6) from wait (floor 6); imports may only point down (docs/architecture.md)`,
        `${shown('ecs/run.ts')}: imports '../tasks/queue.js' (tasks, floor 7) from ecs (floor 5); imports may only point down (docs/architecture.md)`,
        `${shown('tasks/queue.ts')}: imports '../main.js' ((top), floor 9) from tasks (floor 7); imports may only point down (docs/architecture.md)`,
        `${shown('extra/thing.ts')}: 'extra' is on no floor; add it to FLOORS in scripts/check-layers.js`,
        `${shown('definition/load.ts')}: imports '../jsonnet/parser.js' inside jsonnet/; import jsonnet/index.js only`
      ].sort()
    )
  })
})
