// Shared by every definition of the team. A provider path is relative to the definition's
// folder (hako's rule), not to this file: 'batch.env' is next to batch.jsonnet.
local provide(name) = std.native('provide.file')(std.toString({ path: 'batch.env' }), name);

{
  scheduler(cluster):: {
    type: 'ecs',
    region: 'us-east-1',
    cluster: cluster,
    oneshot_notification_prefix: 's3://hako-events/oneshot?region=us-east-1',
  },
  app(image, tag):: {
    image: image,
    tag: tag,
    cpu: 256,
    memory: 512,
    env: {
      DATABASE_HOST: provide('DATABASE_HOST'),
      LOG_LEVEL: 'info',
    },
    log_configuration: {
      log_driver: 'awslogs',
      options: {
        'awslogs-group': '/ecs/' + std.extVar('appId'),
        'awslogs-region': 'us-east-1',
        'awslogs-stream-prefix': 'ecs',
      },
    },
  },
}
