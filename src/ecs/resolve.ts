/**
 * Which task definition to run: the `task-definition` input as given (the "prepare once, fan
 * out many" path: no describe, no register, so a fan-out spends no task-definition calls), or
 * the rendered one, registered only when it changed.
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs'
import { registerIfChanged, type RegisterDeps, type RegisterOptions } from './register.js'

export interface ResolvedTaskDefinition {
  /** An ARN, or `family:revision` when the input gave one (RunTask accepts both). */
  taskDefinitionArn: string
  /** true when this run registered a new revision. */
  registered: boolean
}

export async function resolveTaskDefinition(
  deps: RegisterDeps,
  options: {
    /** The rendered RegisterTaskDefinition request. */
    registerRequest: RegisterTaskDefinitionCommandInput
    /** The `task-definition` input; undefined or empty to register if changed. */
    taskDefinitionInput?: string
    registerOptions?: RegisterOptions
  }
): Promise<ResolvedTaskDefinition> {
  const given = options.taskDefinitionInput?.trim()
  if (given) {
    deps.logger.info(`Using the task definition given as input: ${given}`)
    return { taskDefinitionArn: given, registered: false }
  }
  const result = await registerIfChanged(deps, options.registerRequest, options.registerOptions)
  return { taskDefinitionArn: result.taskDefinitionArn, registered: result.registered }
}
