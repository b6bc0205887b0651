import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseEnvFile } from '../../../src/definition/env.js'

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
 * The reference output of a hako definition that calls `std.native('provide.file')`. The
 * command line cannot define native functions, so the definition's folder is copied and the
 * call replaced with a Jsonnet function that looks keys up in the folder's `.env` files
 * (parsed as hako's file provider reads them).
 */
export function referenceWithFileProvider(file: string): string {
  const dir = path.dirname(file)
  const work = mkdtempSync(path.join(tmpdir(), 'jsonnet-ref-'))
  try {
    cpSync(dir, work, { recursive: true })
    const envFiles: Record<string, Record<string, string>> = {}
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.env')) continue
      envFiles[name] = Object.fromEntries(parseEnvFile(readFileSync(path.join(dir, name), 'utf8')))
    }
    writeFileSync(path.join(work, '__providers.libsonnet'), JSON.stringify(envFiles))
    const provider =
      "(function(options, name) (import '__providers.libsonnet')[std.parseJson(options).path][name])"
    for (const name of readdirSync(work)) {
      if (!/\.(jsonnet|libsonnet)$/.test(name)) continue
      const target = path.join(work, name)
      const text = readFileSync(target, 'utf8')
      writeFileSync(target, text.split("std.native('provide.file')").join(provider))
    }
    return referenceOutput(path.join(work, path.basename(file)))
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
