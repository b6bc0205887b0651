// A Fargate service behind an internal network load balancer; run as a one-off task, the
// service keys (desired_count, elb_v2) are ignored. Settings come from catalog.yml.
local platform = import 'platform.libsonnet';
local proxy = import 'edge-proxy.libsonnet';
local setting(key) = std.native('provide.yaml')(std.toString({ path: 'catalog.yml', key_sep: '/', ary_sep: ' ' }), key);

{
  scheduler: platform.fargate('catalog', 512, 1024) + {
    desired_count: 2,
    local awsvpc = super.network_configuration.awsvpc_configuration,
    elb_v2: {
      type: 'network',
      scheme: 'internal',
      vpc_id: 'vpc-0c4t',
      subnets: awsvpc.subnets,
      listeners: [{ port: 443, protocol: 'TCP' }],
      container_name: 'proxy',
      container_port: 443,
    },
  },
  app: {
    image: 'registry.example.net/catalog-api',
    tag: 'v31',
    cpu: 512,
    memory: 1024,
    port_mappings: [{ container_port: 7000, host_port: 7000, protocol: 'TCP' }],
    depends_on: [{ container_name: 'proxy', condition: 'START' }],
    env: {
      SEARCH_ENDPOINT: setting('search/endpoint'),
      SEARCH_SHARDS: setting('search/shards'),
      LANGUAGES: setting('languages'),
    },
    log_configuration: platform.logs('api'),
  },
  sidecars: {
    proxy: proxy {
      upstream_port:: 7000,
      listen_host_port:: 443,
      env+: { UPSTREAM_PROTOCOL: 'grpc' },
    },
  },
}
