import { describe, expect, it } from '@jest/globals'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  answerSawStop,
  appIdOf,
  operationOf,
  requestBarrier,
  serviceOf,
  startRecordingProxy
} from '../../bench/lib/proxy.js'

describe('appIdOf', () => {
  it.each([
    [{ 'x-amz-user-agent': 'aws-sdk-js/3.1 ua/2.1 app/a-0007' }, 'a-0007'],
    [
      { 'user-agent': 'aws-sdk-js/3.1 os/linux app/demo-001 hako-oneshot-action/0.1.0' },
      'demo-001'
    ],
    [{ 'user-agent': 'aws-sdk-js/3.1 os/linux' }, ''],
    [{}, '']
  ])('%j -> %s', (headers, expected) => {
    expect(appIdOf(headers)).toBe(expected)
  })
})

describe('operationOf and serviceOf', () => {
  it.each([
    ['POST', '/', 'AmazonEC2ContainerServiceV20141113.RunTask', 'RunTask', 'ecs'],
    ['POST', '/', 'Logs_20140328.GetLogEvents', 'GetLogEvents', 'logs'],
    [
      'GET',
      '/bucket/oneshot/arn%3Aaws%3Aecs/stopped.json?x-id=GetObject',
      undefined,
      'GetObject',
      's3'
    ],
    ['GET', '/bucket?list-type=2&prefix=oneshot', undefined, 'ListObjectsV2', 's3'],
    ['HEAD', '/bucket/key', undefined, 'HeadObject', 's3'],
    ['PUT', '/bucket/key', undefined, 'PutObject', 's3']
  ])('%s %s %s -> %s (%s)', (method, url, target, operation, service) => {
    expect(operationOf(method, url, target)).toBe(operation)
    expect(serviceOf(target)).toBe(service)
  })
})

describe('requestBarrier', () => {
  it('holds every first request until the expected number of jobs arrived, then opens for all', async () => {
    const barrier = requestBarrier(3, 60_000)
    const passed: string[] = []
    const pass = (id: string) => barrier.pass(id).then(() => passed.push(id))
    const a = pass('a')
    const a2 = pass('a') // the same job again does not count twice
    const b = pass('b')
    await Promise.resolve()
    expect(passed).toEqual([])
    expect(barrier.openedAt()).toBeUndefined()
    const c = pass('c')
    await Promise.all([a, a2, b, c])
    expect(passed.sort()).toEqual(['a', 'a', 'b', 'c'])
    expect(barrier.openedAt()).toEqual(expect.any(Number))
    expect(barrier.timedOut()).toBe(false)
    // Once open, it stays open.
    await barrier.pass('late')
  })

  it('opens by itself after the timeout, and says so', async () => {
    const barrier = requestBarrier(2, 10)
    await barrier.pass('only')
    expect(barrier.timedOut()).toBe(true)
  })
})

describe('startRecordingProxy', () => {
  it('refuses the denied PutObject paths with 403 AccessDenied and records it, forwarding the rest', async () => {
    const upstream = createServer((req, res) => {
      req.resume()
      res.writeHead(200, { etag: '"e"' })
      res.end()
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()))
    const { port } = upstream.address() as AddressInfo
    const proxy = await startRecordingProxy(`http://127.0.0.1:${port}`, {
      denyPut: (path) => path.includes('/task-definitions/')
    })
    try {
      const put = (path: string) =>
        fetch(`${proxy.endpoint}${path}`, {
          method: 'PUT',
          body: '{}',
          headers: { 'user-agent': 'sdk app/job-1' }
        })
      const denied = await put('/bucket/oneshot/task-definitions/f/abc.json')
      expect(denied.status).toBe(403)
      expect(await denied.text()).toContain('<Code>AccessDenied</Code>')
      expect((await put('/bucket/oneshot/other.json')).status).toBe(200)
      expect(proxy.requests().map((r) => [r.appId, r.operation, r.status])).toEqual([
        ['job-1', 'PutObject', 403],
        ['job-1', 'PutObject', 200]
      ])
    } finally {
      await proxy.close()
      await new Promise<void>((resolve) => upstream.close(() => resolve()))
    }
  })
})

describe('answerSawStop', () => {
  const stopped = JSON.stringify({ tasks: [{ lastStatus: 'STOPPED' }], failures: [] })
  it.each([
    ['s3', 'GetObject', '/bucket/oneshot/arn%3Aaws/stopped.json?x-id=GetObject', 200, '', true],
    ['s3', 'GetObject', '/bucket/oneshot/arn%3Aaws/stopped.json?x-id=GetObject', 404, '', false],
    ['s3', 'GetObject', '/bucket/oneshot/arn%3Aaws/started.json?x-id=GetObject', 200, '', false],
    ['ecs', 'DescribeTasks', '/', 200, stopped, true],
    ['ecs', 'DescribeTasks', '/', 200, '{"tasks":[{"lastStatus":"RUNNING"}]}', false],
    ['ecs', 'DescribeTasks', '/', 400, stopped, false],
    ['ecs', 'DescribeTasks', '/', 200, 'not json', false],
    ['ecs', 'StopTask', '/', 200, stopped, false]
  ] as const)('%s %s %s %i %s -> %s', (service, operation, url, status, body, expected) => {
    expect(answerSawStop(service, operation, url, status, body)).toBe(expected)
  })
})

describe('startRecordingProxy records what the answers told the job', () => {
  it('marks a DescribeTasks answer with the task STOPPED and a stopped.json read that answered', async () => {
    const upstream = createServer((req, res) => {
      req.resume()
      if (req.headers['x-amz-target']) {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        res.end(JSON.stringify({ tasks: [{ lastStatus: 'STOPPED' }], failures: [] }))
      } else {
        res.writeHead(req.url?.includes('/missing/') ? 404 : 200)
        res.end('{}')
      }
    })
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()))
    const { port } = upstream.address() as AddressInfo
    const proxy = await startRecordingProxy(`http://127.0.0.1:${port}`)
    try {
      const headers = { 'user-agent': 'sdk app/job-2' }
      await (
        await fetch(`${proxy.endpoint}/`, {
          method: 'POST',
          body: '{}',
          headers: {
            ...headers,
            'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeTasks'
          }
        })
      ).text()
      await (await fetch(`${proxy.endpoint}/b/p/missing/stopped.json`, { headers })).text()
      await (await fetch(`${proxy.endpoint}/b/p/arn/stopped.json`, { headers })).text()
      const recorded = proxy.requests()
      expect(recorded.map((r) => [r.appId, r.operation, r.status, r.sawStop])).toEqual([
        ['job-2', 'DescribeTasks', 200, true],
        ['job-2', 'GetObject', 404, false],
        ['job-2', 'GetObject', 200, true]
      ])
      for (const r of recorded) expect(r.answeredAt).toBeGreaterThanOrEqual(r.at)
    } finally {
      await proxy.close()
      await new Promise<void>((resolve) => upstream.close(() => resolve()))
    }
  })
})
