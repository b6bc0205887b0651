import { describe, expect, it } from '@jest/globals'
import {
  MAINTENANCE_REASON,
  classifyEnd,
  classifySnapshot,
  describeEndClass,
  type EndClass
} from '../../src/model/task-end-kind.js'
import type { TaskSnapshot } from '../../src/model/task.js'

const ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'

function stopped(
  stopCode: string | undefined,
  stoppedReason: string | undefined,
  app: { exitCode?: number; reason?: string } = {}
): TaskSnapshot {
  return {
    taskArn: ARN,
    lastStatus: 'STOPPED',
    ...(stopCode !== undefined ? { stopCode } : {}),
    ...(stoppedReason !== undefined ? { stoppedReason } : {}),
    containers: [{ name: 'app', lastStatus: 'STOPPED', ...app }],
    source: 's3'
  }
}

const PULL_LIMIT =
  'CannotPullContainerError: inspect image has been retried 5 time(s): httpReaderSeeker: failed open: ' +
  'unexpected status code https://registry-1.docker.io/v2/library/ruby/manifests/sha256:0f: ' +
  '429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. ' +
  'You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit'

describe('classifySnapshot (docs/retries.md, "Stop codes", "Stopped task error messages")', () => {
  it.each<[string, TaskSnapshot, EndClass]>([
    [
      'exit 0',
      stopped('EssentialContainerExited', 'Essential container in task exited', { exitCode: 0 }),
      { kind: 'app-exit', cause: 'exit-code-0' }
    ],
    [
      'exit 1',
      stopped('EssentialContainerExited', 'Essential container in task exited', { exitCode: 1 }),
      { kind: 'app-exit', cause: 'exit-code-1' }
    ],
    [
      'OOM 137 is the app',
      stopped('EssentialContainerExited', 'Essential container in task exited', {
        exitCode: 137,
        reason: 'OutOfMemoryError: Container killed due to memory usage'
      }),
      { kind: 'app-exit', cause: 'exit-code-137' }
    ],
    [
      'no exit code yet',
      stopped('EssentialContainerExited', 'Essential container in task exited'),
      { kind: 'app-exit', cause: 'no-exit-code' }
    ],
    [
      'Spot, the app exits 143',
      stopped('SpotInterruption', 'Your Spot Task was interrupted.', { exitCode: 143 }),
      { kind: 'infrastructure', cause: 'spot-interruption' }
    ],
    [
      'termination notice',
      stopped('TerminationNotice', 'Instance is being terminated', { exitCode: 143 }),
      { kind: 'infrastructure', cause: 'termination-notice' }
    ],
    [
      'infrastructure health',
      stopped('InfrastructureHealth', 'Task stopped due to an infrastructure health issue'),
      { kind: 'infrastructure', cause: 'infrastructure-health' }
    ],
    [
      'Fargate maintenance',
      stopped('ServiceSchedulerInitiated', `${MAINTENANCE_REASON}.`, { exitCode: 143 }),
      { kind: 'infrastructure', cause: 'fargate-maintenance' }
    ],
    [
      'Docker Hub pull limit',
      stopped('TaskFailedToStart', PULL_LIMIT, { reason: PULL_LIMIT }),
      { kind: 'start-transient', cause: 'pull-rate-limit' }
    ],
    [
      'ENI timeout',
      stopped(
        'TaskFailedToStart',
        'Timeout waiting for network interface provisioning to complete.'
      ),
      { kind: 'start-transient', cause: 'eni-timeout' }
    ],
    [
      'pull i/o timeout',
      stopped(
        'TaskFailedToStart',
        'CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-ap-northeast-1-starport-layer-bucket.s3.ap-northeast-1.amazonaws.com/x": dial tcp 52.219.0.1:443: i/o timeout'
      ),
      { kind: 'start-transient', cause: 'pull-timeout' }
    ],
    [
      'pull connection reset (in the container reason only)',
      stopped('TaskFailedToStart', 'Task failed to start', {
        reason:
          'CannotPullContainerError: read tcp 10.0.0.5:4242->3.5.0.1:443: read: connection reset by peer'
      }),
      { kind: 'start-transient', cause: 'pull-timeout' }
    ],
    [
      'secrets behind a network timeout',
      stopped(
        'TaskFailedToStart',
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s): RequestError: send request failed caused by: Post "https://secretsmanager.ap-northeast-1.amazonaws.com/": dial tcp 10.0.1.9:443: i/o timeout'
      ),
      { kind: 'start-transient', cause: 'resource-initialization-timeout' }
    ],
    [
      'image not found',
      stopped(
        'TaskFailedToStart',
        'CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:nope: not found'
      ),
      { kind: 'start-fix', cause: 'image-not-found' }
    ],
    [
      'pull access denied',
      stopped(
        'TaskFailedToStart',
        "CannotPullContainerError: pull access denied for private/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
      ),
      { kind: 'start-fix', cause: 'image-not-found' }
    ],
    [
      'ECR access denied',
      stopped(
        'TaskFailedToStart',
        'CannotPullContainerError: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/exec/x is not authorized to perform: ecr:GetAuthorizationToken'
      ),
      { kind: 'start-fix', cause: 'pull-access-denied' }
    ],
    [
      'secret access denied',
      stopped(
        'TaskFailedToStart',
        'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: AccessDeniedException: not authorized'
      ),
      { kind: 'start-fix', cause: 'resource-initialization' }
    ],
    [
      'cannot start container',
      stopped(
        'TaskFailedToStart',
        'CannotStartContainerError: Error response from daemon: failed to create shim task: exec: "rake": executable file not found in $PATH'
      ),
      { kind: 'start-fix', cause: 'cannot-start-container' }
    ],
    [
      'unknown start failure',
      stopped('TaskFailedToStart', 'Something new'),
      { kind: 'start-unknown', cause: 'start-failed' }
    ],
    [
      'StopTask by someone',
      stopped('UserInitiated', 'Stopped by an operator', { exitCode: 143 }),
      { kind: 'stopped-by-other', cause: 'user-initiated' }
    ],
    [
      'a service scheduler',
      stopped('ServiceSchedulerInitiated', 'Scaling activity initiated by (deployment ecs-svc/1)'),
      { kind: 'stopped-by-other', cause: 'service-scheduler' }
    ],
    ['a new stop code', stopped('SomethingNew', 'x'), { kind: 'unknown', cause: 'SomethingNew' }],
    ['no stop code', stopped(undefined, undefined), { kind: 'unknown', cause: 'no-stop-code' }]
  ])('%s', (_, task, expected) => {
    expect(classifySnapshot(task)).toEqual(expected)
  })
})

describe('classifyEnd', () => {
  it('a stop this action asked for wins over what ECS reports', () => {
    const task = stopped(
      'UserInitiated',
      'Stopped by hako-oneshot-action: the timeout of 60s was reached',
      { exitCode: 143 }
    )
    expect(classifyEnd({ kind: 'stopped', task }, { stopRequested: true })).toEqual({
      kind: 'stopped-by-action',
      cause: 'stopped'
    })
    // Even a Spot interruption racing the action's own StopTask is the action's stop.
    const spot = stopped('SpotInterruption', 'Your Spot Task was interrupted.', { exitCode: 143 })
    expect(classifyEnd({ kind: 'stopped', task: spot }, { stopRequested: true }).kind).toBe(
      'stopped-by-action'
    )
    expect(classifyEnd({ kind: 'stopped', task: spot }).kind).toBe('infrastructure')
  })

  it('a lost task is lost', () => {
    expect(classifyEnd({ kind: 'lost', taskArn: ARN, reason: 'MISSING' })).toEqual({
      kind: 'lost',
      cause: 'lost'
    })
  })

  it('describes a class in a few words', () => {
    expect(describeEndClass({ kind: 'infrastructure', cause: 'spot-interruption' })).toBe(
      'infrastructure (spot-interruption)'
    )
  })
})
