import { readFileSync } from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import { at, loadNotifierTemplate } from '../notifier/cloudformation.js'

interface Statement {
  Sid?: string
  Effect: string
  Action: string | string[]
  Resource: string | string[]
  Condition?: Record<string, Record<string, string | string[]>>
}
interface PolicyDocument {
  Version: string
  Statement: Statement[]
}

const FILES = [
  'action-policy.json',
  'action-policy-autoscaling.json',
  'action-policy-run-overrides.json',
  'task-role-ecs-exec-policy.json',
  'ecs-exec-caller-policy.json',
  'notifier-policy.json',
  'sweeper-policy.json',
  'summary-policy.json'
]
const text = (file: string) =>
  readFileSync(new URL(`../../docs/iam/${file}`, import.meta.url), 'utf8')
const policy = (file: string) => JSON.parse(text(file)) as PolicyDocument
const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v])
const actions = (p: PolicyDocument) => p.Statement.flatMap((s) => list(s.Action)).sort()

describe.each(FILES)('docs/iam/%s', (file) => {
  it('parses as a policy document: Version, and statements with Sid, Effect, Action, Resource', () => {
    const p = JSON.parse(text(file)) as Record<string, unknown>
    expect(Object.keys(p).sort()).toEqual(['Statement', 'Version'])
    expect(p.Version).toBe('2012-10-17')
    const statements = p.Statement as Record<string, unknown>[]
    expect(statements.length).toBeGreaterThan(0)
    for (const s of statements) {
      expect(
        Object.keys(s)
          .filter((k) => !['Condition'].includes(k))
          .sort()
      ).toEqual(['Action', 'Effect', 'Resource', 'Sid'])
      expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/)
      expect(s.Effect).toBe('Allow')
      for (const r of list(s.Resource as string | string[]))
        expect(r).toMatch(/^(\*|arn:PARTITION:)/)
    }
    const sids = statements.map((s) => s.Sid)
    expect(new Set(sids).size).toBe(sids.length)
  })

  it('names every action exactly: service:Action, no wildcard', () => {
    for (const a of actions(policy(file))) expect(a).toMatch(/^[a-z0-9-]+:[A-Z][A-Za-z]+$/)
    expect(new Set(actions(policy(file))).size).toBe(actions(policy(file)).length)
  })

  it('uses the documented placeholders: account 123456789012, NOTIFICATION_BUCKET', () => {
    const arns = policy(file)
      .Statement.flatMap((s) => list(s.Resource))
      .filter((r) => r !== '*')
    for (const arn of arns) {
      const account = arn.split(':')[4]
      expect(['', '123456789012']).toContain(account)
      if (arn.startsWith('arn:PARTITION:s3:::'))
        expect(arn).toMatch(/^arn:PARTITION:s3:::NOTIFICATION_BUCKET\b/)
    }
  })
})

describe('docs/iam', () => {
  it('hard-codes no partition: every ARN is arn:PARTITION:, in the files and on the page', () => {
    const page = readFileSync(new URL('../../docs/iam/README.md', import.meta.url), 'utf8')
    for (const t of [...FILES, 'github-oidc-trust-policy.json'].map(text).concat(page)) {
      expect(t).not.toContain('arn:aws:')
    }
    expect(page).toContain('`PARTITION`')
  })

  it('never leaves PassRole without a role, nor grants ecs:ListTagsForResource', () => {
    const passRole = policy('action-policy.json').Statement.find(
      (s) => s.Sid === 'PassTheTaskRolesToEcs'
    )
    expect(list(passRole?.Resource ?? []).length).toBeGreaterThan(0)
    expect(actions(policy('action-policy.json'))).not.toContain('ecs:ListTagsForResource')
  })
})

describe('the action policy', () => {
  it('grants exactly what the action calls', () => {
    expect(actions(policy('action-policy.json'))).toEqual(
      [
        'ecs:DescribeTaskDefinition',
        'ecs:RegisterTaskDefinition',
        'ecs:RunTask',
        'ecs:TagResource',
        'ecs:StopTask',
        'ecs:DescribeTasks',
        'iam:PassRole',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        'logs:GetLogEvents'
      ].sort()
    )
  })

  it('grants what the per-run choices call only in their own policies', () => {
    expect(actions(policy('action-policy-run-overrides.json'))).toEqual([
      'ecs:DescribeServices',
      'iam:PassRole',
      's3:PutObject'
    ])
    const passRole = policy('action-policy-run-overrides.json').Statement.find(
      (s) => s.Action === 'iam:PassRole'
    )
    expect(passRole?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }
    })
    const put = policy('action-policy-run-overrides.json').Statement.find(
      (s) => s.Action === 's3:PutObject'
    )
    expect(put?.Resource).toBe(
      'arn:PARTITION:s3:::NOTIFICATION_BUCKET/hako-oneshot/service-networks/*'
    )
    expect(actions(policy('task-role-ecs-exec-policy.json'))).toEqual([
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel'
    ])
    expect(actions(policy('ecs-exec-caller-policy.json'))).toEqual(['ecs:ExecuteCommand'])
  })

  it('grants the Auto Scaling and SNS calls only in the separate policy', () => {
    expect(actions(policy('action-policy-autoscaling.json'))).toEqual(
      [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:SetDesiredCapacity',
        'ecs:DescribeContainerInstances',
        'ecs:ListContainerInstances',
        'sns:Publish'
      ].sort()
    )
  })

  it.each<[string, Statement['Condition']]>([
    ['iam:PassRole', { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }],
    [
      'ecs:TagResource',
      { StringEquals: { 'ecs:CreateAction': ['RunTask', 'RegisterTaskDefinition'] } }
    ],
    ['s3:ListBucket', { StringLike: { 's3:prefix': 'hako-oneshot/*' } }],
    [
      'ecs:RunTask',
      { ArnEquals: { 'ecs:cluster': 'arn:PARTITION:ecs:REGION:123456789012:cluster/CLUSTER' } }
    ]
  ])('limits %s with a condition', (action, condition) => {
    const statement = policy('action-policy.json').Statement.find((s) =>
      list(s.Action).includes(action)
    )
    expect(statement?.Condition).toEqual(condition)
    expect(list(statement?.Action ?? [])).toEqual([action])
  })

  it('reads notifications under the prefix only', () => {
    const get = policy('action-policy.json').Statement.find((s) => s.Action === 's3:GetObject')
    expect(get?.Resource).toBe('arn:PARTITION:s3:::NOTIFICATION_BUCKET/hako-oneshot/*')
    const list = policy('action-policy.json').Statement.find((s) => s.Action === 's3:ListBucket')
    expect(list?.Resource).toBe('arn:PARTITION:s3:::NOTIFICATION_BUCKET')
  })
})

describe('who may write which key', () => {
  const putResources = (file: string) =>
    policy(file)
      .Statement.filter((s) => list(s.Action).includes('s3:PutObject'))
      .flatMap((s) => list(s.Resource))

  it('lets the action write only the task definition cache and the re-run records', () => {
    expect(putResources('action-policy.json')).toEqual([
      'arn:PARTITION:s3:::NOTIFICATION_BUCKET/hako-oneshot/task-definitions/*',
      'arn:PARTITION:s3:::NOTIFICATION_BUCKET/hako-oneshot/runs/*'
    ])
  })

  it('lets the notifier write only the task-ARN keys, never the cache that chooses revisions', () => {
    expect(putResources('notifier-policy.json')).toEqual([
      'arn:PARTITION:s3:::NOTIFICATION_BUCKET/hako-oneshot/arn:PARTITION:ecs:*'
    ])
    const statements = at(
      loadNotifierTemplate(),
      'Resources',
      'NotifierRole',
      'Properties',
      'Policies',
      0,
      'PolicyDocument',
      'Statement'
    ) as Statement[]
    const put = statements.find((s) => list(s.Action).includes('s3:PutObject'))
    expect(JSON.stringify(put?.Resource)).toContain(
      '${Bucket}/${Prefix}/arn:${AWS::Partition}:ecs:*'
    )
  })
})

describe('the notifier policy', () => {
  it('is what notifier/template.yml grants the function, action for action', () => {
    const statements = at(
      loadNotifierTemplate(),
      'Resources',
      'NotifierRole',
      'Properties',
      'Policies',
      0,
      'PolicyDocument',
      'Statement'
    ) as Statement[]
    const bySid = (ss: Statement[]) =>
      Object.fromEntries(
        ss.map((s) => [s.Sid ?? '', { Action: list(s.Action), Condition: s.Condition }])
      )
    const documented = bySid(policy('notifier-policy.json').Statement)
    const deployed = bySid(statements)
    expect(Object.keys(documented)).toEqual(Object.keys(deployed))
    for (const sid of Object.keys(documented)) {
      expect(documented[sid]?.Action).toEqual(deployed[sid]?.Action)
      expect(Object.keys(documented[sid]?.Condition ?? {})).toEqual(
        Object.keys(deployed[sid]?.Condition ?? {})
      )
    }
    expect(actions(policy('notifier-policy.json'))).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject'
    ])
  })
})

describe('docs/iam/README.md, and the deploy commands of README.md and docs/notifier.md', () => {
  const read = (path: string): string =>
    readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
  const iamPage = read('docs/iam/README.md')

  it.each([
    'action-policy.json',
    'action-policy-run-overrides.json',
    'task-role-ecs-exec-policy.json',
    'ecs-exec-caller-policy.json',
    'notifier-policy.json',
    'github-oidc-trust-policy.json',
    'summary-policy.json'
  ])('quotes docs/iam/%s verbatim', (file) => {
    expect(iamPage).toContain('```json\n' + text(file))
  })

  it('deploys with parameters the template declares', () => {
    const declared = Object.keys(at(loadNotifierTemplate(), 'Parameters') as object)
    const commands = read('README.md') + read('docs/notifier.md')
    const used = [...commands.matchAll(/^ {4}([A-Za-z]+)=/gm)].map((m) => m[1])
    expect(new Set(used)).toEqual(
      new Set([
        'ClusterArns',
        'Prefix',
        'BucketName',
        'GitHubRepository',
        'PassRoleArns',
        'TaskLogGroupName'
      ])
    )
    for (const name of used) expect(declared).toContain(name)
  })
})

describe('the summary policy', () => {
  it('reads and lists the ledger only, with no ECS permission', () => {
    expect(policy('summary-policy.json').Statement).toEqual([
      {
        Sid: 'ReadTheLedger',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: 'arn:PARTITION:s3:::NOTIFICATION_BUCKET/hako-oneshot/runs/*'
      },
      {
        Sid: 'ListTheLedger',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: 'arn:PARTITION:s3:::NOTIFICATION_BUCKET',
        Condition: { StringLike: { 's3:prefix': 'hako-oneshot/runs/*' } }
      }
    ])
  })
})

describe('the sweeper policy', () => {
  it('lists, reads and stops tasks of the cluster only, and stops only tasks with a deadline', () => {
    expect(policy('sweeper-policy.json').Statement.slice(1)).toEqual([
      {
        Sid: 'ListClusterTasks',
        Effect: 'Allow',
        Action: 'ecs:ListTasks',
        Resource: '*',
        Condition: {
          ArnEquals: { 'ecs:cluster': 'arn:PARTITION:ecs:REGION:123456789012:cluster/CLUSTER' }
        }
      },
      {
        Sid: 'ReadClusterTasks',
        Effect: 'Allow',
        Action: 'ecs:DescribeTasks',
        Resource: 'arn:PARTITION:ecs:REGION:123456789012:task/CLUSTER/*'
      },
      {
        Sid: 'StopTasksWithDeadline',
        Effect: 'Allow',
        Action: 'ecs:StopTask',
        Resource: 'arn:PARTITION:ecs:REGION:123456789012:task/CLUSTER/*',
        Condition: { Null: { 'aws:ResourceTag/hako-oneshot:deadline': 'false' } }
      }
    ])
  })
})

describe('docs/iam/github-oidc-trust-policy.json', () => {
  it("trusts GitHub's OIDC provider for one repository, with the audience and sub conditions", () => {
    expect(JSON.parse(text('github-oidc-trust-policy.json'))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'GitHubActionsOfOneRepository',
          Effect: 'Allow',
          Principal: {
            Federated:
              'arn:PARTITION:iam::123456789012:oidc-provider/token.actions.githubusercontent.com'
          },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
            StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:OWNER/REPOSITORY:*' }
          }
        }
      ]
    })
  })
})
