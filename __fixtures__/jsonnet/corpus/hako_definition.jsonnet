// A hako definition of the size and shape of a real one: an import, functions, sidecars.
local ecs = import 'lib/ecs.libsonnet';
local app_id = std.extVar('appId');
local env_name = 'staging';

local common_env = {
  APP_ENV: env_name,
  APP_ID: app_id,
  LOG_LEVEL: 'info',
  WORKERS: 4,
  FEATURE_FLAGS: std.join(',', ['search', 'billing', 'export']),
  DEBUG: false,
};

local sidecar_names = ['fluentbit', 'datadog', 'envoy'];

local sidecar_images = {
  fluentbit: { image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit', tag: '2.31.12', cpu: 64, memory: 128 },
  datadog: { image: 'public.ecr.aws/datadog/agent', tag: '7', cpu: 128, memory: 256 },
  envoy: { image: 'public.ecr.aws/appmesh/aws-appmesh-envoy', tag: 'v1.27.0.0-prod', cpu: 128, memory: 256 },
};

local health(path, port) = {
  command: ['CMD-SHELL', 'curl -fsS http://localhost:%d%s || exit 1' % [port, path]],
  interval: 30,
  timeout: 5,
  retries: 3,
  start_period: 10,
};

local labels = {
  ['com.example.%s' % k]: v
  for k in ['team', 'service', 'env']
  for v in [{ team: 'platform', service: app_id, env: env_name }[k]]
};

{
  scheduler: ecs.scheduler(env_name, {
    ephemeral_storage: { size_in_gi_b: 40 },
    platform_version: '1.4.0',
  }),
  app: ecs.container('012345678901.dkr.ecr.ap-northeast-1.amazonaws.com/' + app_id, tag='v1.2.3', cpu=512, memory=1024) {
    image: '012345678901.dkr.ecr.ap-northeast-1.amazonaws.com/' + app_id,
    tag: 'v1.2.3',
    image_tag:: super.image_tag,
    command: ['bundle', 'exec', 'rails', 'runner', 'Batch.run'],
    env: ecs.env(common_env { DATABASE_POOL: $.app.cpu / 64 }),
    port_mappings: [ecs.port(3000), ecs.port(9394)],
    health_check: health('/healthz', 3000),
    docker_labels: labels,
    log_configuration: ecs.awslogs(app_id),
    ulimits: [{ name: 'nofile', soft_limit: 65536, hard_limit: 65536 }],
    depends_on: [{ container_name: n, condition: 'START' } for n in sidecar_names if n != 'datadog'],
    secrets: [
      { name: name, value_from: 'arn:aws:ssm:ap-northeast-1:012345678901:parameter/%s/%s/%s' % [env_name, app_id, name] }
      for name in std.sort(['DATABASE_URL', 'SECRET_KEY_BASE', 'REDIS_URL'])
    ],
  },
  sidecars: {
    [name]: ecs.container(sidecar_images[name].image, sidecar_images[name].tag, sidecar_images[name].cpu, sidecar_images[name].memory, {
      essential: name != 'datadog',
      log_configuration: ecs.awslogs(app_id, prefix=name),
      env: ecs.env({ SIDECAR: name, APP_ID: app_id }),
    })
    for name in sidecar_names
  },
  volumes: ecs.volumes(['cache', 'tmp']),
  scripts: [
    {
      type: 'create_aws_cloud_watch_logs_log_group',
      log_group_name: ecs.awslogs(app_id).options['awslogs-group'],
    },
  ],
}
