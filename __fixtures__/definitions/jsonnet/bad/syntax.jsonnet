{
  scheduler: { type: 'ecs' },
  app: { image: 'busybox' memory: 512 },
}
