/**
 * The definitions of the README's first-run setup (examples/hako/), run in `mode: dry-run`
 * through the bundle (__tests__/setup/bundle.js): the RunTask and RegisterTaskDefinition
 * requests they would send, so the files the README links to stay right.
 */
import { resolve } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import type { RegisterTaskDefinitionCommandInput, RunTaskCommandInput } from '@aws-sdk/client-ecs'
import { runAction } from '../../sim/action-runner.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const ACCOUNT = 'arn:aws:iam::123456789012:role'
const LOGS = {
  logDriver: 'awslogs',
  options: {
    'awslogs-group': '/ecs/batch',
    'awslogs-region': 'ap-northeast-1',
    'awslogs-stream-prefix': 'ecs',
    mode: 'blocking'
  }
}

async function dryRun(definition: string) {
  const result = await runAction({
    inputs: { definition, mode: 'dry-run', command: '["true"]' },
    env: {
      GITHUB_REPOSITORY: 'acme/batch',
      GITHUB_RUN_ID: '99',
      RUNNER_ENVIRONMENT: 'self-hosted'
    },
    cwd: ROOT
  })
  expect(result.exitCode).toBe(0)
  return {
    run: JSON.parse(result.outputs['run-task-request'] ?? '') as RunTaskCommandInput,
    register: JSON.parse(
      result.outputs['register-request'] ?? ''
    ) as RegisterTaskDefinitionCommandInput
  }
}

describe('examples/hako in mode: dry-run', () => {
  it('batch-fargate.yml: a Fargate RunTask with awsvpc, the roles and the task size', async () => {
    const { run, register } = await dryRun('examples/hako/batch-fargate.yml')
    expect(run).toMatchObject({
      cluster: 'batch',
      taskDefinition: 'batch-fargate-oneshot',
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
          securityGroups: ['sg-0a1b2c3d4e5f60003'],
          assignPublicIp: 'ENABLED'
        }
      },
      overrides: { containerOverrides: [{ name: 'app', command: ['true'] }] }
    })
    expect(run.capacityProviderStrategy).toBeUndefined()
    expect(register).toMatchObject({
      family: 'batch-fargate-oneshot',
      taskRoleArn: `${ACCOUNT}/batch-task`,
      executionRoleArn: `${ACCOUNT}/ecsTaskExecutionRole`,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512'
    })
    expect(register.containerDefinitions).toHaveLength(1)
    expect(register.containerDefinitions?.[0]).toMatchObject({
      name: 'app',
      image: '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/batch:latest',
      logConfiguration: LOGS
    })
  })

  it('batch-ec2.yml: an EC2 RunTask, the container sized, no awsvpc', async () => {
    const { run, register } = await dryRun('examples/hako/batch-ec2.yml')
    expect(run).toMatchObject({ cluster: 'batch', taskDefinition: 'batch-ec2-oneshot' })
    expect(run.launchType).toBeUndefined()
    expect(run.networkConfiguration).toBeUndefined()
    expect(register).toMatchObject({
      family: 'batch-ec2-oneshot',
      taskRoleArn: `${ACCOUNT}/batch-task`
    })
    expect(register.executionRoleArn).toBeUndefined()
    expect(register.containerDefinitions?.[0]).toMatchObject({
      name: 'app',
      memory: 512,
      logConfiguration: LOGS
    })
  })
})
