/** The ECS task state event fixtures of __fixtures__/wait (docs/ecs-events.md, "Event envelope"). */
import { readFileSync } from 'node:fs'

export const TASK_ARN =
  'arn:aws:ecs:ap-northeast-1:123456789012:task/batch/0123456789abcdef0123456789abcdef'
export const TASK_ID = '0123456789abcdef0123456789abcdef'

export type FixtureName =
  | 'running'
  | 'stopped-success'
  | 'stopped-oom'
  | 'stopped-incomplete'
  | 'stopped-failure'
  | 'stopped-pull-failure'

/** A whole EventBridge event, as the notifier stores it. */
export interface TaskEvent {
  detail: Record<string, unknown> & { version: number; lastStatus: string; taskArn: string }
  [key: string]: unknown
}

export function fixtureText(name: FixtureName): string {
  return readFileSync(new URL(`../../__fixtures__/wait/${name}.json`, import.meta.url), 'utf8')
}

export function fixture(name: FixtureName): TaskEvent {
  return JSON.parse(fixtureText(name)) as TaskEvent
}
