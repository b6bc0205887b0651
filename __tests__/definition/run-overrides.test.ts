import { describe, expect, it } from '@jest/globals'
import type { RunTaskCommandInput } from '@aws-sdk/client-ecs'
import {
  applyRunOverrides,
  conflictsOf,
  parseAssignPublicIp,
  parseCapacityProviderStrategy,
  parseEphemeralStorage,
  parseIdList,
  parseLaunchType,
  parseRoleArn,
  parseServiceRef,
  parseTaskCpu,
  parseTaskMemory,
  taskOverrideOf
} from '../../src/definition/run-overrides.js'
import { UserError } from '../../src/util/errors.js'

const ROLE = 'arn:aws:iam::123456789012:role/batch-task'
const FORM =
  "give NAME[:weight=N][:base=N] items separated by commas, such as 'FARGATE_SPOT:weight=1," +
  'FARGATE:base=1\', or a JSON array of {"capacityProvider": ..., "weight": ..., "base": ...}'

describe('parsers', () => {
  it('reads role ARNs of any partition, with paths', () => {
    expect(parseRoleArn("Input 'task-role-arn'", ROLE)).toBe(ROLE)
    const cn = 'arn:aws-cn:iam::123456789012:role/team/batch+x@y'
    expect(parseRoleArn("Input 'task-role-arn'", cn)).toBe(cn)
  })

  it.each([
    'batch-task',
    'arn:aws:iam::123456789012:user/alice',
    'arn:aws:iam::1234:role/x',
    'arn:aws:s3:::bucket'
  ])('refuses %s as a role ARN, naming the input and the form', (value) => {
    expect(() => parseRoleArn("Input 'execution-role-arn'", value)).toThrow(
      new UserError(
        "Input 'execution-role-arn' must be an IAM role ARN such as " +
          `arn:aws:iam::123456789012:role/batch-task, got '${value}'`
      )
    )
  })

  it('reads cpu and memory as whole numbers, from text or JSON numbers, as the text ECS takes', () => {
    expect(parseTaskCpu("Input 'cpu'", '2048')).toBe('2048')
    expect(parseTaskCpu('Input \'tasks\' element 0: "cpu"', 512)).toBe('512')
    expect(parseTaskMemory("Input 'memory'", '4096')).toBe('4096')
  })

  it.each([
    [
      'cpu',
      '2 vCPU',
      parseTaskCpu,
      "Input 'cpu' must be task CPU units as a whole number (1024 = 1 vCPU), such as 2048, got '2 vCPU'"
    ],
    [
      'cpu',
      '0',
      parseTaskCpu,
      "Input 'cpu' must be task CPU units as a whole number (1024 = 1 vCPU), such as 2048, got '0'"
    ],
    [
      'memory',
      '4GB',
      parseTaskMemory,
      "Input 'memory' must be task memory in MiB as a whole number, such as 4096, got '4GB'"
    ],
    [
      'memory',
      '1.5',
      parseTaskMemory,
      "Input 'memory' must be task memory in MiB as a whole number, such as 4096, got '1.5'"
    ]
  ])('refuses %s %j', (name, value, parse, message) => {
    expect(() => parse(`Input '${name}'`, value)).toThrow(new UserError(message))
  })

  it('reads ephemeral storage from 21 to 200 GiB and refuses the rest', () => {
    expect(parseEphemeralStorage("Input 'ephemeral-storage'", '21')).toBe(21)
    expect(parseEphemeralStorage("Input 'ephemeral-storage'", 200)).toBe(200)
    for (const bad of ['20', '201', '50GiB']) {
      expect(() => parseEphemeralStorage("Input 'ephemeral-storage'", bad)).toThrow(
        new UserError(
          "Input 'ephemeral-storage' must be GiB of ephemeral storage, a whole number from 21 " +
            `to 200, got '${bad}'`
        )
      )
    }
  })

  it('reads launch types as ECS spells them', () => {
    expect(parseLaunchType("Input 'launch-type'", 'FARGATE')).toBe('FARGATE')
    expect(() => parseLaunchType("Input 'launch-type'", 'fargate')).toThrow(
      new UserError(
        "Input 'launch-type' must be one of EC2, EXTERNAL, FARGATE, MANAGED_INSTANCES, got 'fargate'"
      )
    )
  })

  describe('capacity provider strategies', () => {
    it('reads the short form: FARGATE_SPOT with FARGATE as the base', () => {
      expect(
        parseCapacityProviderStrategy('X', 'FARGATE_SPOT:weight=1, FARGATE:base=1:weight=0')
      ).toEqual([
        { capacityProvider: 'FARGATE_SPOT', weight: 1 },
        { capacityProvider: 'FARGATE', base: 1, weight: 0 }
      ])
      expect(parseCapacityProviderStrategy('X', 'my-asg-provider\n')).toEqual([
        { capacityProvider: 'my-asg-provider' }
      ])
    })

    it("reads RunTask's JSON array", () => {
      expect(
        parseCapacityProviderStrategy(
          'X',
          '[{"capacityProvider":"FARGATE_SPOT","weight":3},{"capacityProvider":"FARGATE","base":2,"weight":1}]'
        )
      ).toEqual([
        { capacityProvider: 'FARGATE_SPOT', weight: 3 },
        { capacityProvider: 'FARGATE', base: 2, weight: 1 }
      ])
    })

    it.each([
      [
        'FARGATE_SPOT:weight=x',
        "has 'FARGATE_SPOT:weight=x': 'weight=x' is not weight=N or base=N"
      ],
      [
        'FARGATE_SPOT;weight=1',
        "has 'FARGATE_SPOT;weight=1', whose provider name 'FARGATE_SPOT;weight=1' is not valid"
      ],
      ['FARGATE:weight=1001', 'has weight 1001; ECS takes 0 to 1,000'],
      ['FARGATE:base=100001', 'has base 100001; ECS takes 0 to 100,000'],
      ['FARGATE:weight=1:weight=2', "has 'FARGATE:weight=1:weight=2', which sets weight twice"],
      ['FARGATE:weight=1,FARGATE:base=1', "names 'FARGATE' twice"],
      [
        'A:base=1:weight=1,B:base=2',
        'gives a base to more than one capacity provider; ECS allows a base on one only'
      ],
      ['A,B', 'gives no capacity provider a weight above 0, so ECS could place no task'],
      [' , ', 'is empty'],
      ['[{"capacityProvider":"A","weight":"1"}]', 'element 0 has a "weight" that is not a number'],
      ['[{"provider":"A"}]', "element 0 has unknown key 'provider'"],
      ['[1]', 'element 0 is not an object'],
      [
        '[{',
        "starts with '[' but is not JSON (Expected property name or '}' in JSON at position 2 (line 1 column 3))"
      ]
    ])('refuses %j', (value, why) => {
      expect(() =>
        parseCapacityProviderStrategy("Input 'capacity-provider-strategy'", value)
      ).toThrow(new UserError(`Input 'capacity-provider-strategy' ${why}; ${FORM}`))
    })

    it('refuses more than 20 providers', () => {
      const many = Array.from({ length: 21 }, (_, i) => `p${i}:weight=1`).join(',')
      expect(() => parseCapacityProviderStrategy('X', many)).toThrow(
        'X has 21 capacity providers; ECS takes at most 20'
      )
    })
  })

  it('reads subnet and security group lists and refuses other IDs and too many', () => {
    expect(parseIdList("Input 'subnets'", 'subnet-0a1, subnet-0b2\nsubnet-0c3', 'subnet')).toEqual([
      'subnet-0a1',
      'subnet-0b2',
      'subnet-0c3'
    ])
    expect(() => parseIdList("Input 'security-groups'", 'sg-01,web', 'sg')).toThrow(
      new UserError(
        "Input 'security-groups' must be security group IDs such as sg-0abc1234, separated by " +
          "commas or newlines, got 'web'"
      )
    )
    const six = Array.from({ length: 6 }, (_, i) => `sg-0${i}`).join(',')
    expect(() => parseIdList("Input 'security-groups'", six, 'sg')).toThrow(
      new UserError("Input 'security-groups' has 6 IDs; ECS takes at most 5")
    )
  })

  it('reads assign-public-ip as ENABLED or DISABLED', () => {
    expect(parseAssignPublicIp("Input 'assign-public-ip'", 'ENABLED')).toBe('ENABLED')
    expect(() => parseAssignPublicIp("Input 'assign-public-ip'", 'true')).toThrow(
      new UserError(
        "Input 'assign-public-ip' must be ENABLED or DISABLED (awsvpcConfiguration.assignPublicIp), got 'true'"
      )
    )
  })

  it('reads network-from-service as cluster/service and refuses other forms', () => {
    expect(parseServiceRef("Input 'network-from-service'", 'prod/web')).toEqual({
      cluster: 'prod',
      service: 'web'
    })
    for (const bad of ['web', 'prod/web/x', '/web', 'arn:aws:ecs:x:1:service/prod/web']) {
      expect(() => parseServiceRef("Input 'network-from-service'", bad)).toThrow(
        new UserError(
          "Input 'network-from-service' must be cluster/service, the names of a cluster and of " +
            'an ECS service in it (letters, numbers, hyphens and underscores), such as ' +
            `my-cluster/web, got '${bad}'`
        )
      )
    }
  })
})

describe('conflictsOf', () => {
  it('names both launch choices, and the network inputs given beside a service', () => {
    expect(
      conflictsOf({
        launchType: 'FARGATE',
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        networkFromService: { cluster: 'prod', service: 'web' },
        network: { subnets: ['subnet-01'], assignPublicIp: 'ENABLED' }
      })
    ).toEqual([
      "Inputs 'launch-type' and 'capacity-provider-strategy' cannot be used together: RunTask " +
        'takes one of them (a strategy replaces the launch type); give one',
      "Input 'network-from-service' takes the whole network from the service; leave 'subnets' " +
        "and 'assign-public-ip' empty, or drop 'network-from-service'"
    ])
    expect(conflictsOf({ launchType: 'EC2', network: { subnets: ['subnet-01'] } })).toEqual([])
  })
})

/** A rendered RunTask request as the definition gives it (Fargate, a network, ECS Exec off). */
function rendered(): RunTaskCommandInput & { taskDefinition: string; cluster: string } {
  return {
    cluster: 'batch',
    taskDefinition: 'batch-oneshot',
    count: 1,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: ['subnet-0aa'],
        securityGroups: ['sg-0aa'],
        assignPublicIp: 'DISABLED'
      }
    },
    enableExecuteCommand: false,
    propagateTags: 'TASK_DEFINITION',
    overrides: { containerOverrides: [{ name: 'app', cpu: 256 }] }
  }
}
const awsvpc = { definitionFile: 'hako/batch.yml', networkMode: 'awsvpc' }

describe('applyRunOverrides', () => {
  it('changes nothing when nothing is given', () => {
    expect(applyRunOverrides(rendered(), {}, awsvpc)).toEqual(rendered())
    expect(JSON.stringify(applyRunOverrides(rendered(), {}, awsvpc))).toBe(
      JSON.stringify(rendered())
    )
  })

  it('puts every choice in its place: the strategy instead of launchType, the network fields, ECS Exec, the task-level overrides', () => {
    const request = applyRunOverrides(
      rendered(),
      {
        taskRoleArn: ROLE,
        executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
        cpu: '2048',
        memory: '4096',
        ephemeralStorageGiB: 50,
        enableExecuteCommand: true,
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE_SPOT', weight: 1 },
          { capacityProvider: 'FARGATE', base: 1 }
        ],
        network: { securityGroups: ['sg-0bb', 'sg-0cc'], assignPublicIp: 'ENABLED' }
      },
      awsvpc
    )
    expect(JSON.stringify(request, null, 1)).toBe(
      JSON.stringify(
        {
          cluster: 'batch',
          taskDefinition: 'batch-oneshot',
          count: 1,
          capacityProviderStrategy: [
            { capacityProvider: 'FARGATE_SPOT', weight: 1 },
            { capacityProvider: 'FARGATE', base: 1 }
          ],
          platformVersion: '1.4.0',
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: ['subnet-0aa'],
              securityGroups: ['sg-0bb', 'sg-0cc'],
              assignPublicIp: 'ENABLED'
            }
          },
          enableExecuteCommand: true,
          propagateTags: 'TASK_DEFINITION',
          overrides: {
            containerOverrides: [{ name: 'app', cpu: 256 }],
            taskRoleArn: ROLE,
            executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
            cpu: '2048',
            memory: '4096',
            ephemeralStorage: { sizeInGiB: 50 }
          }
        },
        null,
        1
      )
    )
  })

  it('replaces a definition strategy with a launch type, and adds choices the definition left out', () => {
    const bare: RunTaskCommandInput = {
      cluster: 'batch',
      taskDefinition: 'batch-oneshot',
      count: 1,
      capacityProviderStrategy: [{ capacityProvider: 'asg', weight: 1 }],
      propagateTags: 'TASK_DEFINITION'
    }
    expect(
      applyRunOverrides(
        bare,
        {
          launchType: 'EC2',
          enableExecuteCommand: true,
          network: { subnets: ['subnet-01'] },
          taskRoleArn: ROLE
        },
        awsvpc
      )
    ).toEqual({
      cluster: 'batch',
      taskDefinition: 'batch-oneshot',
      count: 1,
      launchType: 'EC2',
      propagateTags: 'TASK_DEFINITION',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-01'] } },
      enableExecuteCommand: true,
      overrides: { containerOverrides: [], taskRoleArn: ROLE }
    })
  })

  it('leaves the network out when it comes from a service (the run fills it in)', () => {
    const request = applyRunOverrides(
      rendered(),
      { networkFromService: { cluster: 'prod', service: 'web' } },
      awsvpc
    )
    expect(request.networkConfiguration).toBeUndefined()
    expect('networkConfiguration' in request).toBe(false)
  })

  it('refuses a network for a task definition that is not awsvpc, naming the input and the file', () => {
    expect(() =>
      applyRunOverrides(
        rendered(),
        { network: { subnets: ['subnet-01'] } },
        { definitionFile: 'hako/batch.yml', networkMode: 'bridge' }
      )
    ).toThrow(
      new UserError(
        "Input 'subnets' sets the task's awsvpc network, but hako/batch.yml registers network " +
          'mode bridge: RunTask takes a network configuration only for awsvpc. Set ' +
          "scheduler.network_mode: awsvpc, or leave 'subnets' empty"
      )
    )
    expect(() =>
      applyRunOverrides(
        rendered(),
        { networkFromService: { cluster: 'prod', service: 'web' } },
        { definitionFile: 'hako/batch.yml' }
      )
    ).toThrow('registers network mode bridge (the default)')
  })

  it('refuses security groups alone when the definition has no subnets to keep', () => {
    const bare: RunTaskCommandInput = { cluster: 'c', taskDefinition: 'f', count: 1 }
    expect(() =>
      applyRunOverrides(bare, { network: { securityGroups: ['sg-01'] } }, awsvpc)
    ).toThrow(
      new UserError(
        "Input 'security-groups' needs 'subnets' too: hako/batch.yml has no " +
          "scheduler.network_configuration, and RunTask's awsvpc network must name its subnets"
      )
    )
  })

  it('maps task-level overrides to TaskOverride fields, only those set', () => {
    expect(taskOverrideOf({ memory: '512', ephemeralStorageGiB: 30 })).toEqual({
      memory: '512',
      ephemeralStorage: { sizeInGiB: 30 }
    })
    expect(taskOverrideOf({})).toEqual({})
  })
})
