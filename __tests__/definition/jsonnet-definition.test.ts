import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { loadAndRender, loadDefinition } from '../../src/definition/index.js'
import { loadJsonnetTree } from '../../src/definition/jsonnet-definition.js'
import { UserError } from '../../src/util/errors.js'

const FIXTURES = path.resolve('__fixtures__/definitions')
const HAKO = path.resolve('__fixtures__/hako')

async function errorText(file: string, limits?: { maxStack?: number; maxSteps?: number }) {
  const error = await loadJsonnetTree(file, FIXTURES, limits ? { limits } : {}).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(UserError)
  return (error as UserError).message.split('\n')
}

describe('Jsonnet definitions, read as hako reads them (docs/hako.md, "Jsonnet")', () => {
  it('renders a definition that imports a libsonnet file and uses provide.file and provide.yaml', async () => {
    const rendered = await loadAndRender('jsonnet/batch.jsonnet', {
      containers: [],
      env: {},
      cwd: FIXTURES
    })
    expect(rendered.appId).toBe('batch')
    expect(rendered.family).toBe('batch-oneshot')
    expect(rendered.cluster).toBe('jobs')
    expect(rendered.notificationPrefix).toBe('s3://hako-events/oneshot?region=us-east-1')
    const app = rendered.registerRequest.containerDefinitions?.[0]
    expect(app?.image).toBe('ghcr.io/example/batch:v1.4.2')
    expect(app?.command).toEqual(['bin/batch', 'batch'])
    // Jsonnet sorts fields, so env comes out in name order, as hako renders it.
    expect(app?.environment).toEqual([
      { name: 'DATABASE_HOST', value: 'db.internal.example.com' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'QUEUE_URL', value: 'https://sqs.us-east-1.amazonaws.com/123456789012/batch' },
      { name: 'WORKERS', value: '8' }
    ])
    expect(app?.logConfiguration?.options?.['awslogs-group']).toBe('/ecs/batch')
    expect(rendered.notices).toEqual([])
  })

  it('evaluates a .json definition as Jsonnet (comments and all), as hako does', async () => {
    const loaded = await loadDefinition('json/batch.json', FIXTURES)
    expect(loaded.appId).toBe('batch')
    expect(loaded.definition.app.image).toBe('busybox')
  })

  it.each([
    ['hello', []],
    ['hello-nofront', []],
    ['hello-autoscaling-group', []],
    ['hello-cap-add-app', []],
    ['hello-privileged-app', []],
    ['hello-service-discovery', []],
    ['hello-autoscaling', []],
    ['hello-awslogs-driver', []],
    ['hello-grpc', []],
    ['hello-lb', []],
    ['hello-lb-v2', []],
    ['hello-shared-alb', []],
    [
      'hello-fargate',
      [
        'examples/hello-fargate.jsonnet:55: scheduler.ephemeral_storage.size_in_gi_b: read the string "25" as the number 25; write 25 without quotes'
      ]
    ],
    [
      'hello-fargate-batch',
      [
        'examples/hello-fargate-batch.jsonnet:11: scheduler.ephemeral_storage.size_in_gi_b: read the string "25" as the number 25; write 25 without quotes'
      ]
    ],
    [
      'hello-internal-nlb',
      [
        'examples/hello-internal-nlb.jsonnet:43: app.port_mappings[0].protocol: read "TCP" as "tcp", the spelling ECS takes'
      ]
    ]
  ])("renders hako's example %s straight from its .jsonnet", async (name, normalised) => {
    const rendered = await loadAndRender(`examples/${name}.jsonnet`, {
      containers: [],
      env: {},
      cwd: HAKO
    })
    expect(rendered.family).toBe(`${name}-oneshot`)
    expect(rendered.notices.filter((n) => !n.includes('scripts:'))).toEqual(normalised)
  })

  it("expands hello.jsonnet's provide.file from hello.env next to it", async () => {
    const rendered = await loadAndRender('examples/hello.jsonnet', {
      containers: [],
      env: {},
      cwd: HAKO
    })
    const app = rendered.registerRequest.containerDefinitions?.find((c) => c.name === 'app')
    expect(app?.environment).toEqual([
      { name: 'MESSAGE', value: 'eagletmt-san' },
      { name: 'PORT', value: '3000' }
    ])
  })
})

describe('Jsonnet definitions: errors a person can act on', () => {
  it('names the providers that exist when an unknown one is asked for', async () => {
    expect(await errorText('jsonnet/bad/unknown-provider.jsonnet')).toEqual([
      "jsonnet/bad/unknown-provider.jsonnet:5:29: runtime error: std.native: unknown native function 'provide.vault'; the ones that exist are 'provide.file', 'provide.yaml'",
      '    at jsonnet/bad/unknown-provider.jsonnet:5:12 (field TOKEN)',
      '    while rendering app.env.TOKEN'
    ])
  })

  it('names the key and the file when a provider has no value, the path read from the definition folder', async () => {
    expect(await errorText('jsonnet/bad/missing-key.jsonnet')).toEqual([
      "jsonnet/bad/missing-key.jsonnet:1:49: runtime error: provide.file: 'PASSWORD' is not defined in jsonnet/batch.env",
      '    at jsonnet/bad/missing-key.jsonnet:4:52 (function <provide>)',
      '    at jsonnet/bad/missing-key.jsonnet:4:35 (field PASSWORD)',
      '    while rendering app.env.PASSWORD'
    ])
  })

  it('gives the position in the imported file and how it was imported', async () => {
    expect(await errorText('jsonnet/bad/runtime.jsonnet')).toEqual([
      'jsonnet/bad/helpers.libsonnet:5:22: runtime error: operator / needs numbers, got number and string',
      '    at jsonnet/bad/helpers.libsonnet:5:5 (field cpu)',
      '    while rendering app.cpu',
      '    jsonnet/bad/helpers.libsonnet imported from jsonnet/bad/runtime.jsonnet:1:13'
    ])
  })

  it('gives the line and column of a syntax error', async () => {
    expect(await errorText('jsonnet/bad/syntax.jsonnet')).toEqual([
      "jsonnet/bad/syntax.jsonnet:3:27: syntax error: expected } to close the object, got 'memory'"
    ])
  })

  it('stops unbounded recursion at the stack limit', async () => {
    expect(await errorText('jsonnet/bad/recursion.jsonnet', { maxStack: 50 })).toEqual([
      'jsonnet/bad/recursion.jsonnet:1:27: runtime error: max stack frames exceeded (50 nested calls): unbounded recursion?',
      '    at jsonnet/bad/recursion.jsonnet:2:68 (function <forever>)',
      '    at jsonnet/bad/recursion.jsonnet:2:56 (field cpu)',
      '    while rendering app.cpu'
    ])
  })

  it('stops a loop that never grows the stack at the step limit', async () => {
    expect(await errorText('jsonnet/bad/loop.jsonnet', { maxSteps: 10_000 })).toEqual([
      'jsonnet/bad/loop.jsonnet:1:42: runtime error: evaluation exceeded 10000 steps; the definition is probably looping',
      '    at jsonnet/bad/loop.jsonnet:2:65 (function <spin>)',
      '    at jsonnet/bad/loop.jsonnet:2:56 (field cpu)',
      '    while rendering app.cpu'
    ])
  })

  it('names the file and line that defined a key the schema rejects', async () => {
    const error = await loadDefinition('jsonnet/bad/schema.jsonnet', FIXTURES).then(
      () => undefined,
      (e: unknown) => e
    )
    expect((error as UserError).message.split('\n')).toEqual([
      'jsonnet/bad/schema.jsonnet:4: app.cpu: expected a number, got "1 vCPU"',
      "jsonnet/bad/schema-lib.libsonnet:4: app.memroy: unknown key; did you mean 'memory'?"
    ])
  })

  it('says when the definition cannot be read', async () => {
    expect(await errorText('jsonnet/none.jsonnet')).toEqual([
      'jsonnet/none.jsonnet: cannot read the definition: no such file'
    ])
  })
})

describe("the README's Jsonnet example", () => {
  it('is the tested fixture, line for line', async () => {
    const { readFile } = await import('node:fs/promises')
    const readme = await readFile('README.md', 'utf8')
    const blocks = [...readme.matchAll(/```jsonnet\n\/\/ hako\/(\S+).*\n([\s\S]*?)```/g)].map(
      (m) => [m[1], m[2]] as const
    )
    expect(blocks.map(([name]) => name)).toEqual(['batch.jsonnet', 'lib/defaults.libsonnet'])
    for (const [name, body] of blocks) {
      const fixture = await readFile(path.join(FIXTURES, 'jsonnet', name!), 'utf8')
      // The README names the file in the first line where the fixture has a comment.
      expect(body).toBe(name === 'batch.jsonnet' ? fixture.replace(/^.*\n/, '') : fixture)
    }
  })
})
