/**
 * The tests run on the action's runtime, Node 24 (runs.using: node24): `npm test` and `.ci/run`
 * go through scripts/node24.sh, which fetches Node 24 when the machine's node is older.
 */
import { describe, expect, it } from '@jest/globals'

describe('the test runtime', () => {
  it('is Node 24 or later, the runtime the action runs on (run the tests with npm test)', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24)
  })
})
