import { describe, expect, it } from '@jest/globals'
import {
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand
} from '@aws-sdk/client-ecs'
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { counted, jobCalls, recordCall } from '../../bench/lib/job-clients.js'

describe('recordCall', () => {
  it('splits ECS calls at the RunTask that started a task, and marks the first stop seen', () => {
    const calls = jobCalls()
    const describe = new DescribeTasksCommand({ tasks: ['t'] })
    recordCall(calls, 'ecs', new RegisterTaskDefinitionCommand({} as never), { output: {} }, 1)
    // RunTask answering failures only (capacity) starts nothing: still before the wait.
    recordCall(calls, 'ecs', new RunTaskCommand({} as never), { output: { tasks: [] } }, 2)
    recordCall(calls, 'ecs', new RunTaskCommand({} as never), { output: { tasks: [{}] } }, 3)
    recordCall(calls, 'ecs', describe, { output: { tasks: [{ lastStatus: 'RUNNING' }] } }, 4)
    recordCall(calls, 'ecs', describe, { output: { tasks: [{ lastStatus: 'STOPPED' }] } }, 5)
    recordCall(calls, 'ecs', describe, { output: { tasks: [{ lastStatus: 'STOPPED' }] } }, 6)
    expect(calls).toEqual({
      before: { RegisterTaskDefinition: 1, RunTask: 2 },
      during: { DescribeTasks: 3 },
      s3Reads: 0,
      logsCalls: 0,
      throttled: 0,
      runTaskAt: 3,
      noticedAt: 5
    })
  })

  it('takes a stopped.json that answered for the stop, not one that failed or started.json', () => {
    const calls = jobCalls()
    const get = (key: string) => new GetObjectCommand({ Bucket: 'b', Key: key })
    const missing = Object.assign(new Error('no such key'), { name: 'NoSuchKey' })
    recordCall(calls, 's3', get('p/arn/stopped.json'), { error: missing }, 10)
    recordCall(calls, 's3', get('p/arn/started.json'), { output: {} }, 11)
    recordCall(calls, 's3', get('p/arn/stopped.json'), { output: {} }, 12)
    expect(calls.s3Reads).toBe(3)
    expect(calls.noticedAt).toBe(12)
  })

  it('counts throttled answers of any service', () => {
    const calls = jobCalls()
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
    recordCall(calls, 'ecs', new DescribeTasksCommand({ tasks: [] }), { error: throttled }, 1)
    recordCall(
      calls,
      'logs',
      { constructor: { name: 'GetLogEventsCommand' } },
      { error: throttled },
      2
    )
    expect(calls).toMatchObject({ throttled: 2, logsCalls: 1, before: { DescribeTasks: 1 } })
  })
})

describe('counted', () => {
  it("sends through the shared client and counts the call for the job; the rest is the client's", async () => {
    const ecs = new ECSClient({ region: 'ap-northeast-1' })
    const sent: unknown[] = []
    ecs.send = ((command: unknown) => {
      sent.push(command)
      return Promise.resolve({ tasks: [{ taskArn: 'arn:t', lastStatus: 'PROVISIONING' }] })
    }) as never
    const calls = jobCalls()
    let now = 100
    const mine = counted(ecs, 'ecs', calls, () => now++)
    const command = new RunTaskCommand({ taskDefinition: 'f:1' })
    await expect(mine.send(command)).resolves.toEqual({
      tasks: [{ taskArn: 'arn:t', lastStatus: 'PROVISIONING' }]
    })
    expect(sent).toEqual([command])
    expect(calls).toMatchObject({ firstRequestAt: 100, runTaskAt: 101, before: { RunTask: 1 } })
    expect(mine.config).toBe(ecs.config)
    ecs.destroy()
  })

  it('passes an error on after counting it', async () => {
    const s3 = new S3Client({ region: 'ap-northeast-1' })
    const error = Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
    s3.send = (() => Promise.reject(error)) as never
    const calls = jobCalls()
    const mine = counted(s3, 's3', calls, () => 1)
    await expect(mine.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toBe(error)
    expect(calls).toMatchObject({ s3Reads: 1, throttled: 1 })
    s3.destroy()
  })
})
