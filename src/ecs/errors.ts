/**
 * What only ECS says in its errors: the registration lock of a family, a family without an
 * ACTIVE revision, the account quotas RunTask answers with; and how an error reads in a message.
 * Throttled, transient and denied, for every service, are in aws/errors.ts.
 */
import { escapeLogText } from '../util/safe-text.js'
import { errorMessage, errorName } from '../util/errors.js'

/** ECS refuses a register while another one of the same family is in progress. */
export function isTooManyConcurrentRevisions(error: unknown): boolean {
  return (
    errorName(error) === 'ClientException' &&
    errorMessage(error).includes('Too many concurrent attempts to create a new revision')
  )
}

/** DescribeTaskDefinition's answer for a family without an ACTIVE revision. */
export function isNoSuchTaskDefinition(error: unknown): boolean {
  return (
    errorName(error) === 'ClientException' &&
    errorMessage(error).includes('Unable to describe task definition')
  )
}

/**
 * `Name: message`, or the message alone when the error has no SDK name; without a final
 * period, so callers can end the sentence themselves. Safe for a log line (escapeLogText): an
 * AWS error message is foreign text, and may quote what the caller sent.
 */
export function describeError(error: unknown): string {
  const name = errorName(error)
  const message = errorMessage(error).replace(/\.+$/, '')
  return escapeLogText(
    name && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message
  )
}

/** An account quota that refused a RunTask: which one, and its Service Quotas code. */
export interface AccountQuota {
  kind: 'fargate-vcpu' | 'fargate-tasks' | 'provisioning'
  /** The quota as Service Quotas names it, with its code. */
  name: string
}

/**
 * The account quotas RunTask answers with (docs/limits.md, "Account quotas"): each is a
 * case-insensitive part of the failure reason (or, for the PROVISIONING limit, of a
 * ClientException's message), and the quota it names.
 */
const ACCOUNT_QUOTAS: { text: string; quota: AccountQuota }[] = [
  {
    text: 'reached the limit on the number of vcpus you can run concurrently',
    quota: {
      kind: 'fargate-vcpu',
      name: 'Fargate vCPU quota (Fargate On-Demand vCPU resource count, L-3032A538; Spot: L-36FBB829)'
    }
  },
  {
    text: 'reached the limit on the number of tasks you can run concurrently',
    quota: {
      kind: 'fargate-tasks',
      name: 'Fargate task quota (Fargate On-Demand resource count, L-790AF391, now the vCPU quota L-3032A538)'
    }
  },
  {
    text: 'tasks provisioning capacity limit exceeded',
    quota: {
      kind: 'provisioning',
      name: 'limit of tasks in the PROVISIONING state (Tasks in PROVISIONING state per cluster, L-B7718569)'
    }
  }
]

/** The account quota a RunTask failure reason (or error message) names; undefined for others. */
export function accountQuotaOf(reason: string | undefined): AccountQuota | undefined {
  if (!reason) return undefined
  const text = reason.toLowerCase()
  return ACCOUNT_QUOTAS.find((q) => text.includes(q.text))?.quota
}
