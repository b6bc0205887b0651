local forever(n) = forever(n + 1) + 1;
{ scheduler: { type: 'ecs' }, app: { image: 'busybox', cpu: forever(0) } }
