import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import {
  DescribeTasksCommand,
  ECSClient,
  ECSServiceException,
  ListTasksCommand,
  StopTaskCommand,
  type Task
} from '@aws-sdk/client-ecs'
import {
  deadlineOf,
  DEADLINE_TAG,
  LIMITS,
  sweep,
  type SweepMemory
} from '../../notifier/sweeper.js'
import { FakeClock } from '../doubles/clock.js'

const ecsMock = mockClient(ECSClient)
const CLUSTER = 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch'
const OTHER = 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/other'
const arn = (id: string, cluster = 'batch') =>
  `arn:aws:ecs:ap-northeast-1:123456789012:task/${cluster}/${id}`
// 2026-12-02T04:00:00Z: an even minute, so a run here lists.
const EVEN = Date.UTC(2026, 11, 2, 4, 0, 0)
const SECONDS = EVEN / 1000

function running(id: string, deadline?: string, cluster = 'batch'): Task {
  return {
    taskArn: arn(id, cluster),
    desiredStatus: 'RUNNING',
    lastStatus: 'RUNNING',
    tags: [
      { key: 'team', value: 'data' },
      ...(deadline === undefined ? [] : [{ key: DEADLINE_TAG, value: deadline }])
    ]
  }
}

const reason = (deadline: number) =>
  `Stopped by the hako-oneshot sweeper: past its deadline ${new Date(deadline * 1000).toISOString()} (tag hako-oneshot:deadline)`

function throttled(name = 'ThrottlingException'): ECSServiceException {
  return new ECSServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded'
  })
}

interface Harness {
  clock: FakeClock
  memory: SweepMemory
  lines: string[]
  run(clusters?: string[]): ReturnType<typeof sweep>
}

function harness(start = EVEN): Harness {
  const clock = new FakeClock(start)
  const memory: SweepMemory = { listedAt: new Map(), tasks: new Map() }
  const lines: string[] = []
  const deps = {
    ecs: new ECSClient({ region: 'ap-northeast-1' }),
    now: () => clock.now(),
    sleep: (ms: number) => clock.sleep(ms),
    log: (line: string) => void lines.push(line)
  }
  return {
    clock,
    memory,
    lines,
    run: (clusters = [CLUSTER]) => clock.run(sweep(clusters, deps, memory))
  }
}

/** Every ECS call as [operation, input], in call order. */
const calls = () =>
  ecsMock
    .calls()
    .map((c) => [
      (c.args[0] as { constructor: { name: string } }).constructor.name,
      (c.args[0] as { input: unknown }).input
    ])

beforeEach(() => {
  ecsMock.reset()
})

describe('deadlineOf', () => {
  it.each([
    ['1796184000', 1_796_184_000],
    ['1', 1],
    ['99999999999', 99_999_999_999]
  ])('reads %s', (value, expected) => {
    expect(deadlineOf(running('t', value))).toBe(expected)
  })

  it.each(['', ' 1796184000', '1796184000 ', '0', '017', '1.5e9', '-1', 'soon', '999999999999'])(
    'treats %j as malformed: never to be stopped',
    (value) => {
      expect(deadlineOf(running('t', value))).toBeNull()
    }
  )

  it('is null without the tag, or without tags', () => {
    expect(deadlineOf(running('t'))).toBeNull()
    expect(deadlineOf({ taskArn: arn('t') })).toBeNull()
  })
})

describe('sweep', () => {
  it('lists every page, reads tags in batches of 100, and stops only the tasks past their deadline', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `t${String(i).padStart(3, '0')}`)
    ecsMock
      .on(ListTasksCommand, { cluster: CLUSTER, nextToken: undefined })
      .resolves({ taskArns: ids.slice(0, 100).map((id) => arn(id)), nextToken: 'p2' })
      .on(ListTasksCommand, { cluster: CLUSTER, nextToken: 'p2' })
      .resolves({ taskArns: ids.slice(100).map((id) => arn(id)) })
    // t000 is past, t001 is due this very second, t002 is a second early; t003 has no tag and
    // t004 a malformed one, both long ago started; the rest have deadlines an hour away.
    const special: Record<string, string | undefined> = {
      t000: String(SECONDS - 600),
      t001: String(SECONDS),
      t002: String(SECONDS + 1),
      t003: undefined,
      t004: '1700000000.5'
    }
    const deadline = (id: string) => (id in special ? special[id] : String(SECONDS + 3600))
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) =>
      Promise.resolve({
        tasks: input.tasks.map((a) =>
          running(a.split('/').pop() ?? '', deadline(a.split('/').pop() ?? ''))
        )
      })
    )
    ecsMock.on(StopTaskCommand).resolves({})
    const h = harness()
    const outcome = await h.run()

    expect(calls()).toEqual([
      ['ListTasksCommand', { cluster: CLUSTER, desiredStatus: 'RUNNING', nextToken: undefined }],
      ['ListTasksCommand', { cluster: CLUSTER, desiredStatus: 'RUNNING', nextToken: 'p2' }],
      [
        'DescribeTasksCommand',
        { cluster: CLUSTER, tasks: ids.slice(0, 100).map((id) => arn(id)), include: ['TAGS'] }
      ],
      ['StopTaskCommand', { cluster: CLUSTER, task: arn('t000'), reason: reason(SECONDS - 600) }],
      ['StopTaskCommand', { cluster: CLUSTER, task: arn('t001'), reason: reason(SECONDS) }],
      [
        'DescribeTasksCommand',
        { cluster: CLUSTER, tasks: ids.slice(100).map((id) => arn(id)), include: ['TAGS'] }
      ]
    ])
    expect(outcome).toEqual({
      stopped: [
        `${arn('t000')} ${new Date((SECONDS - 600) * 1000).toISOString()}`,
        `${arn('t001')} 2026-12-02T04:00:00.000Z`
      ],
      calls: { ListTasks: 2, DescribeTasks: 2, StopTask: 2 },
      cut: ''
    })
    expect(h.lines).toEqual([
      `stopped ${arn('t000')}: past its deadline 2026-12-02T03:50:00.000Z`,
      `stopped ${arn('t001')}: past its deadline 2026-12-02T04:00:00.000Z`,
      'stopped 2, calls {"ListTasks":2,"DescribeTasks":2,"StopTask":2} '
    ])
    // Reads wait 250 ms after the previous call, stops 50 ms.
    expect(h.clock.sleeps).toEqual([
      0,
      LIMITS.readGapMs,
      LIMITS.readGapMs,
      LIMITS.stopGapMs,
      LIMITS.stopGapMs,
      LIMITS.readGapMs
    ])
    expect(h.memory.tasks.get(CLUSTER)?.get(arn('t002'))).toBe(SECONDS + 1)
    expect(h.memory.tasks.get(CLUSTER)?.get(arn('t003'))).toBeNull()
    expect(h.memory.tasks.get(CLUSTER)?.get(arn('t004'))).toBeNull()
    expect(h.memory.tasks.get(CLUSTER)?.has(arn('t000'))).toBe(false)
  })

  it('in an odd minute lists nothing; with what it knows, it reads and stops only the tasks now due', async () => {
    ecsMock
      .on(ListTasksCommand)
      .resolves({ taskArns: [arn('a'), arn('b'), arn('c'), arn('d')] })
      .on(DescribeTasksCommand)
      .resolves({
        tasks: [
          running('a', String(SECONDS + 30)),
          running('b', String(SECONDS + 3600)),
          running('c'),
          running('d', String(SECONDS + 45))
        ]
      })
    const h = harness()
    await h.run()
    expect(calls().map(([op]) => op)).toEqual(['ListTasksCommand', 'DescribeTasksCommand'])

    // A minute later a and d are due; d has stopped on its own meanwhile.
    ecsMock.reset()
    ecsMock
      .on(DescribeTasksCommand)
      .resolves({
        tasks: [
          running('a', String(SECONDS + 30)),
          { ...running('d', String(SECONDS + 45)), desiredStatus: 'STOPPED' }
        ]
      })
      .on(StopTaskCommand)
      .resolves({})
    await h.clock.advance(60_000)
    const outcome = await h.run()
    expect(calls()).toEqual([
      [
        'DescribeTasksCommand',
        { cluster: CLUSTER, tasks: [arn('a'), arn('d')], include: ['TAGS'] }
      ],
      ['StopTaskCommand', { cluster: CLUSTER, task: arn('a'), reason: reason(SECONDS + 30) }]
    ])
    expect(outcome.calls).toEqual({ DescribeTasks: 1, StopTask: 1 })
    expect([...(h.memory.tasks.get(CLUSTER)?.keys() ?? [])]).toEqual([arn('b'), arn('c')])
  })

  it("lists by the schedule's time: an even scheduled minute lists though the run starts late", async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] })
    const clock = new FakeClock(EVEN + 60_000 + 900)
    const deps = {
      ecs: new ECSClient({ region: 'ap-northeast-1' }),
      now: () => clock.now(),
      sleep: (ms: number) => clock.sleep(ms),
      log: () => {}
    }
    const memory: SweepMemory = { listedAt: new Map(), tasks: new Map() }
    await clock.run(sweep([CLUSTER], deps, memory, EVEN + 59_000))
    expect(calls().map(([op]) => op)).toEqual(['ListTasksCommand'])
  })

  it('makes no call in an odd minute when it knows nothing (a fresh instance)', async () => {
    const h = harness(EVEN + 60_000)
    expect(await h.run([CLUSTER, OTHER])).toEqual({ stopped: [], calls: {}, cut: '' })
    expect(calls()).toEqual([])
  })

  it('lists again two minutes later, not in the same even minute, and reads only new tasks', async () => {
    ecsMock
      .on(ListTasksCommand)
      .resolves({ taskArns: [arn('a')] })
      .on(DescribeTasksCommand)
      .resolves({ tasks: [running('a', String(SECONDS + 3600))] })
    const h = harness()
    await h.run()
    await h.clock.advance(50_000)
    await h.run()
    expect(calls().map(([op]) => op)).toEqual(['ListTasksCommand', 'DescribeTasksCommand'])

    ecsMock.reset()
    ecsMock
      .on(ListTasksCommand)
      .resolves({ taskArns: [arn('a'), arn('e')] })
      .on(DescribeTasksCommand)
      .resolves({ tasks: [running('e')] })
    await h.clock.advance(70_000)
    await h.run()
    expect(calls()).toEqual([
      ['ListTasksCommand', { cluster: CLUSTER, desiredStatus: 'RUNNING', nextToken: undefined }],
      ['DescribeTasksCommand', { cluster: CLUSTER, tasks: [arn('e')], include: ['TAGS'] }]
    ])
  })

  it('forgets tasks no longer listed, and keeps what it knew when the listing hits the page limit', async () => {
    ecsMock
      .on(ListTasksCommand)
      .resolves({ taskArns: [arn('a'), arn('b')] })
      .on(DescribeTasksCommand)
      .resolves({
        tasks: [running('a', String(SECONDS + 9000)), running('b', String(SECONDS + 9000))]
      })
    const h = harness()
    await h.run()

    ecsMock.reset()
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [arn('b')] })
    await h.clock.advance(120_000)
    await h.run()
    expect([...(h.memory.tasks.get(CLUSTER)?.keys() ?? [])]).toEqual([arn('b')])

    // Every page says there is another: the run stops at the page limit and forgets nothing.
    ecsMock.reset()
    ecsMock
      .on(ListTasksCommand)
      .resolves({ taskArns: [arn('c')], nextToken: 'more' })
      .on(DescribeTasksCommand)
      .resolves({ tasks: [running('c', String(SECONDS + 9000))] })
    await h.clock.advance(120_000)
    const listedAt = h.memory.listedAt.get(CLUSTER)
    const outcome = await h.run()
    expect(outcome.calls).toEqual({ ListTasks: LIMITS.pages, DescribeTasks: 1 })
    expect([...(h.memory.tasks.get(CLUSTER)?.keys() ?? [])]).toEqual([arn('b'), arn('c')])
    // Not a finished listing: the next even minute lists again.
    expect(h.memory.listedAt.get(CLUSTER)).toBe(listedAt)
  })

  it('starts no call past its 40-second budget, and the next run goes on', async () => {
    const page = (n: number) => Array.from({ length: 100 }, (_, i) => arn(`p${n}-${i}`))
    let n = 0
    ecsMock.on(ListTasksCommand).callsFake(() => {
      n++
      return Promise.resolve({ taskArns: page(n), ...(n < 100 ? { nextToken: String(n) } : {}) })
    })
    ecsMock
      .on(DescribeTasksCommand)
      .callsFake((input: { tasks: string[] }) =>
        Promise.resolve({ tasks: input.tasks.map((a) => ({ ...running(''), taskArn: a })) })
      )
    const h = harness()
    const outcome = await h.run()
    // 100 pages and then reads, 250 ms apart, the last at 40 s: none starts later.
    expect(outcome.calls).toEqual({ ListTasks: 100, DescribeTasks: 61 })
    expect(outcome.cut).toBe(`cut at ${CLUSTER}: Budget`)
    expect(h.clock.now() - EVEN).toBeLessThanOrEqual(LIMITS.budgetMs + LIMITS.readGapMs)
    expect(h.lines.at(-1)).toBe(
      `stopped 0, calls {"ListTasks":100,"DescribeTasks":61} cut at ${CLUSTER}: Budget`
    )
  })

  it('ends the run without failing when ECS still throttles after the SDK retries', async () => {
    ecsMock
      .on(ListTasksCommand, { cluster: CLUSTER })
      .resolves({ taskArns: [arn('a')] })
      .on(DescribeTasksCommand)
      .rejects(throttled())
    const h = harness()
    const outcome = await h.run([CLUSTER, OTHER])
    expect(outcome).toEqual({
      stopped: [],
      calls: { ListTasks: 1, DescribeTasks: 1 },
      cut: `cut at ${CLUSTER}: ThrottlingException`
    })
    // The other cluster waits for the next run; a's tags are still to read.
    expect(calls().map(([op]) => op)).toEqual(['ListTasksCommand', 'DescribeTasksCommand'])
    expect(h.memory.tasks.get(CLUSTER)?.get(arn('a'))).toBeUndefined()
    expect(h.memory.tasks.get(CLUSTER)?.has(arn('a'))).toBe(true)
  })

  it('logs a StopTask refusal, stops the others, and tries that task again next run', async () => {
    ecsMock
      .on(ListTasksCommand)
      .resolves({ taskArns: [arn('a'), arn('b')] })
      .on(DescribeTasksCommand)
      .resolves({ tasks: [running('a', String(SECONDS - 5)), running('b', String(SECONDS - 5))] })
      .on(StopTaskCommand, { task: arn('a') })
      .rejects(
        new ECSServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'not authorized to perform: ecs:StopTask'
        })
      )
      .on(StopTaskCommand, { task: arn('b') })
      .resolves({})
    const h = harness()
    const outcome = await h.run()
    expect(outcome.stopped).toEqual([`${arn('b')} 2026-12-02T03:59:55.000Z`])
    expect(h.lines[0]).toBe(
      `could not stop ${arn('a')}: AccessDeniedException: not authorized to perform: ecs:StopTask`
    )
    expect(h.memory.tasks.get(CLUSTER)?.get(arn('a'))).toBeUndefined()
  })

  it('sweeps the other clusters when one fails, then fails the run naming it', async () => {
    ecsMock
      .on(ListTasksCommand, { cluster: OTHER })
      .rejects(
        new ECSServiceException({
          name: 'ClusterNotFoundException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Cluster not found.'
        })
      )
      .on(ListTasksCommand, { cluster: CLUSTER })
      .resolves({ taskArns: [arn('a')] })
      .on(DescribeTasksCommand)
      .resolves({ tasks: [running('a', String(SECONDS - 1))] })
      .on(StopTaskCommand)
      .resolves({})
    const h = harness()
    await expect(h.run([OTHER, CLUSTER])).rejects.toThrow(
      new Error(`${OTHER}: ClusterNotFoundException: Cluster not found.`)
    )
    expect(calls().map(([op]) => op)).toEqual([
      'ListTasksCommand',
      'ListTasksCommand',
      'DescribeTasksCommand',
      'StopTaskCommand'
    ])
    expect(h.lines).toEqual([
      `stopped ${arn('a')}: past its deadline 2026-12-02T03:59:59.000Z`,
      'stopped 1, calls {"ListTasks":2,"DescribeTasks":1,"StopTask":1} '
    ])
  })
})
