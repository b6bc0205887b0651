/** Loads the ECS fixtures of __fixtures__/ecs as the SDK would return them. */
import { readFileSync } from 'node:fs'
import type {
  DescribeTaskDefinitionCommandOutput,
  RegisterTaskDefinitionCommandInput
} from '@aws-sdk/client-ecs'

function read(name: string): unknown {
  return JSON.parse(
    readFileSync(new URL(`../../__fixtures__/ecs/${name}`, import.meta.url), 'utf8')
  )
}

/** A fresh copy of a RegisterTaskDefinition request fixture. */
export function registerRequest(name: 'batch' | 'fargate'): RegisterTaskDefinitionCommandInput {
  return read(`${name}-register-request.json`) as RegisterTaskDefinitionCommandInput
}

/** A fresh copy of a DescribeTaskDefinition answer fixture, registeredAt as a Date. */
export function describeOutput(name: 'batch' | 'fargate'): DescribeTaskDefinitionCommandOutput {
  const out = read(`${name}-describe.json`) as DescribeTaskDefinitionCommandOutput & {
    taskDefinition: { registeredAt?: unknown }
  }
  out.taskDefinition.registeredAt = new Date(String(out.taskDefinition.registeredAt))
  return { ...out, $metadata: {} }
}
