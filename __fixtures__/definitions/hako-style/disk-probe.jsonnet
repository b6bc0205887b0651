// A container that needs one extra kernel capability, and labels for the log shipper.
local platform = import 'platform.libsonnet';

{
  scheduler: platform.ec2('ops'),
  app: {
    image: 'registry.example.net/disk-probe',
    tag: '0.9.1',
    cpu: 128,
    memory: 128,
    command: ['probe', '--device', '/dev/xvda'],
    linux_parameters: {
      capabilities: { add: ['SYS_ADMIN'], drop: ['NET_RAW'] },
      init_process_enabled: true,
    },
    docker_labels: {
      'net.example.team': 'ops',
      'net.example.job': std.extVar('appId'),
    },
  },
}
