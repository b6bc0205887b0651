import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { loadAndRender, loadDefinition } from '../../src/definition/index.js'
import { loadJsonnetTree } from '../../src/definition/jsonnet-definition.js'
import { UserError } from '../../src/util/errors.js'

const FIXTURES = path.resolve('__fixtures__/definitions')

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

  // Hako-style definitions of the project's own, written the way hako's examples are: shared
  // libraries, providers, EC2 and Fargate schedulers, service-only keys a one-off task ignores.
  it.each([
    [
      'catalog-api',
      [
        'hako-style/catalog-api.jsonnet:26: app.port_mappings[0].protocol: read "TCP" as "tcp", the spelling ECS takes'
      ]
    ],
    ['disk-probe', []],
    [
      'invoice-export',
      [
        'hako-style/invoice-export.jsonnet:6: scheduler.ephemeral_storage.size_in_gi_b: read the string "25" as the number 25; write 25 without quotes'
      ]
    ],
    ['ledger-sync', []],
    ['media-pipeline', []],
    ['nightly-reindex', []],
    ['storefront', []],
    ['storefront-preview', []],
    ['tiny', []]
  ])(
    'renders the hako-style definition %s through the loader, the schema and render',
    async (name, notices) => {
      const rendered = await loadAndRender(`hako-style/${name}.jsonnet`, {
        containers: [],
        cwd: FIXTURES
      })
      expect(rendered.appId).toBe(name)
      expect(rendered.family).toBe(`${name}-oneshot`)
      expect(rendered.notices).toEqual(notices)
    }
  )

  it('every hako-style definition is in the list above', () => {
    expect(
      readdirSync(path.join(FIXTURES, 'hako-style'))
        .filter((f) => f.endsWith('.jsonnet'))
        .sort()
    ).toEqual([
      'catalog-api.jsonnet',
      'disk-probe.jsonnet',
      'invoice-export.jsonnet',
      'ledger-sync.jsonnet',
      'media-pipeline.jsonnet',
      'nightly-reindex.jsonnet',
      'storefront-preview.jsonnet',
      'storefront.jsonnet',
      'tiny.jsonnet'
    ])
  })

  it('expands provide.file from the .env file next to the definition, also when the definition is imported', async () => {
    for (const name of ['storefront', 'storefront-preview']) {
      const rendered = await loadAndRender(`hako-style/${name}.jsonnet`, {
        containers: [],
        cwd: FIXTURES
      })
      const app = rendered.registerRequest.containerDefinitions?.find((c) => c.name === 'app')
      expect(app?.environment).toEqual([
        { name: 'BANNER', value: 'Welcome back, shopper' },
        { name: 'CURRENCY', value: 'EUR' },
        { name: 'PAYMENT_GATEWAY', value: 'https://pay.example.net/v2' },
        { name: 'PORT', value: '8080' },
        ...(name === 'storefront-preview' ? [{ name: 'PREVIEW', value: 'true' }] : [])
      ])
    }
  })

  it('composes the imported storefront with +: and super: tag, memory and the sidecars', async () => {
    const rendered = await loadAndRender('hako-style/storefront-preview.jsonnet', {
      containers: [],
      cwd: FIXTURES
    })
    expect(rendered.cluster).toBe('shop-preview')
    const containers = rendered.registerRequest.containerDefinitions ?? []
    const byName = Object.fromEntries(containers.map((c) => [c.name ?? '', c] as const))
    expect(Object.keys(byName).sort()).toEqual(['app', 'cache', 'proxy'])
    expect(byName.app?.image).toBe('registry.example.net/storefront:preview-storefront-preview')
    expect(byName.app?.memory).toBe(1536)
    expect(byName.app?.dependsOn).toEqual([{ containerName: 'proxy', condition: 'START' }])
    expect(byName.cache?.memory).toBe(64)
    expect(byName.proxy?.environment).toEqual([
      { name: 'UPSTREAM', value: 'http://127.0.0.1:8080' },
      { name: 'UPSTREAM_TIMEOUT', value: '30s' }
    ])
    expect(byName.proxy?.portMappings).toEqual([
      { containerPort: 443, hostPort: 0, protocol: 'tcp' }
    ])
    expect(byName.app?.logConfiguration?.options?.['awslogs-group']).toBe(
      '/platform/storefront-preview'
    )
  })

  it('renders a Fargate service as a one-off task: provide.yaml values, awsvpc, the shared proxy on its fixed port', async () => {
    const rendered = await loadAndRender('hako-style/catalog-api.jsonnet', {
      containers: [],
      cwd: FIXTURES
    })
    const request = rendered.registerRequest
    expect(request.networkMode).toBe('awsvpc')
    expect(request.requiresCompatibilities).toEqual(['FARGATE'])
    expect([request.cpu, request.memory]).toEqual(['512', '1024'])
    expect(request.executionRoleArn).toBe('arn:aws:iam::210987654321:role/platform-task-execution')
    const [app, proxy] = request.containerDefinitions ?? []
    expect(app?.environment).toEqual([
      { name: 'LANGUAGES', value: 'en fr nl' },
      { name: 'SEARCH_ENDPOINT', value: 'https://search.internal.example.net' },
      { name: 'SEARCH_SHARDS', value: '3' }
    ])
    expect(app?.portMappings).toEqual([{ containerPort: 7000, hostPort: 7000, protocol: 'tcp' }])
    expect(proxy?.name).toBe('proxy')
    expect(proxy?.portMappings).toEqual([{ containerPort: 443, hostPort: 443, protocol: 'tcp' }])
    expect(proxy?.dockerLabels).toEqual({
      'net.example.role': 'edge-proxy',
      'cc.wanko.hako.version': '2.18.0'
    })
  })

  it('renders a Fargate batch job with its ephemeral storage read as a number', async () => {
    const rendered = await loadAndRender('hako-style/invoice-export.jsonnet', {
      containers: [],
      cwd: FIXTURES
    })
    const request = rendered.registerRequest
    expect([request.cpu, request.memory]).toEqual(['2048', '4096'])
    expect(request.ephemeralStorage).toEqual({ sizeInGiB: 25 })
    const app = request.containerDefinitions?.[0]
    expect(app?.memoryReservation).toBe(2048)
    expect(app?.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/platform/invoice-export',
        'awslogs-region': 'eu-west-1',
        'awslogs-stream-prefix': 'export'
      }
    })
  })

  it('keeps container ordering, shared volumes, secrets, labels and capabilities', async () => {
    const render = (name: string) =>
      loadAndRender(`hako-style/${name}.jsonnet`, { containers: [], cwd: FIXTURES })
    const media = (await render('media-pipeline')).registerRequest
    expect(media.containerDefinitions?.map((c) => [c.name, c.essential])).toEqual([
      ['app', true],
      ['metrics', true],
      ['presets', false],
      ['seed', false]
    ])
    const app = media.containerDefinitions?.[0]
    expect(app?.dependsOn).toEqual([
      { containerName: 'seed', condition: 'SUCCESS' },
      { containerName: 'metrics', condition: 'HEALTHY' }
    ])
    expect(app?.volumesFrom).toEqual([{ sourceContainer: 'presets', readOnly: true }])
    expect(media.volumes).toEqual([{ name: 'scratch', host: {} }])
    expect(media.containerDefinitions?.[1]?.healthCheck).toEqual({
      command: ['CMD', 'agent', 'status'],
      interval: 10,
      retries: 3,
      timeout: 5
    })

    const ledger = (await render('ledger-sync')).registerRequest
    expect(ledger.taskRoleArn).toBe('arn:aws:iam::210987654321:role/ledger-sync')
    expect(ledger.containerDefinitions?.[0]?.secrets).toEqual([
      {
        name: 'LEDGER_API_TOKEN',
        valueFrom: 'arn:aws:ssm:eu-west-1:210987654321:parameter/ledger/api-token'
      },
      {
        name: 'LEDGER_DB_URL',
        valueFrom: 'arn:aws:ssm:eu-west-1:210987654321:parameter/ledger/db-url'
      },
      {
        name: 'SIGNING_KEY',
        valueFrom:
          'arn:aws:secretsmanager:eu-west-1:210987654321:secret:ledger/signing-Qx81Zp:private_key::'
      }
    ])

    const probe = (await render('disk-probe')).registerRequest.containerDefinitions?.[0]
    expect(probe?.linuxParameters).toEqual({
      capabilities: { add: ['SYS_ADMIN'], drop: ['NET_RAW'] },
      initProcessEnabled: true
    })
    expect(probe?.dockerLabels).toEqual({
      'net.example.job': 'disk-probe',
      'net.example.team': 'ops',
      'cc.wanko.hako.version': '2.18.0'
    })
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

describe("docs/jsonnet.md's example", () => {
  it('is the tested fixture, line for line', async () => {
    const { readFile } = await import('node:fs/promises')
    const readme = await readFile('docs/jsonnet.md', 'utf8')
    const blocks = [...readme.matchAll(/```jsonnet\n\/\/ hako\/(\S+).*\n([\s\S]*?)```/g)].map(
      (m) => [m[1], m[2]] as const
    )
    expect(blocks.map(([name]) => name)).toEqual(['batch.jsonnet', 'lib/defaults.libsonnet'])
    for (const [name, body] of blocks) {
      const fixture = await readFile(path.join(FIXTURES, 'jsonnet', name!), 'utf8')
      // The page names the file in the first line where the fixture has a comment.
      expect(body).toBe(name === 'batch.jsonnet' ? fixture.replace(/^.*\n/, '') : fixture)
    }
  })
})
