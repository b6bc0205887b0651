/**
 * `npx tsx scripts/release-notes.ts vX.Y.Z`: prints the section of CHANGELOG.md for that
 * version, the notes of its GitHub release (.github/workflows/release.yml). Fails, naming the
 * fix, when the section is missing or still says Unreleased, so a tag never ships without notes.
 */
import { readFileSync } from 'node:fs'

/** `## [1.2.3] - 2026-12-02` (or `- Unreleased`), Keep a Changelog's heading of a version. */
const HEADING = /^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2}|Unreleased)\s*$/

/**
 * The body of the changelog's section for `tag` (`v1.2.3` or `1.2.3`), trimmed.
 * @throws Error naming what is missing when there is no dated section for the version
 */
export function releaseNotes(changelog: string, tag: string): string {
  const version = tag.replace(/^v/, '')
  const lines = changelog.split('\n')
  const start = lines.findIndex((line) => HEADING.exec(line)?.[1] === version)
  if (start < 0) {
    throw new Error(`CHANGELOG.md has no section '## [${version}] - YYYY-MM-DD': add one`)
  }
  if (HEADING.exec(lines[start]!)?.[2] === 'Unreleased') {
    throw new Error(
      `CHANGELOG.md: the section of ${version} says Unreleased: put the release date in its heading`
    )
  }
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((line) => line.startsWith('## ') || /^\[[^\]]+\]: /.test(line))
  const body = (end < 0 ? rest : rest.slice(0, end)).join('\n').trim()
  if (body === '') throw new Error(`CHANGELOG.md: the section of ${version} is empty`)
  return body
}

if (process.argv[1]?.endsWith('release-notes.ts')) {
  const tag = process.argv[2] ?? ''
  try {
    process.stdout.write(`${releaseNotes(readFileSync('CHANGELOG.md', 'utf8'), tag)}\n`)
  } catch (error) {
    process.stderr.write(
      `release-notes: ${error instanceof Error ? error.message : String(error)}\n`
    )
    process.exitCode = 1
  }
}
