/**
 * Runs a function's inline code (Code.ZipFile) the way the Node.js Lambda runtime does
 * (docs/ecs-events.md): written to index.js in a directory without a package.json, loaded as
 * CommonJS by a fresh Node process with only the runtime's SDK on its module path (NODE_PATH)
 * and the environment the function is given. Each invocation is a cold start: nothing the code
 * keeps in memory survives it, the hardest case for code that caches between runs.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

// Requires ./index.js as CommonJS, calls handler(event from argv), prints the outcome.
const INVOKE = `
const { handler } = require(process.cwd() + '/index.js')
handler(JSON.parse(process.argv[1])).then(
  (outcome) => process.stdout.write('OUTCOME ' + JSON.stringify(outcome) + '\\n'),
  (error) => { process.stdout.write('ERROR ' + error.name + ': ' + error.message + '\\n'); process.exitCode = 1 }
)`

/** One inline function, ready to invoke. */
export interface InlineLambda {
  /** Invokes `handler(event)`; resolves with the lines it printed (OUTCOME/ERROR last). */
  invoke(event: unknown, env?: Record<string, string>): Promise<string[]>
  close(): void
}

/** Writes `code` to index.js in a fresh directory; `sdkPath` stands for the runtime's SDK. */
export function inlineLambda(
  code: string,
  options: { sdkPath: string; env: Record<string, string> }
): InlineLambda {
  const dir = mkdtempSync(join(tmpdir(), 'inline-lambda-'))
  writeFileSync(join(dir, 'index.js'), code)
  return {
    async invoke(event, env = {}) {
      const result = await run(process.execPath, ['-e', INVOKE, JSON.stringify(event)], {
        cwd: dir,
        // Only what the Lambda runtime sets: no NODE_OPTIONS, so no loader of the caller's.
        env: { PATH: process.env.PATH ?? '', NODE_PATH: options.sdkPath, ...options.env, ...env }
      }).catch((e: { stdout: string }) => e)
      return result.stdout.split('\n').filter((l) => l !== '')
    },
    close() {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
