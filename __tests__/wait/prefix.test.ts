import { describe, expect, it } from '@jest/globals'
import {
  notificationKey,
  parseNotificationPrefix,
  resolveNotificationPrefix
} from '../../src/wait/prefix.js'
import { UserError } from '../../src/util/errors.js'

const SOURCE = 'input notification-prefix'

describe('parseNotificationPrefix', () => {
  // docs/hako.md, "S3 notifications": bucket = URL host, prefix = path without its leading '/'.
  it.each([
    ['s3://notes/oneshot', { bucket: 'notes', prefix: 'oneshot', region: 'ap-northeast-1' }],
    ['s3://notes/oneshot/', { bucket: 'notes', prefix: 'oneshot', region: 'ap-northeast-1' }],
    ['s3://notes/a/b/c//', { bucket: 'notes', prefix: 'a/b/c', region: 'ap-northeast-1' }],
    ['s3://notes', { bucket: 'notes', prefix: '', region: 'ap-northeast-1' }],
    ['s3://notes/', { bucket: 'notes', prefix: '', region: 'ap-northeast-1' }],
    ['  s3://my.bucket-1/x  ', { bucket: 'my.bucket-1', prefix: 'x', region: 'ap-northeast-1' }],
    // The ?region= query, as cookpad/barbeque honours it (docs/hako.md, "S3 notifications").
    [
      's3://notes/oneshot?region=us-west-2',
      { bucket: 'notes', prefix: 'oneshot', region: 'us-west-2' }
    ],
    [
      's3://notes/oneshot/?region=eu-central-1',
      { bucket: 'notes', prefix: 'oneshot', region: 'eu-central-1' }
    ],
    ['s3://notes?region=us-gov-west-1', { bucket: 'notes', prefix: '', region: 'us-gov-west-1' }]
  ])('%s', (value, expected) => {
    expect(parseNotificationPrefix(value, 'ap-northeast-1', SOURCE)).toEqual({
      ...expected,
      source: SOURCE
    })
  })

  it('leaves the region out when neither the URL nor a default gives one', () => {
    expect(parseNotificationPrefix('s3://notes/p', undefined, SOURCE)).toEqual({
      bucket: 'notes',
      prefix: 'p',
      source: SOURCE
    })
  })

  it("returns 'none' for none", () => {
    expect(parseNotificationPrefix('none', 'ap-northeast-1', SOURCE)).toBe('none')
  })

  const expectedForm =
    "expected 's3://<bucket>/<prefix>' (optionally '?region=<region>'), or 'none' to wait through DescribeTasks"
  it.each([
    ['notes/oneshot', 'not an s3:// URL'],
    ['https://notes.s3.amazonaws.com/oneshot', 'not an s3:// URL'],
    ['S3://notes/oneshot', 'not an s3:// URL'],
    ['s3:///oneshot', 'no bucket name'],
    ['s3://a/x', "'a' is not a valid S3 bucket name"],
    ['s3://no_ends_-/x', "'no_ends_-' is not a valid S3 bucket name"],
    ['s3://notes//x', 'empty segment in the key prefix'],
    ['s3://notes/a//b', 'empty segment in the key prefix'],
    ['s3://notes/x?regoin=us-east-1', "unknown query parameter 'regoin' (only 'region' is read)"],
    ['s3://notes/x?region=tokyo', "'tokyo' is not an AWS region name such as ap-northeast-1"],
    ['s3://notes/x?region=', "'' is not an AWS region name such as ap-northeast-1"],
    ['None', 'not an s3:// URL']
  ])('rejects %s', (value, what) => {
    const call = (): unknown =>
      parseNotificationPrefix(
        value,
        'ap-northeast-1',
        'batch.yml: scheduler.oneshot_notification_prefix'
      )
    expect(call).toThrow(UserError)
    expect(call).toThrow(
      `batch.yml: scheduler.oneshot_notification_prefix: ${what}, got '${value}'; ${expectedForm}`
    )
  })
})

describe('resolveNotificationPrefix', () => {
  it('prefers the input over the definition', () => {
    expect(
      resolveNotificationPrefix({
        input: 's3://a-bucket/in',
        definitionValue: 's3://b-bucket/file',
        definitionFile: 'batch.yml',
        defaultRegion: 'ap-northeast-1'
      })
    ).toEqual({ bucket: 'a-bucket', prefix: 'in', region: 'ap-northeast-1', source: SOURCE })
  })

  it('reads the definition and names its key in errors', () => {
    expect(
      resolveNotificationPrefix({
        definitionValue: 's3://b-bucket/file',
        definitionFile: 'hako/batch.yml'
      })
    ).toEqual({
      bucket: 'b-bucket',
      prefix: 'file',
      source: 'hako/batch.yml: scheduler.oneshot_notification_prefix'
    })
    expect(() =>
      resolveNotificationPrefix({
        definitionValue: 'b-bucket/file',
        definitionFile: 'hako/batch.yml'
      })
    ).toThrow(/^hako\/batch\.yml: scheduler\.oneshot_notification_prefix: not an s3:\/\/ URL/)
  })

  it("gives 'none' from the input even when the definition has a prefix, and undefined when neither is set", () => {
    expect(
      resolveNotificationPrefix({
        input: 'none',
        definitionValue: 's3://b-bucket/file',
        definitionFile: 'batch.yml'
      })
    ).toBe('none')
    expect(resolveNotificationPrefix({ input: '', definitionFile: 'batch.yml' })).toBeUndefined()
  })
})

describe('notificationKey', () => {
  const arn = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef'
  // docs/hako.md, "S3 notifications": `<prefix>/<full task ARN>/started.json`, the ARN verbatim.
  it.each([
    ['oneshot', 'started', `oneshot/${arn}/started.json`],
    ['a/b', 'stopped', `a/b/${arn}/stopped.json`],
    ['', 'stopped', `${arn}/stopped.json`]
  ] as const)('prefix %j, %s', (prefix, name, key) => {
    expect(notificationKey(prefix, arn, name)).toBe(key)
  })
})
