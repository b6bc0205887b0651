// A web shop on EC2: the shared proxy in front, a cache next to it, values from storefront.env.
local platform = import 'platform.libsonnet';
local proxy = import 'edge-proxy.libsonnet';
local fromEnv(key) = std.native('provide.file')(std.toString({ path: 'storefront.env' }), key);

{
  scheduler: platform.ec2('shop') {
    desired_count: 3,
    deployment_configuration: { maximum_percent: 150, minimum_healthy_percent: 100 },
  },
  app: {
    image: 'registry.example.net/storefront',
    tag: '2026.11.3',
    cpu: 512,
    memory: 768,
    command: ['bin/serve', '--port', '8080'],
    links: ['cache:cache'],
    depends_on: [{ container_name: 'proxy', condition: 'START' }],
    env: {
      PORT: '8080',
      CURRENCY: fromEnv('CURRENCY'),
      PAYMENT_GATEWAY: fromEnv('PAYMENT_GATEWAY'),
      BANNER: '%s, shopper' % fromEnv('GREETING'),
    },
    health_check: {
      command: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/ping || exit 1'],
      interval: 20,
      timeout: 4,
      retries: 5,
      start_period: 15,
    },
    log_configuration: platform.logs('web'),
  },
  sidecars: {
    proxy: proxy { upstream_port:: 8080 },
    cache: {
      image_tag: 'memcached:1.6-alpine',
      cpu: 32,
      memory: 128,
    },
  },
}
