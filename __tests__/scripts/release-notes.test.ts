import { readFileSync } from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import { releaseNotes } from '../../scripts/release-notes.js'

const CHANGELOG = `# Changelog

## [Unreleased]

- Something new.

## [1.1.0] - Unreleased

- Not yet.

## [1.0.1] - 2026-12-10

### Fixed

- The fix.

## [1.0.0] - 2026-12-02

- First release.

[1.0.1]: https://example.com/compare/v1.0.0...v1.0.1
`

describe('releaseNotes', () => {
  it('gives the section of the tag, up to the next version', () => {
    expect(releaseNotes(CHANGELOG, 'v1.0.1')).toBe('### Fixed\n\n- The fix.')
  })

  it('stops at the link references at the end', () => {
    expect(releaseNotes(CHANGELOG, '1.0.0')).toBe('- First release.')
  })

  it('refuses a version without a section, and one that says Unreleased', () => {
    expect(() => releaseNotes(CHANGELOG, 'v2.0.0')).toThrow(
      "CHANGELOG.md has no section '## [2.0.0] - YYYY-MM-DD': add one"
    )
    expect(() => releaseNotes(CHANGELOG, 'v1.1.0')).toThrow(
      'CHANGELOG.md: the section of 1.1.0 says Unreleased: put the release date in its heading'
    )
  })

  it("finds the section of package.json's version in the repository's CHANGELOG.md", () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
    const changelog = readFileSync('CHANGELOG.md', 'utf8')
    // Unreleased until the maintainer dates it; the release workflow refuses it until then.
    expect(changelog).toMatch(new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - `, 'm'))
  })
})
