/**
 * One in-process job's view of the shared AWS clients: every `send` of the job goes to the one
 * shared client and is counted for that job (ECS calls before and during the wait, S3 reads,
 * CloudWatch Logs calls, throttled answers), and the answers tell when RunTask started the task
 * and when the job first learned that it stopped. From requests and answers only, never from
 * what the job logs.
 */
import type { AwsClients } from '../../src/aws/clients.js'

/** What one job's clients saw. */
export interface JobCalls {
  /** ECS calls by operation before RunTask answered with a task, and after. */
  before: Record<string, number>
  during: Record<string, number>
  /** S3 GetObject requests. */
  s3Reads: number
  /** CloudWatch Logs calls. */
  logsCalls: number
  /** Answers that were ThrottlingException (any service). */
  throttled: number
  /** Epoch ms of the job's first request. */
  firstRequestAt?: number
  /** Epoch ms when RunTask first answered with a task. */
  runTaskAt?: number
  /**
   * Epoch ms of the first answer saying the task stopped: a GetObject of a `stopped.json` that
   * answered, or a DescribeTasks answer with a task whose lastStatus is STOPPED.
   */
  noticedAt?: number
}

/** A new, empty record. */
export function jobCalls(): JobCalls {
  return { before: {}, during: {}, s3Reads: 0, logsCalls: 0, throttled: 0 }
}

type Service = 'ecs' | 's3' | 'logs'

interface SentCommand {
  constructor: { name: string }
  input?: unknown
}

/** Records one answered (or failed) call into `calls`. */
export function recordCall(
  calls: JobCalls,
  service: Service,
  command: SentCommand,
  answer: { output: unknown } | { error: unknown },
  now: number
): void {
  const operation = command.constructor.name.replace(/Command$/, '')
  if (service === 'ecs') {
    const phase = calls.runTaskAt === undefined ? calls.before : calls.during
    phase[operation] = (phase[operation] ?? 0) + 1
  } else if (service === 's3') {
    if (operation === 'GetObject') calls.s3Reads++
  } else {
    calls.logsCalls++
  }
  if ('error' in answer) {
    if ((answer.error as { name?: string } | null)?.name === 'ThrottlingException') {
      calls.throttled++
    }
    return
  }
  const output = answer.output as { tasks?: { lastStatus?: string }[] } | undefined
  if (service === 'ecs' && operation === 'RunTask' && (output?.tasks?.length ?? 0) > 0) {
    calls.runTaskAt ??= now
  }
  const key = (command.input as { Key?: unknown } | undefined)?.Key
  const stopped =
    (service === 'ecs' &&
      operation === 'DescribeTasks' &&
      (output?.tasks ?? []).some((t) => t.lastStatus === 'STOPPED')) ||
    (service === 's3' &&
      operation === 'GetObject' &&
      typeof key === 'string' &&
      key.endsWith('/stopped.json'))
  if (stopped) calls.noticedAt ??= now
}

/** `client` with its `send` counted into `calls`; everything else is the shared client's. */
export function counted<C extends object>(
  client: C,
  service: Service,
  calls: JobCalls,
  now: () => number
): C {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown
      const send = Reflect.get(target, property, receiver) as (
        ...args: unknown[]
      ) => Promise<unknown>
      return async (command: SentCommand, ...rest: unknown[]) => {
        calls.firstRequestAt ??= now()
        try {
          const output = await send.call(target, command, ...rest)
          recordCall(calls, service, command, { output }, now())
          return output
        } catch (error) {
          recordCall(calls, service, command, { error }, now())
          throw error
        }
      }
    }
  })
}

/** The shared clients as one job sees them: the same clients, each call counted for the job. */
export function jobClients(shared: AwsClients, calls: JobCalls, now: () => number): AwsClients {
  return {
    ...shared,
    ecs: counted(shared.ecs, 'ecs', calls, now),
    logs: counted(shared.logs, 'logs', calls, now),
    s3: (region) => counted(shared.s3(region), 's3', calls, now)
  }
}
