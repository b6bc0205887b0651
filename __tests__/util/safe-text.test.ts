import { describe, expect, it } from '@jest/globals'
import { escapeLogText, neutraliseCommands } from '../../src/util/safe-text.js'
import { commandLines } from '../report/command-lines.js'

describe('escapeLogText', () => {
  it.each([
    ['plain text', 'Essential container in task exited', 'Essential container in task exited'],
    ['an empty string', '', ''],
    [
      '\\n before a command',
      'bad\n::warning title=injected::pwned',
      'bad\\n::warning title=injected::pwned'
    ],
    ['\\r before a command', 'x\r::add-mask::secret', 'x\\r::add-mask::secret'],
    ['\\r\\n', 'a\r\n::set-output name=x::y', 'a\\r\\n::set-output name=x::y'],
    ['a leading \\r', '\r::add-mask::secret', '\\r::add-mask::secret'],
    ['a bare set-output', '::set-output name=x::y', '\\::set-output name=x::y'],
    ['a leading command after spaces', '  \t::warning::x', '  \t\\::warning::x'],
    ['a leading command after a no-break space', '\u00a0::warning::x', '\u00a0\\::warning::x'],
    ['a leading command after an ideographic space', '\u3000::error::x', '\u3000\\::error::x'],
    ['a leading command after a soft hyphen', '\u00ad::warning::x', '\u00ad\\::warning::x'],
    ['a leading command after a byte order mark', '\ufeff::warning::x', '\ufeff\\::warning::x'],
    ['colons split by a zero-width space', ':\u200b:warning::x', '\\:\u200b:warning::x'],
    ['U+2028 LINE SEPARATOR', 'a\u2028::warning::x', 'a\\u2028::warning::x'],
    ['U+2029 PARAGRAPH SEPARATOR', 'a\u2029::warning::x', 'a\\u2029::warning::x'],
    ['U+0085 NEXT LINE', 'a\u0085::warning::x', 'a\\x85::warning::x'],
    ['vertical tab and form feed', 'a\v::b\f::c', 'a\\v::b\\f::c'],
    [
      'other controls',
      'nul\0 esc\x1b[31m del\x7f c1\u009b',
      'nul\\x00 esc\\x1b[31m del\\x7f c1\\x9b'
    ],
    ['bidirectional controls', 'abc\u202edcba\u2066x\u2069', 'abc\\u202edcba\\u2066x\\u2069'],
    ['a tab inside', 'at\tcom.example.Main', 'at\tcom.example.Main'],
    ['an old-style command', 'ok ##[warning]pwned', 'ok ##\\[warning]pwned'],
    ['an old-style command at the start', '##[group]x', '##\\[group]x'],
    ['### before [', '###[error]x', '###\\[error]x'],
    ['an old-style command split by a soft hyphen', '#\u00ad#[error]x', '#\u00ad#\\[error]x'],
    ['a command inside a line', 'reason: ::warning::x', 'reason: ::warning::x'],
    [
      'colons in ARNs and code',
      'arn:aws:s3:::bucket Hako::Container',
      'arn:aws:s3:::bucket Hako::Container'
    ],
    ['a single leading colon', ':x', ':x'],
    ['backslashes as they are', 'C:\\path\\n', 'C:\\path\\n'],
    ['emoji and other scripts', 'fini 終了 👍🏽', 'fini 終了 👍🏽']
  ])('%s', (_name, input, expected) => {
    const out = escapeLogText(input)
    expect(out).toBe(expected)
    expect(commandLines(out)).toEqual([])
  })

  it('keeps the text on one line whatever it holds', () => {
    const everything = Array.from({ length: 0x100 }, (_, c) => String.fromCharCode(c)).join('')
    const out = escapeLogText(`${everything}\u2028\u2029::x::y`)
    expect(out.split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/)).toHaveLength(1)
    expect(commandLines(out)).toEqual([])
  })

  it('is idempotent, and neutraliseCommands leaves its output alone', () => {
    for (const input of [
      '::set-output name=x::y',
      'a\n::warning::b',
      '##[error]x',
      '\u00a0::x::'
    ]) {
      const once = escapeLogText(input)
      expect(escapeLogText(once)).toBe(once)
      expect(neutraliseCommands(once)).toBe(once)
    }
  })
})

describe('neutraliseCommands', () => {
  it.each([
    ['a message without commands', 'Started task: arn:aws:ecs:x', 'Started task: arn:aws:ecs:x'],
    ['a leading command', '::warning::x', '\\::warning::x'],
    [
      'a command on each later line',
      'first\n::warning::a\r::add-mask::b\r\n  ::set-output name=x::y',
      'first\n\\::warning::a\r\\::add-mask::b\r\n  \\::set-output name=x::y'
    ],
    [
      'a command after a Unicode line break',
      'a\u2028::x::\u2029::y::\u0085::z::',
      'a\u2028\\::x::\u2029\\::y::\u0085\\::z::'
    ],
    ['a command after a vertical tab', 'a\v::x::', 'a\v\\::x::'],
    ['an old-style command anywhere', 'line ##[warning]x\nnext', 'line ##\\[warning]x\nnext'],
    ['a command after a control character', '\x01::warning::x', '\x01\\::warning::x'],
    [
      'indented JSON',
      '{\n  "command": ["echo", "::not-at-start::"]\n}',
      '{\n  "command": ["echo", "::not-at-start::"]\n}'
    ]
  ])('%s', (_name, input, expected) => {
    const out = neutraliseCommands(input)
    expect(out).toBe(expected)
    expect(commandLines(out)).toEqual([])
  })
})
