import { describe, expect, it } from '@jest/globals'
import {
  consoleEncode,
  consoleOrigin,
  ecsTaskConsoleUrl,
  logStreamConsoleUrl,
  partitionOf
} from '../../src/aws/console.js'

describe('partitionOf and consoleOrigin (docs/ecs-events.md, "Console links")', () => {
  it.each([
    ['us-east-1', 'aws', 'https://us-east-1.console.aws.amazon.com'],
    ['ap-northeast-1', 'aws', 'https://ap-northeast-1.console.aws.amazon.com'],
    ['cn-north-1', 'aws-cn', 'https://cn-north-1.console.amazonaws.cn'],
    ['cn-northwest-1', 'aws-cn', 'https://cn-northwest-1.console.amazonaws.cn'],
    ['us-gov-west-1', 'aws-us-gov', 'https://console.amazonaws-us-gov.com'],
    ['us-gov-east-1', 'aws-us-gov', 'https://console.amazonaws-us-gov.com']
  ])('%s is in %s at %s', (region, partition, origin) => {
    expect(partitionOf(region)).toBe(partition)
    expect(consoleOrigin(region)).toBe(origin)
  })
})

describe('ecsTaskConsoleUrl', () => {
  const arn = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'
  it.each([
    [
      'ap-northeast-1',
      'batch',
      'https://ap-northeast-1.console.aws.amazon.com/ecs/v2/clusters/batch/tasks/0123456789abcdef0123456789abcdef/configuration?region=ap-northeast-1'
    ],
    [
      'ap-northeast-1',
      'arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch',
      'https://ap-northeast-1.console.aws.amazon.com/ecs/v2/clusters/batch/tasks/0123456789abcdef0123456789abcdef/configuration?region=ap-northeast-1'
    ],
    [
      'cn-north-1',
      'batch',
      'https://cn-north-1.console.amazonaws.cn/ecs/v2/clusters/batch/tasks/0123456789abcdef0123456789abcdef/configuration?region=cn-north-1'
    ],
    [
      'us-gov-west-1',
      'batch',
      'https://console.amazonaws-us-gov.com/ecs/v2/clusters/batch/tasks/0123456789abcdef0123456789abcdef/configuration?region=us-gov-west-1'
    ]
  ])('%s %s', (region, cluster, expected) => {
    expect(ecsTaskConsoleUrl(region, cluster, arn)).toBe(expected)
  })
})

describe('consoleEncode (encoded twice, then % becomes $, docs/ecs-events.md, "Console links")', () => {
  it.each([
    ['/ecs/batch', '$252Fecs$252Fbatch'],
    ['app/app/0123456789abcdef', 'app$252Fapp$252F0123456789abcdef'],
    // A known-good console URL for a Lambda stream has this segment:
    // .../log-events/2020$252F10$252F27$252F$255B$2524LATEST$255D542bf48a98944249b069342e12861b99
    [
      '2020/10/27/[$LATEST]542bf48a98944249b069342e12861b99',
      '2020$252F10$252F27$252F$255B$2524LATEST$255D542bf48a98944249b069342e12861b99'
    ],
    ['a b#c', 'a$2520b$2523c']
  ])('%s', (name, encoded) => {
    expect(consoleEncode(name)).toBe(encoded)
  })
})

describe('logStreamConsoleUrl', () => {
  it.each([
    [
      'ap-northeast-1',
      'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/app$252Fapp$252F0123'
    ],
    [
      'cn-north-1',
      'https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/app$252Fapp$252F0123'
    ],
    [
      'us-gov-west-1',
      'https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/app$252Fapp$252F0123'
    ]
  ])('%s', (region, expected) => {
    expect(logStreamConsoleUrl(region, '/ecs/batch', 'app/app/0123')).toBe(expected)
  })
})
