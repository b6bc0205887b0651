import { describe, expect, it } from '@jest/globals'
import { appIdOf, operationOf, serviceOf } from '../../bench/lib/proxy.js'

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
