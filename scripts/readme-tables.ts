/**
 * Keeps the README's input and output tables in step with action.yml: `npm run docs` rewrites
 * the tables between their markers, and a test fails when they differ from action.yml.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { load } from 'js-yaml'

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

export function inputTable(action: ActionYml): string {
  const rows = Object.entries(action.inputs).map(([name, input]) => {
    const dflt = input.required ? '**required**' : input.default ? `\`${input.default}\`` : ''
    return `| \`${name}\` | ${dflt} | ${cell(input.description)} |`
  })
  return ['| input | default | description |', '|---|---|---|', ...rows].join('\n')
}

export function outputTable(action: ActionYml): string {
  const rows = Object.entries(action.outputs).map(
    ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`
  )
  return ['| output | description |', '|---|---|', ...rows].join('\n')
}

const MARKERS = {
  inputs: ['<!-- inputs:start -->', '<!-- inputs:end -->'],
  outputs: ['<!-- outputs:start -->', '<!-- outputs:end -->']
} as const

/** The text between a pair of markers, trimmed. */
export function section(readme: string, which: keyof typeof MARKERS): string {
  const [start, end] = MARKERS[which]
  const from = readme.indexOf(start)
  const to = readme.indexOf(end)
  if (from < 0 || to < from) throw new Error(`README.md lacks ${start} ... ${end}`)
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

/** The README with both tables regenerated from action.yml. */
export function withTables(readme: string, action: ActionYml): string {
  let text = readme
  for (const which of ['inputs', 'outputs'] as const) {
    const [start, end] = MARKERS[which]
    const table = which === 'inputs' ? inputTable(action) : outputTable(action)
    const before = text.slice(0, text.indexOf(start) + start.length)
    const after = text.slice(text.indexOf(end))
    section(text, which)
    text = `${before}\n${table}\n${after}`
  }
  return text
}

if (process.argv[1]?.endsWith('readme-tables.ts')) {
  const readme = readFileSync('README.md', 'utf8')
  writeFileSync('README.md', withTables(readme, readActionYml()))
}
