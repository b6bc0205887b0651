import type { RegisterTaskDefinitionCommandInput, RunTaskCommandInput } from '@aws-sdk/client-ecs'

/**
 * What the rest of the action needs from a loaded, validated and rendered hako definition.
 * Produced by `loadAndRender` (index.ts in this folder); consumed by src/ecs,
 * src/wait and src/report.
 */
export interface RenderedDefinition {
  /** Path of the definition file as given. */
  file: string
  /** File name without extension (hako's appId). */
  appId: string
  /** `<appId>-oneshot`. */
  family: string
  /** scheduler.region, when set. */
  region?: string
  /** The `cluster` input, else scheduler.cluster, else 'default'. */
  cluster: string
  /** scheduler.oneshot_notification_prefix, verbatim, when set. */
  notificationPrefix?: string
  /** scheduler.autoscaling_group_for_oneshot, when set. */
  autoscalingGroupForOneshot?: string
  /** scheduler.autoscaling_topic_for_oneshot, when set. */
  autoscalingTopicForOneshot?: string
  /** The RegisterTaskDefinition request, exactly as it would be sent. */
  registerRequest: RegisterTaskDefinitionCommandInput
  /**
   * The RunTask request as the definition gives it: `taskDefinition` is the family name (the
   * run replaces it with the resolved ARN); no startedBy, group, tags, clientToken, nor any
   * task's command and env yet (the run plan adds them, src/plan.ts).
   */
  runTaskRequest: RunTaskCommandInput & { taskDefinition: string; cluster: string }
  /**
   * The app container's log configuration as rendered (logDriver and options), for the logs
   * link and tail; undefined when app has none.
   */
  appLogConfiguration?: { logDriver: string; options: Record<string, string> }
  /** Notices for the user (ignored `scripts`, ...), logged by the shell. */
  notices: string[]
}
