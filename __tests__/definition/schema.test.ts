import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { loadAndRender, loadDefinition } from '../../src/definition/index.js'
import { editDistance, suggestKey } from '../../src/definition/suggest.js'
import { UserError } from '../../src/util/errors.js'

const FIXTURES = path.resolve('__fixtures__/definitions')

async function errorLines(file: string): Promise<string[]> {
  const error = await loadDefinition(file, FIXTURES).then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(UserError)
  return (error as UserError).message.split('\n')
}

describe('validateDefinition: every problem, as <file>: <key.path>: <message>', () => {
  it.each([
    [
      'unknown keys with a "did you mean" suggestion',
      'schema/typo.yml',
      [
        "schema/typo.yml:5:3: app.memory_reservaton: unknown key; did you mean 'memory_reservation'?",
        // the unknown key comes first: it explains the missing one
        "schema/typo.yml:8:5: sidecars.front.image: unknown key; did you mean 'image_tag'?",
        'schema/typo.yml:8:5: sidecars.front.image_tag: is required'
      ]
    ],
    [
      'several errors at once, service-only scheduler keys accepted',
      'schema/many-errors.yml',
      [
        'schema/many-errors.yml:3:3: scheduler.launch_type: expected one of "EC2", "EXTERNAL", "FARGATE", "MANAGED_INSTANCES", got "fargate"',
        'schema/many-errors.yml:9:3: app.memory: expected a number, got "1GB"',
        'schema/many-errors.yml:12:7: app.port_mappings[0].host_port: is required',
        'schema/many-errors.yml:14:5: app.docker_labels["com.example.team"]: expected a string, got true; YAML reads yes/no/on/off/true/false as booleans, quote the value',
        "schema/many-errors.yml:10:3: app.comand: unknown key; did you mean 'command'?",
        'schema/many-errors.yml:17:5: sidecars.worker.image_tag: is required',
        'schema/many-errors.yml:17:5: sidecars.worker.cpu: expected an integer, got 1.5',
        'schema/many-errors.yml:19:3: volumes.data: give only one of source_path, docker_volume_configuration, efs_volume_configuration (found source_path and efs_volume_configuration)'
      ]
    ],
    [
      'a bad key from an included file names that file',
      'schema/included.yml',
      ['schema/partial/app.yml:2:1: app.essential: expected a boolean (true or false), got "maybe"']
    ]
  ])('%s', async (_name, file, expected) => {
    expect(await errorLines(file)).toEqual(expected)
  })

  it('accepts service-only scheduler keys, notes ignored scripts and additional_containers', async () => {
    const rendered = await loadAndRender('schema/service.yml', {
      containers: ['new'],
      cwd: FIXTURES
    })
    expect(rendered.notices).toEqual([
      'schema/service.yml: scripts: hako scripts (hooks) are not run by a oneshot task; they are ignored',
      'schema/service.yml: additional_containers: ignored because sidecars is set (additional_containers is its older name)'
    ])
    expect(rendered.registerRequest.containerDefinitions?.map((c) => c.name)).toEqual([
      'app',
      'new'
    ])
  })

  it('requires scheduler and app and rejects unknown top-level keys', async () => {
    const error = await loadDefinition('json/../yaml11.yml', FIXTURES).then(
      () => undefined,
      (e: unknown) => e
    )
    expect((error as UserError).message.split('\n')).toEqual([
      'json/../yaml11.yml:2:1: scheduler: is required',
      'json/../yaml11.yml:2:1: app: is required',
      'json/../yaml11.yml:2:1: a: unknown key; expected one of: scheduler, app, sidecars, additional_containers, volumes, scripts',
      'json/../yaml11.yml:3:1: b: unknown key; expected one of: scheduler, app, sidecars, additional_containers, volumes, scripts',
      'json/../yaml11.yml:4:1: c: unknown key; expected one of: scheduler, app, sidecars, additional_containers, volumes, scripts',
      'json/../yaml11.yml:5:1: d: unknown key; expected one of: scheduler, app, sidecars, additional_containers, volumes, scripts',
      'json/../yaml11.yml:6:1: e: unknown key; expected one of: scheduler, app, sidecars, additional_containers, volumes, scripts',
      'json/../yaml11.yml:7:1: f: unknown key; expected one of: scheduler, app, sidecars, additional_containers, volumes, scripts',
      'json/../yaml11.yml:8:1: g: unknown key; expected one of: scheduler, app, sidecars, additional_containers, volumes, scripts',
      'json/../yaml11.yml:9:1: h: unknown key; expected one of: scheduler, app, sidecars, additional_containers, volumes, scripts'
    ])
  })
})

describe('suggestKey', () => {
  const known = ['memory', 'memory_reservation', 'command', 'entry_point', 'image_tag', 'links']
  it.each([
    ['memory_reservaton', 'memory_reservation'],
    ['comand', 'command'],
    ['entrypoint', 'entry_point'],
    ['entry-point', 'entry_point'],
    ['image', 'image_tag'],
    ['link', 'links'],
    ['volumes', undefined],
    ['x', undefined],
    ['lnks', 'links']
  ])('%s -> %s', (key, expected) => {
    expect(suggestKey(key, known)).toBe(expected)
  })

  it.each([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', 'acb', 1],
    ['kitten', 'sitting', 3]
  ])('editDistance(%s, %s) = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d)
  })
})

describe('validateDefinition: the spellings hako accepts, normalised with a notice', () => {
  it('takes numeric strings for integers and lower-case enums in any case', async () => {
    const loaded = await loadDefinition('schema/lenient.yml', FIXTURES)
    expect(loaded.definition.scheduler.ephemeral_storage).toEqual({ size_in_gi_b: 25 })
    expect(loaded.definition.scheduler.network_mode).toBe('awsvpc')
    expect(loaded.definition.app.cpu).toBe(256)
    expect(loaded.definition.app.port_mappings).toEqual([
      { container_port: 8080, host_port: 0, protocol: 'tcp' }
    ])
    const rendered = await loadAndRender('schema/lenient.yml', {
      containers: [],
      cwd: FIXTURES
    })
    expect(rendered.notices).toEqual([
      'schema/lenient.yml:5:3: scheduler.network_mode: read "AWSVPC" as "awsvpc", the spelling ECS takes',
      'schema/lenient.yml:7:5: scheduler.ephemeral_storage.size_in_gi_b: read the string "25" as the number 25; write 25 without quotes',
      'schema/lenient.yml:10:3: app.cpu: read the string "256" as the number 256; write 256 without quotes',
      'schema/lenient.yml:13:7: app.port_mappings[0].container_port: read the string "8080" as the number 8080; write 8080 without quotes',
      'schema/lenient.yml:15:7: app.port_mappings[0].protocol: read "TCP" as "tcp", the spelling ECS takes'
    ])
    expect(rendered.registerRequest.ephemeralStorage).toEqual({ sizeInGiB: 25 })
    expect(rendered.registerRequest.containerDefinitions?.[0]?.portMappings).toEqual([
      { containerPort: 8080, hostPort: 0, protocol: 'tcp' }
    ])
  })

  it('still rejects non-numeric strings and enums whose ECS spelling is not lower case', async () => {
    expect(await errorLines('schema/not-lenient.yml')).toEqual([
      'schema/not-lenient.yml:4:3: scheduler.launch_type: expected one of "EC2", "EXTERNAL", "FARGATE", "MANAGED_INSTANCES", got "fargate"',
      'schema/not-lenient.yml:7:3: app.memory: expected a number, got "512MB"',
      'schema/not-lenient.yml:11:7: app.port_mappings[0].protocol: expected one of "tcp", "udp", got "SCTP"'
    ])
  })
})
