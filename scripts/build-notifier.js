#!/usr/bin/env node
/**
 * Compiles notifier/handler.ts to CommonJS and writes it into notifier/template.yml as the
 * function's inline code (Code.ZipFile), between the BEGIN/END generated markers, so the
 * template never drifts from the handler.
 *
 *   node scripts/build-notifier.js           rewrite the template
 *   node scripts/build-notifier.js --check   exit 1 when the template is not a fresh build
 *   node scripts/build-notifier.js --print   print the inline code only
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
const handlerPath = join(root, 'notifier/handler.ts')
const templatePath = join(root, 'notifier/template.yml')

/** CloudFormation's limit on Code.ZipFile. */
export const ZIP_FILE_LIMIT = 4096
const BEGIN = /^( *)# BEGIN generated\b.*\n/m
const END = /^ *# END generated\b.*$/m

/** The handler compiled to CommonJS, comments removed and indented by one space per level. */
export function buildInlineCode(source = readFileSync(handlerPath, 'utf8')) {
  const { outputText, diagnostics = [] } = ts.transpileModule(source, {
    fileName: 'handler.ts',
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      removeComments: true,
      newLine: ts.NewLineKind.LineFeed
    }
  })
  if (diagnostics.length > 0) {
    const text = diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    throw new Error(`notifier/handler.ts does not compile: ${text.join('; ')}`)
  }
  // The compiler indents by four spaces; one is enough and keeps the code far from the limit.
  // Only leading whitespace changes, and the handler has no multi-line string literals. The
  // __esModule marker only serves ES module importers, and Lambda requires the file; the
  // SDK's module object gets a short name (the handler has no other identifier `client_s3_1`).
  const code = outputText
    .split('\n')
    .filter((line) => !line.startsWith('Object.defineProperty(exports, "__esModule"'))
    .map((line) => line.replace(/\bclient_s3_1\b/g, 'sdk'))
    .map((line) => line.replace(/^(?: {4})+/, (m) => ' '.repeat(m.length / 4)))
    .join('\n')
    .trimEnd()
  if (code.length > ZIP_FILE_LIMIT) {
    throw new Error(
      `The notifier's inline code is ${code.length} characters, over CloudFormation's ` +
        `Code.ZipFile limit of ${ZIP_FILE_LIMIT}: make notifier/handler.ts smaller`
    )
  }
  return code
}

/** The template with the block between the markers replaced by `ZipFile: |` and the code. */
export function renderTemplate(template, code) {
  const begin = BEGIN.exec(template)
  const end = END.exec(template)
  if (!begin || !end || end.index < begin.index) {
    throw new Error(
      'notifier/template.yml: the # BEGIN generated / # END generated markers are missing'
    )
  }
  const indent = begin[1] ?? ''
  const body = code
    .split('\n')
    .map((line) => (line === '' ? '' : `${indent}  ${line}`))
    .join('\n')
  const start = begin.index + begin[0].length
  return `${template.slice(0, start)}${indent}ZipFile: |\n${body}\n${template.slice(end.index)}`
}

function main(argv) {
  const code = buildInlineCode()
  if (argv.includes('--print')) {
    process.stdout.write(`${code}\n`)
    return 0
  }
  const current = readFileSync(templatePath, 'utf8')
  const fresh = renderTemplate(current, code)
  if (argv.includes('--check')) {
    if (fresh === current) return 0
    process.stderr.write(
      'notifier/template.yml is not a fresh build of notifier/handler.ts: run node scripts/build-notifier.js\n'
    )
    return 1
  }
  if (fresh !== current) writeFileSync(templatePath, fresh)
  process.stdout.write(
    `notifier/template.yml: inline code ${code.length}/${ZIP_FILE_LIMIT} characters\n`
  )
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2))
}
