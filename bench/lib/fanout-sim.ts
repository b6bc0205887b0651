/**
 * The fan-out benchmark's scaffolding (bench/run.ts): its settings, a fresh simulator per run
 * (with recording proxies in front for job processes), the bundles it runs, and the small
 * helpers every run shares.
 */
import { execFileSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import {
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  ECSClient
} from '@aws-sdk/client-ecs'
import { startLocalAws, type LocalAws } from '../../sim/index.js'
import type { JobEnd, JobOutcome } from './jobs.js'
import {
  startRecordingProxy,
  type RecordedRequest,
  type RecordingProxy,
  type RequestBarrier
} from './proxy.js'
import type { Variant } from './report.js'
import type { SdkWaiterSpec } from './sdk-waiter.js'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const DEFINITION = '__fixtures__/e2e/oneshot.yml'
/** How long any job may take beyond its task's own length before the bench gives up on it. */
export const SLACK_SECONDS = 240
/** A second RegisterTaskDefinition of a family within this many simulated seconds is refused. */
export const REGISTER_CONFLICT_SECONDS = 0.3

/** The fan-out benchmark's settings (bench/run.ts parses them). */
export interface Options {
  sizes: number[]
  inProcess: number[]
  variants: Variant[]
  taskSeconds: number
  timeScale: number
  solo: number
  spreadSeconds: number
  out: string | undefined
}

/**
 * Bundles a bench entry with ncc, as the action is bundled, so no TypeScript loader runs in it.
 * `transpileOnly` is quicker, but an entry that imports the action's main step needs ncc's full
 * TypeScript build (as `npm run build` makes): the transpile-only one asks for the CommonJS
 * export of @actions/core, which has only an ES module one.
 */
export function bundle(entry: string, outDir: string, transpileOnly = true): string {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
      'build',
      entry,
      '-o',
      outDir,
      '--target',
      'es2022',
      '-q',
      ...(transpileOnly ? ['-t'] : [])
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }
  )
  return join(outDir, 'index.js')
}

export interface Context {
  options: Options
  spec: SdkWaiterSpec
  sdkJob: string
  inProcessJob: string
  work: string
}

export const GITHUB = {
  GITHUB_REPOSITORY: 'acme/batch',
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_WORKFLOW: 'bench'
}

/** The service `network-from-service` names in the overrides variant, and its network. */
export const BENCH_SERVICE = {
  name: 'e2e/web',
  network: {
    subnets: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    securityGroups: ['sg-0bbbbbbbbbbbbbbb1'],
    assignPublicIp: 'DISABLED' as const
  }
}

/**
 * The overrides variant's extra inputs: every per-run choice at once, the network read from a
 * service (the simulator's DescribeServices draws from the DescribeTasks token bucket).
 */
export const OVERRIDE_INPUTS: Record<string, string> = {
  'network-from-service': BENCH_SERVICE.name,
  'capacity-provider-strategy': 'FARGATE_SPOT:weight=1,FARGATE:base=1',
  'task-role-arn': 'arn:aws:iam::123456789012:role/oneshot-task-override',
  'execution-role-arn': 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole-override',
  cpu: '512',
  memory: '1024',
  'ephemeral-storage': '40',
  'enable-execute-command': 'true'
}

export async function freshSim(ctx: Context): Promise<LocalAws> {
  return startLocalAws({
    timeScale: ctx.options.timeScale,
    seed: 11,
    clusters: ['e2e'],
    services: { [BENCH_SERVICE.name]: BENCH_SERVICE.network },
    // ECS refuses a registration of a family while another is in progress ("Too many concurrent
    // attempts to create a new revision", docs/limits.md, "Registration"); modelled as a 0.3 s window.
    timings: { registerConflictSeconds: REGISTER_CONFLICT_SECONDS }
  })
}

/**
 * For a run on a changed definition: an older, different revision of the family exists, so
 * every job's compare finds a difference and they race to register.
 */
export async function registerPrevious(local: LocalAws, ctx: Context): Promise<void> {
  await registerPreviousImage(local, ctx.spec.registerRequest)
}

/** Registers `request` with every image tagged `previous`: a revision the benches' differs from. */
export async function registerPreviousImage(
  local: LocalAws,
  request: RegisterTaskDefinitionCommandInput
): Promise<void> {
  const ecs = new ECSClient(local.clientConfig('ecs'))
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      ...request,
      containerDefinitions: (request.containerDefinitions ?? []).map((c) => ({
        ...c,
        image: `${(c.image ?? '').split(':')[0] ?? ''}:previous`
      }))
    })
  )
  ecs.destroy()
}

export function jobId(variant: Variant, index: number): string {
  return `${variant}-${String(index).padStart(4, '0')}`
}

/**
 * Why a job process did not count as a success, for the results page: its last error
 * annotation (the `::error::` workflow command), else its last stderr line, else what its
 * outputs and answers say. Task ids and ARNs are masked so that equal reasons group.
 */
export function reasonOf(o: JobOutcome, end: JobEnd): string {
  const annotation = o.stdout
    .split('\n')
    .filter((l) => l.startsWith('::error'))
    .pop()
  const message = annotation?.slice(annotation.indexOf('::', 2) + 2)
  const text =
    message ||
    o.stderr.trim().split('\n').pop() ||
    (o.exitCode === 0 && end.taskExitCode === 0
      ? 'no answer to the job showed its task stopped'
      : `exit code ${String(o.exitCode)}, task exit code ${String(end.taskExitCode ?? 'none')}`)
  return maskIds(text)
}

/** Task ids and ARNs differ per job: masked, so that equal reasons group. */
export function maskIds(text: string): string {
  return text
    .replace(/arn:aws:ecs:[^\s'"]+/g, '<arn>')
    .replace(/\b[0-9a-f]{32}\b/g, '<id>')
    .slice(0, 200)
}

/**
 * A fresh simulator with recording proxies in front, and the env a job needs to use them;
 * `barrier` (in both proxies) holds each job's first request until every job has sent one.
 */
export async function proxiedSim(
  ctx: Context,
  barrier?: RequestBarrier
): Promise<{
  local: LocalAws
  ecsProxy: RecordingProxy
  s3Proxy: RecordingProxy
  env: Record<string, string>
}> {
  const local = await freshSim(ctx)
  const ecsProxy = await startRecordingProxy(local.ecsEndpoint, { barrier })
  const s3Proxy = await startRecordingProxy(local.s3Endpoint, { barrier })
  const env = {
    ...local.env,
    ...GITHUB,
    AWS_ENDPOINT_URL_ECS: ecsProxy.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: ecsProxy.endpoint,
    AWS_ENDPOINT_URL_S3: s3Proxy.endpoint
  }
  return { local, ecsProxy, s3Proxy, env }
}

export function countOps(requests: RecordedRequest[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of requests) if (r.service === 'ecs') out[r.operation] = (out[r.operation] ?? 0) + 1
  return out
}

export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>()
  for (const item of items) {
    const k = key(item)
    const list = map.get(k)
    if (list) list.push(item)
    else map.set(k, [item])
  }
  return map
}
