import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { readDefinitionTree } from '../../src/definition/index.js'
import { definitionFormat, loadDefinitionTree } from '../../src/definition/load.js'
import { UserError } from '../../src/util/errors.js'

const FIXTURES = path.resolve('__fixtures__/definitions')

async function load(file: string): Promise<unknown> {
  return (await loadDefinitionTree(file, FIXTURES)).tree
}

async function loadError(file: string): Promise<string[]> {
  const error = await readDefinitionTree(file, FIXTURES).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(UserError)
  return (error as UserError).message.split('\n')
}

describe('loadDefinitionTree: !include (docs/hako.md, "YAML extensions")', () => {
  it('includes relative to the including file, before and after <<, nested', async () => {
    expect(await load('include/main.yml')).toEqual({
      app: { image: 'from-include', cpu: 256, memory: 512 },
      sidecars: {
        front: {
          image_tag: 'nginx:1.27',
          log_configuration: { log_driver: 'awslogs', options: { 'awslogs-group': '/ecs/front' } }
        }
      }
    })
  })

  it.each([
    [
      'a cycle shows the chain',
      'include/cycle-a.yml',
      [
        'include/cycle-b.yml: b: !include cycle: include/cycle-a.yml -> include/cycle-b.yml -> include/cycle-a.yml'
      ]
    ],
    [
      'a missing file names the including file, every one reported',
      'include/missing.yml',
      [
        "include/missing.yml: app: cannot include 'include/does-not-exist.yml': no such file",
        "include/missing.yml: sidecars.front: cannot include 'include/sidecars/nope.yml': no such file"
      ]
    ]
  ])('%s', async (_name, file, expected) => {
    expect(await loadError(file)).toEqual(expected)
  })

  it('records the file, line and column each key was written at', async () => {
    const { tree, origins } = await loadDefinitionTree('include/main.yml', FIXTURES)
    expect(origins.fileOf(tree, ['app', 'cpu'])).toBe('include/app-base.yml:2:1')
    expect(origins.fileOf(tree, ['app', 'memory'])).toBe('include/main.yml:5:3')
    // image is written in both; the key written after << wins, here the merged one
    expect(origins.fileOf(tree, ['app', 'image'])).toBe('include/app-base.yml:1:1')
    expect(origins.fileOf(tree, ['sidecars', 'front', 'image_tag'])).toBe(
      'include/sidecars/all.yml:2:3'
    )
    expect(origins.fileOf(tree, ['sidecars', 'front', 'log_configuration', 'options'])).toBe(
      'include/common/log.yml:2:1'
    )
    // A key that is missing: where its map starts.
    expect(origins.fileOf(tree, ['app', 'missing_key'])).toBe('include/main.yml:3:3')
  })

  it.each([
    ['flow maps, quoted keys, anchors and aliases', 'a: {x: 1, "y": 2}\nb: &m\n  c: 3\nd: *m\n'],
    ['a list of maps', "l:\n  - k: 1\n    'q': 2\n"]
  ])('places keys in %s', async (_, text) => {
    const { mappingPositions } = await import('../../src/definition/load.js')
    expect(mappingPositions(text, 'x.yml')).toEqual(
      text.startsWith('a:')
        ? [
            { start: '1:1', keys: ['1:1', '2:1', '4:1'] },
            { start: '1:4', keys: ['1:5', '1:11'] },
            { start: '3:3', keys: ['3:3'] }
          ]
        : [
            { start: '1:1', keys: ['1:1'] },
            { start: '2:5', keys: ['2:5', '3:5'] }
          ]
    )
  })
})

describe('loadDefinitionTree: << in document order, as Psych merges (docs/hako.md, "YAML extensions")', () => {
  it.each([
    [
      'a key before << is overridden by the merged map',
      'key_before_merge',
      { cpu: 1, memory: 2, env: { A: 'a', B: 'b' } }
    ],
    ['a key after << wins', 'key_after_merge', { cpu: 5, memory: 2, env: { A: 'a', B: 'b' } }],
    [
      '<< with a list: the first map having a key gives it',
      'list_merge',
      { memory: 2, cpu: 1, user: 'me', env: { A: 'a', B: 'b' } }
    ],
    [
      'nested maps are replaced whole, not deep-merged',
      'nested_replaced',
      { cpu: 1, memory: 2, env: { C: 'c' } }
    ],
    ['an inline map merges too', 'inline_map', { cpu: 3 }]
  ])('%s', async (_name, key, expected) => {
    const tree = (await load('merge/order.yml')) as Record<string, unknown>
    expect(tree[key]).toEqual(expected)
  })

  it('orders keys as Psych does: a list is merged in reverse, a key keeps its first position', async () => {
    const tree = (await load('merge/order.yml')) as Record<string, Record<string, unknown>>
    // {memory: 7}, then *other (cpu, user), then *base (cpu, memory, env), then user: me
    expect(Object.keys(tree['list_merge']!)).toEqual(['memory', 'cpu', 'user', 'env'])
  })

  it('refuses to merge something that is not a map', async () => {
    expect(await loadError('merge/bad.yml')).toEqual([
      'merge/bad.yml: app["<<"]: expected a map (or a list of maps) to merge, such as `<<: *defaults` or `<<: !include base.yml`'
    ])
  })
})

describe('loadDefinitionTree: formats and scalars', () => {
  it('reads YAML 1.1 booleans as Psych does (yes/no/on/off, not y/n) and 0755 as octal', async () => {
    expect(await load('yaml11.yml')).toEqual({
      a: true,
      b: false,
      c: true,
      d: false,
      e: 'y',
      f: 'n',
      g: 'yes',
      h: 493
    })
  })

  it('reads JSON as Jsonnet, as hako does, with no << processing', async () => {
    expect((await readDefinitionTree('json/batch.json', FIXTURES)).tree).toEqual({
      scheduler: { type: 'ecs', region: 'us-east-1', cluster: 'jobs' },
      app: { image: 'busybox', tag: '1.36', command: ['true'], env: { '<<': 'kept' } }
    })
  })

  it.each([
    [
      'an unsupported extension',
      'bad/definition.toml',
      [
        "bad/definition.toml: unsupported definition file type '.toml': use .yml or .yaml (YAML), or .jsonnet or .json (Jsonnet)"
      ]
    ],
    ['an empty file', 'bad/empty.yml', ['bad/empty.yml: the file is empty']],
    [
      'a missing definition',
      'bad/nothing.yml',
      ['bad/nothing.yml: cannot read the definition: no such file']
    ]
  ])('reports %s', async (_name, file, expected) => {
    expect(await loadError(file)).toEqual(expected)
  })

  it('reports a YAML syntax error with its line and column', async () => {
    // Written at run time: a broken YAML file cannot live in the repository, whose YAML the
    // formatter checks.
    const dir = await mkdtemp(path.join(tmpdir(), 'definition-'))
    try {
      await writeFile(path.join(dir, 'syntax.yml'), 'app:\n  image: [unclosed\n')
      const error = await loadDefinitionTree('syntax.yml', dir).then(
        () => undefined,
        (e: unknown) => e
      )
      expect(error).toEqual(new UserError('syntax.yml:3:1: invalid YAML: deficient indentation'))
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  it.each([
    ['a.yml', 'yaml'],
    ['a.YAML', 'yaml'],
    ['dir/a.json', 'jsonnet'],
    ['a.jsonnet', 'jsonnet'],
    ['a.libsonnet', undefined],
    ['a', undefined]
  ])('definitionFormat(%s) = %s', (file, expected) => {
    expect(definitionFormat(file)).toBe(expected)
  })
})
