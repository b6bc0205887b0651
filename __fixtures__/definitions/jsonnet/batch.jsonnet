// A hako definition in Jsonnet: an imported library, the appId ext var and env providers.
local defaults = import 'lib/defaults.libsonnet';
local fromYaml(key) = std.native('provide.yaml')(std.toString({ path: 'settings.yml', key_sep: '_' }), key);

{
  scheduler: defaults.scheduler('jobs'),
  app: defaults.app('ghcr.io/example/batch', 'v1.4.2') {
    command: ['bin/batch', std.extVar('appId')],
    env+: {
      QUEUE_URL: fromYaml('queue_url'),
      WORKERS: std.toString(4 * 2),
    },
  },
}
