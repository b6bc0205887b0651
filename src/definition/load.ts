import { readFile } from 'node:fs/promises'
import path from 'node:path'
import {
  defineMappingTag,
  defineScalarTag,
  EVENT_ID,
  load as parseYaml,
  NOT_RESOLVED,
  parseEvents,
  SCALAR_STYLE,
  Schema,
  YAML11_SCHEMA,
  YAMLException,
  type Event
} from 'js-yaml'
import { errorMessage, readErrorReason, UserError } from '../util/errors.js'
import { setKey } from '../util/objects.js'
import { formatProblem, type KeySegment, type Problem, problemsError } from './problems.js'

/**
 * The file extensions a definition may have, and how each is read: `.json` files are evaluated
 * as Jsonnet, as hako does (docs/hako.md, "Jsonnet").
 */
export type DefinitionFormat = 'yaml' | 'jsonnet'

/** The raw tree of a definition file, after `!include` and `<<`, before validation. */
export interface LoadedTree {
  /** Plain data: objects, arrays, strings, numbers, booleans, null (and Dates from timestamps). */
  tree: unknown
  /** Which file each key was written in, for error messages. */
  origins: Origins
}

/**
 * Remembers in which file each map key (and each map or list) of the merged tree was written,
 * so that a problem with a key that came from an included file names that file.
 */
export class Origins {
  private readonly keyFiles = new WeakMap<object, Map<string, string>>()
  private readonly nodeFiles = new WeakMap<object, string>()

  /** @param rootFile the definition's path as given */
  constructor(readonly rootFile: string) {}

  /** Records that `node` (a map or list) was written in `file`. */
  recordNode(node: object, file: string): void {
    this.nodeFiles.set(node, file)
  }

  /** Records that `key` of the map `node` was written in `file`. */
  recordKey(node: object, key: string, file: string): void {
    let keys = this.keyFiles.get(node)
    if (!keys) {
      keys = new Map()
      this.keyFiles.set(node, keys)
    }
    keys.set(key, file)
  }

  /** The file a key was written in, looked up by its path in `tree`; the root file by default. */
  fileOf(tree: unknown, keyPath: readonly KeySegment[]): string {
    let file = this.rootFile
    let node: unknown = tree
    for (const segment of keyPath) {
      if (Array.isArray(node)) {
        file = this.nodeFiles.get(node) ?? file
        node = node[segment as number]
      } else if (isPlainMap(node)) {
        const key = String(segment)
        file = this.keyFiles.get(node)?.get(key) ?? this.nodeFiles.get(node) ?? file
        node = Object.hasOwn(node, key) ? node[key] : undefined
      } else {
        break
      }
    }
    return file
  }
}

/** A `!include path` tag as the YAML parser saw it; replaced by the file's content. */
class IncludeRef {
  constructor(readonly target: string) {}
}

/**
 * A YAML mapping as written: every pair in document order, `<<` and duplicates kept, with where
 * the mapping and each of its keys start (`line:column`, both from 1), when known.
 */
class PairList {
  constructor(
    readonly pairs: ReadonlyArray<readonly [unknown, unknown]>,
    readonly at: MappingPositions | undefined
  ) {}
}

/** Where one mapping and its keys start in the text, as `line:column`. */
interface MappingPositions {
  start: string
  keys: string[]
}

/**
 * Where every mapping of a YAML text and each of its keys start, in the order the parser opens
 * the mappings, which is the order js-yaml's constructor creates them (depth first, an alias
 * creating nothing). The mapping tag below takes one entry per mapping it creates, so each key
 * of the tree knows its line and column.
 */
export function mappingPositions(text: string, filename: string): MappingPositions[] {
  const lineStarts = [0]
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1)
  const place = (offset: number): string => {
    let low = 0
    let high = lineStarts.length - 1
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (lineStarts[mid]! <= offset) low = mid
      else high = mid - 1
    }
    return `${low + 1}:${offset - lineStarts[low]! + 1}`
  }
  /** Where an event's node starts: a quoted scalar at its quote, an alias at its `*`. */
  const startOf = (event: Event): number | undefined => {
    switch (event.type) {
      case EVENT_ID.SCALAR:
        return event.tagStart >= 0
          ? event.tagStart
          : event.anchorStart >= 0
            ? event.anchorStart - 1
            : event.style === SCALAR_STYLE.SINGLE_QUOTED ||
                event.style === SCALAR_STYLE.DOUBLE_QUOTED
              ? event.valueStart - 1
              : event.valueStart
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE:
        return event.start
      case EVENT_ID.ALIAS:
        return event.anchorStart - 1
      default:
        return undefined
    }
  }
  const maps: MappingPositions[] = []
  // One frame per open document, sequence or mapping; a mapping alternates key and value.
  const stack: { map?: MappingPositions; expectKey: boolean }[] = []
  for (const event of parseEvents(text, { filename })) {
    if (event.type === EVENT_ID.POP) {
      stack.pop()
      continue
    }
    const parent = stack[stack.length - 1]
    if (parent?.map) {
      if (parent.expectKey) parent.map.keys.push(place(startOf(event) ?? 0))
      parent.expectKey = !parent.expectKey
    }
    if (event.type === EVENT_ID.MAPPING) {
      const map: MappingPositions = { start: place(event.start), keys: [] }
      maps.push(map)
      stack.push({ map, expectKey: true })
    } else if (event.type === EVENT_ID.SEQUENCE || event.type === EVENT_ID.DOCUMENT) {
      stack.push({ expectKey: false })
    }
  }
  return maps
}

const includeTag = defineScalarTag<IncludeRef>('!include', {
  resolve: (source) => new IncludeRef(source),
  identify: () => false
})

// Mappings are kept as ordered pairs so that `<<` can be applied the way hako applies it (in
// document order), not the way the YAML 1.1 spec or js-yaml's merge tag does (explicit keys
// always win). docs/hako.md, "YAML extensions".
const pairMapTag = (positions: readonly MappingPositions[]) => {
  let next = 0
  return defineMappingTag<
    { pairs: Array<readonly [unknown, unknown]>; at: MappingPositions | undefined },
    PairList
  >('tag:yaml.org,2002:map', {
    create: () => ({ pairs: [], at: positions[next++] }),
    addPair: (carrier, key, value) => {
      carrier.pairs.push([key, value])
      return ''
    },
    // Duplicate keys are allowed, the later one winning, as in Ruby's Psych which hako uses.
    has: () => false,
    keys: (result) => result.pairs.map(([key]) => key),
    get: (result, key) => {
      let found: unknown
      for (const [k, v] of result.pairs) if (k === key) found = v
      return found
    },
    finalize: (carrier) => new PairList(carrier.pairs, carrier.at),
    identify: () => false
  })
}

// Psych (YAML 1.1 as Ruby reads it) takes yes/no/true/false/on/off in any case as booleans, but
// not y/n, which js-yaml's YAML 1.1 boolean also takes.
const psychBoolTag = defineScalarTag<boolean>('tag:yaml.org,2002:bool', {
  implicit: true,
  implicitFirstChars: ['y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O'],
  resolve: (source) => {
    if (/^(?:yes|true|on)$/i.test(source)) return true
    if (/^(?:no|false|off)$/i.test(source)) return false
    return NOT_RESOLVED
  },
  identify: (data) => typeof data === 'boolean'
})

const YAML11_WITHOUT_MERGE = YAML11_SCHEMA.tags.filter(
  (tag) => tag.tagName !== 'tag:yaml.org,2002:merge'
)

/**
 * YAML 1.1 scalars as Psych reads them, `<<` left as an ordinary key, and hako's `!include`;
 * one schema per file, whose mappings take their positions from `positions`.
 */
function hakoSchema(positions: readonly MappingPositions[]): Schema {
  return new Schema(YAML11_WITHOUT_MERGE).withTags(psychBoolTag, pairMapTag(positions), includeTag)
}

/** The format of a definition file from its extension, or undefined when it is not supported. */
export function definitionFormat(file: string): DefinitionFormat | undefined {
  const ext = path.extname(file).toLowerCase()
  if (ext === '.yml' || ext === '.yaml') return 'yaml'
  if (ext === '.jsonnet' || ext === '.json') return 'jsonnet'
  return undefined
}

/** A map built from a definition: a plain object with no prototype surprises. */
export type PlainMap = Record<string, unknown>

/** True for the plain objects this loader builds (not arrays, Dates or byte arrays). */
export function isPlainMap(value: unknown): value is PlainMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

interface FileFrame {
  /** The path as shown to the user (the definition's path as given, joined with include paths). */
  display: string
  /** The absolute path, to read the file and to detect cycles. */
  absolute: string
}

class Loader {
  readonly problems: Problem[] = []

  constructor(readonly origins: Origins) {}

  /** Reads and parses one file; records a problem at the including key (`from`) when it cannot. */
  async loadFile(
    chain: readonly FileFrame[],
    from?: { file: string; path: KeySegment[] }
  ): Promise<unknown> {
    const frame = chain[chain.length - 1]!
    let text: string
    try {
      text = await readFile(frame.absolute, 'utf8')
    } catch (error) {
      const reason = readErrorReason(error)
      if (from) {
        this.problems.push({
          file: from.file,
          path: from.path,
          message: `cannot include '${frame.display}': ${reason}`
        })
        return undefined
      }
      throw new UserError(`${frame.display}: cannot read the definition: ${reason}`)
    }
    let parsed: unknown
    try {
      const positions = mappingPositions(text, frame.display)
      parsed = parseYaml(text, { schema: hakoSchema(positions), filename: frame.display })
    } catch (error) {
      // A syntax error names its line and column the way every other problem does.
      const mark = error instanceof YAMLException ? error.mark : undefined
      const problem: Problem = {
        file: mark ? `${frame.display}:${mark.line + 1}:${mark.column + 1}` : frame.display,
        path: [],
        message: describeYamlError(error)
      }
      if (from) {
        this.problems.push(problem)
        return undefined
      }
      throw new UserError(formatProblem(problem))
    }
    return this.resolve(parsed, chain, [])
  }

  /**
   * Replaces includes, applies `<<`, and turns pair lists into plain maps. Each key is recorded
   * as written at `file:line:column`, so a problem names the line; a list takes the place of
   * the key that holds it (`at`).
   */
  private async resolve(
    node: unknown,
    chain: readonly FileFrame[],
    keyPath: KeySegment[],
    at?: string
  ): Promise<unknown> {
    const frame = chain[chain.length - 1]!
    const where = (position: string | undefined): string =>
      position === undefined ? frame.display : `${frame.display}:${position}`
    if (node instanceof IncludeRef) return this.include(node, chain, keyPath)
    if (Array.isArray(node)) {
      const out: unknown[] = []
      for (const [index, item] of node.entries())
        out.push(await this.resolve(item, chain, [...keyPath, index], at))
      this.origins.recordNode(out, where(at))
      return out
    }
    if (node instanceof PairList) {
      const out: PlainMap = {}
      this.origins.recordNode(out, where(node.at?.start))
      for (const [index, [rawKey, rawValue]] of node.pairs.entries()) {
        const key = String(rawKey)
        const keyAt = node.at?.keys[index]
        const value = await this.resolve(rawValue, chain, [...keyPath, key], keyAt)
        if (key === '<<') this.merge(out, value, frame, keyPath)
        else {
          setKey(out, key, value)
          this.origins.recordKey(out, key, where(keyAt))
        }
      }
      return out
    }
    return node
  }

  /**
   * hako's `<<`: the merged map's keys overwrite the keys written before `<<`, and keys written
   * after it overwrite them in turn, because the map is built in document order. With a list,
   * the first map that has a key gives it (Psych merges the list in reverse). Nested maps are
   * replaced, never deep-merged. docs/hako.md, "YAML extensions".
   */
  private merge(target: PlainMap, value: unknown, frame: FileFrame, keyPath: KeySegment[]): void {
    if (value === undefined) return // a failed include, already reported
    const sources: unknown[] = Array.isArray(value) ? [...(value as unknown[])].reverse() : [value]
    if (!sources.every(isPlainMap)) {
      this.problems.push({
        file: frame.display,
        path: [...keyPath, '<<'],
        message:
          'expected a map (or a list of maps) to merge, such as `<<: *defaults` or `<<: !include base.yml`'
      })
      return
    }
    for (const source of sources) {
      for (const [key, item] of Object.entries(source)) {
        setKey(target, key, item)
        this.origins.recordKey(target, key, this.origins.fileOf(source, [key]))
      }
    }
  }

  private async include(
    ref: IncludeRef,
    chain: readonly FileFrame[],
    keyPath: KeySegment[]
  ): Promise<unknown> {
    const frame = chain[chain.length - 1]!
    const target = ref.target.trim()
    if (target === '') {
      this.problems.push({
        file: frame.display,
        path: keyPath,
        message: '!include needs a file path'
      })
      return undefined
    }
    // Relative to the directory of the file that contains the tag, as hako resolves it.
    const next: FileFrame = {
      display: path.isAbsolute(target) ? target : path.join(path.dirname(frame.display), target),
      absolute: path.resolve(path.dirname(frame.absolute), target)
    }
    if (chain.some((f) => f.absolute === next.absolute)) {
      const cycle = [...chain.map((f) => f.display), next.display].join(' -> ')
      this.problems.push({
        file: frame.display,
        path: keyPath,
        message: `!include cycle: ${cycle}`
      })
      return undefined
    }
    // The included file's maps and lists record their own file and lines as they are resolved.
    return this.loadFile([...chain, next], { file: frame.display, path: keyPath })
  }
}

function describeYamlError(error: unknown): string {
  if (error instanceof YAMLException) {
    if (error.reason === 'expected a document, but the input is empty') return 'the file is empty'
    return `invalid YAML: ${error.reason}`
  }
  return `invalid YAML: ${errorMessage(error)}`
}

/** The error for a definition whose extension is not one hako reads. */
export function unsupportedFormatError(file: string): UserError {
  return new UserError(
    `${file}: unsupported definition file type '${path.extname(file) || '(none)'}': use .yml or .yaml (YAML), or .jsonnet or .json (Jsonnet)`
  )
}

/**
 * Reads a YAML definition file (`.yml`/`.yaml` with hako's YAML semantics) into a raw tree:
 * `!include` replaced by the included files' content, `<<` merged in document order. Throws a
 * UserError listing every problem (unreadable or cyclic includes, bad merges, syntax).
 * @param file the definition's path as given; relative paths are resolved against `cwd`
 */
export async function loadDefinitionTree(
  file: string,
  cwd: string = process.cwd()
): Promise<LoadedTree> {
  if (definitionFormat(file) !== 'yaml') throw unsupportedFormatError(file)
  return loadYaml(file, path.resolve(cwd, file))
}

/**
 * Parses a YAML file the way the `yaml` env provider reads it (YAML 1.1 scalars, `<<` in
 * document order; includes resolved too). Throws a UserError on any problem.
 */
export async function loadYamlData(file: string, display: string): Promise<unknown> {
  return (await loadYaml(display, file)).tree
}

async function loadYaml(display: string, absolute: string): Promise<LoadedTree> {
  const origins = new Origins(display)
  const loader = new Loader(origins)
  const tree = await loader.loadFile([{ display, absolute }])
  if (loader.problems.length > 0) throw problemsError(loader.problems)
  return { tree, origins }
}
