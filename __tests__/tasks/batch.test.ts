/** Per-task RunTask requests and their batching (src/tasks/batch.ts). */
import { describe, expect, it } from '@jest/globals'
import type { RunTaskCommandInput } from '@aws-sdk/client-ecs'
import { appOverrideOf, nextBatch, overrideKey, requestFor } from '../../src/tasks/batch.js'

const SIDECAR = { name: 'log-router', environment: [{ name: 'KEEP', value: 'yes' }] }

describe('appOverrideOf', () => {
  it.each([
    [
      'the step only',
      { env: {} },
      { command: ['run'], env: { A: '1' } },
      {
        command: ['run'],
        environment: [{ name: 'A', value: '1' }]
      }
    ],
    [
      "the task's command replaces the step's",
      { command: ['other'], env: {} },
      { command: ['run'], env: {} },
      {
        command: ['other']
      }
    ],
    [
      "the task's env wins, names keep their first place",
      { env: { B: '2', A: 'task' } },
      { env: { A: 'step', C: '3' } },
      {
        environment: [
          { name: 'A', value: 'task' },
          { name: 'C', value: '3' },
          { name: 'B', value: '2' }
        ]
      }
    ],
    ['nothing', { env: {} }, { env: {} }, {}]
  ])('%s', (_name, spec, step, expected) => {
    expect(appOverrideOf(spec, step)).toStrictEqual(expected)
  })
})

describe('requestFor', () => {
  const base: RunTaskCommandInput = {
    cluster: 'c',
    taskDefinition: 'td:1',
    count: 1,
    clientToken: 'stale',
    overrides: { containerOverrides: [{ name: 'app', cpu: 256 }, SIDECAR] }
  }

  it("puts the app's command and env after its name and before its resources, sets count, drops the token", () => {
    const request = requestFor(
      base,
      { command: ['x'], environment: [{ name: 'A', value: '1' }] },
      3
    )
    expect(request).toStrictEqual({
      cluster: 'c',
      taskDefinition: 'td:1',
      count: 3,
      overrides: {
        containerOverrides: [
          { name: 'app', command: ['x'], environment: [{ name: 'A', value: '1' }], cpu: 256 },
          SIDECAR
        ]
      }
    })
    expect(Object.keys(request.overrides?.containerOverrides?.[0] ?? {})).toEqual([
      'name',
      'command',
      'environment',
      'cpu'
    ])
    expect(base.overrides?.containerOverrides?.[0]).toStrictEqual({ name: 'app', cpu: 256 })
  })

  it('adds the app override in front when the base has none for it', () => {
    expect(
      requestFor(
        { cluster: 'c', taskDefinition: 'td:1', overrides: { containerOverrides: [SIDECAR] } },
        { command: ['x'] },
        1
      ).overrides
    ).toStrictEqual({ containerOverrides: [{ name: 'app', command: ['x'] }, SIDECAR] })
  })

  it("puts a task's own task-level overrides over the base's, beside the containers' or alone", () => {
    const base = {
      cluster: 'c',
      taskDefinition: 'td:1',
      overrides: { containerOverrides: [SIDECAR], cpu: '1024', taskRoleArn: 'r1' }
    }
    expect(requestFor(base, { command: ['x'], task: { cpu: '4096' } }, 2).overrides).toStrictEqual({
      containerOverrides: [{ name: 'app', command: ['x'] }, SIDECAR],
      cpu: '4096',
      taskRoleArn: 'r1'
    })
    expect(
      requestFor(
        { cluster: 'c', taskDefinition: 'td:1', overrides: { containerOverrides: [] } },
        { task: { memory: '512' } },
        1
      )
    ).toStrictEqual({
      cluster: 'c',
      taskDefinition: 'td:1',
      count: 1,
      overrides: { memory: '512' }
    })
  })

  it('sends no empty override', () => {
    expect(
      requestFor(
        { cluster: 'c', taskDefinition: 'td:1', overrides: { containerOverrides: [] } },
        {},
        1
      )
    ).toStrictEqual({ cluster: 'c', taskDefinition: 'td:1', count: 1 })
  })
})

describe('nextBatch', () => {
  it('takes the first queued task and the next ones with its key, up to the limit', () => {
    const keys = [
      { command: ['a'] },
      { command: ['b'] },
      { command: ['a'] },
      { command: ['a'] }
    ].map(overrideKey)
    expect(nextBatch([0, 1, 2, 3], keys, 2)).toEqual([0, 2])
    expect(nextBatch([1, 2, 3], keys, 10)).toEqual([1])
    expect(nextBatch([2, 3], keys, 10)).toEqual([2, 3])
    expect(nextBatch([], keys, 10)).toEqual([])
  })

  it('never more than RunTask count allows, and at least one', () => {
    const keys = Array.from({ length: 12 }, () => overrideKey({}))
    const queue = keys.map((_, i) => i)
    expect(nextBatch(queue, keys, 50)).toHaveLength(10)
    expect(nextBatch(queue, keys, 0)).toEqual([0])
  })
})

describe('overrideKey', () => {
  it('tells tasks with other task-level overrides apart, and keeps the key of those without', () => {
    expect(overrideKey({ command: ['a'] })).toBe('[["a"],[]]')
    expect(overrideKey({ command: ['a'], task: { cpu: '2048' } })).toBe('[["a"],[],{"cpu":"2048"}]')
  })
})
