// The storefront with a different tag and one more variable: the whole definition is
// imported and changed with `+:` and `super` instead of being copied.
local base = import 'storefront.jsonnet';

base {
  scheduler+: { cluster: 'shop-preview', desired_count: 1 },
  app+: {
    tag: 'preview-' + std.extVar('appId'),
    memory: super.memory * 2,
    env+: { PREVIEW: 'true' },
  },
  sidecars+: {
    proxy+: { env+: { UPSTREAM_TIMEOUT: '30s' } },
    cache+: { memory: super.memory / 2 },
  },
}
