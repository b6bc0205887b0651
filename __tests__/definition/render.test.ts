import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import {
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RegisterTaskDefinitionCommandInput,
  type RunTaskCommandInput
} from '@aws-sdk/client-ecs'
import { loadAndRender, type DefinitionOptions } from '../../src/definition/index.js'
import {
  renderAppOverride,
  renderRegisterRequest,
  renderRunTaskRequest
} from '../../src/definition/render.js'

const FIXTURES = path.resolve('__fixtures__/definitions')

function render(file: string, options: Partial<DefinitionOptions> = {}) {
  return loadAndRender(file, { containers: [], cwd: FIXTURES, ...options })
}

// Typed as the SDK inputs: the compiler checks every member name and enum value of the
// expected requests (excess property checks included), so this file is the type-level proof
// that what the renderer produces is what the SDK accepts.
const ALL_KEYS_REGISTER: RegisterTaskDefinitionCommandInput = {
  family: 'all-keys-oneshot',
  taskRoleArn: 'arn:aws:iam::123456789012:role/task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
  networkMode: 'awsvpc',
  containerDefinitions: [
    {
      name: 'app',
      image: 'registry.example.com/app:v1',
      cpu: 256,
      memory: 512,
      memoryReservation: 256,
      links: ['db:database'],
      portMappings: [
        { containerPort: 80, hostPort: 80, protocol: 'tcp' },
        { containerPort: 53, hostPort: 53, protocol: 'udp' }
      ],
      essential: true,
      environment: [
        { name: 'RAILS_ENV', value: 'production' },
        { name: 'lower.case-Name', value: 'kept' }
      ],
      secrets: [
        { name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/db' }
      ],
      dockerLabels: { 'com.example.Team': 'platform', 'cc.wanko.hako.version': '2.18.0' },
      mountPoints: [
        { sourceVolume: 'data', containerPath: '/data', readOnly: false },
        { sourceVolume: 'cache', containerPath: '/cache', readOnly: true }
      ],
      entryPoint: ['/entrypoint.sh'],
      command: ['bundle', 'exec', 'rake'],
      privileged: false,
      linuxParameters: {
        capabilities: { add: ['SYS_PTRACE'], drop: [] },
        devices: [{ hostPath: '/dev/fuse', permissions: ['read', 'write'] }],
        initProcessEnabled: true,
        sharedMemorySize: 64,
        tmpfs: [{ containerPath: '/tmp', mountOptions: [], size: 128 }],
        maxSwap: 0,
        swappiness: 60
      },
      dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }],
      volumesFrom: [{ sourceContainer: 'db', readOnly: true }],
      user: '1000:1000',
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': '/ecs/app',
          'awslogs-stream-prefix': 'ecs',
          mode: 'non-blocking'
        }
      },
      healthCheck: {
        command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'],
        interval: 30,
        retries: 3,
        timeout: 5,
        startPeriod: 10
      },
      ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
      extraHosts: [{ hostname: 'example.internal', ipAddress: '10.0.0.1' }],
      readonlyRootFilesystem: true,
      dockerSecurityOptions: ['no-new-privileges'],
      systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
      repositoryCredentials: {
        credentialsParameter: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:creds'
      },
      resourceRequirements: [{ type: 'GPU', value: '1' }],
      firelensConfiguration: { type: 'fluentbit', options: { 'enable-ecs-log-metadata': 'true' } }
    },
    {
      name: 'db',
      image: 'postgres:16',
      cpu: 0,
      links: [],
      portMappings: [],
      essential: false,
      environment: [],
      dockerLabels: { 'cc.wanko.hako.version': '2.18.0' },
      mountPoints: [],
      privileged: false,
      volumesFrom: [],
      healthCheck: { command: ['CMD', 'pg_isready'], interval: 10, retries: 5, timeout: 2 }
    }
  ],
  volumes: [
    { name: 'data', host: { sourcePath: '/var/data' } },
    { name: 'scratch', host: {} },
    {
      name: 'cache',
      dockerVolumeConfiguration: {
        scope: 'shared',
        autoprovision: true,
        driver: 'local',
        driverOpts: { type: 'tmpfs', o: 'size=100m' },
        labels: { 'com.example.Purpose': 'cache' }
      }
    },
    {
      name: 'shared',
      efsVolumeConfiguration: {
        fileSystemId: 'fs-12345678',
        rootDirectory: '/',
        transitEncryption: 'ENABLED',
        transitEncryptionPort: 2049,
        authorizationConfig: { accessPointId: 'fsap-1', iam: 'ENABLED' }
      }
    }
  ],
  requiresCompatibilities: ['EC2', 'FARGATE'],
  cpu: '512',
  memory: '1024',
  tags: [
    { key: 'Team.Name', value: 'platform' },
    { key: 'cost-center', value: '42' }
  ],
  pidMode: 'task',
  ephemeralStorage: { sizeInGiB: 30 },
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' }
}

const ALL_KEYS_RUN_TASK: RunTaskCommandInput = {
  cluster: 'jobs',
  taskDefinition: 'all-keys-oneshot',
  count: 1,
  capacityProviderStrategy: [
    { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 1 },
    { capacityProvider: 'FARGATE' }
  ],
  platformVersion: '1.4.0',
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-1'],
      securityGroups: ['sg-1'],
      assignPublicIp: 'ENABLED'
    }
  },
  placementConstraints: [
    { type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' },
    { type: 'distinctInstance' }
  ],
  placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
  enableExecuteCommand: true,
  propagateTags: 'TASK_DEFINITION'
}

// The renderers are declared with the SDK input types as their results.
const registerRenderer: (
  ...args: Parameters<typeof renderRegisterRequest>
) => RegisterTaskDefinitionCommandInput = renderRegisterRequest
const runTaskRenderer: (...args: Parameters<typeof renderRunTaskRequest>) => RunTaskCommandInput =
  renderRunTaskRequest

describe('rendering (container keys, defaults, user-data keys verbatim, docs/hako.md, "Container keys")', () => {
  it('renders every container, scheduler and volume key exactly', async () => {
    const rendered = await render('render/all-keys.yml')
    expect(rendered.registerRequest).toStrictEqual(ALL_KEYS_REGISTER)
    expect(rendered.runTaskRequest).toStrictEqual(ALL_KEYS_RUN_TASK)
    expect(rendered).toMatchObject({
      file: 'render/all-keys.yml',
      appId: 'all-keys',
      family: 'all-keys-oneshot',
      region: 'eu-west-1',
      cluster: 'jobs',
      notificationPrefix: 's3://bucket/prefix',
      autoscalingGroupForOneshot: 'asg-batch',
      autoscalingTopicForOneshot: 'arn:aws:sns:eu-west-1:123456789012:scale',
      appLogConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': '/ecs/app',
          'awslogs-stream-prefix': 'ecs',
          mode: 'non-blocking'
        }
      },
      notices: []
    })
  })

  it('produces JSON that round-trips unchanged and the SDK commands accept', async () => {
    const { registerRequest, runTaskRequest } = await render('render/all-keys.yml', {
      appCpu: 128
    })
    const registerJson = JSON.parse(
      JSON.stringify(registerRequest)
    ) as RegisterTaskDefinitionCommandInput
    const runJson = JSON.parse(JSON.stringify(runTaskRequest)) as RunTaskCommandInput
    // toStrictEqual fails on any key holding undefined, which JSON would drop.
    expect(registerJson).toStrictEqual(registerRequest)
    expect(runJson).toStrictEqual(runTaskRequest)
    expect(new RegisterTaskDefinitionCommand(registerJson).input).toStrictEqual(registerRequest)
    expect(new RunTaskCommand(runJson).input).toStrictEqual(runTaskRequest)
    expect(typeof registerRenderer).toBe('function')
    expect(typeof runTaskRenderer).toBe('function')
  })

  it.each([
    ['the tag input wins', 'render/minimal.yml', 'v9', 'busybox:v9'],
    ['else app.tag', 'render/minimal.yml', undefined, 'busybox:1.36'],
    ['else latest', 'render/untagged.yml', undefined, 'busybox:latest'],
    ['JSON definitions too', 'json/batch.json', undefined, 'busybox:1.36']
  ])('app image tag: %s', async (_name, file, tag, image) => {
    const rendered = await render(file, tag === undefined ? {} : { tag })
    expect(rendered.registerRequest.containerDefinitions?.[0]?.image).toBe(image)
  })

  it('renders a minimal definition with hako defaults and nothing unset', async () => {
    const rendered = await render('render/untagged.yml')
    expect(rendered.registerRequest).toStrictEqual({
      family: 'untagged-oneshot',
      containerDefinitions: [
        {
          name: 'app',
          image: 'busybox:latest',
          cpu: 0,
          links: [],
          portMappings: [],
          essential: true,
          environment: [],
          dockerLabels: { 'cc.wanko.hako.version': '2.18.0' },
          mountPoints: [],
          privileged: false,
          volumesFrom: []
        }
      ],
      volumes: []
    })
    expect(rendered.runTaskRequest).toStrictEqual({
      cluster: 'default',
      taskDefinition: 'untagged-oneshot',
      count: 1,
      propagateTags: 'TASK_DEFINITION'
    })
    expect(rendered.region).toBeUndefined()
    expect(Object.keys(rendered).sort()).toEqual(
      ['appId', 'cluster', 'family', 'file', 'notices', 'registerRequest', 'runTaskRequest'].sort()
    )
  })

  it('the cluster input overrides scheduler.cluster', async () => {
    const rendered = await render('json/batch.json', { cluster: 'other' })
    expect(rendered.cluster).toBe('other')
    expect(rendered.runTaskRequest.cluster).toBe('other')
  })
})

describe('RunTask app override (only set values, unset omitted, docs/hako.md, "RunTask")', () => {
  it.each([
    ['nothing set: no override at all', {}, undefined],
    [
      'cpu, memory and reservation',
      { cpu: 256, memory: 512, memoryReservation: 128 },
      { name: 'app', cpu: 256, memory: 512, memoryReservation: 128 }
    ],
    ['memory only', { memory: 512 }, { name: 'app', memory: 512 }]
  ])('%s', (_name, overrides, expected) => {
    expect(renderAppOverride(overrides)).toStrictEqual(expected)
  })

  it("carries the app's resources into the request, and no command or env", async () => {
    const rendered = await render('render/minimal.yml', {
      appCpu: 128,
      appMemory: 256,
      appMemoryReservation: 64
    })
    expect(rendered.runTaskRequest.overrides).toStrictEqual({
      containerOverrides: [
        {
          name: 'app',
          cpu: 128,
          memory: 256,
          memoryReservation: 64
        }
      ]
    })
  })
})

describe('the dry-run fixture used by CI and the end-to-end tests', () => {
  it('renders a Fargate awsvpc task with awslogs, a sidecar and a notification prefix', async () => {
    const rendered = await render('dry-run/batch.yml')
    expect(rendered.family).toBe('batch-oneshot')
    expect(rendered.cluster).toBe('batch')
    expect(rendered.region).toBe('ap-northeast-1')
    expect(rendered.notificationPrefix).toBe('s3://hako-oneshot-notifications/batch')
    expect(rendered.registerRequest.containerDefinitions?.map((c) => c.name)).toEqual([
      'app',
      'log-router'
    ])
    expect(rendered.appLogConfiguration).toStrictEqual({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': '/ecs/batch',
        'awslogs-region': 'ap-northeast-1',
        'awslogs-stream-prefix': 'ecs'
      }
    })
    expect(rendered.runTaskRequest.networkConfiguration).toStrictEqual({
      awsvpcConfiguration: {
        subnets: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
        securityGroups: ['sg-0a1b2c3d4e5f60003'],
        assignPublicIp: 'DISABLED'
      }
    })
  })
})
