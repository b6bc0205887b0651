/**
 * The sweeper: run every minute by an EventBridge schedule, it stops the tasks of the stack's
 * clusters that are past the deadline in their `hako-oneshot:deadline` tag (epoch seconds,
 * written by hako-oneshot-action at RunTask), so a task outlives its job by minutes, not days,
 * when the runner is lost (docs/deadlines.md). Tasks without the tag, or with a value that is
 * not a plain number of seconds, are never touched. Deployed inline by notifier/template.yml
 * like the notifier, so: one import, @aws-sdk/client-ecs, and nothing else.
 *
 * Load (docs/deadlines.md, "The sweeper's load and cost"): ListTasks every page, but only in
 * even minutes (its ARNs change little from one minute to the next); DescribeTasks with tags
 * only for tasks not read before and for tasks whose deadline has come (to confirm it before
 * StopTask). The deadlines read stay in `memory` while the function instance lives; a fresh
 * instance reads them again, at most once a listing. At 1,000 running tasks that is 10 pages
 * and 10 DescribeTasks per two minutes at worst, about 0.8 % of the DescribeTasks refill.
 */
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  StopTaskCommand,
  type Task
} from '@aws-sdk/client-ecs'

const TAG = 'hako-oneshot:deadline'
const L = { pages: 100, budgetMs: 40_000, readGapMs: 250, stopGapMs: 50 }
export {
  /** The tag key; the action writes the same key (src/ecs/deadline.ts, `DEADLINE_TAG`). */
  TAG as DEADLINE_TAG,
  /** Bounds of one run: pages per cluster, ms of work, ms between reads and between stops. */
  L as LIMITS
}

/** What sweep needs from outside. */
export interface SweepDeps {
  ecs: ECSClient
  /** Epoch ms. */
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** One log line (CloudWatch Logs in Lambda). */
  log: (line: string) => void
}

/**
 * What one function instance remembers between runs: per cluster, when its listing last
 * finished (epoch ms) and each running task's deadline (epoch s; null: never to be stopped;
 * undefined: not read yet).
 */
export interface SweepMemory {
  listedAt: Map<string, number>
  tasks: Map<string, Map<string, number | null | undefined>>
}

/** What one run did. */
export interface SweepOutcome {
  /** Tasks stopped, as `<task ARN> <deadline>`. */
  stopped: string[]
  /** ECS calls made, by operation. */
  calls: Record<string, number>
  /** Where and why the run ended early, for the next run to go on ('' when it did not). */
  cut: string
}

/** The deadline in a task's tags (epoch s), or null without one or with a malformed one. */
export function deadlineOf(task: Task): number | null {
  const value = task.tags?.find((t) => t.key === TAG)?.value ?? ''
  return /^[1-9]\d{0,10}$/.test(value) ? Number(value) : null
}

const nameOf = (e: unknown): string => String((e as { name?: unknown })?.name)
const isCut = (e: unknown): boolean => /Throttl|TooManyRequests|^Budget$/.test(nameOf(e))

/**
 * One sweep of `clusters` (ARNs): stops each task past its deadline, once. `scheduledAt` is
 * the schedule's time for this run (epoch ms; the event's `time`): its even minutes list.
 */
export async function sweep(
  clusters: string[],
  deps: SweepDeps,
  memory: SweepMemory,
  scheduledAt = deps.now()
): Promise<SweepOutcome> {
  const start = deps.now()
  const outcome: SweepOutcome = { stopped: [], calls: {}, cut: '' }
  let last = 0
  // Every call waits its gap after the previous one and none starts past the budget, so a run
  // takes a small, steady share of the account's buckets and ends within its minute.
  const send = async <T>(op: string, command: object, gap: number): Promise<T> => {
    await deps.sleep(Math.max(0, last + gap - deps.now()))
    if (deps.now() - start > L.budgetMs) throw Object.assign(new Error(), { name: 'Budget' })
    outcome.calls[op] = (outcome.calls[op] ?? 0) + 1
    try {
      return (await deps.ecs.send(command as never)) as T
    } finally {
      last = deps.now()
    }
  }
  const errors: string[] = []
  for (const cluster of clusters) {
    try {
      await sweepCluster(cluster)
    } catch (e) {
      if (isCut(e)) {
        outcome.cut = `cut at ${cluster}: ${nameOf(e)}`
        break
      }
      errors.push(`${cluster}: ${String(e)}`)
    }
  }
  deps.log(
    `stopped ${outcome.stopped.length}, calls ${JSON.stringify(outcome.calls)} ${outcome.cut}`
  )
  if (errors.length > 0) throw new Error(errors.join('; '))
  return outcome

  async function sweepCluster(cluster: string): Promise<void> {
    let known = memory.tasks.get(cluster) ?? new Map<string, number | null | undefined>()
    const now = deps.now()
    // Even minutes only, and not twice within 90 s: the schedule's runs drift a little.
    if (
      Math.floor(scheduledAt / 60_000) % 2 === 0 &&
      now - (memory.listedAt.get(cluster) ?? 0) >= 90_000
    ) {
      const listed = new Map<string, number | null | undefined>()
      let token: string | undefined
      let pages = 0
      do {
        const page = await send<{ taskArns?: string[]; nextToken?: string }>(
          'ListTasks',
          new ListTasksCommand({ cluster, desiredStatus: 'RUNNING', nextToken: token }),
          L.readGapMs
        )
        for (const arn of page.taskArns ?? []) listed.set(arn, known.get(arn))
        token = page.nextToken
      } while (token && ++pages < L.pages)
      // A listing cut at the page limit forgets nothing it did not see.
      known = token ? new Map([...known, ...listed]) : listed
      if (!token) memory.listedAt.set(cluster, now)
      memory.tasks.set(cluster, known)
    }
    const due = [...known].filter(([, d]) => d === undefined || (d !== null && d * 1000 <= now))
    for (let i = 0; i < due.length; i += 100) {
      const { tasks = [] } = await send<{ tasks?: Task[] }>(
        'DescribeTasks',
        new DescribeTasksCommand({
          cluster,
          tasks: due.slice(i, i + 100).map(([arn]) => arn),
          include: ['TAGS']
        }),
        L.readGapMs
      )
      for (const task of tasks) {
        const arn = task.taskArn ?? ''
        const deadline = deadlineOf(task)
        if (task.desiredStatus !== 'RUNNING') known.delete(arn)
        else if (deadline === null || deadline * 1000 > deps.now()) known.set(arn, deadline)
        else {
          // The tag read just now says it is past: stop it, naming the deadline.
          const at = new Date(deadline * 1000).toISOString()
          try {
            await send(
              'StopTask',
              new StopTaskCommand({
                cluster,
                task: arn,
                reason: `Stopped by the hako-oneshot sweeper: past its deadline ${at} (tag ${TAG})`
              }),
              L.stopGapMs
            )
          } catch (e) {
            if (isCut(e)) throw e
            deps.log(`could not stop ${arn}: ${String(e)}`)
            continue
          }
          known.delete(arn)
          outcome.stopped.push(`${arn} ${at}`)
          deps.log(`stopped ${arn}: past its deadline ${at}`)
        }
      }
    }
  }
}

let client: ECSClient | undefined
const memory: SweepMemory = { listedAt: new Map(), tasks: new Map() }
// Lambda sends console output to CloudWatch Logs, tagged with the request id.
// eslint-disable-next-line no-console
const log = (line: string): void => console.log(line)

/** The Lambda entry point: run by EventBridge's scheduled event, one sweep of CLUSTER_ARNS. */
export async function handler(event?: { time?: string }): Promise<SweepOutcome> {
  const clusters = (process.env.CLUSTER_ARNS ?? '').split(',').filter((c) => c.trim())
  if (!clusters[0]) throw new Error('Set CLUSTER_ARNS to the ARNs of the clusters to sweep')
  client ??= new ECSClient({})
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
  return sweep(
    clusters.map((c) => c.trim()),
    { ecs: client, now: Date.now, sleep, log },
    memory,
    Date.parse(event?.time ?? '') || Date.now()
  )
}
