import { describe, expect, it } from '@jest/globals'
import { isoFromEpochSeconds, taskStateEvent } from '../../sim/events.js'

describe('taskStateEvent', () => {
  it('wraps a wire task in the EventBridge envelope with ISO timestamps (docs/ecs-events.md, "Event envelope")', () => {
    const taskArn = 'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/abc'
    const event = taskStateEvent({
      wireTask: {
        taskArn,
        lastStatus: 'STOPPED',
        createdAt: 1748736000.25,
        stoppedAt: 1748736010,
        version: 5,
        containers: []
      },
      id: 'id-1',
      account: '123456789012',
      region: 'ap-northeast-1',
      at: 1748736010500
    })
    expect(event).toEqual({
      version: '0',
      id: 'id-1',
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: '123456789012',
      time: '2025-06-01T00:00:10Z',
      region: 'ap-northeast-1',
      resources: [taskArn],
      detail: {
        taskArn,
        lastStatus: 'STOPPED',
        createdAt: '2025-06-01T00:00:00.250Z',
        stoppedAt: '2025-06-01T00:00:10.000Z',
        updatedAt: '2025-06-01T00:00:10.500Z',
        version: 5,
        containers: []
      }
    })
  })

  it('converts epoch seconds to milliseconds exactly', () => {
    expect(isoFromEpochSeconds(1748736000.123)).toBe('2025-06-01T00:00:00.123Z')
  })
})
