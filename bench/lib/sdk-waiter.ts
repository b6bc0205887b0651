/**
 * The benchmark's baseline (variant c): the way other ECS actions run a one-off task. Every job
 * registers a new task definition revision, runs it, and waits with the SDK's
 * `waitUntilTasksStopped` at its defaults (DescribeTasks at once, then every 6 s or more with
 * exponential backoff and jitter, up to 600 s), on an ECS client with the SDK's default retries.
 * Used by bench/sdk-waiter-job.ts (one process per job) and bench/in-process.ts (many in one).
 */
import {
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  waitUntilTasksStopped,
  type DescribeTasksCommandOutput,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type RunTaskCommandInput
} from '@aws-sdk/client-ecs'

/** What bench/run.ts hands a baseline job. */
export interface SdkWaiterSpec {
  registerRequest: RegisterTaskDefinitionCommandInput
  runTaskRequest: RunTaskCommandInput & { cluster: string }
  /** The app container's environment override (SIM_RUN_SECONDS, ...). */
  env: Record<string, string>
  /** The waiter's maxWaitTime in seconds (the SDK requires one; it has no default). */
  maxWaitSeconds: number
}

/** The app container's exit code in a DescribeTasks answer; 127 without one (hako's rule). */
export function appExitCode(output: DescribeTasksCommandOutput | undefined): number {
  const task = output?.tasks?.[0]
  const app = task?.containers?.find((c) => c.name === 'app') ?? task?.containers?.[0]
  return app?.exitCode ?? 127
}

/** What one baseline job did. */
export interface SdkWaiterResult {
  taskArn: string
  /** Epoch ms when RunTask answered (the wait began). */
  runTaskAt: number
  exitCode: number
}

/**
 * One baseline job: RegisterTaskDefinition, RunTask (`startedBy` = `jobId`), then
 * waitUntilTasksStopped; prints "Task <id> is STOPPED" like the action's DescribeTasks waiter.
 * Throws what the SDK throws (a ThrottlingException after the SDK's own retries, ...).
 */
export async function runSdkWaiterJob(
  ecs: ECSClient,
  spec: SdkWaiterSpec,
  jobId: string,
  print: (line: string) => void
): Promise<SdkWaiterResult> {
  const registered = await ecs.send(new RegisterTaskDefinitionCommand(spec.registerRequest))
  const arn = registered.taskDefinition?.taskDefinitionArn
  if (!arn) throw new Error('RegisterTaskDefinition answered without an ARN')
  print(`Registered ${arn}`)
  const environment = Object.entries(spec.env).map(([name, value]) => ({ name, value }))
  const run = await ecs.send(
    new RunTaskCommand({
      ...spec.runTaskRequest,
      taskDefinition: arn,
      startedBy: jobId,
      overrides: { containerOverrides: [{ name: 'app', environment }] }
    })
  )
  const runTaskAt = Date.now()
  const taskArn = run.tasks?.[0]?.taskArn
  if (!taskArn) throw new Error(`RunTask started nothing: ${JSON.stringify(run.failures ?? [])}`)
  print(`Started ${taskArn}`)
  const result = await waitUntilTasksStopped(
    { client: ecs, maxWaitTime: spec.maxWaitSeconds },
    { cluster: spec.runTaskRequest.cluster, tasks: [taskArn] }
  )
  const exitCode = appExitCode(result.reason as DescribeTasksCommandOutput | undefined)
  print(`Task ${taskArn.split('/').pop() ?? ''} is STOPPED, exit code ${exitCode}`)
  return { taskArn, runTaskAt, exitCode }
}
