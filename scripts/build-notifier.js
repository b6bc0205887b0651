#!/usr/bin/env node
/**
 * Compiles the stack's two functions, notifier/handler.ts and notifier/sweeper.ts, to CommonJS
 * and writes each into notifier/template.yml as its function's inline code (Code.ZipFile),
 * between the BEGIN/END generated markers that name the source file, so the template never
 * drifts from the sources.
 *
 *   node scripts/build-notifier.js                   rewrite the template
 *   node scripts/build-notifier.js --check           exit 1 when the template is not a fresh build
 *   node scripts/build-notifier.js --print [file]    print one inline code only (default
 *                                                    notifier/handler.ts)
 *
 * CloudFormation writes Code.ZipFile to index.js, which the Node.js runtime loads as CommonJS
 * (docs/ecs-events.md). CloudFormation documented a 4096-character limit there until 2022; the
 * build still fails above it, so the code stays small enough to read in the Lambda console and
 * to deploy with tools that still check the old limit.
 * Plain JavaScript so it runs on Node without a TypeScript loader.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import process from 'node:process'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const templatePath = join(root, 'notifier/template.yml')

/** Each function's source and the one SDK module it imports (its CommonJS binding's name). */
export const SOURCES = {
  'notifier/handler.ts': 'client_s3_1',
  'notifier/sweeper.ts': 'client_ecs_1'
}

/** CloudFormation's limit on Code.ZipFile. */
export const ZIP_FILE_LIMIT = 4096
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const begin = (file) => new RegExp(`^( *)# BEGIN generated: ${escape(file)}\\b.*\\n`, 'm')
const END = /^ *# END generated\b.*$/gm

/**
 * A function's source compiled to CommonJS, comments removed and indented by one space per
 * level. `file` names the source (a key of SOURCES); `source` defaults to its text.
 */
export function buildInlineCode(source = undefined, file = 'notifier/handler.ts') {
  const text = source ?? readFileSync(join(root, file), 'utf8')
  const sdkBinding = SOURCES[file]
  if (!sdkBinding) throw new Error(`${file} is not one of ${Object.keys(SOURCES).join(', ')}`)
  const { outputText, diagnostics = [] } = ts.transpileModule(text, {
    fileName: file.split('/').pop(),
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      removeComments: true,
      newLine: ts.NewLineKind.LineFeed
    }
  })
  if (diagnostics.length > 0) {
    const messages = diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    throw new Error(`${file} does not compile: ${messages.join('; ')}`)
  }
  // The compiler indents by four spaces; one is enough and keeps the code far from the limit.
  // Only leading whitespace changes, and the sources have no multi-line string literals. The
  // __esModule marker only serves ES module importers, and Lambda requires the file; the
  // SDK's module object gets a short name (no source has another identifier of that name).
  const code = outputText
    .split('\n')
    .filter((line) => !line.startsWith('Object.defineProperty(exports, "__esModule"'))
    .map((line) => line.replaceAll(sdkBinding, 'sdk'))
    .map((line) => line.replace(/^(?: {4})+/, (m) => ' '.repeat(m.length / 4)))
    .join('\n')
    .trimEnd()
  if (code.length > ZIP_FILE_LIMIT) {
    throw new Error(
      `The inline code of ${file} is ${code.length} characters, over CloudFormation's ` +
        `Code.ZipFile limit of ${ZIP_FILE_LIMIT}: make ${file} smaller`
    )
  }
  return code
}

/**
 * The template with the block between the markers of `file` (`# BEGIN generated: <file>` and
 * the next `# END generated`) replaced by `ZipFile: |` and the code.
 */
export function renderTemplate(template, code, file = 'notifier/handler.ts') {
  const start = begin(file).exec(template)
  END.lastIndex = start ? start.index : 0
  const end = start ? END.exec(template) : null
  if (!start || !end) {
    throw new Error(
      `notifier/template.yml: the # BEGIN generated: ${file} / # END generated markers are missing`
    )
  }
  const indent = start[1] ?? ''
  const body = code
    .split('\n')
    .map((line) => (line === '' ? '' : `${indent}  ${line}`))
    .join('\n')
  const from = start.index + start[0].length
  return `${template.slice(0, from)}${indent}ZipFile: |\n${body}\n${template.slice(end.index)}`
}

function main(argv) {
  if (argv.includes('--print')) {
    const file = argv[argv.indexOf('--print') + 1] ?? 'notifier/handler.ts'
    process.stdout.write(`${buildInlineCode(undefined, file)}\n`)
    return 0
  }
  const current = readFileSync(templatePath, 'utf8')
  let fresh = current
  const sizes = []
  for (const file of Object.keys(SOURCES)) {
    const code = buildInlineCode(undefined, file)
    fresh = renderTemplate(fresh, code, file)
    sizes.push(`${file} ${code.length}/${ZIP_FILE_LIMIT}`)
  }
  if (argv.includes('--check')) {
    if (fresh === current) return 0
    process.stderr.write(
      `notifier/template.yml is not a fresh build of ${Object.keys(SOURCES).join(' and ')}: ` +
        'run node scripts/build-notifier.js\n'
    )
    return 1
  }
  if (fresh !== current) writeFileSync(templatePath, fresh)
  process.stdout.write(`notifier/template.yml: inline code ${sizes.join(', ')} characters\n`)
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2))
}
