import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import {
  expandEnv,
  flattenYaml,
  parseEnvFile,
  parseEnvValue,
  type ProviderSource
} from '../../src/definition/env.js'
import { loadAndRender } from '../../src/definition/index.js'
import type { EnvProviderDefinition } from '../../src/definition/schema.js'
import { UserError } from '../../src/util/errors.js'

const FIXTURES = path.resolve('__fixtures__/definitions')

async function renderedEnv(file: string): Promise<unknown> {
  const rendered = await loadAndRender(file, { containers: [], cwd: FIXTURES })
  return rendered.registerRequest.containerDefinitions?.[0]?.environment
}

async function errorLines(file: string): Promise<string[]> {
  const error = await loadAndRender(file, { containers: [], cwd: FIXTURES }).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(UserError)
  return (error as UserError).message.split('\n')
}

/** A provider source answering from fixed maps, recording which providers were asked. */
function fakeSource(
  answers: Record<string, Record<string, string>>
): ProviderSource & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    values: (provider: EnvProviderDefinition) => {
      asked.push(provider.path)
      const answer = answers[provider.path]
      if (!answer) return Promise.reject(new Error(`cannot read '${provider.path}': no such file`))
      return Promise.resolve(new Map(Object.entries(answer)))
    }
  }
}

describe('parseEnvValue: #{name} references (hako EnvExpander)', () => {
  it.each([
    ['plain', { tokens: [{ literal: 'plain' }], empty: false }],
    ['#{A}', { tokens: [{ variable: 'A' }], empty: false }],
    [
      'x#{A}y#{B}',
      {
        tokens: [{ literal: 'x' }, { variable: 'A' }, { literal: 'y' }, { variable: 'B' }],
        empty: false
      }
    ],
    ['a#{}b', { tokens: [{ literal: 'a' }, { literal: 'b' }], empty: true }],
    ['#{ unclosed', { tokens: [{ literal: '#{ unclosed' }], empty: false }],
    [
      '${NOT_EXPANDED} $(nor) #{A}',
      { tokens: [{ literal: '${NOT_EXPANDED} $(nor) ' }, { variable: 'A' }], empty: false }
    ]
  ])('%s', (value, expected) => {
    expect(parseEnvValue(value)).toEqual(expected)
  })
})

describe('file provider parsing (KEY=VALUE, leading spaces stripped, # skipped, docs/hako.md, "Env expansion")', () => {
  it('parses lines, splits at the first =, skips comments and lines without =, later lines win', () => {
    const text = '# comment\n   A=1\nB=x=y\r\nno equals\n  # indented comment\nA=2\nEMPTY=\n'
    expect([...parseEnvFile(text)]).toEqual([
      ['A', '2'],
      ['B', 'x=y'],
      ['EMPTY', '']
    ])
  })
})

describe('yaml provider flattening (key_sep, ary_sep, docs/hako.md, "Env expansion")', () => {
  const data = {
    db: { host: 'h', port: 5432, tls: true },
    list: ['a', 1, ['b', 'c']],
    nothing: null
  }
  it.each([
    [
      'default separators',
      undefined,
      undefined,
      [
        ['db.host', 'h'],
        ['db.port', '5432'],
        ['db.tls', 'true'],
        ['list', 'a,1,b,c'],
        ['nothing', '']
      ]
    ],
    [
      'custom separators',
      '__',
      ' ',
      [
        ['db__host', 'h'],
        ['db__port', '5432'],
        ['db__tls', 'true'],
        ['list', 'a 1 b c'],
        ['nothing', '']
      ]
    ]
  ])('%s', (_name, keySep, arySep, expected) => {
    expect([...flattenYaml(data, keySep, arySep)]).toEqual(expected)
  })
})

describe('expandEnv: provider order (asked in list order, first answer wins, docs/hako.md, "Env expansion")', () => {
  const fileOf = (): string => 'app.yml'
  it.each([
    ['the first provider answering wins', ['one', 'two'], { X: 'from-one', Y: 'from-two' }],
    ['reversing the order reverses the winner', ['two', 'one'], { X: 'from-two', Y: 'from-two' }]
  ])('%s', async (_name, order, expected) => {
    const source = fakeSource({ one: { X: 'from-one' }, two: { X: 'from-two', Y: 'from-two' } })
    const env = {
      $providers: order.map((p) => ({ type: 'file' as const, path: p })),
      X: '#{X}',
      Y: '#{Y}'
    }
    const result = await expandEnv({ env, envPath: ['app', 'env'], fileOf, source })
    expect(result.problems).toEqual([])
    expect(Object.fromEntries(result.env)).toEqual(expected)
  })

  it('stops asking once every name is resolved', async () => {
    const source = fakeSource({ one: { X: 'x' }, two: { X: 'other' } })
    const env = {
      $providers: [
        { type: 'file' as const, path: 'one' },
        { type: 'file' as const, path: 'two' }
      ],
      X: '#{X}'
    }
    await expandEnv({ env, envPath: ['app', 'env'], fileOf, source })
    expect(source.asked).toEqual(['one'])
  })

  it('asks no provider when nothing references one', async () => {
    const source = fakeSource({})
    const env = { $providers: [{ type: 'file' as const, path: 'missing' }], X: 'plain' }
    const result = await expandEnv({ env, envPath: ['app', 'env'], fileOf, source })
    expect(source.asked).toEqual([])
    expect(result).toEqual({ env: new Map([['X', 'plain']]), problems: [] })
  })
})

describe('env expansion through a definition', () => {
  it('resolves through file and yaml providers, file first, with custom separators', async () => {
    expect(await renderedEnv('env/app.yml')).toEqual([
      { name: 'DB_HOST', value: 'file-db.internal' },
      { name: 'URL', value: 'postgres://file-db.internal:5432/app' },
      { name: 'REPLICAS', value: 'r1;r2' },
      { name: 'FLAG', value: 'true' },
      { name: 'NOTHING', value: '[]' },
      { name: 'DUP', value: 'second' },
      { name: 'PLAIN', value: 'no references, #{ not closed' }
    ])
  })

  it.each([
    [
      'unresolved names and #{} name the container and the variable',
      'env/errors.yml',
      [
        'env/errors.yml:10:5: app.env.EMPTY: empty #{} is not allowed; write #{NAME} with the name a provider answers for',
        'env/errors.yml:9:5: app.env.MISSING: cannot resolve #{NOPE}: no provider in env.$providers answers for it (file: values.env)',
        'env/errors.yml:9:5: app.env.MISSING: cannot resolve #{ALSO_NOPE}: no provider in env.$providers answers for it (file: values.env)',
        'env/errors.yml:17:7: sidecars.worker.env.TOKEN: cannot resolve #{TOKEN}: env.$providers lists no provider'
      ]
    ],
    [
      'non-string values are errors (YAML numbers and booleans must be quoted)',
      'env/not-strings.yml',
      [
        'env/not-strings.yml:6:5: app.env.PORT: expected a string, got 3000; quote it ("3000")',
        'env/not-strings.yml:7:5: app.env.DEBUG: expected a string, got true; YAML reads yes/no/on/off/true/false as booleans, quote the value'
      ]
    ],
    [
      'an unreadable provider file, while a later provider still answers',
      'env/missing-provider.yml',
      [
        "env/missing-provider.yml:8:9: app.env.$providers[0].path: cannot read 'env/no-such.env': no such file"
      ]
    ]
  ])('%s', async (_name, file, expected) => {
    expect(await errorLines(file)).toEqual(expected)
  })
})
