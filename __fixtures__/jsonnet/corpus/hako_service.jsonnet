// A larger hako definition: per-environment settings from one library, containers from another.
local ecs = import 'lib/ecs.libsonnet';
local environments = import 'lib/environments.libsonnet';
local app_id = std.extVar('appId');
local settings = environments.get('production');

local image(repo) = '012345678901.dkr.ecr.ap-northeast-1.amazonaws.com/%s' % repo;

local worker(queue, concurrency) = ecs.container(image(app_id), 'v2.0.1', cpu=settings.cpu / 2, memory=settings.memory / 2, overrides={
  command: ['bundle', 'exec', 'sidekiq', '-q', queue, '-c', std.toString(concurrency)],
  env: ecs.env(environments.env(settings) { WORKER_QUEUE: queue, CONCURRENCY: concurrency }),
  log_configuration: ecs.awslogs(app_id, prefix='worker-' + queue),
  essential: false,
});

local alarm_description(metric, threshold) =
  '%s above %d%% for %s in %s' % [metric, threshold, app_id, settings.name];

local ports = [
  { name: 'http', port: 3000 },
  { name: 'metrics', port: 9394 },
  { name: 'admin', port: 3001 },
];

local mounts = [
  { source_volume: v, container_path: '/app/' + v, read_only: v == 'config' }
  for v in ['cache', 'tmp', 'config']
];

{
  scheduler: ecs.scheduler(settings.name, {
    desired_count: settings.replicas,
    cpu: std.toString(settings.cpu * 2),
    memory: std.toString(settings.memory * 2),
    ephemeral_storage: { size_in_gi_b: 30 },
    tags+: {
      cost_center: 'cc-%04d' % 42,
      features: std.join('+', settings.features),
    },
    capacity_provider_strategy: [
      { capacity_provider: 'FARGATE', weight: 1, base: 2 },
      { capacity_provider: 'FARGATE_SPOT', weight: 3 },
    ],
    launch_type:: null,
  }),
  app: {
    image: image(app_id),
    tag: 'v2.0.1',
    cpu: settings.cpu,
    memory: settings.memory,
    memory_reservation: std.floor(settings.memory * 0.75),
    command: ['bundle', 'exec', 'puma', '-C', 'config/puma.rb'],
    env: ecs.env(environments.env(settings) {
      PORT: ports[0].port,
      METRICS_PORT: ports[1].port,
      WEB_CONCURRENCY: std.max(2, settings.cpu / 256),
    }),
    secrets: [
      { name: s, value_from: 'arn:aws:secretsmanager:ap-northeast-1:012345678901:secret:%s/%s/%s' % [settings.name, app_id, std.asciiLower(s)] }
      for s in ['SECRET_KEY_BASE', 'STRIPE_API_KEY', 'SENTRY_DSN']
    ],
    port_mappings: [ecs.port(p.port) for p in ports],
    mount_points: mounts,
    health_check: {
      command: ['CMD-SHELL', 'curl -fsS http://localhost:%d/healthz || exit 1' % ports[0].port],
      interval: 15,
      timeout: 5,
      retries: 3,
      start_period: 30,
    },
    docker_labels: {
      ['com.example.%s' % k]: std.toString(v)
      for k in ['app', 'env', 'replicas']
      for v in [{ app: app_id, env: settings.name, replicas: settings.replicas }[k]]
    },
    log_configuration: ecs.awslogs(app_id),
    ulimits: [
      { name: 'nofile', soft_limit: 65536, hard_limit: 65536 },
      { name: 'nproc', soft_limit: 4096, hard_limit: 8192 },
    ],
    system_controls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
    depends_on: [{ container_name: 'envoy', condition: 'HEALTHY' }],
  },
  sidecars: {
    envoy: ecs.container('public.ecr.aws/appmesh/aws-appmesh-envoy', 'v1.27.0.0-prod', cpu=128, memory=256, overrides={
      health_check: {
        command: ['CMD-SHELL', 'curl -s http://localhost:9901/server_info | grep state | grep -q LIVE'],
        interval: 5,
        timeout: 2,
        retries: 3,
      },
      user: '1337',
    }),
  } + {
    ['worker-' + q]: worker(settings.queues[q], if q == 'critical' then 2 else 10)
    for q in std.objectFields(settings.queues)
  },
  volumes: ecs.volumes(['cache', 'tmp', 'config']),
  alarms:: {
    [metric]: alarm_description(metric, settings.alarms[metric])
    for metric in std.objectFields(settings.alarms)
  },
  scripts: [
    { type: 'create_aws_cloud_watch_logs_log_group', log_group_name: '/ecs/' + app_id },
  ] + [
    { type: 'notify', message: $.alarms[m] }
    for m in std.objectFields($.alarms)
  ],
}
