// Building blocks for hako definitions, in the style teams write them.
local defaults = {
  region: 'ap-northeast-1',
  cluster: 'main',
  log_group_prefix: '/ecs/',
};

{
  defaults:: defaults,

  // An awslogs log configuration for `app_id`, streams under `prefix`.
  awslogs(app_id, prefix='ecs', region=defaults.region):: {
    log_driver: 'awslogs',
    options: {
      'awslogs-group': defaults.log_group_prefix + app_id,
      'awslogs-region': region,
      'awslogs-stream-prefix': prefix,
    },
  },

  // Environment variables: values are strings, numbers and booleans turned into text.
  env(vars):: std.mapWithKey(function(k, v) if std.isString(v) then v else std.toString(v), vars),

  // A container with sane defaults; `overrides` wins.
  container(image, tag='latest', cpu=256, memory=512, overrides={}):: {
    image_tag: '%s:%s' % [image, tag],
    cpu: cpu,
    memory: memory,
    essential: true,
  } + overrides,

  port(container_port, host_port=0, protocol='tcp'):: {
    container_port: container_port,
    host_port: host_port,
    protocol: protocol,
  },

  scheduler(env_name, overrides={}):: {
    type: 'ecs',
    region: defaults.region,
    cluster: '%s-%s' % [defaults.cluster, env_name],
    desired_count: if env_name == 'production' then 4 else 1,
    task_role_arn: 'arn:aws:iam::012345678901:role/%s-task' % env_name,
    execution_role_arn: 'arn:aws:iam::012345678901:role/ecsTaskExecutionRole',
    network_mode: 'awsvpc',
    launch_type: 'FARGATE',
    requires_compatibilities: ['FARGATE'],
    cpu: '1024',
    memory: '2048',
    network_configuration: {
      awsvpc_configuration: {
        subnets: ['subnet-%02d' % i for i in std.range(1, 3)],
        security_groups: ['sg-app', 'sg-%s' % env_name],
        assign_public_ip: 'DISABLED',
      },
    },
    tags: { environment: env_name, team: 'platform' },
  } + overrides,

  volumes(names):: { [n]: { source_path: '/var/lib/' + n } for n in names },
}
