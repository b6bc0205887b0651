/**
 * Foreign text never becomes a workflow command in the job log: a stopped reason, a container
 * reason, fields of a notification object and AWS error messages, each carrying a line break
 * before a command, a carriage return before `::add-mask::`, a bare `::set-output` and the
 * Unicode line separators. Each case asserts the exact (readable) line, and that what
 * `coreLogger` writes to stdout holds no line the runner could read as a command.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { ECSClient, RunTaskCommand, ServerException, StopTaskCommand } from '@aws-sdk/client-ecs'
import { mockClient } from 'aws-sdk-client-mock'
import { runTask } from '../../src/ecs/run-task.js'
import { stopTasks } from '../../src/ecs/stop-task.js'
import { reportTask } from '../../src/report/report.js'
import type { Logger } from '../../src/util/logger.js'
import { snapshotFromDescribe, snapshotFromEvent } from '../../src/model/task-state.js'
import type { TaskSnapshot } from '../../src/model/task.js'
import { FakeClock } from '../doubles/clock.js'
import { captureLog } from '../doubles/captured-logger.js'
import type { MemoryLogger } from '../doubles/logger.js'
import { clientException } from '../ecs/ecs-errors.js'
import { TASK_ARN, fixture } from '../wait/fixtures.js'
import { commandLines } from './command-lines.js'

/**
 * Each payload, how it prints inside a log line, and how it prints when it starts a field that
 * escapeLogText escaped alone (a backslash before a leading `::`).
 */
const PAYLOADS: [name: string, text: string, printed: string, field: string][] = [
  [
    '\\n before ::warning::',
    'bad\n::warning title=injected::pwned',
    'bad\\n::warning title=injected::pwned',
    'bad\\n::warning title=injected::pwned'
  ],
  [
    '\\r before ::add-mask::',
    'bad\r::add-mask::secret',
    'bad\\r::add-mask::secret',
    'bad\\r::add-mask::secret'
  ],
  [
    'a bare ::set-output',
    '::set-output name=exit-code::0',
    '::set-output name=exit-code::0',
    '\\::set-output name=exit-code::0'
  ],
  [
    'Unicode line separators',
    'bad\u2028::notice::n\u2029::error::e\u0085::warning::w',
    'bad\\u2028::notice::n\\u2029::error::e\\x85::warning::w',
    'bad\\u2028::notice::n\\u2029::error::e\\x85::warning::w'
  ]
]

const ecsMock = mockClient(ECSClient)
let stdout: string[]
let memory: MemoryLogger
/** Records every call in `memory` and prints it through coreLogger, as the action does. */
let logger: Logger

beforeEach(() => {
  ecsMock.reset()
  ;({ stdout, memory, logger } = captureLog())
})
afterEach(() => {
  jest.restoreAllMocks()
})
afterAll(() => ecsMock.restore())

/** The only command a report without a log configuration issues: its own notice. */
const NO_LOGS_NOTICE =
  '::notice::No logs link: the app container has no log_configuration, so it has no CloudWatch Logs stream to link'

/** Reports a stopped task as the action does at the end of a run. */
async function report(snapshot: TaskSnapshot): Promise<void> {
  await reportTask(
    { logger, setOutput: () => undefined, writeSummary: () => Promise.resolve() },
    {
      clients: { region: 'ap-northeast-1' },
      rendered: {},
      taskArn: TASK_ARN,
      snapshot,
      stopped: true,
      logLines: 0
    }
  )
}

describe.each(PAYLOADS)('foreign text carrying %s', (_name, text, printed, field) => {
  it('as a stopped reason (DescribeTasks) prints on one line, no command', async () => {
    await report(
      snapshotFromDescribe({
        taskArn: TASK_ARN,
        lastStatus: 'STOPPED',
        stopCode: 'UserInitiated',
        stoppedReason: text,
        containers: [{ name: 'app', lastStatus: 'STOPPED' }]
      })
    )
    expect(memory.of('info')).toEqual([
      'Exit code: 127 (stop code UserInitiated)',
      `Stopped reason: ${field}`,
      'Container app (STOPPED): no exit code'
    ])
    expect(commandLines(stdout.join(''))).toEqual([NO_LOGS_NOTICE])
  })

  it('as a container reason prints on one line, no command', async () => {
    await report(
      snapshotFromDescribe({
        taskArn: TASK_ARN,
        lastStatus: 'STOPPED',
        containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 1, reason: text }]
      })
    )
    expect(memory.of('info')).toEqual([
      'Exit code: 1',
      `Container app (STOPPED): exit code 1: ${printed}`
    ])
    expect(commandLines(stdout.join(''))).toEqual([NO_LOGS_NOTICE])
  })

  it('in the fields of a notification object prints on one line, no command', async () => {
    const event = fixture('stopped-failure')
    const containers = event.detail.containers as Record<string, unknown>[]
    const detail = {
      ...event.detail,
      stopCode: text,
      stoppedReason: text,
      containers: [containers[0], { ...containers[1], name: text, reason: text }]
    }
    await report(snapshotFromEvent(detail))
    expect(memory.of('info')).toEqual([
      `Exit code: 3 (stop code ${field})`,
      `Stopped reason: ${field}`,
      'Container app (STOPPED): exit code 3',
      `Container ${field} (STOPPED): exit code 0: ${printed}`
    ])
    expect(commandLines(stdout.join(''))).toEqual([NO_LOGS_NOTICE])
  })

  it('in an AWS error message prints on one line, no command', async () => {
    const ecs = new ECSClient({ region: 'ap-northeast-1' })
    const clock = new FakeClock(0)
    ecsMock
      .on(RunTaskCommand)
      .rejectsOnce(new ServerException({ $metadata: { httpStatusCode: 500 }, message: text }))
      .resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] })
    ecsMock.on(StopTaskCommand).rejects(clientException(text))
    await clock.run(
      runTask(
        { ecs, clock, random: () => 0.5, logger },
        { request: { cluster: 'batch', taskDefinition: 'td' }, clientToken: 't', deadline: 60_000 }
      )
    )
    const stopped = await stopTasks(
      { ecs, clock, random: () => 0.5, logger },
      { cluster: 'batch', taskArns: [TASK_ARN], reason: 'cleanup' }
    )
    expect(memory.of('info')).toEqual([
      `RunTask failed (ServerException: ${printed}); retrying in 0.5 s`,
      `Started task: ${TASK_ARN}`
    ])
    expect(memory.of('warning')).toEqual([
      `Could not stop ${TASK_ARN}: ClientException: ${printed}`
    ])
    expect(stopped.failed).toEqual([TASK_ARN])
    // The action's own warning, one command: its text cannot end it or start another.
    expect(commandLines(stdout.join(''))).toEqual([
      `::warning::Could not stop ${TASK_ARN}: ClientException: ${printed.replace(/\r/g, '%0D')}`
    ])
  })
})
