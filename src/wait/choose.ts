/** Picks the waiter for a task: S3 notifications when there is a prefix, else DescribeTasks. */
import type { Logger } from '../util/logger.js'
import { waitForStop as waitThroughDescribeTasks } from './describe-waiter.js'
import { s3Url } from './prefix.js'
import { waitForStop as waitThroughS3 } from './s3-waiter.js'
import type { NotificationPrefix, Waiter } from './types.js'

/** Which waiter, and the sentence that says why. */
export interface WaiterChoice {
  kind: 's3' | 'describe-tasks'
  reason: string
}

/**
 * Which waiter serves `prefix`, and why (pure).
 * @param prefix the prefix in force; 'none' when set to `none`; undefined when neither the
 *   `notification-prefix` input nor `scheduler.oneshot_notification_prefix` is set.
 */
export function waiterChoice(prefix: NotificationPrefix | 'none' | undefined): WaiterChoice {
  if (prefix === undefined) {
    return {
      kind: 'describe-tasks',
      reason:
        'Waiting through DescribeTasks: no notification prefix is set. Every call spends the ' +
        "account's shared ECS API budget; set scheduler.oneshot_notification_prefix or the " +
        'notification-prefix input (with the notifier deployed) to wait through S3 instead.'
    }
  }
  if (prefix === 'none') {
    return {
      kind: 'describe-tasks',
      reason: "Waiting through DescribeTasks: the notification prefix is 'none'."
    }
  }
  const where = s3Url(prefix.bucket, prefix.prefix === '' ? '' : `${prefix.prefix}/`)
  return {
    kind: 's3',
    reason:
      `Waiting through S3 notifications under ${where}` +
      `${prefix.region ? ` (${prefix.region})` : ''}` +
      `${prefix.source ? `, from ${prefix.source}` : ''}.`
  }
}

/** Chooses the waiter for `prefix` (see `waiterChoice`) and logs why. */
export function chooseWaiter(
  prefix: NotificationPrefix | 'none' | undefined,
  logger: Logger
): Waiter {
  const choice = waiterChoice(prefix)
  logger.info(choice.reason)
  return choice.kind === 's3' ? waitThroughS3 : waitThroughDescribeTasks
}
