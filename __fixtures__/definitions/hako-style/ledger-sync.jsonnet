// Secrets from Parameter Store and Secrets Manager, with one plain value from catalog.yml.
local platform = import 'platform.libsonnet';
local ssm(name) = 'arn:aws:ssm:%s:%s:parameter/ledger/%s' % [platform.region, platform.account, name];

{
  scheduler: platform.ec2('billing') { task_role_arn: 'arn:aws:iam::210987654321:role/ledger-sync' },
  app: {
    image: 'registry.example.net/ledger-sync',
    tag: '5.0.2',
    cpu: 256,
    memory: 512,
    env: {
      SEARCH_ENDPOINT: std.native('provide.yaml')(std.toString({ path: 'catalog.yml' }), 'search.endpoint'),
    },
    secrets: [
      { name: 'LEDGER_API_TOKEN', value_from: ssm('api-token') },
      { name: 'LEDGER_DB_URL', value_from: ssm('db-url') },
      {
        name: 'SIGNING_KEY',
        value_from: 'arn:aws:secretsmanager:eu-west-1:210987654321:secret:ledger/signing-Qx81Zp:private_key::',
      },
    ],
  },
}
