local provide(name) = std.native('provide.file')(std.toString({ path: '../batch.env' }), name);
{
  scheduler: { type: 'ecs' },
  app: { image: 'busybox', env: { PASSWORD: provide('PASSWORD') } },
}
