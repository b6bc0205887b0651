/**
 * Text the action does not control, made safe to print in the job log: the runner reads a line
 * as a workflow command when it starts with `::` (after white space or characters a culture-aware
 * comparison skips) or holds `##[` (docs/limits.md, "Workflow commands in the job log"). Foreign
 * text goes through `escapeLogText` before it is printed; `neutraliseCommands` is the second
 * layer, in the logger itself, for every line the action prints (see `src/util/logger.ts`).
 */

/** Characters a culture-aware comparison may give no weight: controls and default ignorables. */
const WEIGHTLESS = String.raw`\p{Cc}\p{Default_Ignorable_Code_Point}`

/** Leading white space or weightless characters, followed by `::` (maybe split by weightless). */
const COMMAND_START = new RegExp(String.raw`^([\s${WEIGHTLESS}]*)(?=:[${WEIGHTLESS}]*:)`, 'u')

/** `##[` anywhere, maybe split by weightless characters, up to the `[`. */
const OLD_COMMAND = new RegExp(String.raw`(#[${WEIGHTLESS}]*#[${WEIGHTLESS}]*)\[`, 'gu')

/**
 * What escapeLogText shows visibly: every control character but the tab (C0, DEL, C1 with
 * U+0085 NEXT LINE), the Unicode line and paragraph separators (a line break for the log
 * viewer), and the bidirectional controls (they reorder what a reader sees).
 */
const ESCAPED = /[\p{Cc}\u2028\u2029\p{Bidi_Control}]/gu

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\v': '\\v', '\f': '\\f' }

/** `\n`, `\r`, `\v`, `\f`; `\xhh` below U+0100; `\uhhhh` above: as a JavaScript string shows them. */
function escapeChar(c: string): string {
  if (c === '\t') return c
  const named = NAMED[c]
  if (named !== undefined) return named
  const code = c.codePointAt(0) ?? 0
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`
}

/**
 * Inserts a backslash so the runner reads no command in one physical line: before the `::` a
 * line starts with (after white space) and before the `[` of every `##[`. The rest is untouched.
 */
function neutraliseLine(line: string): string {
  return line.replace(OLD_COMMAND, '$1\\[').replace(COMMAND_START, '$1\\')
}

/**
 * Untrusted text made safe to print inside one log line: line breaks (`\n`, `\r`, `\r\n`, `\v`,
 * `\f`, U+0085, U+2028, U+2029) and the other control characters but the tab are written the way
 * a JavaScript string literal writes them (`\n`, `\x1b`, `\u2028`), bidirectional controls too,
 * and a backslash goes before a leading `::` and inside every `##[`, so no command can start.
 * A backslash already in the text is left as it is: this is for reading, not for decoding.
 *
 * `bad\n::warning::pwned` (with a real line break) prints as `bad\n::warning::pwned` on one
 * line; `::set-output name=x::y` prints as `\::set-output name=x::y`.
 */
export function escapeLogText(text: string): string {
  return neutraliseLine(text.replace(ESCAPED, escapeChar))
}

/** The line breaks of the runner (`\r\n`, `\n`, `\r`) and of the log viewer (the others). */
const LINE_BREAK = /(\r\n|[\n\r\v\f\u0085\u2028\u2029])/

/**
 * A message of the action's own, with every physical line the runner could read as a workflow
 * command neutralised as escapeLogText does (a backslash before a leading `::`, inside `##[`);
 * its line breaks stay. The action never issues a command through a plain log line (groups,
 * annotations and outputs have their own calls), so this only ever changes foreign text that
 * reached the log unescaped.
 */
export function neutraliseCommands(message: string): string {
  const parts = message.split(LINE_BREAK)
  // split with a capturing group: even indexes are lines, odd ones the breaks between them.
  return parts.map((part, i) => (i % 2 === 0 ? neutraliseLine(part) : part)).join('')
}
