/** Keys under a prefix, and S3 names in the caller's partition (src/aws/s3.ts). */
import { describe, expect, it } from '@jest/globals'
import { prefixKey, s3BucketArn, s3ObjectArn, s3Url } from '../../src/aws/s3.js'

describe('prefixKey', () => {
  it.each([
    [
      ['oneshot', 'arn:aws:ecs:r:1:task/c/t', 'stopped.json'],
      'oneshot/arn:aws:ecs:r:1:task/c/t/stopped.json'
    ],
    [['', 'arn:aws:ecs:r:1:task/c/t', 'stopped.json'], 'arn:aws:ecs:r:1:task/c/t/stopped.json'],
    [['a/b', 'task-definitions', 'batch', 'x.json'], 'a/b/task-definitions/batch/x.json'],
    [['oneshot', '*'], 'oneshot/*'],
    [['', '*'], '*'],
    [['oneshot', ''], 'oneshot/'],
    [['', ''], ''],
    [['oneshot'], 'oneshot'],
    [[''], '']
  ])('%j → %s', ([prefix, ...parts], key) => {
    expect(prefixKey(prefix!, ...parts)).toBe(key)
  })
})

describe('S3 ARNs name the partition of the region (docs/ecs-events.md, "Console links")', () => {
  it.each([
    ['ap-northeast-1', 'arn:aws:s3:::notes'],
    ['cn-north-1', 'arn:aws-cn:s3:::notes'],
    ['cn-northwest-1', 'arn:aws-cn:s3:::notes'],
    ['us-gov-west-1', 'arn:aws-us-gov:s3:::notes'],
    [undefined, 'arn:aws:s3:::notes']
  ])('%s: %s', (region, bucketArn) => {
    expect(s3BucketArn(region, 'notes')).toBe(bucketArn)
    expect(s3ObjectArn(region, 'notes', 'oneshot/*')).toBe(`${bucketArn}/oneshot/*`)
    expect(s3ObjectArn(region, 'notes', prefixKey('', '*'))).toBe(`${bucketArn}/*`)
  })

  it('s3Url joins the bucket and the key as they are', () => {
    expect(s3Url('notes', prefixKey('oneshot', ''))).toBe('s3://notes/oneshot/')
    expect(s3Url('notes', prefixKey('', ''))).toBe('s3://notes/')
  })
})
