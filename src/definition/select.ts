import type { KeySegment, Problem } from './problems.js'
import type { ContainerDefinitionKeys, Definition } from './schema.js'

/** The container key that always runs. */
export const APP = 'app'

/** Where the sidecars of a definition are: `sidecars`, else legacy `additional_containers`. */
export function sidecarsKey(
  definition: Definition
): 'sidecars' | 'additional_containers' | undefined {
  if (definition.sidecars !== undefined) return 'sidecars'
  if (definition.additional_containers !== undefined) return 'additional_containers'
  return undefined
}

/** The sidecars hako reads: `sidecars`, else the older `additional_containers`. */
export function sidecarsOf(definition: Definition): NonNullable<Definition['sidecars']> {
  return definition.sidecars ?? definition.additional_containers ?? {}
}

/** A reference from one container to another, and where it was written. */
interface Reference {
  name: string
  path: KeySegment[]
}

/** Container names a container refers to through links, depends_on and volumes_from. */
export function referencesOf(
  container: ContainerDefinitionKeys,
  containerPath: KeySegment[]
): Reference[] {
  const refs: Reference[] = []
  for (const [i, link] of (container.links ?? []).entries()) {
    // `name` or `name:alias`
    refs.push({ name: link.split(':')[0] ?? link, path: [...containerPath, 'links', i] })
  }
  for (const [i, dep] of (container.depends_on ?? []).entries()) {
    refs.push({
      name: dep.container_name,
      path: [...containerPath, 'depends_on', i, 'container_name']
    })
  }
  for (const [i, from] of (container.volumes_from ?? []).entries()) {
    refs.push({
      name: from.source_container,
      path: [...containerPath, 'volumes_from', i, 'source_container']
    })
  }
  return refs
}

/**
 * The containers a oneshot task runs: `app`, the requested ones (hako `-c`), and everything they
 * reach through `links`, `depends_on` and `volumes_from`, transitively (docs/hako.md, "Which containers run"):
 * `app` first, then sidecars in definition order.
 * Naming a container that does not exist is a problem saying where it was named.
 * @param requested the `containers` input
 * @param file the definition's path, for problems with the `containers` input
 * @param fileOf where a key was written, for problems with references in the definition
 */
export function selectContainers(
  definition: Definition,
  requested: readonly string[],
  file: string,
  fileOf: (path: KeySegment[]) => string
): { names: string[]; problems: Problem[] } {
  const sidecars = sidecarsOf(definition)
  const where = sidecarsKey(definition) ?? 'sidecars'
  const known = new Set([APP, ...Object.keys(sidecars)])
  const problems: Problem[] = []
  const selected = new Set<string>([APP])
  const queue: string[] = [APP]

  for (const name of requested) {
    if (!known.has(name)) {
      problems.push({
        file,
        path: [],
        message: `the 'containers' input names '${name}', which is not a container of this definition (${describeKnown(known)})`
      })
    } else if (!selected.has(name)) {
      selected.add(name)
      queue.push(name)
    }
  }

  while (queue.length > 0) {
    const name = queue.shift()!
    const containerPath: KeySegment[] = name === APP ? [APP] : [where, name]
    const container = name === APP ? definition.app : sidecars[name]
    if (!container) continue
    for (const ref of referencesOf(container, containerPath)) {
      if (!known.has(ref.name)) {
        problems.push({
          file: fileOf(ref.path),
          path: ref.path,
          message: `no container named '${ref.name}' (${describeKnown(known)})`
        })
      } else if (!selected.has(ref.name)) {
        selected.add(ref.name)
        queue.push(ref.name)
      }
    }
  }

  const names = [APP, ...Object.keys(sidecars).filter((name) => name !== APP && selected.has(name))]
  return { names, problems }
}

function describeKnown(known: Set<string>): string {
  return `containers: ${[...known].join(', ')}`
}
