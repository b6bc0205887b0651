/**
 * Reads notifier/template.yml with CloudFormation's short-form tags turned into their long
 * form (`!Ref X` → `{ Ref: 'X' }`, `!Sub s` → `{ 'Fn::Sub': 's' }`), so tests can compare
 * resources as plain data. js-yaml 5 takes custom tags through a Schema (docs/toolchain.md).
 */
import { readFileSync } from 'node:fs'
import { CORE_SCHEMA, defineScalarTag, defineSequenceTag, load } from 'js-yaml'

/** A parsed template, loosely typed: tests navigate it with `at`. */
export type Template = Record<string, unknown>

const scalar = (tag: string, make: (source: string) => unknown) =>
  defineScalarTag(`!${tag}`, { resolve: (source) => make(source), identify: () => false })
const sequence = (tag: string) =>
  defineSequenceTag<unknown[], Record<string, unknown[]>>(`!${tag}`, {
    create: () => [],
    addItem: (items, item) => {
      items.push(item)
    },
    finalize: (items) => ({ [`Fn::${tag}`]: items }),
    identify: () => false
  })

const schema = CORE_SCHEMA.withTags(
  scalar('Ref', (s) => ({ Ref: s })),
  scalar('Sub', (s) => ({ 'Fn::Sub': s })),
  scalar('Condition', (s) => ({ Condition: s })),
  // `!GetAtt Resource.Attribute` is short for `Fn::GetAtt: [Resource, Attribute]`.
  scalar('GetAtt', (s) => ({
    'Fn::GetAtt': [s.slice(0, s.indexOf('.')), s.slice(s.indexOf('.') + 1)]
  })),
  sequence('Sub'),
  sequence('If'),
  sequence('Equals'),
  sequence('And'),
  sequence('Not'),
  sequence('Join'),
  sequence('Select'),
  sequence('GetAtt')
)

/** Parses CloudFormation YAML text. */
export function parseTemplate(text: string): Template {
  return load(text, { schema }) as Template
}

/** notifier/template.yml, parsed. */
export function loadNotifierTemplate(): Template {
  return parseTemplate(readFileSync(templateUrl, 'utf8'))
}

/** Where the template lives. */
export const templateUrl = new URL('../notifier/template.yml', import.meta.url)

/** The value at a path of keys, or undefined. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string | number, unknown>)[key]
  }
  return current
}
