import { readFileSync } from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import {
  GITHUB_FILLED,
  inputTable,
  outputTable,
  parameterTable,
  readActionYml,
  section,
  stackOutputTable,
  tableCells,
  TUNING
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

  it('has the inputs GitHub fills in and the tuning knobs in tables of their own, each saying when to set it', () => {
    for (const group of ['inputs-github', 'inputs-tuning'] as const) {
      expect(tableCells(section(readme, group))).toEqual(tableCells(inputTable(action, group)))
    }
    expect(Object.keys(GITHUB_FILLED)).toEqual(['job-index', 'job-total', 'job-max-parallel'])
    expect(Object.keys(TUNING)).toEqual([
      'poll-interval',
      'verify-interval',
      'launch-rate',
      'task-definition-cache',
      'fan-out-width'
    ])
    for (const name of [...Object.keys(GITHUB_FILLED), ...Object.keys(TUNING)]) {
      expect(action.inputs[name]).toBeDefined()
    }
    // Every input is in exactly one table.
    const rows = (['inputs', 'inputs-github', 'inputs-tuning'] as const).flatMap((group) =>
      tableCells(section(readme, group))
        .slice(2)
        .map((row) => row[0])
    )
    expect(rows.sort()).toEqual(
      Object.keys(action.inputs)
        .map((n) => `\`${n}\``)
        .sort()
    )
  })

  it('shows the first-run definitions exactly as examples/hako has them (tested in mode: dry-run)', () => {
    for (const file of ['batch-fargate.yml', 'batch-ec2.yml']) {
      const text = readFileSync(`examples/hako/${file}`, 'utf8').trimEnd()
      expect(readme).toContain(`\`\`\`yaml\n${text}\n\`\`\``)
      expect(readme).toContain(`(examples/hako/${file})`)
    }
  })
})

describe('docs/notifier.md', () => {
  const page = readFileSync('docs/notifier.md', 'utf8')

  it('has the parameter table of notifier/template.yml (run `npm run docs` to regenerate it)', () => {
    expect(tableCells(section(page, 'parameters'))).toEqual(tableCells(parameterTable()))
    expect(section(page, 'parameters')).toContain('`RunRecordRetentionDays`')
  })

  it('has the output table of notifier/template.yml (run `npm run docs` to regenerate it)', () => {
    expect(tableCells(section(page, 'stack-outputs'))).toEqual(tableCells(stackOutputTable()))
    for (const name of ['NotificationBucketName', 'SweeperFunctionName', 'RoleArn']) {
      expect(section(page, 'stack-outputs')).toContain(`\`${name}\``)
    }
  })
})
