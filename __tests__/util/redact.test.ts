import { describe, expect, it } from '@jest/globals'
import { redactInput } from '../../src/util/redact.js'

const SECRET = 'hunter2-3f9a7c'

describe('redactInput', () => {
  it.each<[string, string, string]>([
    ['env', `SHARD=3\nAPI_TOKEN=${SECRET}`, 'SHARD=***\nAPI_TOKEN=***'],
    ['env', `# a comment\n\n  URL=https://u:${SECRET}@h/x=1`, '# a comment\n\n  URL=***'],
    ['env', `not a pair ${SECRET}`, '***'],
    ['env', '', ''],
    [
      'tasks',
      `[{"command":["a"],"env":{"A":"1","B":"${SECRET}"}},{"command":"b"}]`,
      '[{"command":["a"],"env":{"A":"***","B":"***"}},{"command":"b"}]'
    ],
    ['tasks', `[{"env":"B=${SECRET}"}]`, '[{"env":"***"}]'],
    ['tasks', `{"env":{"B":"${SECRET}"}}`, '***'],
    ['tasks', `[{"env":{"B":"${SECRET}"}`, '*** (30 characters, not JSON)'],
    ['tasks', '', ''],
    ['command', 'rake batch:run', 'rake batch:run'],
    ['tags', 'team=data', 'team=data']
  ])('shows input %s %j as %j', (name, value, shown) => {
    expect(redactInput(name, value)).toBe(shown)
  })
})
