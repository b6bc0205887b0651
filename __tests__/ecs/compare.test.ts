import { describe, expect, it } from '@jest/globals'
import type {
  ContainerDefinition,
  RegisterTaskDefinitionCommandInput,
  TaskDefinition
} from '@aws-sdk/client-ecs'
import { compareTaskDefinition, formatDifference } from '../../src/ecs/compare.js'
import { describeOutput, registerRequest } from './fixtures.js'

type Request = RegisterTaskDefinitionCommandInput

function app(r: Request): ContainerDefinition {
  const c = r.containerDefinitions?.find((x) => x.name === 'app')
  if (!c) throw new Error('no app')
  return c
}

function compareBatch(mutate: (r: Request) => void = () => undefined) {
  const request = registerRequest('batch')
  mutate(request)
  const described = describeOutput('batch')
  return compareTaskDefinition(request, described.taskDefinition as TaskDefinition, described.tags)
}

describe('compareTaskDefinition against ECS-shaped DescribeTaskDefinition answers', () => {
  it.each(['batch', 'fargate'] as const)(
    'finds no difference between the %s request and what ECS answers for it (defaults filled in, empty lists present)',
    (name) => {
      const described = describeOutput(name)
      expect(
        compareTaskDefinition(
          registerRequest(name),
          described.taskDefinition as TaskDefinition,
          described.tags
        )
      ).toEqual([])
    }
  )

  // docs/hako.md, "Registering": hako compares each container field, volumes, roles, task size, network
  // mode, compatibilities, runtime platform, ephemeral storage and tags.
  it.each<[string, (r: Request) => void, string, unknown, unknown]>([
    [
      'image tag',
      (r) => void (app(r).image = 'x/batch:def456'),
      'containerDefinitions[app].image',
      'x/batch:def456',
      '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/batch:abc123'
    ],
    ['container cpu', (r) => void (app(r).cpu = 512), 'containerDefinitions[app].cpu', 512, 256],
    [
      'container memory',
      (r) => void (app(r).memory = 2048),
      'containerDefinitions[app].memory',
      2048,
      1024
    ],
    [
      'memoryReservation removed',
      (r) => void delete app(r).memoryReservation,
      'containerDefinitions[app].memoryReservation',
      undefined,
      512
    ],
    [
      'essential',
      (r) => void (app(r).essential = false),
      'containerDefinitions[app].essential',
      false,
      undefined
    ],
    [
      'links',
      (r) => void (app(r).links = []),
      'containerDefinitions[app].links',
      undefined,
      ['redis:redis']
    ],
    [
      'a definition env value',
      (r) =>
        void (app(r).environment = [
          { name: 'RAILS_ENV', value: 'staging' },
          { name: 'DATABASE_HOST', value: 'db.internal' }
        ]),
      'containerDefinitions[app].environment',
      [
        { name: 'DATABASE_HOST', value: 'db.internal' },
        { name: 'RAILS_ENV', value: 'staging' }
      ],
      [
        { name: 'DATABASE_HOST', value: 'db.internal' },
        { name: 'RAILS_ENV', value: 'production' }
      ]
    ],
    [
      'secrets',
      (r) => void (app(r).secrets = []),
      'containerDefinitions[app].secrets',
      undefined,
      [
        {
          name: 'DATABASE_PASSWORD',
          valueFrom: 'arn:aws:ssm:ap-northeast-1:123456789012:parameter/batch/db-password'
        }
      ]
    ],
    [
      'a docker label',
      (r) => void (app(r).dockerLabels = { 'cc.wanko.hako.version': '2.18.0', team: 'ml' }),
      'containerDefinitions[app].dockerLabels.team',
      'ml',
      'data'
    ],
    [
      'mount point readOnly',
      (r) =>
        void (app(r).mountPoints = [
          { sourceVolume: 'work', containerPath: '/work', readOnly: true }
        ]),
      'containerDefinitions[app].mountPoints',
      [{ containerPath: '/work', readOnly: true, sourceVolume: 'work' }],
      [{ containerPath: '/work', sourceVolume: 'work' }]
    ],
    [
      'entryPoint',
      (r) => void (app(r).entryPoint = ['/bin/sh', '-c']),
      'containerDefinitions[app].entryPoint',
      ['/bin/sh', '-c'],
      undefined
    ],
    [
      'command order (ordered list)',
      (r) => void (app(r).command = ['bundle', 'exec', 'batch:run', 'rake']),
      'containerDefinitions[app].command',
      ['bundle', 'exec', 'batch:run', 'rake'],
      ['bundle', 'exec', 'rake', 'batch:run']
    ],
    [
      'user',
      (r) => void (app(r).user = 'nobody'),
      'containerDefinitions[app].user',
      'nobody',
      undefined
    ],
    [
      'privileged',
      (r) => void (app(r).privileged = true),
      'containerDefinitions[app].privileged',
      true,
      undefined
    ],
    [
      'log option',
      (r) => void (app(r).logConfiguration!.options!['awslogs-stream-prefix'] = 'batch'),
      'containerDefinitions[app].logConfiguration.options.awslogs-stream-prefix',
      'batch',
      'oneshot'
    ],
    [
      'dependsOn condition',
      (r) => void (app(r).dependsOn = [{ containerName: 'redis', condition: 'HEALTHY' }]),
      'containerDefinitions[app].dependsOn',
      [{ condition: 'HEALTHY', containerName: 'redis' }],
      [{ condition: 'START', containerName: 'redis' }]
    ],
    [
      'ulimit',
      (r) => void (app(r).ulimits = [{ name: 'nofile', softLimit: 1024, hardLimit: 65536 }]),
      'containerDefinitions[app].ulimits',
      [{ hardLimit: 65536, name: 'nofile', softLimit: 1024 }],
      [{ hardLimit: 65536, name: 'nofile', softLimit: 65536 }]
    ],
    [
      'health check retries',
      (r) => void (r.containerDefinitions![1]!.healthCheck!.retries = 5),
      'containerDefinitions[redis].healthCheck.retries',
      5,
      undefined
    ],
    [
      'health check command order',
      (r) =>
        void (r.containerDefinitions![1]!.healthCheck!.command = ['redis-cli ping', 'CMD-SHELL']),
      'containerDefinitions[redis].healthCheck.command',
      ['redis-cli ping', 'CMD-SHELL'],
      ['CMD-SHELL', 'redis-cli ping']
    ],
    [
      'a container added',
      (r) => void r.containerDefinitions!.push({ name: 'log', image: 'fluent-bit:3' }),
      'containerDefinitions[log]',
      { image: 'fluent-bit:3', name: 'log' },
      undefined
    ],
    [
      'a container removed',
      (r) => void r.containerDefinitions!.splice(1, 1),
      'containerDefinitions[redis]',
      undefined,
      {
        cpu: 64,
        essential: false,
        healthCheck: { command: ['CMD-SHELL', 'redis-cli ping'] },
        image: 'public.ecr.aws/docker/library/redis:7.2',
        memory: 256,
        name: 'redis',
        portMappings: [{ containerPort: 6379 }]
      }
    ],
    [
      'a volume source path',
      (r) => void (r.volumes = [{ name: 'work', host: { sourcePath: '/mnt/work' } }]),
      'volumes[work].host',
      { sourcePath: '/mnt/work' },
      undefined
    ],
    [
      'task role',
      (r) => void (r.taskRoleArn = 'arn:aws:iam::123456789012:role/other'),
      'taskRoleArn',
      'arn:aws:iam::123456789012:role/other',
      'arn:aws:iam::123456789012:role/batch-task'
    ],
    [
      'execution role removed',
      (r) => void delete r.executionRoleArn,
      'executionRoleArn',
      undefined,
      'arn:aws:iam::123456789012:role/ecsTaskExecutionRole'
    ],
    ['task cpu', (r) => void (r.cpu = '1024'), 'cpu', '1024', undefined],
    ['task memory', (r) => void (r.memory = '2048'), 'memory', '2048', undefined],
    ['network mode', (r) => void (r.networkMode = 'none'), 'networkMode', 'none', undefined],
    [
      'compatibilities',
      (r) => void (r.requiresCompatibilities = ['EC2', 'FARGATE']),
      'requiresCompatibilities',
      ['EC2', 'FARGATE'],
      ['EC2']
    ],
    [
      'runtime platform',
      (r) => void (r.runtimePlatform = { cpuArchitecture: 'ARM64' }),
      'runtimePlatform',
      { cpuArchitecture: 'ARM64' },
      undefined
    ],
    [
      'ephemeral storage',
      (r) => void (r.ephemeralStorage = { sizeInGiB: 40 }),
      'ephemeralStorage',
      { sizeInGiB: 40 },
      undefined
    ],
    ['pid mode', (r) => void (r.pidMode = 'task'), 'pidMode', 'task', undefined],
    [
      'a tag value',
      (r) => void (r.tags = [{ key: 'team', value: 'ml' }]),
      'tags[team]',
      'ml',
      'data'
    ],
    [
      'a tag added',
      (r) => void r.tags!.push({ key: 'cost', value: 'batch' }),
      'tags[cost]',
      'batch',
      undefined
    ],
    ['tags removed', (r) => void delete r.tags, 'tags', undefined, { team: 'data' }]
  ])('reports a change of %s', (_name, mutate, path, expected, actual) => {
    expect(compareBatch(mutate)).toEqual([{ path, expected, actual }])
  })

  it.each<[string, (r: Request) => void]>([
    ['environment order', (r) => void app(r).environment!.reverse()],
    ['container order', (r) => void r.containerDefinitions!.reverse()],
    [
      'dockerLabels key order',
      (r) => void (app(r).dockerLabels = { team: 'data', 'cc.wanko.hako.version': '2.18.0' })
    ],
    [
      'log options key order',
      (r) =>
        void (app(r).logConfiguration!.options = {
          'awslogs-stream-prefix': 'oneshot',
          'awslogs-region': 'ap-northeast-1',
          'awslogs-group': '/ecs/batch'
        })
    ],
    ['essential true left unset', (r) => void delete app(r).essential],
    [
      'protocol tcp left unset',
      (r) => void delete r.containerDefinitions![1]!.portMappings![0]!.protocol
    ],
    [
      'bridge hostPort 0 left unset',
      (r) => void delete r.containerDefinitions![1]!.portMappings![0]!.hostPort
    ],
    ['readOnly false left unset', (r) => void delete app(r).mountPoints![0]!.readOnly],
    ['privileged false left unset', (r) => void delete app(r).privileged],
    [
      'health check defaults left unset',
      (r) =>
        void (r.containerDefinitions![1]!.healthCheck = {
          command: ['CMD-SHELL', 'redis-cli ping']
        })
    ],
    ['networkMode bridge given', (r) => void (r.networkMode = 'bridge')],
    [
      'empty lists given or not',
      (r) =>
        void Object.assign(app(r), {
          volumesFrom: undefined,
          portMappings: undefined,
          systemControls: [],
          extraHosts: []
        })
    ],
    ['tags order', (r) => void (r.tags = [{ key: 'team', value: 'data' }])]
  ])('treats %s as no change', (_name, mutate) => {
    expect(compareBatch(mutate)).toEqual([])
  })

  it('treats awsvpc hostPort equal to containerPort as unset (ECS fills it in)', () => {
    const request = registerRequest('fargate')
    request.containerDefinitions![0]!.portMappings = [
      { containerPort: 8080, hostPort: 8080, protocol: 'tcp' }
    ]
    const described = describeOutput('fargate')
    expect(compareTaskDefinition(request, described.taskDefinition!, described.tags)).toEqual([])
  })

  it.each([
    ['0.5 vCPU', '1 GB'],
    ['512', '1024']
  ])('compares task size %s / %s with the units ECS converts', (cpu, memory) => {
    const request = { ...registerRequest('fargate'), cpu, memory }
    const described = describeOutput('fargate')
    expect(compareTaskDefinition(request, described.taskDefinition!, described.tags)).toEqual([])
  })

  it('treats docker volume driver local and scope task as unset (hako WithDefault)', () => {
    const volumes = (driver?: string, scope?: 'task') => [
      { name: 'cache', dockerVolumeConfiguration: { driver, scope, autoprovision: undefined } }
    ]
    const request: Request = {
      family: 'f',
      containerDefinitions: [{ name: 'app', image: 'i' }],
      volumes: volumes()
    }
    const actual: TaskDefinition = {
      family: 'f',
      containerDefinitions: [{ name: 'app', image: 'i', cpu: 0, essential: true }],
      volumes: volumes('local', 'task')
    }
    expect(compareTaskDefinition(request, actual, [])).toEqual([])
  })

  it('formats a difference for the log, shortening long values', () => {
    expect(
      formatDifference({ path: 'containerDefinitions[app].image', expected: 'a:1', actual: 'a:2' })
    ).toBe('containerDefinitions[app].image: wanted "a:1", registered "a:2"')
    expect(
      formatDifference({ path: 'tags', expected: undefined, actual: { k: 'x'.repeat(300) } }, 20)
    ).toBe('tags: wanted (unset), registered {"k":"xxxxxxxxxxxxxx...')
  })

  it('formats a registered revision written by someone else on one line, no command', () => {
    expect(
      formatDifference({
        path: 'containerDefinitions[app].dockerLabels.a\n::warning::k',
        expected: 'x',
        actual: 'y\u2028::add-mask::z ##[error]e'
      })
    ).toBe(
      'containerDefinitions[app].dockerLabels.a\\n::warning::k: wanted "x", registered "y\\u2028::add-mask::z ##\\[error]e"'
    )
  })
})

describe('network mode and host ports', () => {
  it('reports the bridge-mode host port when the mode becomes host (ECS would fill the container port)', () => {
    expect(compareBatch((r) => void (r.networkMode = 'host'))).toEqual([
      {
        path: 'containerDefinitions[redis].portMappings',
        expected: [{ containerPort: 6379, hostPort: 0 }],
        actual: [{ containerPort: 6379 }]
      },
      { path: 'networkMode', expected: 'host', actual: undefined }
    ])
  })
})
