import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs'
import { mockClient } from 'aws-sdk-client-mock'
import { FakeClock } from '../doubles/clock.js'
import { memoryLogger } from '../doubles/logger.js'
import { fanOutOf } from '../../src/model/fan-out.js'
import { reportTask, type ReportDeps } from '../../src/report/report.js'
import { TaskSetLogs } from '../../src/logs/task-set-logs.js'
import type { FanOut } from '../../src/model/fan-out.js'
import type { Logger } from '../../src/util/logger.js'
import { snapshotFromEvent } from '../../src/model/task-state.js'
import { TASK_ARN, fixture } from '../wait/fixtures.js'

const logsMock = mockClient(CloudWatchLogsClient)
const logsClient = new CloudWatchLogsClient({ region: 'ap-northeast-1' })
afterAll(() => logsMock.restore())
beforeEach(() => {
  logsMock.reset()
})

/** The tail of a lone task, read as main reads it: through the task set's logs, on the job's share. */
function tailOf(deps: { logger: Logger }, clock: FakeClock, fanOut: FanOut) {
  const logs = new TaskSetLogs(
    { logs: logsClient, region: 'ap-northeast-1', clock, random: () => 0, logger: deps.logger },
    {
      tasks: 1,
      wait: true,
      follow: false,
      logConfiguration: rendered.appLogConfiguration,
      logLines: 1,
      fanOut,
      signal: new AbortController().signal
    }
  )
  return (place: Parameters<TaskSetLogs['tail']>[0], lines: number) => logs.tail(place, lines)
}

function io(): ReportDeps & { outputs: Record<string, string>; summaries: string[] } {
  const outputs: Record<string, string> = {}
  const summaries: string[] = []
  return {
    logger: memoryLogger(),
    outputs,
    summaries,
    setOutput: (name, value) => {
      outputs[name] = value
    },
    writeSummary: (markdown) => {
      summaries.push(markdown)
      return Promise.resolve()
    }
  }
}

const rendered = {
  appLogConfiguration: {
    logDriver: 'awslogs',
    options: { 'awslogs-group': '/ecs/batch', 'awslogs-stream-prefix': 'app' }
  }
}

/** Reports the stopped-oom task with a one-line tail read on `fanOut`'s share. */
function reportOom(deps: ReturnType<typeof io>, clock: FakeClock, fanOut: FanOut) {
  return clock.run(
    reportTask(deps, {
      clients: { region: 'ap-northeast-1' },
      rendered,
      taskArn: TASK_ARN,
      snapshot: snapshotFromEvent(fixture('stopped-oom').detail),
      stopped: true,
      logLines: 1,
      tail: tailOf(deps, clock, fanOut)
    })
  )
}

describe('reportTask', () => {
  it('logs every container, tails the logs, sets outputs, writes the summary and returns the annotation', async () => {
    logsMock.on(GetLogEventsCommand).resolves({
      events: [{ timestamp: 0, message: 'Killed' }],
      nextBackwardToken: 'b'
    })
    const deps = io()
    const clock = new FakeClock(Date.parse('2026-12-01T10:00:00Z'))
    const result = await reportOom(deps, clock, fanOutOf({ jobIndex: 0, jobTotal: 1, tasks: 1 }))
    expect(result).toEqual({
      exitCode: 137,
      failureMessage:
        'Task 0123456789abcdef0123456789abcdef exited with code 137; stop code EssentialContainerExited; stopped reason: Essential container in task exited; app container: OutOfMemoryError: Container killed due to memory usage'
    })
    expect(deps.outputs['exit-code']).toBe('137')
    expect(deps.outputs['logs-url']).toBe(
      'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/app$252Fapp$252F0123456789abcdef0123456789abcdef'
    )
    expect(deps.summaries).toHaveLength(1)
    expect(deps.summaries[0]).toContain('<pre>Killed</pre>')
    expect((deps.logger as ReturnType<typeof memoryLogger>).of('info').slice(0, 4)).toEqual([
      'Exit code: 137 (stop code EssentialContainerExited)',
      'Stopped reason: Essential container in task exited',
      'Container app (STOPPED): exit code 137: OutOfMemoryError: Container killed due to memory usage',
      'Container log-router (STOPPED): exit code 0'
    ])
  })

  it("tails on the task's turn among the fan-out's reads", async () => {
    logsMock.on(GetLogEventsCommand).resolves({
      events: [{ timestamp: 0, message: 'Killed' }],
      nextBackwardToken: 'b'
    })
    // Job 7 of 60 in ap-northeast-1 (25/s): ticks 100 ms apart, its turn 700 ms into every 6 s.
    const clock = new FakeClock(Date.parse('2026-12-01T10:00:00Z'))
    const deps = io()
    await reportOom(deps, clock, fanOutOf({ jobIndex: 7, jobTotal: 60, tasks: 1 }))
    expect(clock.sleeps).toEqual([700])
    expect(logsMock.commandCalls(GetLogEventsCommand)).toHaveLength(1)
    expect(deps.summaries[0]).toContain('<pre>Killed</pre>')
  })

  it('reports a timeout with what was seen, no exit code and no tail', async () => {
    const deps = io()
    const result = await reportTask(deps, {
      clients: { region: 'ap-northeast-1' },
      rendered: {},
      taskArn: TASK_ARN,
      snapshot: snapshotFromEvent(fixture('running').detail),
      stopped: false,
      unfinished: 'timed-out',
      logLines: 50,
      durationMs: 600_000
    })
    expect(result).toEqual({})
    expect(deps.outputs['exit-code']).toBe('')
    expect(deps.outputs['started-at']).toBe('2026-11-28T16:10:05.330Z')
    expect(deps.summaries[0]).toContain('⏱️ timed out')
    expect(logsMock.commandCalls(GetLogEventsCommand)).toHaveLength(0)
    expect((deps.logger as ReturnType<typeof memoryLogger>).of('notice')).toEqual([
      'No logs link: the app container has no log_configuration, so it has no CloudWatch Logs stream to link'
    ])
  })
})
