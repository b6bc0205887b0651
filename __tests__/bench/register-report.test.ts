import { describe, expect, it } from '@jest/globals'
import { raceGoals, spliceSection, type RaceResult } from '../../bench/lib/register-report.js'

const result = (over: Partial<RaceResult>): RaceResult => ({
  variant: 'cache',
  phase: 'changed',
  jobs: 60,
  mode: 'processes',
  failed: 0,
  revisions: 1,
  arns: 1,
  registeredJobs: 1,
  throttled: {},
  describeCalls: 1,
  registerCalls: 1,
  before: { max: 3, median: 1, winner: 3 },
  startToRun: {},
  barrierToRun: {},
  s3PerJob: 3,
  warnedJobs: 0,
  barrierTimedOut: false,
  ...over
})

describe('raceGoals', () => {
  it('checks each goal against the races it is about', () => {
    const goals = raceGoals([
      result({}),
      result({
        phase: 'same',
        revisions: 0,
        describeCalls: 0,
        registerCalls: 0,
        before: { max: 1, median: 1 }
      }),
      result({ jobs: 200, revisions: 2, throttled: { DescribeTaskDefinition: 4 } }),
      result({ variant: 'no-write', jobs: 30, revisions: 3 }),
      result({ variant: 'today', revisions: 6 })
    ])
    expect(goals.map((g) => [g.reached, g.goal, g.detail])).toEqual([
      [false, 'Exactly 1 revision per changed definition (bucket cache)', '60: 1; 200: 2'],
      [
        false,
        '0 throttled RegisterTaskDefinition and DescribeTaskDefinition answers (bucket cache)',
        '60: changed 0; 200: changed 4; 60: same 0'
      ],
      [true, 'On a hit, 0 DescribeTaskDefinition and RegisterTaskDefinition calls', '60: 0'],
      [true, 'ECS calls per job before the wait: 1 on a hit', '60: max 1'],
      [
        true,
        'ECS calls per job before the wait: the winner 3 at most (the others 1)',
        '60: winner 3, median 1, max 3; 200: winner 3, median 1, max 3'
      ],
      [true, 'Without s3:PutObject: every job runs', '30: 0 failed'],
      [true, 'Without s3:PutObject: at most 3 revisions for 30 racing jobs', '30: 3']
    ])
  })
})

describe('spliceSection', () => {
  it('appends the section between markers, then replaces it in place', () => {
    const once = spliceSection('# Results\n\ntext\n', '## Race\n\nv1\n')
    expect(once).toBe(
      '# Results\n\ntext\n\n<!-- register-race:start -->\n\n## Race\n\nv1\n\n<!-- register-race:end -->\n'
    )
    const twice = spliceSection(`${once}\n## After\n`, '## Race\n\nv2')
    expect(twice).toBe(
      '# Results\n\ntext\n\n<!-- register-race:start -->\n\n## Race\n\nv2\n\n<!-- register-race:end -->\n\n## After\n'
    )
  })
})
