/**
 * The benchmark's baseline job (variant c) as its own process, one per job like the action's
 * jobs (bench/run.ts bundles it with ncc first, as the action is bundled): see
 * bench/lib/sdk-waiter.ts. Reads the spec from the JSON file BENCH_SPEC and its job id from
 * BENCH_JOB; endpoints, region and credentials come from the SDK's standard environment
 * variables. Writes `task-arn` and `exit-code` to the GITHUB_OUTPUT file, as the action does, and
 * exits with the app container's exit code, or 1 when the job failed before that.
 */
import { appendFileSync, readFileSync } from 'node:fs'
import { ECSClient } from '@aws-sdk/client-ecs'
import { runSdkWaiterJob, type SdkWaiterSpec } from './lib/sdk-waiter.js'

function print(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function main(): Promise<number> {
  const spec = JSON.parse(readFileSync(process.env.BENCH_SPEC ?? '', 'utf8')) as SdkWaiterSpec
  const result = await runSdkWaiterJob(
    new ECSClient({}),
    spec,
    process.env.BENCH_JOB ?? 'bench',
    print
  )
  const outputs = process.env.GITHUB_OUTPUT
  if (outputs) {
    appendFileSync(outputs, `task-arn=${result.taskArn}\nexit-code=${result.exitCode}\n`)
  }
  return result.exitCode
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    print(`::error::${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
    process.exitCode = 1
  }
)
