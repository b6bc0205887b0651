/**
 * The notifier stack's first-day parts (notifier/template.yml): the role GitHub Actions assumes
 * through OIDC, and the tasks' log group. Deployed through moto's CloudFormation both ways (the
 * role made or not) and probed under moto's IAM enforcement (__tests__/notifier/moto_stack.py);
 * what moto does not evaluate (conditions, resources of ECS and CloudWatch Logs calls, which
 * moto authorizes against '*') is checked here on the template itself, and so are the
 * parameters' AllowedPattern and ConstraintDescription (moto does not apply them; cfn-lint,
 * which __tests__/notifier/template.test.ts runs on the whole template, checks their syntax).
 */
import { execFile, execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from '@jest/globals'
import { at, loadNotifierTemplate, type Template } from './cloudformation.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

const has = (command: string, args: string[]): boolean => {
  try {
    execFileSync(command, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const moto = has('python3', ['-c', 'import moto, boto3'])

interface Statement {
  Sid: string
  Effect: string
  Action: string | string[]
  Resource: unknown
  Condition?: Record<string, Record<string, unknown>>
}
interface Deployed {
  status: string
  outputs: string[]
  resources: string[]
  cluster: string
  roleArn?: string
  providerArn?: string
  trust?: { Statement: Statement[] }
  maxSession?: number
  policy?: Record<string, { Statement: Statement[] }>
  probe?: Record<string, string>
  taskLogGroup?: { name: string; retention: number }
}

async function deploy(request: object): Promise<Deployed> {
  const { stdout } = await run(
    'python3',
    ['__tests__/notifier/moto_stack.py', JSON.stringify(request)],
    {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024
    }
  )
  return JSON.parse(stdout) as Deployed
}

const ROLE = 'arn:aws:iam::123456789012:role/'

;(moto ? describe : describe.skip)('the stack through moto', () => {
  it('with GitHubRepository, creates the role for exactly that subject, grants what the action calls, and the log group', async () => {
    const stack = await deploy({
      parameters: {
        GitHubRepository: 'acme/batch',
        GitHubSubject: 'ref:refs/heads/main',
        PassRoleArns: `${ROLE}batch-task,${ROLE}ecsTaskExecutionRole`,
        TaskLogGroupName: '/ecs/batch',
        TaskLogRetentionDays: '14'
      },
      existingProvider: true,
      probe: true
    })
    expect(stack.status).toBe('CREATE_COMPLETE')
    expect(stack.outputs).toEqual([
      'NotificationBucketName',
      'NotifierFunctionName',
      'OneshotNotificationPrefix',
      'RoleArn',
      'SweeperFunctionName'
    ])
    expect(stack.resources).toContain('GitHubActionsRole')
    expect(stack.resources).not.toContain('GitHubOidcProvider')
    expect(stack.roleArn).toMatch(
      /^arn:aws:iam::123456789012:role\/hako-oneshot-GitHubActionsRole-/
    )
    expect(stack.maxSession).toBe(43_200)
    expect(stack.trust?.Statement).toEqual([
      {
        Sid: 'GitHubActionsOfOneRepository',
        Effect: 'Allow',
        Principal: { Federated: stack.providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
          StringLike: {
            'token.actions.githubusercontent.com:sub': 'repo:acme/batch:ref:refs/heads/main'
          }
        }
      }
    ])
    const statements = stack.policy?.['hako-oneshot']?.Statement ?? []
    const sid = (name: string) => statements.find((s) => s.Sid === name)
    expect(statements.map((s) => s.Sid)).toEqual([
      'ReadAndRegisterTaskDefinitions',
      'RunTasksOnTheClusters',
      'TagOnlyWhileCreating',
      'WatchAndStopTasks',
      'PassTheTaskRolesToEcs',
      'ReadNotifications',
      'CoordinateRegistrationAndRecordResultsForReruns',
      'MissingNotificationsReadAs404',
      'ReadTheAppLogs'
    ])
    expect(sid('PassTheTaskRolesToEcs')?.Resource).toEqual([
      `${ROLE}batch-task`,
      `${ROLE}ecsTaskExecutionRole`
    ])
    expect(sid('RunTasksOnTheClusters')?.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': [stack.cluster] }
    })
    expect(sid('ReadTheAppLogs')?.Resource).toBe(
      'arn:aws:logs:ap-northeast-1:123456789012:log-group:/ecs/batch:log-stream:*'
    )
    expect(stack.taskLogGroup).toEqual({ name: '/ecs/batch', retention: 14 })
    // moto's IAM enforcement, with the role's own credentials: S3 calls are authorized
    // against the object's ARN, ECS calls against '*'.
    expect(stack.probe).toEqual({
      's3:PutObject task-definitions/': 'allowed',
      's3:PutObject runs/': 'allowed',
      's3:GetObject <prefix>/': 'allowed',
      "s3:PutObject <prefix>/<task ARN>/ (the notifier's keys)": 'denied',
      's3:GetObject outside the prefix': 'denied',
      'ecs:RegisterTaskDefinition': 'allowed',
      'ecs:DescribeTaskDefinition': 'allowed',
      'ecs:ListClusters (not granted)': 'denied'
    })
  }, 120_000)

  it('without GitHubRepository, creates no role, no provider, no log group, and no RoleArn output', async () => {
    const stack = await deploy({ parameters: {} })
    expect(stack.status).toBe('CREATE_COMPLETE')
    expect(stack.outputs).toEqual([
      'NotificationBucketName',
      'NotifierFunctionName',
      'OneshotNotificationPrefix',
      'SweeperFunctionName'
    ])
    for (const absent of ['GitHubActionsRole', 'GitHubOidcProvider', 'TaskLogGroup']) {
      expect(stack.resources).not.toContain(absent)
    }
  }, 120_000)

  it('with no PassRoleArns and no log group, leaves those statements out: never a Resource of []', async () => {
    const stack = await deploy({
      parameters: { GitHubRepository: 'acme/batch' },
      existingProvider: true
    })
    const statements = stack.policy?.['hako-oneshot']?.Statement ?? []
    expect(statements.map((s) => s.Sid)).not.toContain('PassTheTaskRolesToEcs')
    expect(statements.map((s) => s.Sid)).not.toContain('ReadTheAppLogs')
    for (const s of statements) expect(s.Resource).not.toEqual([])
    expect(
      stack.trust?.Statement[0]?.Condition?.StringLike?.['token.actions.githubusercontent.com:sub']
    ).toBe('repo:acme/batch:*')
  }, 120_000)
})

describe('the role in notifier/template.yml (what moto does not evaluate)', () => {
  let template: Template
  const resource = (name: string, ...path: string[]) => at(template, 'Resources', name, ...path)
  beforeAll(() => {
    template = loadNotifierTemplate()
  })
  const statements = () =>
    (
      resource(
        'GitHubActionsRole',
        'Properties',
        'Policies',
        '0',
        'PolicyDocument',
        'Statement'
      ) as unknown[]
    ).map((s) => {
      const entry = s as Record<string, unknown>
      // `!If [Cond, statement, !Ref AWS::NoValue]`: the statement when the condition holds.
      return ('Fn::If' in entry ? (entry['Fn::If'] as unknown[])[1] : entry) as Statement
    })
  const sid = (name: string) => statements().find((s) => s.Sid === name)
  const TASKS = { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/*' }

  it('creates the role, the provider and the log group only when asked', () => {
    expect(resource('GitHubActionsRole', 'Condition')).toBe('CreateRole')
    expect(resource('GitHubOidcProvider', 'Condition')).toBe('CreateOidcProvider')
    expect(resource('GitHubOidcProvider', 'Properties')).toEqual({
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com']
    })
    expect(resource('TaskLogGroup', 'Condition')).toBe('MakeTaskLogGroup')
    expect(at(template, 'Conditions', 'CreateOidcProvider')).toEqual({
      'Fn::And': [{ Condition: 'CreateRole' }, { 'Fn::Equals': [{ Ref: 'OidcProviderArn' }, ''] }]
    })
    expect(at(template, 'Outputs', 'RoleArn')).toMatchObject({
      Condition: 'CreateRole',
      Value: { 'Fn::GetAtt': ['GitHubActionsRole', 'Arn'] }
    })
  })

  it('runs, watches and stops tasks only on the clusters (ecs:cluster)', () => {
    const clusters = { ArnEquals: { 'ecs:cluster': { Ref: 'ClusterArns' } } }
    expect(sid('RunTasksOnTheClusters')).toMatchObject({
      Action: 'ecs:RunTask',
      Condition: clusters
    })
    expect(sid('WatchAndStopTasks')).toMatchObject({
      Action: ['ecs:DescribeTasks', 'ecs:StopTask'],
      Resource: TASKS,
      Condition: clusters
    })
  })

  it('tags only while RunTask or RegisterTaskDefinition creates the resource (ecs:CreateAction)', () => {
    expect(sid('TagOnlyWhileCreating')?.Condition).toEqual({
      StringEquals: { 'ecs:CreateAction': ['RunTask', 'RegisterTaskDefinition'] }
    })
  })

  it('passes only the given roles, only to ECS tasks, and only when some are given (iam:PassRole)', () => {
    expect(sid('PassTheTaskRolesToEcs')).toEqual({
      Sid: 'PassTheTaskRolesToEcs',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: { Ref: 'PassRoleArns' },
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }
    })
    expect(at(template, 'Conditions', 'PassRoles')).toEqual({
      'Fn::And': [
        { Condition: 'CreateRole' },
        { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'PassRoleArns' }] }, ''] }] }
      ]
    })
  })

  it('lists the bucket only under the prefix (s3:prefix)', () => {
    expect(sid('MissingNotificationsReadAs404')?.Condition).toEqual({
      StringLike: { 's3:prefix': { 'Fn::Sub': '${Prefix}/*' } }
    })
  })

  it('writes every ARN of the role and its policy with ${AWS::Partition}, never arn:aws:', () => {
    const text = JSON.stringify([
      resource('GitHubActionsRole'),
      resource('TaskLogGroup'),
      resource('GitHubOidcProvider')
    ])
    expect(text).not.toMatch(/arn:aws:/)
    expect(text.match(/arn:\$\{AWS::Partition\}/g)?.length).toBeGreaterThanOrEqual(7)
  })

  it('grants the same statements, action for action, as docs/iam/action-policy.json', () => {
    const documented = JSON.parse(
      readFileSync(new URL('../../docs/iam/action-policy.json', import.meta.url), 'utf8')
    ) as { Statement: Statement[] }
    // The same actions; the stack scopes tasks by the ecs:cluster condition (any of ClusterArns)
    // where the file names one cluster in the task ARN.
    const byAction = (ss: Statement[]) => ss.map((x) => [x.Sid, [x.Action].flat()])
    const renamed = (sid: string) =>
      sid === 'RunOneshotTasksOnTheCluster' ? 'RunTasksOnTheClusters' : sid
    expect(byAction(statements())).toEqual(
      byAction(documented.Statement).map(([sid, action]) => [renamed(sid as string), action])
    )
  })

  it('never grants ecs:ListTagsForResource: DescribeTaskDefinition returns the tags itself', () => {
    expect(statements().flatMap((s) => [s.Action].flat())).not.toContain('ecs:ListTagsForResource')
  })
})

// CloudFormation refuses a value its AllowedPattern does not match before it makes anything,
// and shows the ConstraintDescription; each one starts with the parameter's name.
describe('bad parameters, refused before anything is made', () => {
  const template = loadNotifierTemplate()
  const refusal = (name: string, value: string): string | undefined => {
    const parameter = at(template, 'Parameters', name) as {
      AllowedPattern: string
      ConstraintDescription: string
    }
    return new RegExp(parameter.AllowedPattern).test(value)
      ? undefined
      : parameter.ConstraintDescription.replace(/\s+/g, ' ').trim()
  }

  it.each([
    [
      'GitHubRepository',
      'batch',
      'GitHubRepository must be owner/name (for example acme/batch), or empty to create no role'
    ],
    [
      'GitHubRepository',
      'acme/batch/extra',
      'GitHubRepository must be owner/name (for example acme/batch), or empty to create no role'
    ],
    [
      'GitHubRepository',
      'https://github.com/acme/batch',
      'GitHubRepository must be owner/name (for example acme/batch), or empty to create no role'
    ],
    [
      'GitHubSubject',
      '',
      'GitHubSubject must not be empty: * for every workflow of the repository, or a narrower subject such as ref:refs/heads/main, environment:prod or pull_request'
    ],
    [
      'GitHubSubject',
      'ref: main',
      'GitHubSubject must not be empty: * for every workflow of the repository, or a narrower subject such as ref:refs/heads/main, environment:prod or pull_request'
    ],
    [
      'OidcProviderArn',
      'arn:aws:iam::123456789012:oidc-provider/example.com',
      "OidcProviderArn must be the ARN of the account's token.actions.githubusercontent.com provider, or empty to create it"
    ],
    [
      'TaskLogGroupName',
      'ecs batch',
      'TaskLogGroupName must be a log group name (letters, digits, . _ / # -), or empty'
    ]
  ])('%s %j is refused with a message naming it', (name, value, message) => {
    expect(refusal(name, value)).toBe(message)
  })

  it.each([
    ['GitHubRepository', 'acme/batch'],
    ['GitHubRepository', 'Acme-Corp/batch.jobs_2'],
    ['GitHubRepository', ''],
    ['GitHubSubject', '*'],
    ['GitHubSubject', 'ref:refs/heads/main'],
    ['GitHubSubject', 'environment:prod'],
    [
      'OidcProviderArn',
      'arn:aws-cn:iam::123456789012:oidc-provider/token.actions.githubusercontent.com'
    ],
    ['OidcProviderArn', ''],
    ['TaskLogGroupName', '/ecs/batch']
  ])('%s %j is taken', (name, value) => {
    expect(refusal(name, value)).toBeUndefined()
  })
})
