/**
 * Keeps the README's input and output tables in step with action.yml, and docs/notifier.md's
 * parameter and output tables in step with notifier/template.yml: `npm run docs` rewrites the
 * tables between their markers, and tests fail when they differ.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { load } from 'js-yaml'
import { loadNotifierTemplate } from './cloudformation.js'

interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>
  outputs: Record<string, { description: string }>
}

export function readActionYml(path = 'action.yml'): ActionYml {
  return load(readFileSync(path, 'utf8')) as ActionYml
}

/** Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.trim().replace(/\s+/g, ' ').replace(/\|/g, '\\|')
}

/** The inputs GitHub fills in from the strategy context, and when one would set them anyway. */
export const GITHUB_FILLED: Record<string, string> = {
  'job-index':
    'Never in a matrix. Only for a fan-out GitHub cannot see (jobs of several workflows started together), with job-total.',
  'job-total':
    'Never in a matrix. Only for a fan-out GitHub cannot see: the number of jobs that share the account.',
  'job-max-parallel':
    'Never in a matrix. Only for a fan-out GitHub cannot see: how many of those jobs run at once.'
}

/** The tuning knobs, and when one would change each. */
export const TUNING: Record<string, string> = {
  'poll-interval':
    'Rarely: raise it to spend fewer S3 GETs on tasks where seeing the stop a few seconds later does not matter.',
  'verify-interval':
    'Lower it while setting up a notifier you do not trust yet; 0 only when nothing may call DescribeTasks.',
  'launch-rate':
    'When other tools of the account need more of RunTask’s rate than the half the fan-out leaves them.',
  'task-definition-cache':
    'false when the role may not write <prefix>/task-definitions/ (each job then describes again before registering).',
  'fan-out-width':
    'When several matrix jobs or workflows fan out together in one account and region: the tasks of all of them at once.'
}

type Group = 'inputs' | 'inputs-github' | 'inputs-tuning'

/** Which table an input is in: GitHub's, the tuning knobs, or the everyday inputs. */
export function groupOf(name: string): Group {
  if (name in GITHUB_FILLED) return 'inputs-github'
  if (name in TUNING) return 'inputs-tuning'
  return 'inputs'
}

/** One of the README's input tables: the everyday inputs first, then GitHub's, then tuning. */
export function inputTable(action: ActionYml, group: Group = 'inputs'): string {
  const when = group === 'inputs-github' ? GITHUB_FILLED : group === 'inputs-tuning' ? TUNING : {}
  const rows = Object.entries(action.inputs)
    .filter(([name]) => groupOf(name) === group)
    .map(([name, input]) => {
      const dflt = input.required ? '**required**' : input.default ? `\`${input.default}\`` : ''
      const extra = group === 'inputs' ? '' : ` ${cell(when[name] ?? '')} |`
      return `| \`${name}\` | ${dflt} | ${cell(input.description)} |${extra}`
    })
  const head =
    group === 'inputs'
      ? ['| input | default | description |', '|---|---|---|']
      : ['| input | default | description | set it when |', '|---|---|---|---|']
  return [...head, ...rows].join('\n')
}

interface TemplateParameter {
  Type: string
  Default?: string | number
  Description?: string
}

/** docs/notifier.md's table of the stack's parameters, in the template's order. */
export function parameterTable(template = loadNotifierTemplate()): string {
  const parameters = template.Parameters as Record<string, TemplateParameter>
  const rows = Object.entries(parameters).map(([name, p]) => {
    const dflt =
      p.Default === undefined
        ? '**required**'
        : p.Default === ''
          ? 'empty'
          : `\`${String(p.Default)}\``
    return `| \`${name}\` | ${dflt} | ${cell(p.Description ?? '')} |`
  })
  return ['| parameter | default | description |', '|---|---|---|', ...rows].join('\n')
}

/** docs/notifier.md's table of the stack's outputs; a conditional one says when it exists. */
export function stackOutputTable(template = loadNotifierTemplate()): string {
  const outputs = template.Outputs as Record<string, { Description?: string; Condition?: string }>
  const conditions: Record<string, string> = { CreateRole: 'with `GitHubRepository`' }
  const rows = Object.entries(outputs).map(([name, o]) => {
    const when = o.Condition === undefined ? 'always' : (conditions[o.Condition] ?? o.Condition)
    return `| \`${name}\` | ${when} | ${cell(o.Description ?? '')} |`
  })
  return ['| output | present | description |', '|---|---|---|', ...rows].join('\n')
}

export function outputTable(action: ActionYml): string {
  const rows = Object.entries(action.outputs).map(
    ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`
  )
  return ['| output | description |', '|---|---|', ...rows].join('\n')
}

const MARKERS = {
  inputs: ['<!-- inputs:start -->', '<!-- inputs:end -->'],
  'inputs-github': ['<!-- inputs-github:start -->', '<!-- inputs-github:end -->'],
  'inputs-tuning': ['<!-- inputs-tuning:start -->', '<!-- inputs-tuning:end -->'],
  outputs: ['<!-- outputs:start -->', '<!-- outputs:end -->'],
  parameters: ['<!-- parameters:start -->', '<!-- parameters:end -->'],
  'stack-outputs': ['<!-- stack-outputs:start -->', '<!-- stack-outputs:end -->']
} as const

/** The text between a pair of markers, trimmed. */
export function section(readme: string, which: keyof typeof MARKERS): string {
  const [start, end] = MARKERS[which]
  const from = readme.indexOf(start)
  const to = readme.indexOf(end)
  if (from < 0 || to < from) throw new Error(`The page lacks ${start} ... ${end}`)
  return readme.slice(from + start.length, to).trim()
}

/**
 * A table's cells, row by row, without the padding Prettier adds to align columns, so the
 * README can be formatted and still compare equal to the generated table.
 */
export function tableCells(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .map((row) =>
      row
        .trim()
        .replace(/^\|/, '')
        .replace(/\|$/, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .map((c) => (/^:?-+:?$/.test(c) ? '---' : c))
    )
}

/** The text with the tables between the given markers regenerated. */
function withSections(text: string, tables: Partial<Record<keyof typeof MARKERS, string>>): string {
  let result = text
  for (const [which, table] of Object.entries(tables) as [keyof typeof MARKERS, string][]) {
    const [start, end] = MARKERS[which]
    section(result, which)
    const before = result.slice(0, result.indexOf(start) + start.length)
    const after = result.slice(result.indexOf(end))
    result = `${before}\n${table}\n${after}`
  }
  return result
}

/** The README with its input and output tables regenerated from action.yml. */
export function withTables(readme: string, action: ActionYml): string {
  return withSections(readme, {
    inputs: inputTable(action, 'inputs'),
    'inputs-github': inputTable(action, 'inputs-github'),
    'inputs-tuning': inputTable(action, 'inputs-tuning'),
    outputs: outputTable(action)
  })
}

/** docs/notifier.md with the stack's parameter and output tables regenerated. */
export function withStackTables(page: string, template = loadNotifierTemplate()): string {
  return withSections(page, {
    parameters: parameterTable(template),
    'stack-outputs': stackOutputTable(template)
  })
}

if (process.argv[1]?.endsWith('readme-tables.ts')) {
  const readme = readFileSync('README.md', 'utf8')
  writeFileSync('README.md', withTables(readme, readActionYml()))
  const notifier = readFileSync('docs/notifier.md', 'utf8')
  writeFileSync('docs/notifier.md', withStackTables(notifier))
}
