// A Fargate batch job. hako's examples write cpu, memory and the storage size as strings.
local platform = import 'platform.libsonnet';

{
  scheduler: platform.fargate('billing', 2048, 4096) {
    ephemeral_storage: { size_in_gi_b: '25' },
  },
  app: {
    image: 'registry.example.net/invoice-export',
    tag: 'r418',
    cpu: 2048,
    memory: 3584,
    memory_reservation: 2048,
    command: ['export-invoices', '--month', 'previous'],
    log_configuration: platform.logs('export'),
  },
}
