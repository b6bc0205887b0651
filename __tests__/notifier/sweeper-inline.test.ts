/**
 * The sweeper's inline code as Lambda loads it (sim/lambda.ts): CommonJS, one SDK module, its
 * clusters from CLUSTER_ARNS. __tests__/e2e/sweeper.test.ts runs it against the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { fileURLToPath } from 'node:url'
import { inlineLambda, type InlineLambda } from '../../sim/lambda.js'
import { scheduledEvent } from '../../sim/schedule.js'
import { at, loadNotifierTemplate } from './cloudformation.js'

const code = () =>
  (
    at(loadNotifierTemplate(), 'Resources', 'SweeperFunction', 'Properties', 'Code') as {
      ZipFile: string
    }
  ).ZipFile

describe("the sweeper's inline code", () => {
  let lambda: InlineLambda
  beforeAll(() => {
    lambda = inlineLambda(code(), {
      sdkPath: fileURLToPath(new URL('../../node_modules', import.meta.url)),
      env: { AWS_REGION: 'ap-northeast-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' }
    })
  })
  afterAll(() => lambda.close())

  it('is CommonJS with one import, @aws-sdk/client-ecs', () => {
    expect(code()).not.toMatch(/^\s*(import|export)\s/m)
    expect(code().match(/require\([^)]*\)/g)).toEqual(['require("@aws-sdk/client-ecs")'])
    expect(code()).toContain('exports.handler = handler;')
  })

  it('fails the invocation, calling nothing, when CLUSTER_ARNS is not set', async () => {
    const event = scheduledEvent(Date.UTC(2026, 11, 2, 4, 0, 0), {
      account: '123456789012',
      region: 'ap-northeast-1',
      rule: 'sweeper',
      sequence: 0
    })
    expect(await lambda.invoke(event, { CLUSTER_ARNS: ' , ' })).toEqual([
      'ERROR Error: Set CLUSTER_ARNS to the ARNs of the clusters to sweep'
    ])
  })

  it('makes no call in an odd scheduled minute on a fresh instance, and says so', async () => {
    const event = scheduledEvent(Date.UTC(2026, 11, 2, 4, 1, 0), {
      account: '123456789012',
      region: 'ap-northeast-1',
      rule: 'sweeper',
      sequence: 1
    })
    // An endpoint nobody listens on: any call would fail the invocation.
    const lines = await lambda.invoke(event, {
      CLUSTER_ARNS: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/batch',
      AWS_ENDPOINT_URL_ECS: 'http://127.0.0.1:9'
    })
    expect(lines).toEqual([
      'stopped 0, calls {} ',
      `OUTCOME ${JSON.stringify({ stopped: [], calls: {}, cut: '' })}`
    ])
  })
})
