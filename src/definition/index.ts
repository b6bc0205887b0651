import path from 'node:path'
import { type ProviderSource, expandEnv, fileProviderSource } from './env.js'
import { loadJsonnetTree } from './jsonnet-definition.js'
import {
  definitionFormat,
  loadDefinitionTree,
  type LoadedTree,
  type Origins,
  unsupportedFormatError
} from './load.js'
import { formatProblem, type KeySegment, type Problem, problemsError } from './problems.js'
import {
  appImage,
  type ContainerToRender,
  oneshotFamily,
  renderRegisterRequest,
  renderRunTaskRequest
} from './render.js'
import type { RenderedDefinition } from './rendered.js'
import { compact } from '../util/objects.js'
import { applyRunOverrides, type RunOverrides } from './run-overrides.js'
import { type Definition, validateDefinition } from './schema.js'
import { APP, selectContainers, sidecarsKey, sidecarsOf } from './select.js'

export { selectContainers } from './select.js'

/** How the action's inputs shape the rendered requests (hako oneshot's options). */
export interface DefinitionOptions {
  /** The `tag` input (hako `--tag`): the app image tag, before `app.tag` and `latest`. */
  tag?: string
  /** The `containers` input (hako `-c`): sidecars to start with `app`. */
  containers: string[]
  /** The `cluster` input; overrides scheduler.cluster. */
  cluster?: string
  /** The `app-cpu` input. */
  appCpu?: number
  /** The `app-memory` input. */
  appMemory?: number
  /** The `app-memory-reservation` input. */
  appMemoryReservation?: number
  /** Directory relative paths are resolved against; the process's working directory by default. */
  cwd?: string
  /** The run's choices beyond the definition (run-overrides.ts); RunTask only. */
  runOverrides?: RunOverrides
}

/** A definition read and validated, with what is needed to report problems about it. */
export interface LoadedDefinition {
  /** The definition's path as given. */
  file: string
  /** hako's appId: the file name without its extension. */
  appId: string
  definition: Definition
  tree: unknown
  origins: Origins
  /** Values written in hako's looser spelling and normalised by validation. */
  normalised?: Problem[]
}

/** hako's appId: the definition's file name without extension (`hako/batch.yml` → `batch`). */
export function appIdOf(file: string): string {
  return path.basename(file, path.extname(file))
}

/**
 * Reads a definition into its raw tree: YAML with `!include` and `<<`, or Jsonnet (`.jsonnet`
 * and `.json`, evaluated as hako does). Throws a UserError naming what is wrong and where.
 */
export async function readDefinitionTree(
  file: string,
  cwd: string = process.cwd()
): Promise<LoadedTree> {
  const format = definitionFormat(file)
  if (format === 'jsonnet') return loadJsonnetTree(file, cwd)
  if (format === 'yaml') return loadDefinitionTree(file, cwd)
  throw unsupportedFormatError(file)
}

/**
 * Reads a definition (YAML with `!include` and `<<`, or Jsonnet) and validates it against the
 * schema. Throws a UserError listing every problem, one per line.
 */
export async function loadDefinition(
  file: string,
  cwd: string = process.cwd()
): Promise<LoadedDefinition> {
  const { tree, origins } = await readDefinitionTree(file, cwd)
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) {
    throw problemsError([
      {
        file,
        path: [],
        message: 'expected a map with scheduler and app at the top of the definition'
      }
    ])
  }
  const result = validateDefinition(tree, origins)
  if (!result.ok) throw problemsError(result.problems)
  return {
    file,
    appId: appIdOf(file),
    definition: result.definition,
    tree,
    origins,
    normalised: result.notices
  }
}

/** Notices about parts of a valid definition that a oneshot run does not use. */
export function noticesFor(loaded: LoadedDefinition): string[] {
  const notices: string[] = (loaded.normalised ?? []).map(formatProblem)
  const { definition, file } = loaded
  if (definition.scripts !== undefined) {
    notices.push(
      `${file}: scripts: hako scripts (hooks) are not run by a oneshot task; they are ignored`
    )
  }
  if (definition.sidecars !== undefined && definition.additional_containers !== undefined) {
    notices.push(
      `${file}: additional_containers: ignored because sidecars is set (additional_containers is its older name)`
    )
  }
  return notices
}

/**
 * Picks the containers of the task and expands their env. Returns the containers ready to
 * render, or every problem found (unknown container names, unresolvable env references).
 */
export async function prepareContainers(
  loaded: LoadedDefinition,
  selection: { containers: readonly string[]; tag?: string | undefined },
  source: ProviderSource
): Promise<{ containers: ContainerToRender[]; problems: Problem[] }> {
  const { definition, tree, origins, file } = loaded
  const fileOf = (keyPath: KeySegment[]): string => origins.fileOf(tree, keyPath)
  const picked = selectContainers(definition, selection.containers, file, fileOf)
  const problems = [...picked.problems]
  const sidecars = sidecarsOf(definition)
  const where = sidecarsKey(definition) ?? 'sidecars'
  const containers: ContainerToRender[] = []
  for (const name of picked.names) {
    const keys = name === APP ? definition.app : sidecars[name]
    if (!keys) continue
    const envPath: KeySegment[] = name === APP ? [APP, 'env'] : [where, name, 'env']
    const expanded = await expandEnv({ env: keys.env ?? {}, envPath, fileOf, source })
    problems.push(...expanded.problems)
    const image =
      name === APP
        ? appImage(definition.app, selection.tag)
        : (keys as { image_tag: string }).image_tag
    containers.push({ name, image, keys, env: expanded.env })
  }
  return { containers, problems }
}

/**
 * Loads, validates and renders a hako definition into the RegisterTaskDefinition and RunTask
 * requests of a oneshot run (the RunTask request without any task's command and env). Throws a UserError listing every problem (one per line,
 * `<file>: <key.path>: <what is wrong>`).
 */
export async function loadAndRender(
  file: string,
  options: DefinitionOptions
): Promise<RenderedDefinition> {
  const cwd = options.cwd ?? process.cwd()
  const loaded = await loadDefinition(file, cwd)
  const source = fileProviderSource(path.resolve(cwd, path.dirname(file)), path.dirname(file))
  const { containers, problems } = await prepareContainers(
    loaded,
    { containers: options.containers, tag: options.tag },
    source
  )
  if (problems.length > 0) throw problemsError(problems)

  const { definition } = loaded
  const family = oneshotFamily(loaded.appId)
  const scheduler = definition.scheduler
  const cluster = options.cluster ?? scheduler.cluster ?? 'default'
  const registerRequest = renderRegisterRequest({
    family,
    scheduler,
    volumes: definition.volumes,
    containers
  })
  // The run's choices shape RunTask only: the register request (what the compare sees) is done.
  const runTaskRequest = applyRunOverrides(
    renderRunTaskRequest({
      cluster,
      family,
      scheduler,
      overrides: {
        cpu: options.appCpu,
        memory: options.appMemory,
        memoryReservation: options.appMemoryReservation
      }
    }),
    options.runOverrides ?? {},
    { definitionFile: file, networkMode: registerRequest.networkMode }
  )
  const appLog = registerRequest.containerDefinitions?.find((c) => c.name === APP)?.logConfiguration

  return compact<RenderedDefinition>({
    file,
    appId: loaded.appId,
    family,
    cluster,
    registerRequest,
    runTaskRequest,
    notices: noticesFor(loaded),
    region: scheduler.region,
    notificationPrefix: scheduler.oneshot_notification_prefix,
    autoscalingGroupForOneshot: scheduler.autoscaling_group_for_oneshot,
    autoscalingTopicForOneshot: scheduler.autoscaling_topic_for_oneshot,
    appLogConfiguration:
      appLog?.logDriver !== undefined
        ? { logDriver: appLog.logDriver, options: { ...(appLog.options ?? {}) } }
        : undefined
  })
}
