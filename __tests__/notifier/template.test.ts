import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from '@jest/globals'
import { at, loadNotifierTemplate, parseTemplate, type Template } from './cloudformation.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const build = (...args: string[]) =>
  run(process.execPath, ['scripts/build-notifier.js', ...args], { cwd: root })

/** The notification bucket's name, whichever bucket the stack uses. */
const BUCKET = { 'Fn::If': ['CreateBucket', { Ref: 'NotificationBucket' }, { Ref: 'BucketName' }] }

describe('notifier/template.yml', () => {
  let template: Template
  const resource = (name: string, ...path: string[]) => at(template, 'Resources', name, ...path)

  beforeAll(() => {
    template = loadNotifierTemplate()
  })

  it('parses its CloudFormation short-form tags', () => {
    expect(
      parseTemplate(
        'a: !Ref X\nb: !GetAtt R.Arn\nc: !Sub [s, {V: 1}]\nd: !If [C, !Ref Y, z]\ne: !Sub x'
      )
    ).toEqual({
      a: { Ref: 'X' },
      b: { 'Fn::GetAtt': ['R', 'Arn'] },
      c: { 'Fn::Sub': ['s', { V: 1 }] },
      d: { 'Fn::If': ['C', { Ref: 'Y' }, 'z'] },
      e: { 'Fn::Sub': 'x' }
    })
  })

  it('has the parameters: clusters, an existing bucket or none, prefix, retention', () => {
    expect(at(template, 'Parameters', 'ClusterArns', 'Type')).toBe('CommaDelimitedList')
    expect(at(template, 'Parameters', 'BucketName')).toMatchObject({ Type: 'String', Default: '' })
    expect(at(template, 'Parameters', 'Prefix')).toMatchObject({
      Type: 'String',
      Default: 'hako-oneshot'
    })
    const pattern = new RegExp(at(template, 'Parameters', 'Prefix', 'AllowedPattern') as string)
    expect(['hako-oneshot', 'a', 'team/oneshot'].filter((p) => pattern.test(p))).toHaveLength(3)
    expect(['', '/x', 'x/', '/'].filter((p) => pattern.test(p))).toEqual([])
    expect(at(template, 'Parameters', 'RetentionDays')).toMatchObject({
      Type: 'Number',
      MinValue: 1
    })
    expect(at(template, 'Parameters', 'RunRecordRetentionDays')).toMatchObject({
      Type: 'Number',
      Default: 30,
      MinValue: 1
    })
    expect(at(template, 'Conditions', 'CreateBucket')).toEqual({
      'Fn::Equals': [{ Ref: 'BucketName' }, '']
    })
  })

  it('creates an encrypted, private bucket that expires the prefix, only when none is given', () => {
    expect(resource('NotificationBucket', 'Type')).toBe('AWS::S3::Bucket')
    expect(resource('NotificationBucket', 'Condition')).toBe('CreateBucket')
    expect(resource('NotificationBucket', 'Properties')).toEqual({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }
        ]
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'expire-oneshot-notifications',
            Status: 'Enabled',
            Prefix: { 'Fn::Sub': '${Prefix}/' },
            ExpirationInDays: { Ref: 'RetentionDays' }
          },
          {
            Id: 'expire-oneshot-run-records',
            Status: 'Enabled',
            Prefix: { 'Fn::Sub': '${Prefix}/runs/' },
            ExpirationInDays: { Ref: 'RunRecordRetentionDays' }
          }
        ]
      }
    })
    expect(resource('NotificationBucketPolicy', 'Condition')).toBe('CreateBucket')
    expect(
      resource('NotificationBucketPolicy', 'Properties', 'PolicyDocument', 'Statement')
    ).toEqual([
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [
          { 'Fn::GetAtt': ['NotificationBucket', 'Arn'] },
          { 'Fn::Sub': '${NotificationBucket.Arn}/*' }
        ],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } }
      }
    ])
  })

  it('runs the function on nodejs24.x, small, with bucket and prefix in env', () => {
    expect(resource('NotifierFunction', 'Type')).toBe('AWS::Lambda::Function')
    const props = resource('NotifierFunction', 'Properties') as Record<string, unknown>
    // nodejs22.x is deprecated on 2027-04-30 (docs/limits.md, "S3 conditional writes in the SDK").
    expect(props.Runtime).toBe('nodejs24.x')
    expect(props).toMatchObject({
      Handler: 'index.handler',
      MemorySize: 128,
      Timeout: 30,
      Role: { 'Fn::GetAtt': ['NotifierRole', 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: 'NotifierLogGroup' } },
      Environment: {
        Variables: { NOTIFICATION_BUCKET: BUCKET, NOTIFICATION_PREFIX: { Ref: 'Prefix' } }
      }
    })
    expect(Object.keys(at(props, 'Code') as object)).toEqual(['ZipFile'])
  })

  it('gives the role its own logs and GetObject/PutObject on the prefix only', () => {
    expect(resource('NotifierRole', 'Properties', 'AssumeRolePolicyDocument', 'Statement')).toEqual(
      [
        {
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: 'sts:AssumeRole'
        }
      ]
    )
    const policies = resource('NotifierRole', 'Properties', 'Policies') as unknown[]
    expect(policies).toHaveLength(1)
    expect(resource('NotifierRole', 'Properties', 'ManagedPolicyArns')).toBeUndefined()
    expect(at(policies, 0, 'PolicyDocument', 'Statement')).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': ['NotifierLogGroup', 'Arn'] }
      },
      {
        Sid: 'ReadWriteNotifications',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: {
          'Fn::Sub': [
            'arn:${AWS::Partition}:s3:::${Bucket}/${Prefix}/arn:${AWS::Partition}:ecs:*',
            { Bucket: BUCKET }
          ]
        }
      },
      {
        // docs/limits.md: without s3:ListBucket a missing key reads as 403, not 404.
        Sid: 'ListNotificationPrefix',
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::Sub': ['arn:${AWS::Partition}:s3:::${Bucket}', { Bucket: BUCKET }] },
        Condition: { StringLike: { 's3:prefix': { 'Fn::Sub': '${Prefix}/*' } } }
      }
    ])
    expect(resource('NotifierLogGroup', 'Type')).toBe('AWS::Logs::LogGroup')
  })

  it('routes only RUNNING and STOPPED task state changes of the chosen clusters', () => {
    expect(resource('TaskStateRule', 'Type')).toBe('AWS::Events::Rule')
    expect(resource('TaskStateRule', 'Properties', 'State')).toBe('ENABLED')
    expect(resource('TaskStateRule', 'Properties', 'EventPattern')).toEqual({
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: { clusterArn: { Ref: 'ClusterArns' }, lastStatus: ['RUNNING', 'STOPPED'] }
    })
    expect(resource('TaskStateRule', 'Properties', 'Targets')).toEqual([
      { Id: 'notifier', Arn: { 'Fn::GetAtt': ['NotifierFunction', 'Arn'] } }
    ])
  })

  it('lets only that rule invoke the function', () => {
    expect(resource('NotifierInvokePermission')).toEqual({
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { Ref: 'NotifierFunction' },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['TaskStateRule', 'Arn'] }
      }
    })
  })

  it('outputs the oneshot_notification_prefix value, s3://bucket/prefix', () => {
    expect(at(template, 'Outputs', 'OneshotNotificationPrefix', 'Value')).toEqual({
      'Fn::Sub': ['s3://${Bucket}/${Prefix}', { Bucket: BUCKET }]
    })
  })

  it('names only resources that are declared or are parameters', () => {
    const declared = new Set([
      'AWS::NoValue',
      ...Object.keys(at(template, 'Resources') as object),
      ...Object.keys(at(template, 'Parameters') as object)
    ])
    const refs: string[] = []
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk)
      else if (typeof v === 'object' && v !== null) {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'Ref' && typeof x === 'string') refs.push(x)
          if (k === 'Fn::GetAtt' && Array.isArray(x)) refs.push(String(x[0]))
          walk(x)
        }
      }
    }
    walk(template)
    expect(refs.filter((r) => !declared.has(r))).toEqual([])
    const conditions = Object.values(at(template, 'Resources') as Record<string, object>)
      .map((r) => (r as { Condition?: string }).Condition)
      .filter((c) => c !== undefined)
    expect(new Set(conditions)).toEqual(
      new Set(['CreateBucket', 'MakeTaskLogGroup', 'CreateOidcProvider', 'CreateRole'])
    )
  })

  it('runs the sweeper every minute with the clusters in env, retrying nothing', () => {
    expect(resource('SweeperFunction', 'Type')).toBe('AWS::Lambda::Function')
    const props = resource('SweeperFunction', 'Properties') as Record<string, unknown>
    expect(props).toMatchObject({
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      MemorySize: 128,
      // The run's 40 s budget (notifier/sweeper.ts, LIMITS) fits well within it.
      Timeout: 60,
      Role: { 'Fn::GetAtt': ['SweeperRole', 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: 'SweeperLogGroup' } },
      Environment: { Variables: { CLUSTER_ARNS: { 'Fn::Join': [',', { Ref: 'ClusterArns' }] } } }
    })
    expect(Object.keys(at(props, 'Code') as object)).toEqual(['ZipFile'])
    expect(resource('SweeperSchedule')).toEqual({
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: 'Runs the hako-oneshot sweeper every minute',
        State: 'ENABLED',
        ScheduleExpression: 'rate(1 minute)',
        Targets: [{ Id: 'sweeper', Arn: { 'Fn::GetAtt': ['SweeperFunction', 'Arn'] } }]
      }
    })
    expect(resource('SweeperInvokePermission', 'Properties')).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { Ref: 'SweeperFunction' },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': ['SweeperSchedule', 'Arn'] }
    })
    expect(resource('SweeperInvokeConfig')).toEqual({
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: {
        FunctionName: { Ref: 'SweeperFunction' },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0
      }
    })
    expect(resource('SweeperLogGroup', 'Type')).toBe('AWS::Logs::LogGroup')
  })

  it("lets the sweeper list and read the clusters' tasks, and stop only those with a deadline", () => {
    const tasks = { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/*' }
    const clusters = { ArnEquals: { 'ecs:cluster': { Ref: 'ClusterArns' } } }
    const policies = resource('SweeperRole', 'Properties', 'Policies') as unknown[]
    expect(policies).toHaveLength(1)
    expect(resource('SweeperRole', 'Properties', 'ManagedPolicyArns')).toBeUndefined()
    expect(at(policies, 0, 'PolicyDocument', 'Statement')).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': ['SweeperLogGroup', 'Arn'] }
      },
      {
        Sid: 'ListClusterTasks',
        Effect: 'Allow',
        Action: 'ecs:ListTasks',
        Resource: '*',
        Condition: clusters
      },
      {
        Sid: 'ReadClusterTasks',
        Effect: 'Allow',
        Action: 'ecs:DescribeTasks',
        Resource: tasks,
        Condition: clusters
      },
      {
        Sid: 'StopTasksWithDeadline',
        Effect: 'Allow',
        Action: 'ecs:StopTask',
        Resource: tasks,
        Condition: { ...clusters, Null: { 'aws:ResourceTag/hako-oneshot:deadline': 'false' } }
      }
    ])
  })

  it('inlines exactly a fresh build of notifier/sweeper.ts, within the 4096-character limit', async () => {
    const zipFile = resource('SweeperFunction', 'Properties', 'Code', 'ZipFile') as string
    const { stdout } = await build('--print', 'notifier/sweeper.ts')
    expect(zipFile).toBe(stdout)
    expect(zipFile.length).toBeLessThanOrEqual(4096)
  })

  // cfn-lint checks resource properties, intrinsic functions and IAM policy syntax against
  // CloudFormation's own schemas; it runs wherever it is installed.
  const cfnLint = (() => {
    try {
      execFileSync('cfn-lint', ['--version'], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  })()
  ;(cfnLint ? it : it.skip)(
    'passes cfn-lint without a finding',
    async () => {
      await expect(
        run('cfn-lint', ['notifier/template.yml'], { cwd: root })
      ).resolves.toMatchObject({ stdout: '', stderr: '' })
    },
    120_000
  )

  // CloudFormation documented at most 4096 characters of inline code until 2022; staying under
  // it keeps the code readable in the Lambda console and deployable by tools that still check.
  it('inlines exactly a fresh build of notifier/handler.ts, within the 4096-character limit', async () => {
    const zipFile = resource('NotifierFunction', 'Properties', 'Code', 'ZipFile') as string
    const { stdout } = await build('--print')
    expect(zipFile).toBe(stdout)
    expect(zipFile.length).toBeLessThanOrEqual(4096)
    await expect(build('--check')).resolves.toMatchObject({ stderr: '' })
  })
})
