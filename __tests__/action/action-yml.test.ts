import { readFileSync } from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import {
  inputTable,
  outputTable,
  readActionYml,
  section,
  tableCells
} from '../../scripts/readme-tables.js'
import { INPUT_DEFAULTS } from '../../src/inputs.js'

const action = readActionYml('action.yml')
const readme = readFileSync('README.md', 'utf8')

describe('action.yml', () => {
  it('runs on node24 with the bundled entry as main and post step', () => {
    const runs = (readActionYml('action.yml') as unknown as { runs: Record<string, string> }).runs
    expect(runs).toEqual({
      using: 'node24',
      main: 'dist/index.js',
      post: 'dist/index.js',
      'post-if': 'always()'
    })
  })

  it('declares the same defaults the code applies when an input is absent', () => {
    const declared = Object.fromEntries(
      Object.entries(action.inputs)
        .filter(([, input]) => input.default !== undefined)
        .map(([name, input]) => [name, input.default])
    )
    expect(declared).toEqual(INPUT_DEFAULTS)
  })

  it('gives every input and output a description', () => {
    for (const [name, entry] of [
      ...Object.entries(action.inputs),
      ...Object.entries(action.outputs)
    ]) {
      expect([name, typeof entry.description]).toEqual([name, 'string'])
    }
  })
})

describe('README', () => {
  it('has the input table of action.yml (run `npm run docs` to regenerate it)', () => {
    expect(tableCells(section(readme, 'inputs'))).toEqual(tableCells(inputTable(action)))
  })

  it('has the output table of action.yml (run `npm run docs` to regenerate it)', () => {
    expect(tableCells(section(readme, 'outputs'))).toEqual(tableCells(outputTable(action)))
  })
})
