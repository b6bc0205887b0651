import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { loadAndRender, loadDefinition, selectContainers } from '../../src/definition/index.js'
import { UserError } from '../../src/util/errors.js'

const FIXTURES = path.resolve('__fixtures__/definitions')

describe('selectContainers: app, the containers input, and the closure (docs/hako.md, "Which containers run")', () => {
  it.each([
    ['only app by default; other sidecars stay out', [], ['app']],
    ['links, with name:alias', ['via-link'], ['app', 'via-link', 'linked']],
    [
      'depends_on, then volumes_from transitively',
      ['via-depends'],
      ['app', 'via-depends', 'depended', 'volume-source']
    ],
    ['volumes_from', ['via-volumes'], ['app', 'via-volumes', 'volume-source']],
    [
      'several, each once, in definition order',
      ['via-volumes', 'via-link', 'volume-source'],
      ['app', 'via-link', 'linked', 'via-volumes', 'volume-source']
    ]
  ])('%s', async (_name, requested, expected) => {
    const loaded = await loadDefinition('select/closure.yml', FIXTURES)
    const selection = selectContainers(loaded.definition, requested, loaded.file, (p) =>
      loaded.origins.fileOf(loaded.tree, p)
    )
    expect(selection).toEqual({ names: expected, problems: [] })
  })

  it.each([
    [
      'a reference to a container that does not exist says where it was named',
      'select/unknown.yml',
      ['nobody'],
      [
        "select/unknown.yml: the 'containers' input names 'nobody', which is not a container of this definition (containers: app, helper)",
        "select/unknown.yml:5:3: app.links[0]: no container named 'ghost' (containers: app, helper)",
        "select/unknown.yml:13:9: sidecars.helper.volumes_from[0].source_container: no container named 'phantom' (containers: app, helper)"
      ]
    ]
  ])('%s', async (_name, file, containers, expected) => {
    const error = await loadAndRender(file, { containers, cwd: FIXTURES }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(UserError)
    expect((error as UserError).message.split('\n')).toEqual(expected)
  })

  it.each([
    [
      'legacy additional_containers when sidecars is absent',
      'select/legacy.yml',
      [],
      ['app', 'old']
    ],
    ['sidecars wins over additional_containers', 'select/both.yml', ['new'], ['app', 'new']]
  ])('%s', async (_name, file, containers, expected) => {
    const rendered = await loadAndRender(file, { containers, cwd: FIXTURES })
    expect(rendered.registerRequest.containerDefinitions?.map((c) => c.name)).toEqual(expected)
  })

  it('an additional_containers name is unknown when sidecars is set', async () => {
    const error = await loadAndRender('select/both.yml', {
      containers: ['old'],
      cwd: FIXTURES
    }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toEqual(
      new UserError(
        "select/both.yml: the 'containers' input names 'old', which is not a container of this definition (containers: app, new)"
      )
    )
  })
})
