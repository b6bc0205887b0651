// A service definition whose one-off runs go to a separate Auto Scaling group.
local platform = import 'platform.libsonnet';

{
  scheduler: platform.ec2('catalog') {
    desired_count: 1,
    role: 'platform-ecs-service',
    autoscaling_group_for_oneshot: 'catalog-oneshot-workers',
  },
  app: {
    image: 'registry.example.net/catalog-api',
    tag: 'v31',
    cpu: 1024,
    memory: 2048,
    command: ['bin/reindex', '--full'],
    env: {
      JOB: std.extVar('appId'),
      SEARCH_SHARDS: std.toString(std.length(['a', 'b', 'c'])),
    },
  },
}
