{
  scheduler: { type: 'ecs' },
  app: {
    image: 'busybox',
    env: { TOKEN: std.native('provide.vault')(std.toString({ path: 'secret/token' }), 'TOKEN') },
  },
}
