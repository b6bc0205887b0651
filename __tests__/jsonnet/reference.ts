import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseEnvFile } from '../../src/definition/env.js'

/**
 * The reference implementation (the `jsonnet` command of google/jsonnet), when installed; the
 * JSONNET_REFERENCE variable names another command (a missing one tests the fallback).
 */
export const REFERENCE_BINARY: string | undefined = (() => {
  const command = process.env.JSONNET_REFERENCE ?? 'jsonnet'
  const probe = spawnSync(command, ['--version'], { encoding: 'utf8' })
  return probe.status === 0 ? command : undefined
})()

/** What `jsonnet --ext-str appId=<base name> <file>` prints (stdout), or throws with stderr. */
export function referenceOutput(file: string): string {
  const appId = path.basename(file, path.extname(file))
  const run = spawnSync(REFERENCE_BINARY ?? 'jsonnet', ['--ext-str', `appId=${appId}`, file], {
    encoding: 'utf8'
  })
  if (run.status !== 0) throw new Error(`jsonnet ${file} failed: ${run.stderr}`)
  return run.stdout
}

/** What the reference prints on stderr for a program that must fail (throws if it succeeds). */
export function referenceError(file: string): string {
  const run = spawnSync(REFERENCE_BINARY ?? 'jsonnet', [file], { encoding: 'utf8' })
  if (run.status === 0) throw new Error(`jsonnet ${file} succeeded; it should fail`)
  return run.stderr
}

/**
 * The reference output of a hako definition that calls `std.native('provide.file')` or
 * `std.native('provide.yaml')`. The command line cannot define native functions, so the
 * definition's folder is copied and the calls replaced with Jsonnet functions: `provide.file`
 * looks keys up in the folder's `.env` files (parsed as hako's file provider reads them);
 * `provide.yaml` reads the folder's `.yml` files with the reference's own `std.parseYaml` and
 * flattens them in Jsonnet (map keys joined with `key_sep`, lists with `ary_sep`).
 */
export function referenceWithFileProvider(file: string): string {
  const dir = path.dirname(file)
  const work = mkdtempSync(path.join(tmpdir(), 'jsonnet-ref-'))
  try {
    cpSync(dir, work, { recursive: true })
    const envFiles: Record<string, Record<string, string>> = {}
    const yamlFiles: string[] = []
    for (const name of readdirSync(dir)) {
      if (/\.ya?ml$/.test(name)) yamlFiles.push(name)
      if (!name.endsWith('.env')) continue
      envFiles[name] = Object.fromEntries(parseEnvFile(readFileSync(path.join(dir, name), 'utf8')))
    }
    writeFileSync(path.join(work, '__providers.libsonnet'), JSON.stringify(envFiles))
    const yamlData = yamlFiles
      .map((name) => `${JSON.stringify(name)}: std.parseYaml(importstr ${JSON.stringify(name)})`)
      .join(', ')
    writeFileSync(
      path.join(work, '__yaml_providers.libsonnet'),
      YAML_PROVIDER.replace('DATA', yamlData)
    )
    const replacements: Array<[string, string]> = [
      [
        "std.native('provide.file')",
        "(function(options, name) (import '__providers.libsonnet')[std.parseJson(options).path][name])"
      ],
      ["std.native('provide.yaml')", "(import '__yaml_providers.libsonnet')"]
    ]
    for (const name of readdirSync(work)) {
      if (!/\.(jsonnet|libsonnet)$/.test(name)) continue
      const target = path.join(work, name)
      let text = readFileSync(target, 'utf8')
      for (const [from, to] of replacements) text = text.split(from).join(to)
      writeFileSync(target, text)
    }
    return referenceOutput(path.join(work, path.basename(file)))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

// hako's YAML provider in Jsonnet, over the data DATA stands for.
const YAML_PROVIDER = `local data = { DATA };
local text(v) = if v == null then '' else if std.isString(v) then v else std.toString(v);
local flatten(node, root, keySep, arySep) =
  if std.isObject(node) then
    std.foldl(function(acc, k) acc + flatten(node[k], if root == null then k else root + keySep + k, keySep, arySep), std.objectFields(node), {})
  else if std.isArray(node) then { [if root == null then '' else root]: std.join(arySep, [text(v) for v in node]) }
  else { [if root == null then '' else root]: text(node) };
function(options, name)
  local o = std.parseJson(options);
  flatten(data[o.path], null, std.get(o, 'key_sep', '.'), std.get(o, 'ary_sep', ','))[name]
`
