import { describe, expect, it } from '@jest/globals'
import { memoryLogger } from '../doubles/logger.js'
import { waitForStop as describeWaiter } from '../../src/wait/describe-waiter.js'
import { chooseWaiter, waiterChoice } from '../../src/wait/choose.js'
import { waitForStop as s3Waiter } from '../../src/wait/s3-waiter.js'

describe('chooseWaiter', () => {
  it('waits through S3 when a prefix is set, and says where from', () => {
    const logger = memoryLogger()
    const waiter = chooseWaiter(
      {
        bucket: 'notes',
        prefix: 'oneshot',
        region: 'us-west-2',
        source: 'input notification-prefix'
      },
      logger
    )
    expect(waiter).toBe(s3Waiter)
    expect(logger.lines).toEqual([
      'info: Waiting through S3 notifications under s3://notes/oneshot/ (us-west-2), from input notification-prefix.'
    ])
  })

  it("waits through DescribeTasks for 'none' and for no prefix, saying why", () => {
    const logger = memoryLogger()
    expect(chooseWaiter('none', logger)).toBe(describeWaiter)
    expect(chooseWaiter(undefined, logger)).toBe(describeWaiter)
    expect(logger.of('info')).toEqual([
      "Waiting through DescribeTasks: the notification prefix is 'none'.",
      "Waiting through DescribeTasks: no notification prefix is set. Every call spends the account's shared ECS API budget; set scheduler.oneshot_notification_prefix or the notification-prefix input (with the notifier deployed) to wait through S3 instead."
    ])
  })

  it('names the bucket root for an empty prefix', () => {
    expect(waiterChoice({ bucket: 'notes', prefix: '' })).toEqual({
      kind: 's3',
      reason: 'Waiting through S3 notifications under s3://notes/.'
    })
  })
})
