local lib = import 'helpers.libsonnet';
{
  scheduler: { type: 'ecs' },
  app: lib.container(512),
}
