/**
 * `mode: wait`: the tasks a step waits on without starting them. Either the ARNs of input
 * `task-arns` (checked once: their region and cluster are this step's, and ECS or the
 * notification bucket knows each), or every task of this workflow run that the ledger shows
 * started and not ended (input `jobs` narrows it). The wait itself is `mode: run`'s: each task is
 * adopted by the task set (src/tasks/queue.ts) and watched to its end; the ends it sees are
 * recorded in the ledger at the keys of the jobs that started them.
 */
import type { ECSClient } from '@aws-sdk/client-ecs'
import type { S3Client } from '@aws-sdk/client-s3'
import { readRunLedger } from './ledger/reader.js'
import { LedgerWriter } from './ledger/writer.js'
import { runPrefixOf, type LedgerPlace, type LedgerTask as StoredTask } from './ledger/records.js'
import type { TaskSetLedger } from './model/ledger.js'
import { APP_RULE, taskExitCode } from './model/result.js'
import { regionOfArn, taskIdOf } from './model/task-state.js'
import type { NotificationPrefix, TaskSpec } from './model/task.js'
import type { Adoption, RerunPlan } from './tasks/rerun.js'
import type { Clock, Random } from './util/clock.js'
import { UserError } from './util/errors.js'
import type { Logger } from './util/logger.js'
import { describeTasks } from './wait/describe-tasks.js'
import { notificationKey } from './wait/prefix.js'
import { readNotification } from './wait/notification.js'

/** The tasks to wait on, as a task set whose every task is adopted. */
export interface WaitTargets {
  /** One spec per task (no command, no env: nothing is started). */
  specs: TaskSpec[]
  plan: RerunPlan
  /** Records the ends at the keys of the jobs that started the tasks; absent without a ledger. */
  ledger?: TaskSetLedger
}

/** The cluster segment of a task ARN (`task/<cluster>/<id>`), undefined for an old-format ARN. */
function clusterOfArn(arn: string): string | undefined {
  const parts = arn.split(':').slice(5).join(':').split('/')
  return parts.length === 3 ? parts[1] : undefined
}

/** The cluster's name, from a name or a cluster ARN. */
function clusterName(cluster: string): string {
  return cluster.slice(cluster.lastIndexOf('/') + 1)
}

/**
 * The tasks to wait on. Throws a UserError naming the input for an ARN of another region or
 * cluster, a task neither ECS nor the bucket knows, or an empty ledger.
 */
export async function waitTargets(
  deps: {
    ecs: Pick<ECSClient, 'send'>
    s3?: Pick<S3Client, 'send'>
    clock: Clock
    random: Random
    logger: Logger
    signal: AbortSignal
  },
  input: {
    taskArns: string[]
    jobs?: string[]
    cluster: string
    region: string
    prefix?: NotificationPrefix
    env: NodeJS.ProcessEnv
  }
): Promise<WaitTargets> {
  const fromInput = input.taskArns.length > 0
  const found = fromInput ? undefined : await fromLedger(deps, input)
  const arns = found?.tasks.map((t) => t.taskArn as string) ?? input.taskArns
  const what = fromInput ? "Input 'task-arns'" : 'The ledger of this workflow run'
  const fix = fromInput
    ? "set 'task-arns' to tasks of this step's cluster and region"
    : "set 'cluster' and 'region' (or the definition's scheduler) to those of the fan-out"
  for (const arn of arns) {
    const region = regionOfArn(arn)
    if (region !== input.region) {
      throw new UserError(
        `${what} names ${arn}, a task in region ${region ?? '(none)'}, but this step waits in ` +
          `${input.region}: ${fix}`
      )
    }
    const cluster = clusterOfArn(arn)
    if (cluster !== undefined && cluster !== clusterName(input.cluster)) {
      throw new UserError(
        `${what} names ${arn}, a task of cluster '${cluster}', but this step waits on cluster ` +
          `'${clusterName(input.cluster)}': ${fix}`
      )
    }
  }
  if (fromInput) await checkKnown(deps, { ...input, arns })
  const adopt = new Map<number, Adoption>()
  arns.forEach((taskArn, index) => {
    const stored = found?.tasks[index]
    adopt.set(index, {
      index,
      taskArn,
      taskAttempt: stored?.taskAttempt ?? 1,
      clientToken: stored?.clientToken ?? ''
    })
  })
  deps.logger.info(
    `Waiting on ${arns.length} task(s) started elsewhere` +
      (fromInput ? ' (task-arns)' : ' (the ledger: started, end not recorded)')
  )
  return {
    specs: arns.map(() => ({ env: {} })),
    plan: { earlier: new Map(), adopt },
    ...(found?.ledger !== undefined ? { ledger: found.ledger } : {})
  }
}

/** The tasks the ledger shows started and not ended, and a ledger that records their ends. */
async function fromLedger(
  deps: { s3?: Pick<S3Client, 'send'>; clock: Clock; random: Random; logger: Logger },
  input: { jobs?: string[]; prefix?: NotificationPrefix; env: NodeJS.ProcessEnv }
): Promise<{ tasks: StoredTask[]; ledger: TaskSetLedger }> {
  const runId = input.env.GITHUB_RUN_ID?.trim()
  const { prefix, s3 } = input.prefix !== undefined ? { prefix: input.prefix, s3: deps.s3 } : {}
  if (!runId || prefix === undefined || s3 === undefined) {
    throw new UserError(
      "Input 'task-arns' is empty, so mode: wait waits on the tasks the ledger of this " +
        'workflow run shows running; that needs a notification prefix (scheduler.' +
        "oneshot_notification_prefix or the 'notification-prefix' input) and a workflow run " +
        "(GITHUB_RUN_ID). Give the tasks in 'task-arns' instead."
    )
  }
  const read = await readRunLedger(
    { s3, logger: deps.logger },
    {
      bucket: prefix.bucket,
      prefix: prefix.prefix,
      runId,
      ...(prefix.region !== undefined ? { region: prefix.region } : {}),
      ...(input.jobs !== undefined ? { jobs: input.jobs } : {})
    }
  )
  const running = read.jobs.flatMap((job) =>
    [...job.tasks.values()]
      .filter((t) => t.status === 'unfinished' && t.taskArn !== null)
      .map((t) => ({ job, task: t }))
  )
  if (running.length === 0) {
    const where = `s3://${prefix.bucket}/${runPrefixOf(prefix.prefix, runId)}`
    const jobs = input.jobs === undefined ? '' : ` of jobs ${input.jobs.join(', ')}`
    throw new UserError(
      `Input 'task-arns' is empty and the ledger at ${where} shows no task${jobs} started and ` +
        `not ended (${read.jobs.length} job(s) recorded): nothing to wait on. Give the tasks in ` +
        `'task-arns', or check 'jobs'.`
    )
  }
  // One writer per job segment and run attempt: each records at the keys of its own attempt.
  const writers = new Map<string, LedgerWriter>()
  const writerOf = (entry: (typeof running)[number]): LedgerWriter => {
    const { job, task } = entry
    const id = `${job.jobSegment}/${task.runAttempt}`
    let writer = writers.get(id)
    if (writer === undefined) {
      const runPrefix = runPrefixOf(prefix.prefix, runId)
      const place: LedgerPlace = {
        bucket: prefix.bucket,
        prefix: prefix.prefix,
        runId,
        jobSegment: job.jobSegment,
        job: task.job,
        step: task.step,
        matrixIndex: task.matrixIndex,
        jobTotal: task.jobTotal ?? 1,
        runPrefix,
        keyPrefix: `${runPrefix}${job.jobSegment}/`
      }
      writer = new LedgerWriter(
        { ...deps, s3 },
        {
          place,
          runAttempt: task.runAttempt,
          tasks: task.tasks,
          cluster: task.cluster ?? '',
          region: task.region ?? '',
          ...(prefix.region !== undefined ? { bucketRegion: prefix.region } : {})
        }
      )
      writers.set(id, writer)
    }
    return writer
  }
  const ledger: TaskSetLedger = {
    tokenOf: () => '',
    intent: () => Promise.resolve(),
    started: () => undefined,
    ended(t) {
      const entry = running[t.index]
      if (entry === undefined) return
      const stopped = t.end.kind === 'stopped' ? t.end.task : undefined
      writerOf(entry).ended({
        index: entry.task.index,
        taskAttempt: entry.task.taskAttempt,
        status: t.status === 'unfinished' ? 'failed' : t.status,
        exitCode: stopped !== undefined ? taskExitCode(stopped, APP_RULE) : null,
        stopCode: stopped?.stopCode ?? null,
        stoppedReason: stopped?.stoppedReason ?? (t.end.kind === 'lost' ? t.end.reason : null),
        startedAt: stopped?.startedAt ?? entry.task.startedAt,
        stoppedAt: stopped?.stoppedAt ?? null,
        logsUrl: entry.task.logsUrl,
        spec: entry.task.spec,
        taskArn: t.taskArn,
        adopted: entry.task.adopted,
        ...(entry.task.clientToken !== null ? { clientToken: entry.task.clientToken } : {})
      })
    },
    stopRequested(t) {
      const entry = running[t.index]
      if (entry !== undefined) {
        writerOf(entry).stopRequested(entry.task.index, entry.task.taskAttempt, t.why)
      }
    },
    async flush() {
      await Promise.all([...writers.values()].map((w) => w.flush()))
    }
  }
  return { tasks: running.map((r) => r.task), ledger }
}

/**
 * Every ARN of `task-arns` is a task ECS knows (one DescribeTasks call per 100 tasks), or one
 * that stopped long enough ago for ECS to forget it and whose stopped.json is in the bucket.
 */
async function checkKnown(
  deps: { ecs: Pick<ECSClient, 'send'>; s3?: Pick<S3Client, 'send'>; signal: AbortSignal },
  input: { arns: string[]; cluster: string; region: string; prefix?: NotificationPrefix }
): Promise<void> {
  const answer = await describeTasks(deps.ecs, {
    cluster: input.cluster,
    arns: input.arns,
    signal: deps.signal
  })
  for (const [arn, reason] of answer.missing) {
    const prefix = input.prefix
    if (prefix !== undefined && deps.s3 !== undefined) {
      const read = await readNotification(deps.s3, {
        bucket: prefix.bucket,
        key: notificationKey(prefix.prefix, arn, 'stopped'),
        taskArn: arn,
        name: 'stopped',
        signal: deps.signal
      })
      if (read.kind === 'event') continue
    }
    throw new UserError(
      `Input 'task-arns': ECS does not know task ${taskIdOf(arn)} in cluster ` +
        `'${input.cluster}' (${input.region}): ${reason}` +
        (prefix === undefined ? '' : ', and its stopped.json is not in the notification bucket') +
        '. Check the ARN: a task is known to ECS for about an hour after it stops.'
    )
  }
}
