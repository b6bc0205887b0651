// As little as a one-off task needs.
{
  scheduler: { type: 'ecs', region: 'eu-west-1', cluster: 'ops' },
  app: { image: 'alpine', tag: '3.20', cpu: 64, memory: 64, command: ['echo', std.extVar('appId')] },
}
