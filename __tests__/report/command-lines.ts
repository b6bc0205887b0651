/**
 * The lines of `output` in which the runner could read a workflow command: lines split as the
 * runner splits them and at the log viewer's line breaks too, that start with `::` after white
 * space and weightless characters, or that hold `##[` (maybe split by weightless characters).
 * An independent statement of the rule `src/util/safe-text.ts` enforces, for the tests.
 */
const WEIGHTLESS = String.raw`\p{Cc}\p{Default_Ignorable_Code_Point}`
const STARTS_COMMAND = new RegExp(String.raw`^[\s${WEIGHTLESS}]*:[${WEIGHTLESS}]*:`, 'u')
const HOLDS_OLD_COMMAND = new RegExp(String.raw`#[${WEIGHTLESS}]*#[${WEIGHTLESS}]*\[`, 'u')

export function commandLines(output: string): string[] {
  return output
    .split(/\r\n|[\n\r\v\f\u0085\u2028\u2029]/)
    .filter((line) => STARTS_COMMAND.test(line) || HOLDS_OLD_COMMAND.test(line))
}
