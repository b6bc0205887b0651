import { describe, expect, it } from '@jest/globals'
import type { RunTaskCommandInput, Task } from '@aws-sdk/client-ecs'
import { REDACTED, redactInput, redactOverrides } from '../../src/util/redact.js'

const SECRET = 'hunter2-3f9a7c'

const request: RunTaskCommandInput = {
  cluster: 'batch',
  taskDefinition: 'batch-oneshot:42',
  count: 1,
  overrides: {
    containerOverrides: [
      {
        name: 'app',
        command: ['bundle', 'exec', 'rake', 'batch:run'],
        environment: [
          { name: 'SHARD', value: '3' },
          { name: 'API_TOKEN', value: SECRET },
          { name: 'EMPTY' }
        ],
        environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::conf/app.env' }]
      },
      { name: 'fluentd' }
    ],
    cpu: '512'
  },
  startedBy: 'gha-4242-1',
  tags: [{ key: 'repo', value: 'acme/batch' }]
}

describe('redactOverrides', () => {
  it('keeps the names of a RunTask request override environment and drops the values', () => {
    expect(redactOverrides(request)).toEqual({
      ...request,
      overrides: {
        containerOverrides: [
          {
            name: 'app',
            command: ['bundle', 'exec', 'rake', 'batch:run'],
            environment: [
              { name: 'SHARD', value: REDACTED },
              { name: 'API_TOKEN', value: REDACTED },
              { name: 'EMPTY' }
            ],
            environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::conf/app.env' }]
          },
          { name: 'fluentd' }
        ],
        cpu: '512'
      }
    })
  })

  it('leaves its argument unchanged', () => {
    const before = JSON.stringify(request)
    redactOverrides(request)
    expect(JSON.stringify(request)).toBe(before)
  })

  it('reaches the tasks of a RunTask or DescribeTasks answer and keeps their Dates', () => {
    const stoppedAt = new Date('2025-03-14T09:31:11.870Z')
    const task: Task = {
      taskArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0f',
      stoppedAt,
      overrides: request.overrides
    }
    const answer = { tasks: [task], failures: [] }
    const redacted = redactOverrides(answer)
    expect(JSON.stringify(redacted)).not.toContain(SECRET)
    expect(redacted.tasks[0]?.stoppedAt).toBe(stoppedAt)
    expect(redacted.tasks[0]?.overrides?.containerOverrides?.[0]?.environment).toEqual([
      { name: 'SHARD', value: REDACTED },
      { name: 'API_TOKEN', value: REDACTED },
      { name: 'EMPTY' }
    ])
  })

  it('reaches a task state event, whose detail carries the overrides', () => {
    const event = {
      'detail-type': 'ECS Task State Change',
      detail: { overrides: request.overrides }
    }
    expect(JSON.stringify(redactOverrides(event))).not.toContain(SECRET)
    expect(JSON.stringify(redactOverrides(event))).toContain('"name":"API_TOKEN"')
  })

  it.each([undefined, null, 'text', 42, [], {}])('returns %p as it is', (value) => {
    expect(redactOverrides(value)).toEqual(value)
  })
})

describe('redactInput', () => {
  it.each<[string, string, string]>([
    ['env', `SHARD=3\nAPI_TOKEN=${SECRET}`, 'SHARD=***\nAPI_TOKEN=***'],
    ['env', `# a comment\n\n  URL=https://u:${SECRET}@h/x=1`, '# a comment\n\n  URL=***'],
    ['env', `not a pair ${SECRET}`, '***'],
    ['env', '', ''],
    [
      'tasks',
      `[{"command":["a"],"env":{"A":"1","B":"${SECRET}"}},{"command":"b"}]`,
      '[{"command":["a"],"env":{"A":"***","B":"***"}},{"command":"b"}]'
    ],
    ['tasks', `[{"env":"B=${SECRET}"}]`, '[{"env":"***"}]'],
    ['tasks', `{"env":{"B":"${SECRET}"}}`, '***'],
    ['tasks', `[{"env":{"B":"${SECRET}"}`, '*** (30 characters, not JSON)'],
    ['tasks', '', ''],
    ['command', 'rake batch:run', 'rake batch:run'],
    ['tags', 'team=data', 'team=data']
  ])('shows input %s %j as %j', (name, value, shown) => {
    expect(redactInput(name, value)).toBe(shown)
  })
})
