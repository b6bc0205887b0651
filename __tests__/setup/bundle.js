/**
 * Jest global setup: the end-to-end tests (__tests__/e2e) run the ncc bundle as a child
 * process, and a committed dist/ can lag behind the sources on a working copy. So before a run
 * that includes them, this builds the bundle of the current sources with the same ncc command as
 * `npm run build`, into a cache directory keyed by a hash of every build input, and points
 * sim/action-runner.ts at it through HAKO_ONESHOT_BUNDLE. An unchanged tree reuses the last
 * build. dist/ itself is never touched: .ci/run still rebuilds it and fails when the committed
 * one differs.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync
} from 'node:fs'
import { join, relative, resolve } from 'node:path'
import process from 'node:process'

const ROOT = resolve(import.meta.dirname, '..', '..')
const CACHE = join(ROOT, 'node_modules', '.cache', 'hako-oneshot-action')
const E2E = join(ROOT, '__tests__', 'e2e')
/** Files and folders whose content decides the bundle. */
const INPUTS = ['src', 'package.json', 'package-lock.json', 'tsconfig.json']
/** Bundles kept in the cache, newest first. */
const KEEP = 3

/** Every file under `path`, sorted, relative to the repository root. */
function filesUnder(path) {
  const full = join(ROOT, path)
  if (!existsSync(full)) return []
  if (!statSync(full).isDirectory()) return [path]
  return readdirSync(full, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => filesUnder(join(path, entry.name)))
}

function inputsHash() {
  const hash = createHash('sha256')
  for (const file of INPUTS.flatMap(filesUnder)) {
    hash.update(`${file}\0`)
    hash.update(readFileSync(join(ROOT, file)))
    hash.update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

/** The ncc arguments of `npm run build`, with the output folder replaced by `outDir`. */
function nccArguments(outDir) {
  const build = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.build
  const command = build.split('&&')[0].trim().split(/\s+/)
  const out = command.indexOf('-o')
  if (command[0] !== 'ncc' || out < 0 || command[out + 1] !== 'dist') {
    throw new Error(`__tests__/setup/bundle.js: cannot read the ncc command in "build": ${build}`)
  }
  command[out + 1] = outDir
  return command.slice(1)
}

/** True when the run's path filters select no end-to-end test. */
function skipsEndToEnd(globalConfig) {
  const patterns = globalConfig.testPathPatterns
  if (!patterns?.isSet?.()) return false
  const executor = patterns.toExecutor({ rootDir: globalConfig.rootDir })
  return !readdirSync(E2E).some((name) => executor.isMatch(join(E2E, name)))
}

function prune() {
  const bundles = readdirSync(CACHE)
    .filter((name) => name.startsWith('bundle-'))
    .map((name) => ({ name, time: statSync(join(CACHE, name)).mtimeMs }))
    .sort((a, b) => b.time - a.time)
  for (const { name } of bundles.slice(KEEP))
    rmSync(join(CACHE, name), { recursive: true, force: true })
}

export default function bundleForEndToEndTests(globalConfig) {
  if (process.env.HAKO_ONESHOT_BUNDLE || skipsEndToEnd(globalConfig)) return
  const dir = join(CACHE, `bundle-${inputsHash()}`)
  const bundle = join(dir, 'index.js')
  if (!existsSync(bundle)) {
    mkdirSync(CACHE, { recursive: true })
    const building = `${dir}.${process.pid}.tmp`
    rmSync(building, { recursive: true, force: true })
    process.stderr.write(
      `\nBuilding the bundle of the current sources for the e2e tests (${relative(ROOT, dir)})\n`
    )
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js'),
        ...nccArguments(building)
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }
    )
    try {
      renameSync(building, dir)
    } catch (error) {
      // Another run finished the same bundle first; theirs is identical.
      rmSync(building, { recursive: true, force: true })
      if (!existsSync(bundle)) throw error
    }
    prune()
  } else {
    const now = new Date()
    utimesSync(dir, now, now)
  }
  process.env.HAKO_ONESHOT_BUNDLE = bundle
}
