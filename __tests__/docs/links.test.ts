/**
 * Every relative link of README.md and docs/ leads somewhere: the file exists, and a #fragment
 * names a heading of that file as GitHub turns headings into anchors.
 */
import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..', '..')

function markdownFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? markdownFiles(join(dir, entry.name))
      : entry.name.endsWith('.md')
        ? [join(dir, entry.name)]
        : []
  )
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors of a markdown file's headings, outside code blocks. */
function anchors(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```$/gm, '')
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)))
}

const FILES = ['README.md', 'CHANGELOG.md', ...markdownFiles('docs')]

describe('anchorOf', () => {
  it.each([
    [
      "1. Create the role GitHub's OIDC token assumes",
      '1-create-the-role-githubs-oidc-token-assumes'
    ],
    ['`mode: run` (default)', 'mode-run-default'],
    ['Exit code, logs and summary', 'exit-code-logs-and-summary']
  ])('%s → %s', (heading, anchor) => {
    expect(anchorOf(heading)).toBe(anchor)
  })
})

describe.each(FILES)('%s', (file) => {
  it('links only to files and headings that exist', () => {
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/^```[\s\S]*?^```$/gm, '')
    const broken: string[] = []
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue // https:, mailto:
      const [path = '', fragment] = target!.split('#')
      const linked = path === '' ? file : normalize(join(dirname(file), path))
      const full = join(ROOT, linked)
      if (!existsSync(full)) {
        broken.push(`${target}: no such file`)
        continue
      }
      if (fragment !== undefined && statSync(full).isFile() && linked.endsWith('.md')) {
        if (!anchors(linked).has(fragment)) broken.push(`${target}: no such heading`)
      }
    }
    expect(broken).toEqual([])
  })
})
