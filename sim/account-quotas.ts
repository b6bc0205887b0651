/**
 * The account's Fargate quotas, simulated (docs/limits.md, "Account quotas"): vCPUs of Fargate
 * tasks running or pending at once (task-level `cpu` / 1024), and the older count of Fargate
 * tasks at once. A RunTask over either answers `tasks: []` with the reason ECS gives, per task
 * it could not start; a task's share comes back when it stops. Off unless a limit is set.
 */
import type { RunTaskRequest } from '@aws-sdk/client-ecs'

export interface AccountQuotaOptions {
  /** Fargate On-Demand vCPU resource count (L-3032A538): vCPUs at once. */
  fargateVcpus?: number
  /** The older Fargate On-Demand resource count (L-790AF391): tasks at once. */
  fargateTasks?: number
}

export const VCPU_LIMIT_REASON =
  "You've reached the limit on the number of vCPUs you can run concurrently"
export const TASK_LIMIT_REASON =
  "You've reached the limit on the number of tasks you can run concurrently"

/** CPU units in one vCPU. */
const UNITS_PER_VCPU = 1024

/** A request that launches on Fargate: the launch type, or only Fargate capacity providers. */
export function launchesOnFargate(body: RunTaskRequest): boolean {
  const providers = body.capacityProviderStrategy ?? []
  if (providers.length > 0) {
    return providers.every((p) => p.capacityProvider?.startsWith('FARGATE') ?? false)
  }
  return body.launchType === 'FARGATE'
}

export class AccountQuotas {
  /** CPU units held by each Fargate task not yet stopped. */
  private readonly held = new Map<string, number>()
  private units = 0

  constructor(private readonly limits: AccountQuotaOptions = {}) {}

  /** Why one more task of `cpuUnits` cannot start now; undefined when it can. */
  refusal(body: RunTaskRequest, cpuUnits: number): string | undefined {
    if (!launchesOnFargate(body)) return undefined
    const { fargateVcpus, fargateTasks } = this.limits
    if (fargateTasks !== undefined && this.held.size + 1 > fargateTasks) return TASK_LIMIT_REASON
    if (fargateVcpus !== undefined && (this.units + cpuUnits) / UNITS_PER_VCPU > fargateVcpus) {
      return VCPU_LIMIT_REASON
    }
    return undefined
  }

  /** A task started: it holds its share until it stops. */
  hold(taskArn: string, body: RunTaskRequest, cpuUnits: number): void {
    if (!launchesOnFargate(body)) return
    this.held.set(taskArn, cpuUnits)
    this.units += cpuUnits
  }

  /** A task stopped: its share is free again (once, however often it is called). */
  release(taskArn: string): void {
    const units = this.held.get(taskArn)
    if (units === undefined) return
    this.held.delete(taskArn)
    this.units -= units
  }

  /** In use now, for tests and the benchmark. */
  usage(): { tasks: number; vcpus: number } {
    return { tasks: this.held.size, vcpus: this.units / UNITS_PER_VCPU }
  }
}
