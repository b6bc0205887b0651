local lib = import 'schema-lib.libsonnet';
{
  scheduler: { type: 'ecs' },
  app: lib.app('busybox') { cpu: '1 vCPU' },
}
