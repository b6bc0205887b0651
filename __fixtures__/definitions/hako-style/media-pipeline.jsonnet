// Containers that start in order: a seed step must succeed before the app starts, the app
// waits for the metrics agent to be healthy, and it reads the codec presets from the volumes
// of a data-only container.
local platform = import 'platform.libsonnet';

{
  scheduler: platform.ec2('media'),
  volumes: {
    scratch: {},
  },
  app: {
    image: 'registry.example.net/transcoder',
    tag: 'h265-3',
    cpu: 1024,
    memory: 1536,
    links: ['metrics'],
    depends_on: [
      { container_name: 'seed', condition: 'SUCCESS' },
      { container_name: 'metrics', condition: 'HEALTHY' },
    ],
    mount_points: [{ source_volume: 'scratch', container_path: '/work' }],
    volumes_from: [{ source_container: 'presets', read_only: true }],
  },
  sidecars: {
    seed: {
      image_tag: 'alpine:3.20',
      essential: false,
      cpu: 16,
      memory: 32,
      command: ['sh', '-c', 'mkdir -p /work/in /work/out'],
      mount_points: [{ source_volume: 'scratch', container_path: '/work' }],
    },
    metrics: {
      image_tag: 'registry.example.net/metrics-agent:4',
      cpu: 32,
      memory: 64,
      health_check: { command: ['CMD', 'agent', 'status'], interval: 10, retries: 3 },
    },
    presets: {
      image_tag: 'registry.example.net/codec-presets:2026-10',
      essential: false,
      cpu: 8,
      memory: 16,
      command: ['true'],
    },
  },
}
