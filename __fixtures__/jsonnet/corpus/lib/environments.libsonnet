// Per-environment settings, merged over shared defaults.
local shared = {
  replicas: 1,
  cpu: 256,
  memory: 512,
  log_level: 'info',
  features: ['search'],
  database: { host: 'db.internal', port: 5432, pool: 5, ssl: true },
  cache: { host: 'cache.internal', port: 6379, ttl_seconds: 300 },
  queues: { default: 'jobs', mailers: 'mail', low: 'bulk' },
  alarms: { cpu_high: 80, memory_high: 85, errors_per_minute: 10 },
};

local overrides = {
  development: {
    log_level: 'debug',
    features+: ['debug-toolbar', 'seed-data'],
    database+: { host: 'localhost', ssl: false },
    cache+: { host: 'localhost' },
  },
  staging: {
    replicas: 2,
    cpu: 512,
    memory: 1024,
    features+: ['billing', 'export'],
    database+: { pool: 10 },
    alarms+: { errors_per_minute: 50 },
  },
  production: {
    replicas: 6,
    cpu: 1024,
    memory: 2048,
    log_level: 'warn',
    features+: ['billing', 'export', 'audit'],
    database+: { host: 'db-primary.internal', pool: 25 },
    cache+: { ttl_seconds: 900 },
    queues+: { critical: 'urgent' },
    alarms+: { cpu_high: 70, memory_high: 75 },
  },
};

{
  names:: std.objectFields(overrides),
  get(name)::
    assert std.objectHas(overrides, name) : 'unknown environment %s; known: %s' % [name, std.join(', ', self.names)];
    shared + overrides[name] + { name: name },

  // Environment variables an app reads, flattened from the settings.
  env(settings):: {
    APP_ENV: settings.name,
    LOG_LEVEL: std.asciiUpper(settings.log_level),
    FEATURES: std.join(',', std.set(settings.features)),
    DATABASE_URL: 'postgres://%(host)s:%(port)d/app?pool=%(pool)d&ssl=%(ssl)s' % settings.database,
    CACHE_URL: 'redis://%s:%d' % [settings.cache.host, settings.cache.port],
    CACHE_TTL: std.toString(settings.cache.ttl_seconds),
  } + {
    ['QUEUE_' + std.asciiUpper(q)]: settings.queues[q]
    for q in std.objectFields(settings.queues)
  },
}
