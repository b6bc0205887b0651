/** Records the ledger tests share. */

/** A version 2 task record, as stored. */
export const TASK_RECORD = {
  version: 2,
  kind: 'task',
  job: 'batch',
  step: null,
  matrixIndex: null,
  jobTotal: 1,
  index: 4,
  tasks: 10,
  runAttempt: 1,
  taskAttempt: 2,
  spec: '0123456789abcdef',
  clientToken: 'f'.repeat(32),
  status: 'failed',
  adopted: false,
  taskArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/abc',
  cluster: 'batch',
  region: 'ap-northeast-1',
  exitCode: 1,
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  stopRequest: null,
  startedAt: '2026-12-07T10:00:00.000Z',
  stoppedAt: '2026-12-07T10:01:00.000Z',
  logsUrl: null,
  recordedAt: '2026-12-07T10:01:01.000Z'
}
