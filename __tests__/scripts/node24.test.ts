/**
 * scripts/node24.sh: runs a command on Node 24, fetching npm's node-<os>-<arch> package into a
 * cache when `node` is older. Checked here without the registry: an older `node` is faked on
 * PATH and the cache already holds the package (a link to the Node running the tests).
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from '@jest/globals'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..', '..')
const PACKAGE = { linux: 'node-linux', darwin: 'node-darwin' }[process.platform as string]
const ARCH = { x64: 'x64', arm64: 'arm64' }[process.arch as string]
const VERSION = '24.22.3'

describe('scripts/node24.sh', () => {
  it('runs the command with the node on PATH when it is 24 or later', async () => {
    const { stdout } = await run('bash', ['scripts/node24.sh', 'node', '-p', 'process.execPath'], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }
    })
    expect(stdout.trim()).toBe(process.execPath)
  })

  ;(PACKAGE && ARCH && process.versions.node === VERSION ? it : it.skip)(
    "with an older node, runs the command on the cache's Node 24, first on PATH",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'node24-'))
      const old = join(dir, 'old')
      mkdirSync(old)
      // A node that says it is 20 and that the script must not use for the command.
      writeFileSync(join(old, 'node'), '#!/bin/sh\necho 20\n', { mode: 0o755 })
      const bin = join(dir, 'cache', 'node_modules', `${PACKAGE}-${ARCH}`, 'bin')
      mkdirSync(bin, { recursive: true })
      symlinkSync(process.execPath, join(bin, 'node'))
      const env = {
        ...process.env,
        PATH: `${old}:/usr/bin:/bin`,
        HAKO_ONESHOT_NODE24_DIR: join(dir, 'cache')
      }
      const { stdout } = await run('bash', ['scripts/node24.sh', 'node', '-p', 'process.version'], {
        cwd: ROOT,
        env
      })
      expect(stdout.trim()).toBe(`v${VERSION}`)
      const printed = await run('bash', ['scripts/node24.sh', '--bin-dir'], { cwd: ROOT, env })
      expect(printed.stdout.trim()).toBe(bin)
    }
  )

  it('says how to call it when given no command', async () => {
    await expect(run('bash', ['scripts/node24.sh'], { cwd: ROOT })).rejects.toMatchObject({
      code: 2,
      stderr: 'usage: scripts/node24.sh <command> [args...] | --bin-dir\n'
    })
  })
})
