local spin(n) = if n < 0 then n else spin(n + 1) tailstrict;
{ scheduler: { type: 'ecs' }, app: { image: 'busybox', cpu: spin(0) } }
