import { taskExitCode } from '../../src/model/result.js'
import { describe, expect, it } from '@jest/globals'
import { escapeMarkdown, failureAnnotation, taskSummary } from '../../src/report/summary.js'
import { snapshotFromEvent } from '../../src/model/task-state.js'
import type { TaskSnapshot } from '../../src/model/task.js'
import { TASK_ARN, fixture } from '../wait/fixtures.js'

const oom = snapshotFromEvent(fixture('stopped-oom').detail)

describe('escapeMarkdown', () => {
  it.each([
    ['plain words 42', 'plain words 42'],
    ['<script>alert(1)</script>', '&#60;script&#62;alert&#40;1&#41;&#60;/script&#62;'],
    [
      '**bold** _x_ `code` | cell',
      '&#42;&#42;bold&#42;&#42; &#95;x&#95; &#96;code&#96; &#124; cell'
    ],
    ['[link](https://evil.example)', '&#91;link&#93;&#40;https&#58;//evil&#46;example&#41;'],
    ['@someone #1 ![img](x)', '&#64;someone &#35;1 &#33;&#91;img&#93;&#40;x&#41;'],
    ['line one\nline two\r\nthree', 'line one<br>line two<br>three'],
    ['&amp; stays literal', '&#38;amp; stays literal']
  ])('%j', (text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped)
  })
})

describe('taskSummary', () => {
  it('shows task, revision, exit code, stop code, reasons, duration, containers and logs link', () => {
    expect(
      taskSummary({
        taskArn: TASK_ARN,
        status: 'failed',
        task: oom,
        exitCode: 137,
        logsUrl:
          'https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/app$252Fapp$252F0123456789abcdef0123456789abcdef'
      })
    ).toBe(
      [
        '### ECS task 0123456789abcdef0123456789abcdef: ❌ failed',
        '',
        '| | |',
        '|---|---|',
        '| Task | <code>0123456789abcdef0123456789abcdef</code> |',
        '| Task definition | <code>batch&#45;oneshot&#58;42</code> |',
        '| Exit code | **137** |',
        '| Stop code | <code>EssentialContainerExited</code> |',
        '| Stopped reason | Essential container in task exited |',
        '| Duration | 2m 28s |',
        '| Logs | [CloudWatch Logs](https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:log-groups/log-group/$252Fecs$252Fbatch/log-events/app$252Fapp$252F0123456789abcdef0123456789abcdef) |',
        '',
        '| Container | Exit code | Reason |',
        '|---|---|---|',
        '| app | 137 | OutOfMemoryError&#58; Container killed due to memory usage |',
        '| log&#45;router | 0 |  |',
        ''
      ].join('\n')
    )
  })

  it('escapes untrusted reasons, container names and log lines', () => {
    const task: TaskSnapshot = {
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'Stopped | by <b>me</b>\n[click](https://evil.example)',
      containers: [{ name: 'app|x', exitCode: 1, reason: '<img src=x onerror=alert(1)>' }],
      source: 's3'
    }
    const md = taskSummary({
      taskArn: TASK_ARN,
      status: 'cancelled',
      task,
      exitCode: 1,
      logsReason: "the app container logs through 'fluentd', not awslogs",
      logLines: ['<script>x</script>', 'a & b'],
      durationMs: 65_000
    })
    expect(md).not.toMatch(/<b>|<img|<script>|\]\(https:\/\/evil/)
    expect(md).toContain(
      '| Stopped reason | Stopped &#124; by &#60;b&#62;me&#60;/b&#62;<br>&#91;click&#93;&#40;https&#58;//evil&#46;example&#41; |'
    )
    expect(md).toContain(
      '| app&#124;x | 1 | &#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62; |'
    )
    expect(md).toContain('| Duration | 1m 5s |')
    expect(md).toContain('| Logs | the app container logs through &#39;fluentd&#39;, not awslogs |')
    expect(md).toContain('<pre>&#60;script&#62;x&#60;/script&#62;\na &#38; b</pre>')
    expect(md.startsWith('### ECS task 0123456789abcdef0123456789abcdef: 🚫 cancelled\n')).toBe(
      true
    )
  })

  it('shows what is known of a task that timed out before any state was seen', () => {
    expect(
      taskSummary({
        taskArn: TASK_ARN,
        status: 'timed-out',
        durationMs: 1_800_000,
        taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch-oneshot:7'
      })
    ).toBe(
      [
        '### ECS task 0123456789abcdef0123456789abcdef: ⏱️ timed out',
        '',
        '| | |',
        '|---|---|',
        '| Task | <code>0123456789abcdef0123456789abcdef</code> |',
        '| Task definition | <code>batch&#45;oneshot&#58;7</code> |',
        '| Duration | 30m 0s |',
        ''
      ].join('\n')
    )
  })
})

describe('failureAnnotation', () => {
  it.each<[string, TaskSnapshot, string]>([
    [
      'out of memory',
      oom,
      'Task 0123456789abcdef0123456789abcdef exited with code 137; stop code EssentialContainerExited; stopped reason: Essential container in task exited; app container: OutOfMemoryError: Container killed due to memory usage'
    ],
    [
      'image pull failure (127, hako, docs/hako.md, "Exit code")',
      snapshotFromEvent(fixture('stopped-pull-failure').detail),
      'Task 0123456789abcdef0123456789abcdef exited with code 127; stop code TaskFailedToStart; stopped reason: CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/batch:0f3c2a1: not found; app container: CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref 123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/batch:0f3c2a1: not found'
    ],
    [
      'plain non-zero exit',
      snapshotFromEvent(fixture('stopped-failure').detail),
      'Task 0123456789abcdef0123456789abcdef exited with code 3; stop code EssentialContainerExited; stopped reason: Essential container in task exited'
    ],
    [
      'no app container',
      {
        taskArn: TASK_ARN,
        lastStatus: 'STOPPED',
        stoppedReason: 'line\nbreak',
        containers: [{ name: 'worker', exitCode: 0 }],
        source: 'describe-tasks'
      },
      'Task 0123456789abcdef0123456789abcdef exited with code 127; stopped reason: line\\nbreak; the task has no app container'
    ]
  ])('%s', (_, task, text) => {
    expect(failureAnnotation({ task, exitCode: taskExitCode(task) })).toBe(text)
  })

  it('names the deciding container of exit-code-container, and a task without it', () => {
    const task: TaskSnapshot = {
      ...oom,
      containers: [
        { name: 'app', exitCode: 0 },
        { name: 'worker', exitCode: 2, reason: 'disk full' }
      ]
    }
    expect(failureAnnotation({ task, exitCode: 2 }, { container: 'worker' })).toBe(
      'Task 0123456789abcdef0123456789abcdef exited with code 2; stop code EssentialContainerExited; ' +
        'stopped reason: Essential container in task exited; worker container: disk full'
    )
    expect(failureAnnotation({ task, exitCode: 2 }, { essential: ['app', 'worker'] })).toContain(
      '; worker container: disk full'
    )
    expect(failureAnnotation({ task, exitCode: 127 }, { container: 'db' })).toContain(
      '; the task has no db container'
    )
  })
})
