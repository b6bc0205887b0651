/**
 * `mode: dry-run` through the bundle (__tests__/setup/bundle.js), as the runner runs it: INPUT_* variables and a
 * GITHUB_OUTPUT file, no AWS endpoint and no credentials at all.
 */
import { describe, expect, it } from '@jest/globals'
import { resolve } from 'node:path'
import {
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RegisterTaskDefinitionCommandInput,
  type RunTaskCommandInput
} from '@aws-sdk/client-ecs'
import { runAction } from '../../sim/action-runner.js'

const ROOT = resolve(import.meta.dirname, '..', '..')

describe('dist/index.js in dry-run mode', () => {
  it('prints and outputs both requests without calling AWS', async () => {
    const result = await runAction({
      inputs: {
        definition: '__fixtures__/definitions/dry-run/batch.yml',
        mode: 'dry-run',
        tag: 'v42',
        command: 'bundle exec "rake batch:run"',
        env: 'SHARD=3\nSHARDS=60'
      },
      // No AWS_* variables at all: a dry run needs no region and no credentials.
      env: {
        GITHUB_REPOSITORY: 'acme/batch',
        GITHUB_RUN_ID: '99',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_JOB: 'render'
      },
      cwd: ROOT
    })
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('::group::RegisterTaskDefinition request')
    expect(result.stdout).toContain('::group::RunTask request')
    const register = JSON.parse(
      result.outputs['register-request'] ?? ''
    ) as RegisterTaskDefinitionCommandInput
    const runTask = JSON.parse(result.outputs['run-task-request'] ?? '') as RunTaskCommandInput
    expect(register.family).toBe('batch-oneshot')
    expect(register.containerDefinitions?.[0]?.image).toBe(
      '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/batch:v42'
    )
    expect(runTask).toMatchObject({
      cluster: 'batch',
      taskDefinition: 'batch-oneshot',
      count: 1,
      propagateTags: 'TASK_DEFINITION',
      startedBy: 'gha-99-2',
      overrides: {
        containerOverrides: [
          {
            name: 'app',
            command: ['bundle', 'exec', 'rake batch:run'],
            environment: [
              { name: 'SHARD', value: '3' },
              { name: 'SHARDS', value: '60' }
            ]
          }
        ]
      }
    })
    expect(runTask.tags).toEqual(
      expect.arrayContaining([
        { key: 'github:repository', value: 'acme/batch' },
        { key: 'github:run-id', value: '99' },
        { key: 'github:run-attempt', value: '2' },
        { key: 'github:job', value: 'render' }
      ])
    )
    // The SDK's commands take them as they are.
    expect(new RegisterTaskDefinitionCommand(register).input).toEqual(register)
    expect(new RunTaskCommand(runTask).input).toEqual(runTask)
  })

  it('shows every per-run choice in the RunTask request, and the service network as where it is read', async () => {
    const result = await runAction({
      inputs: {
        definition: '__fixtures__/definitions/dry-run/batch.yml',
        mode: 'dry-run',
        'task-role-arn': 'arn:aws:iam::123456789012:role/batch-admin',
        cpu: '2048',
        memory: '4096',
        'ephemeral-storage': '50',
        'capacity-provider-strategy': 'FARGATE_SPOT:weight=1,FARGATE:base=1',
        'network-from-service': 'prod/web',
        'enable-execute-command': 'true'
      },
      env: { GITHUB_RUN_ID: '99' },
      cwd: ROOT
    })
    expect(result.exitCode).toBe(0)
    const runTask = JSON.parse(result.outputs['run-task-request'] ?? '') as Record<string, unknown>
    expect(runTask.launchType).toBeUndefined()
    expect(runTask).toMatchObject({
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE_SPOT', weight: 1 },
        { capacityProvider: 'FARGATE', base: 1 }
      ],
      networkConfiguration: '<from service prod/web at run time>',
      enableExecuteCommand: true,
      overrides: {
        taskRoleArn: 'arn:aws:iam::123456789012:role/batch-admin',
        cpu: '2048',
        memory: '4096',
        ephemeralStorage: { sizeInGiB: 50 }
      }
    })
    // The register request is the one without them: no new revision.
    const plain = await runAction({
      inputs: { definition: '__fixtures__/definitions/dry-run/batch.yml', mode: 'dry-run' },
      env: { GITHUB_RUN_ID: '99' },
      cwd: ROOT
    })
    expect(result.outputs['register-request']).toBe(plain.outputs['register-request'])
  })

  it('refuses conflicting and malformed per-run choices, naming each input', async () => {
    const result = await runAction({
      inputs: {
        definition: '__fixtures__/definitions/dry-run/batch.yml',
        mode: 'dry-run',
        'launch-type': 'FARGATE',
        'capacity-provider-strategy': 'FARGATE_SPOT:weight=1',
        memory: '4GB'
      },
      cwd: ROOT
    })
    expect(result.exitCode).toBe(1)
    expect(result.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toEqual([
      "::error::Input 'memory' must be task memory in MiB as a whole number, such as 4096, " +
        "got '4GB'%0AInputs 'launch-type' and 'capacity-provider-strategy' cannot be used " +
        'together: RunTask takes one of them (a strategy replaces the launch type); give one'
    ])
  })

  it('fails with every input error at once and no stack trace', async () => {
    const result = await runAction({
      inputs: {
        definition: '__fixtures__/definitions/dry-run/batch.yml',
        mode: 'dry-run',
        timeout: 'soon',
        command: "echo 'unbalanced"
      },
      cwd: ROOT
    })
    expect(result.exitCode).toBe(1)
    const errors = result.stdout.split('\n').filter((l) => l.startsWith('::error::'))
    expect(errors).toEqual([
      '::error::Input \'command\' has an unbalanced single quote at character 6; quote words as a POSIX shell does, or give a JSON array such as ["bundle", "exec", "rake"]%0AInput \'timeout\' must be seconds or a duration like 90s, 30m, 2h or 1h30m, got \'soon\''
    ])
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /)
  })
})
