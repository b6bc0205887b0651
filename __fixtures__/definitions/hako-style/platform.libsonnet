// Settings every definition of the platform team shares. Each piece is a function or a hidden
// field, so a definition picks what it needs and overrides the rest with `+:` or `super`.
{
  region:: 'eu-west-1',
  account:: '210987654321',

  ec2(cluster):: {
    type: 'ecs',
    region: $.region,
    cluster: cluster,
    oneshot_notification_prefix: 's3://platform-task-events/oneshot?region=' + $.region,
  },

  fargate(cluster, cpu, memory):: $.ec2(cluster) {
    execution_role_arn: 'arn:aws:iam::%s:role/platform-task-execution' % $.account,
    requires_compatibilities: ['FARGATE'],
    network_mode: 'awsvpc',
    launch_type: 'FARGATE',
    cpu: std.toString(cpu),
    memory: std.toString(memory),
    network_configuration: {
      awsvpc_configuration: {
        subnets: ['subnet-0a11', 'subnet-0b22'],
        security_groups: ['sg-0platform'],
        assign_public_ip: 'DISABLED',
      },
    },
  },

  // awslogs under /platform/<appId>, one stream prefix per container.
  logs(prefix):: {
    log_driver: 'awslogs',
    options: {
      'awslogs-group': '/platform/' + std.extVar('appId'),
      'awslogs-region': $.region,
      'awslogs-stream-prefix': prefix,
    },
  },
}
