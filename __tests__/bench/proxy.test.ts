import { describe, expect, it } from '@jest/globals'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
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
