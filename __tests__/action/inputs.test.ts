import { describe, expect, it } from '@jest/globals'
import {
  parseCommand,
  parseDuration,
  parseJobs,
  parseKeyValueLines,
  readInputs,
  splitShellWords
} from '../../src/inputs.js'
import { UserError } from '../../src/util/errors.js'
import { defaultRetryRules } from '../../src/tasks/retry.js'

/** An input reader over a plain map, like INPUT_* variables. */
const reader =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? ''
const quiet = (): void => {}

describe('readInputs', () => {
  it('applies the action.yml defaults when only the definition is given', () => {
    expect(readInputs(reader({ definition: 'hako/batch.yml' }), quiet)).toEqual({
      definition: 'hako/batch.yml',
      mode: 'run',
      command: undefined,
      env: {},
      tag: undefined,
      containers: [],
      appCpu: undefined,
      appMemory: undefined,
      appMemoryReservation: undefined,
      cluster: undefined,
      runOverrides: {},
      region: undefined,
      taskDefinition: undefined,
      taskDefinitionCache: true,
      notificationPrefix: undefined,
      wait: true,
      timeoutSeconds: undefined,
      stopOnCancel: true,
      pollIntervalSeconds: 1,
      verifyIntervalSeconds: 300,
      logLines: 50,
      followLogs: true,
      startedBy: undefined,
      group: undefined,
      tags: {},
      failOnError: true,
      tasks: [{ env: {} }],
      maxParallel: undefined,
      launchRate: undefined,
      failFast: false,
      attempts: 3,
      retryOn: defaultRetryRules(),
      rerun: 'all',
      onTimeout: 'stop',
      taskArns: [],
      jobs: undefined,
      fanOut: {
        jobIndex: 0,
        jobTotal: 1,
        jobsAtOnce: 1,
        tasksAtOnce: 1,
        width: 1,
        firstSlot: 0,
        source: 'strategy'
      }
    })
  })

  describe('the fan-out (docs/limits.md, "The strategy context in input defaults")', () => {
    it('reads the strategy values the runner evaluated from the input defaults', () => {
      const inputs = readInputs(
        reader({
          definition: 'a.yml',
          'job-index': '17',
          'job-total': '60',
          'job-max-parallel': '60'
        }),
        quiet
      )
      expect(inputs.fanOut).toEqual({
        jobIndex: 17,
        jobTotal: 60,
        jobsAtOnce: 60,
        tasksAtOnce: 1,
        width: 60,
        firstSlot: 17,
        source: 'strategy'
      })
    })

    it("multiplies the jobs at once by this job's own tasks at once", () => {
      const inputs = readInputs(
        reader({
          definition: 'a.yml',
          'job-index': '3',
          'job-total': '10',
          'job-max-parallel': '4',
          count: '50',
          'max-parallel': '5'
        }),
        quiet
      )
      expect(inputs.fanOut).toMatchObject({
        jobsAtOnce: 4,
        tasksAtOnce: 5,
        width: 20,
        firstSlot: 15
      })
    })

    it('takes fan-out-width over the strategy for fan-outs GitHub cannot see', () => {
      const inputs = readInputs(
        reader({ definition: 'a.yml', 'job-total': '8', 'fan-out-width': '120' }),
        quiet
      )
      expect(inputs.fanOut).toMatchObject({ width: 120, jobTotal: 8, source: 'input' })
    })

    it('reads unevaluated context defaults (a local run) as one job', () => {
      const inputs = readInputs(
        reader({
          definition: 'a.yml',
          'job-index': '${{ strategy.job-index }}',
          'job-total': '${{ strategy.job-total }}'
        }),
        quiet
      )
      expect(inputs.fanOut).toMatchObject({ jobIndex: 0, jobTotal: 1, width: 1 })
    })

    it.each([
      [{ 'job-total': '0' }, "Input 'job-total' must be a whole number from 1 to 100000, got '0'"],
      [
        { 'job-index': '3', 'job-total': '3' },
        "Input 'job-index' must be less than 'job-total' (3), got '3': job-index counts from 0"
      ],
      [
        { 'job-max-parallel': 'all' },
        "Input 'job-max-parallel' must be a whole number from 1 to 100000, got 'all'"
      ],
      [
        { 'fan-out-width': '-2' },
        "Input 'fan-out-width' must be a whole number from 1 to 1000000000, got '-2'"
      ]
    ])('refuses %j', (given, message) => {
      expect(() => readInputs(reader({ definition: 'a.yml', ...given }), quiet)).toThrow(message)
    })
  })

  it('reads every input', () => {
    const inputs = readInputs(
      reader({
        definition: 'a.yml',
        mode: 'dry-run',
        command: 'bundle exec "rake batch:run"',
        env: 'A=1\n# comment\n\nB=x=y',
        tag: 'v1',
        containers: 'redis, fluentd\nsquid',
        'app-cpu': '256',
        'app-memory': '512',
        'app-memory-reservation': '128',
        cluster: 'batch',
        region: 'eu-west-1',
        'task-definition': 'a-oneshot:3',
        'task-definition-cache': 'false',
        'notification-prefix': 's3://b/p',
        wait: 'false',
        timeout: '30m',
        'max-run-time': '12h',
        'stop-on-cancel': 'FALSE',
        'poll-interval': '2.5',
        'verify-interval': '0',
        'log-lines': '0',
        'follow-logs': 'false',
        'started-by': 'nightly_1',
        group: 'family:batch',
        tags: 'team=data\nenv = prod',
        'fail-on-error': 'False',
        'launch-rate': '5',
        'fail-fast': 'true'
      }),
      quiet
    )
    expect(inputs).toMatchObject({
      mode: 'dry-run',
      command: ['bundle', 'exec', 'rake batch:run'],
      env: { A: '1', B: 'x=y' },
      tag: 'v1',
      containers: ['redis', 'fluentd', 'squid'],
      appCpu: 256,
      appMemory: 512,
      appMemoryReservation: 128,
      cluster: 'batch',
      region: 'eu-west-1',
      taskDefinition: 'a-oneshot:3',
      taskDefinitionCache: false,
      notificationPrefix: 's3://b/p',
      wait: false,
      timeoutSeconds: 1800,
      maxRunTimeSeconds: 43_200,
      stopOnCancel: false,
      pollIntervalSeconds: 2.5,
      verifyIntervalSeconds: 0,
      logLines: 0,
      followLogs: false,
      startedBy: 'nightly_1',
      group: 'family:batch',
      tags: { team: 'data', env: ' prod' },
      failOnError: false,
      launchRate: 5,
      failFast: true
    })
  })

  it('gives each task of count its index and the count', () => {
    const { tasks } = readInputs(reader({ definition: 'a.yml', count: '3' }), quiet)
    expect(tasks).toEqual([
      { env: { ONESHOT_INDEX: '0', ONESHOT_COUNT: '3' } },
      { env: { ONESHOT_INDEX: '1', ONESHOT_COUNT: '3' } },
      { env: { ONESHOT_INDEX: '2', ONESHOT_COUNT: '3' } }
    ])
  })

  it('reads tasks as a JSON array of command and env', () => {
    const { tasks } = readInputs(
      reader({
        definition: 'a.yml',
        tasks: '[{"command": ["a", "b"]}, {"command": "c \'d e\'", "env": {"X": "1"}}, {}]'
      }),
      quiet
    )
    expect(tasks).toEqual([
      { command: ['a', 'b'], env: {} },
      { command: ['c', 'd e'], env: { X: '1' } },
      { env: {} }
    ])
  })

  it('reports every bad input at once, naming each and its expected form', () => {
    let error: unknown
    try {
      readInputs(
        reader({
          mode: 'apply',
          wait: 'yes',
          timeout: 'soon',
          'max-run-time': '2d',
          'poll-interval': '0',
          'log-lines': '-1',
          env: 'GOOD=1\n1BAD=2',
          tags: 'novalue',
          count: '2',
          tasks: '[{}]',
          'started-by': 'has space'
        }),
        quiet
      )
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(UserError)
    expect((error as Error).message.split('\n')).toEqual([
      "Input 'definition' is required: the path of a hako definition (.yml, .yaml or .json)",
      "Input 'mode' must be one of run, register, dry-run, wait, summary, got 'apply'",
      "Input 'env' line 2 must be KEY=VALUE, got '1BAD=***' ('1BAD' is not a variable name (letters, digits and _, not starting with a digit))",
      "Input 'tags' line 1 must be KEY=VALUE, got 'novalue' (no = in it)",
      "Input 'wait' must be true or false, got 'yes'",
      "Input 'timeout' must be seconds or a duration like 90s, 30m, 2h or 1h30m, got 'soon'",
      "Input 'max-run-time' must be seconds or a duration like 90s, 30m, 2h or 1h30m, got '2d'",
      "Input 'poll-interval' must be a number from 0.1 to 3600, got '0'",
      "Input 'log-lines' must be a whole number from 0 to 10000, got '-1'",
      "Input 'started-by' must be up to 128 letters, numbers, hyphens and underscores (ECS's rule for startedBy), got 'has space'",
      "Inputs 'count' and 'tasks' cannot be used together: give one of them"
    ])
  })

  it('takes a launch-rate above the account rate, to be capped at the share, and refuses one under 0.1', () => {
    expect(
      readInputs(reader({ definition: 'a.yml', 'launch-rate': '100' }), quiet).launchRate
    ).toBe(100)
    expect(() => readInputs(reader({ definition: 'a.yml', 'launch-rate': '0' }), quiet)).toThrow(
      new UserError("Input 'launch-rate' must be a number of at least 0.1, got '0'")
    )
  })

  it('refuses a fan-out without waiting', () => {
    expect(() =>
      readInputs(reader({ definition: 'a.yml', count: '5', wait: 'false' }), quiet)
    ).toThrow("Inputs 'count' and 'tasks' need 'wait: true'")
  })

  it('refuses count: 1 and a one-element tasks list without waiting, as any other count', () => {
    const extras: Record<string, string>[] = [{ count: '1' }, { tasks: '[{"env":{"A":"1"}}]' }]
    for (const extra of extras) {
      expect(() =>
        readInputs(reader({ definition: 'a.yml', wait: 'false', ...extra }), quiet)
      ).toThrow("Inputs 'count' and 'tasks' need 'wait: true'")
    }
  })
})

describe('splitShellWords (POSIX XCU 2.2 quoting, no expansion)', () => {
  it.each([
    ['rake batch:run', ['rake', 'batch:run']],
    ['  a   b\t c\n d ', ['a', 'b', 'c', 'd']],
    [`echo 'a  b' "c  d"`, ['echo', 'a  b', 'c  d']],
    [`a'b'"c"d`, ['abcd']],
    [`''`, ['']],
    [`a "" b`, ['a', '', 'b']],
    [`sh -c 'echo "$HOME"'`, ['sh', '-c', 'echo "$HOME"']],
    [`"a \\" \\\\ \\$ \\x"`, ['a " \\ $ \\x']],
    [`a\\ b c\\'d`, ['a b', "c'd"]],
    [`'it'\\''s'`, ["it's"]],
    ['$HOME ${X}', ['$HOME', '${X}']]
  ])('%s', (input, words) => {
    expect(splitShellWords('command', input)).toEqual(words)
  })

  it.each([
    [`echo 'oops`, "Input 'command' has an unbalanced single quote at character 6"],
    [`echo "oops`, "Input 'command' has an unbalanced double quote"],
    [`echo oops\\`, "Input 'command' has a backslash at the end"]
  ])('rejects %s', (input, message) => {
    expect(() => splitShellWords('command', input)).toThrow(message)
  })
})

describe('parseCommand', () => {
  it('reads a JSON array of strings as is', () => {
    expect(parseCommand('command', '["bundle", "exec", "a b"]')).toEqual(['bundle', 'exec', 'a b'])
  })

  it.each([
    ['[1, 2]', "Input 'command' must be a JSON array of strings, got [1, 2]"],
    ['[]', "Input 'command' is an empty JSON array"],
    ['["a"', "Input 'command' starts with '[' but is not a JSON array of strings"]
  ])('rejects %s', (input, message) => {
    expect(() => parseCommand('command', input)).toThrow(message)
  })
})

describe('parseDuration', () => {
  it.each([
    ['600', 600],
    ['90s', 90],
    ['30m', 1800],
    ['2h', 7200],
    ['1h30m', 5400],
    ['1h0m5s', 3605]
  ])('%s is %d seconds', (input, seconds) => {
    expect(parseDuration('timeout', input)).toBe(seconds)
  })

  it.each(['0', '0s', '1d', '5 m', '-5', '1.5h', 'm'])('rejects %s', (input) => {
    expect(() => parseDuration('timeout', input)).toThrow(
      `Input 'timeout' must be seconds or a duration like 90s, 30m, 2h or 1h30m, got '${input}'`
    )
  })
})

describe('parseKeyValueLines', () => {
  const key = { pattern: /^[A-Z]+$/, what: 'upper case' }
  it('keeps = in values, skips blanks and comments, lets a later line win', () => {
    expect(parseKeyValueLines('env', 'A=1\n\n  # note\nB==x\nA=2\r\nC=', key)).toEqual({
      A: '2',
      B: '=x',
      C: ''
    })
  })
})

describe('readInputs keeps env values out of logs and errors', () => {
  it('logs env and tasks env names, never their values', () => {
    const lines: string[] = []
    readInputs(
      reader({
        definition: 'a.yml',
        env: 'SHARD=3\nAPI_TOKEN=hunter2',
        tasks: '[{"env":{"DB_PASSWORD":"hunter2"}}]',
        command: 'rake batch:run'
      }),
      (line) => lines.push(line)
    )
    expect(lines.filter((l) => /^input (env|tasks|command):/.test(l))).toEqual([
      'input command: "rake batch:run"',
      'input env: "SHARD=***\\nAPI_TOKEN=***"',
      'input tasks: "[{\\"env\\":{\\"DB_PASSWORD\\":\\"***\\"}}]"'
    ])
    expect(lines.join('\n')).not.toContain('hunter2')
  })

  it('quotes a bad env line with its value masked', () => {
    expect(() =>
      readInputs(reader({ definition: 'a.yml', env: 'API_TOKEN: hunter2' }), quiet)
    ).toThrow(new UserError("Input 'env' line 1 must be KEY=VALUE, got '***' (no = in it)"))
  })

  // V8's wording differs between Node versions; what matters is that no value is quoted.
  it.each(['[{"env":{"API_TOKEN":hunter2}}]', '[{"env":{"API_TOKEN":"hunter2"}'])(
    'names bad JSON in tasks without quoting the text around the error: %s',
    (tasks) => {
      let message = ''
      try {
        readInputs(reader({ definition: 'a.yml', tasks }), quiet)
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toMatch(
        /^Input 'tasks' must be a JSON array of \{"command": \[\.\.\.\], "env": \{\.\.\.\}\} objects: \S/
      )
      expect(message).not.toContain('hunter2')
    }
  )
})

describe('attempts, retry-on and rerun', () => {
  const read = (values: Record<string, string>) =>
    readInputs(reader({ definition: 'd.yml', ...values }), quiet)

  it('reads attempts 1 to 10, retry rules and rerun', () => {
    const inputs = read({ attempts: '1', 'retry-on': 'exit-code=137\ndefaults', rerun: 'all' })
    expect(inputs.attempts).toBe(1)
    expect(inputs.retryOn.map((r) => r.text)).toEqual([
      'exit-code=137',
      'kind=infrastructure',
      'kind=start-transient'
    ])
    expect(inputs.rerun).toBe('all')
    expect(read({ attempts: '10' }).attempts).toBe(10)
  })

  it('names every bad one', () => {
    expect(() => read({ attempts: '11', 'retry-on': 'exitcode=1', rerun: 'some' })).toThrow(
      new UserError(
        [
          "Input 'attempts' must be a whole number from 1 to 10, got '11'",
          "Input 'retry-on' line 1 must be conditions like stop-code=SpotInterruption; " +
            'reason=CannotPullContainerError*toomanyrequests*; exit-code=137 (optionally after ' +
            "'retry' or 'exit'), got 'exitcode=1': unknown key 'exitcode'; the keys are " +
            'stop-code, reason, exit-code, kind',
          "Input 'rerun' must be failed (start only the tasks that did not succeed in an earlier " +
            "attempt of the workflow run) or all, got 'some'"
        ].join('\n')
      )
    )
    expect(() => read({ attempts: '0' })).toThrow(
      "Input 'attempts' must be a whole number from 1 to 10, got '0'"
    )
  })
})

describe('rerun, on-timeout and task-arns', () => {
  const read = (values: Record<string, string>) =>
    readInputs(reader({ definition: 'd.yml', ...values }), quiet)
  const ARN = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'
  const CN = 'arn:aws-cn:ecs:cn-north-1:123456789012:task/batch/fedcba9876543210fedcba9876543210'

  it('reruns failed tasks of a matrix or a set by default, and all of a lone task', () => {
    expect(read({}).rerun).toBe('all')
    expect(read({ count: '2' }).rerun).toBe('failed')
    expect(read({ 'job-index': '3', 'job-total': '60' }).rerun).toBe('failed')
    expect(read({ 'job-total': '60', rerun: 'all' }).rerun).toBe('all')
  })

  it('reads on-timeout stop or detach, and names a bad one', () => {
    expect(read({}).onTimeout).toBe('stop')
    expect(read({ 'on-timeout': 'detach' }).onTimeout).toBe('detach')
    expect(() => read({ 'on-timeout': 'leave' })).toThrow(
      new UserError(
        "Input 'on-timeout' must be stop (stop the tasks at the timeout) or detach (leave them " +
          "running and end the step; wait on them later with mode: wait), got 'leave'"
      )
    )
  })

  it('reads task-arns as one ARN or a JSON list (nulls skipped, repeats once) with mode: wait', () => {
    expect(read({ mode: 'wait', 'task-arns': ARN }).taskArns).toEqual([ARN])
    expect(
      read({ mode: 'wait', 'task-arns': JSON.stringify([ARN, null, CN, ARN]) }).taskArns
    ).toEqual([ARN, CN])
    expect(read({ mode: 'wait' }).taskArns).toEqual([])
  })

  it('names a malformed ARN, a list that is not JSON, and task-arns or count outside mode: wait', () => {
    expect(() => read({ mode: 'wait', 'task-arns': '["arn:aws:ecs:x"]' })).toThrow(
      new UserError(
        "Input 'task-arns': item 0 is not an ECS task ARN " +
          '(arn:aws:ecs:<region>:<account>:task/<cluster>/<id>): "arn:aws:ecs:x"'
      )
    )
    expect(() => read({ mode: 'wait', 'task-arns': '[oops' })).toThrow(
      new UserError("Input 'task-arns' is not a JSON list: [oops")
    )
    expect(() => read({ 'task-arns': ARN })).toThrow(
      new UserError(
        "Input 'task-arns' is read only with 'mode: wait' (got mode 'run'); to run a task " +
          "definition, use 'task-definition'"
      )
    )
    expect(() => read({ mode: 'wait', count: '3' })).toThrow(
      new UserError(
        "Inputs 'count' and 'tasks' start tasks; 'mode: wait' starts none (it waits on 'task-arns')"
      )
    )
  })
})

describe('mode: summary and jobs', () => {
  it('reads mode summary and the job ids', () => {
    const inputs = readInputs(
      reader({ definition: 'hako/batch.yml', mode: 'summary', jobs: 'build, test\nbuild' }),
      quiet
    )
    expect(inputs.mode).toBe('summary')
    expect(inputs.jobs).toEqual(['build', 'test'])
  })

  it.each([
    ['build', ['build']],
    ['build,test', ['build', 'test']],
    ['build\n\ntest_2', ['build', 'test_2']],
    ['["build", "deploy-prod"]', ['build', 'deploy-prod']]
  ])('parses %j', (value, ids) => {
    expect(parseJobs('jobs', value)).toEqual(ids)
  })

  it.each([
    [
      'build test',
      'Input \'jobs\' must list job ids (a letter or _, then letters, digits, - and _), comma or newline separated or as a JSON list such as ["build", "test"], got \'build test\''
    ],
    ['[build]', "Input 'jobs' starts with '[' but is not a JSON list of job ids, got '[build]'"],
    [
      '[1]',
      'Input \'jobs\' must list job ids (a letter or _, then letters, digits, - and _), comma or newline separated or as a JSON list such as ["build", "test"], got \'1\''
    ],
    [
      '[]',
      'Input \'jobs\' must list job ids (a letter or _, then letters, digits, - and _), comma or newline separated or as a JSON list such as ["build", "test"], got \'[]\''
    ],
    [
      '9lives',
      'Input \'jobs\' must list job ids (a letter or _, then letters, digits, - and _), comma or newline separated or as a JSON list such as ["build", "test"], got \'9lives\''
    ]
  ])('refuses %j with a message naming the input', (value, message) => {
    expect(() => parseJobs('jobs', value)).toThrow(new UserError(message))
  })
})

describe('run overrides (src/definition/run-overrides.ts)', () => {
  const ROLE = 'arn:aws:iam::123456789012:role/batch-task'

  it('reads each into runOverrides, unset ones left out', () => {
    const inputs = readInputs(
      reader({
        definition: 'a.yml',
        'task-role-arn': ROLE,
        'execution-role-arn': 'arn:aws:iam::123456789012:role/exec',
        cpu: '2048',
        memory: '4096',
        'ephemeral-storage': '100',
        'capacity-provider-strategy': 'FARGATE_SPOT:weight=1,FARGATE:base=1',
        subnets: 'subnet-0a1,subnet-0b2',
        'security-groups': 'sg-0c3',
        'assign-public-ip': 'DISABLED',
        'enable-execute-command': 'true'
      }),
      quiet
    )
    expect(inputs.runOverrides).toEqual({
      taskRoleArn: ROLE,
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      cpu: '2048',
      memory: '4096',
      ephemeralStorageGiB: 100,
      enableExecuteCommand: true,
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE_SPOT', weight: 1 },
        { capacityProvider: 'FARGATE', base: 1 }
      ],
      network: {
        subnets: ['subnet-0a1', 'subnet-0b2'],
        securityGroups: ['sg-0c3'],
        assignPublicIp: 'DISABLED'
      }
    })
    const service = readInputs(
      reader({ definition: 'a.yml', 'network-from-service': 'prod/web', 'launch-type': 'EC2' }),
      quiet
    )
    expect(service.runOverrides).toEqual({
      launchType: 'EC2',
      networkFromService: { cluster: 'prod', service: 'web' }
    })
    expect(
      readInputs(reader({ definition: 'a.yml', 'enable-execute-command': 'false' }), quiet)
        .runOverrides
    ).toEqual({ enableExecuteCommand: false })
  })

  it('lists every bad one and every conflict in one error, each naming its input', () => {
    expect(() =>
      readInputs(
        reader({
          definition: 'a.yml',
          'task-role-arn': 'batch-task',
          cpu: '1 vCPU',
          'ephemeral-storage': '500',
          'launch-type': 'FARGATE',
          'capacity-provider-strategy': 'FARGATE_SPOT',
          'network-from-service': 'web',
          'enable-execute-command': 'yes'
        }),
        quiet
      )
    ).toThrow(
      new UserError(
        [
          "Input 'task-role-arn' must be an IAM role ARN such as " +
            "arn:aws:iam::123456789012:role/batch-task, got 'batch-task'",
          "Input 'cpu' must be task CPU units as a whole number (1024 = 1 vCPU), such as 2048, " +
            "got '1 vCPU'",
          "Input 'ephemeral-storage' must be GiB of ephemeral storage, a whole number from 21 to " +
            "200, got '500'",
          "Input 'enable-execute-command' must be true or false, got 'yes'",
          "Input 'network-from-service' must be cluster/service, the names of a cluster and of " +
            'an ECS service in it (letters, numbers, hyphens and underscores), such as ' +
            "my-cluster/web, got 'web'",
          "Inputs 'launch-type' and 'capacity-provider-strategy' cannot be used together: " +
            'RunTask takes one of them (a strategy replaces the launch type); give one'
        ].join('\n')
      )
    )
  })

  it("reads a tasks element's own task-level overrides under the inputs' names", () => {
    const { tasks } = readInputs(
      reader({
        definition: 'a.yml',
        tasks: JSON.stringify([
          { env: { A: '1' }, cpu: 4096, memory: '8192', 'ephemeral-storage': 40 },
          { 'task-role-arn': ROLE, 'execution-role-arn': ROLE },
          {}
        ])
      }),
      quiet
    )
    expect(tasks).toEqual([
      { env: { A: '1' }, overrides: { cpu: '4096', memory: '8192', ephemeralStorageGiB: 40 } },
      { env: {}, overrides: { taskRoleArn: ROLE, executionRoleArn: ROLE } },
      { env: {} }
    ])
  })

  it.each([
    [
      [{ cpu: 'lots' }],
      'Input \'tasks\' element 0: "cpu" must be task CPU units as a whole number (1024 = 1 ' +
        "vCPU), such as 2048, got 'lots'"
    ],
    [
      [{}, { 'ephemeral-storage': 10 }],
      'Input \'tasks\' element 1: "ephemeral-storage" must be GiB of ephemeral storage, a whole ' +
        "number from 21 to 200, got '10'"
    ],
    [[{ memory: [1] }], 'Input \'tasks\' element 0: "memory" must be a string or a number'],
    [
      [{ subnets: 'subnet-01' }],
      'Input \'tasks\' element 0 has unknown key \'subnets\': only "command", "env", ' +
        '"task-role-arn", "execution-role-arn", "cpu", "memory", "ephemeral-storage" are read'
    ]
  ])('refuses a tasks element %j', (tasks, message) => {
    expect(() =>
      readInputs(reader({ definition: 'a.yml', tasks: JSON.stringify(tasks) }), quiet)
    ).toThrow(new UserError(message))
  })
})
