// The proxy container that sits in front of a web app. `upstream_port` is where the app
// listens; `listen_host_port` is 0 on EC2 (a dynamic port) and 443 in awsvpc mode, where the
// host port must equal the container port. A definition adds to `env` with `env+:`.
{
  upstream_port:: 8080,
  listen_host_port:: 0,
  image_tag: 'registry.example.net/edge-proxy:2.7',
  cpu: 64,
  memory: 96,
  port_mappings: [
    { container_port: 443, host_port: $.listen_host_port, protocol: 'tcp' },
  ],
  env: {
    UPSTREAM: 'http://127.0.0.1:' + $.upstream_port,
  },
  docker_labels: {
    'net.example.role': 'edge-proxy',
  },
}
