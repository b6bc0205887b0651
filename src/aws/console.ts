/**
 * Links into the AWS Management Console, for every partition: the console has its own host in
 * the China regions (`<region>.console.amazonaws.cn`) and in GovCloud
 * (`console.amazonaws-us-gov.com`), so one builder serves every link the action prints
 * (docs/ecs-events.md, "Console links").
 */

/** The partition of a region: `aws`, `aws-cn` (cn-*) or `aws-us-gov` (us-gov-*). */
export function partitionOf(region: string): 'aws' | 'aws-cn' | 'aws-us-gov' {
  if (region.startsWith('cn-')) return 'aws-cn'
  if (region.startsWith('us-gov-')) return 'aws-us-gov'
  return 'aws'
}

/** The console's origin for a region's partition. */
export function consoleOrigin(region: string): string {
  switch (partitionOf(region)) {
    case 'aws-cn':
      return `https://${region}.console.amazonaws.cn`
    case 'aws-us-gov':
      return 'https://console.amazonaws-us-gov.com'
    default:
      return `https://${region}.console.aws.amazon.com`
  }
}

/** The ECS console page of a task. `cluster` may be a name or an ARN. */
export function ecsTaskConsoleUrl(region: string, cluster: string, taskArn: string): string {
  const clusterName = cluster.startsWith('arn:') ? (cluster.split('/').pop() ?? cluster) : cluster
  const taskId = taskArn.split('/').pop() ?? taskArn
  return (
    `${consoleOrigin(region)}/ecs/v2/clusters/${encodeURIComponent(clusterName)}` +
    `/tasks/${encodeURIComponent(taskId)}/configuration?region=${encodeURIComponent(region)}`
  )
}

/**
 * A log group or stream name as the CloudWatch console's log-events link writes it: URL-encoded
 * twice, then every `%` written `$` (docs/ecs-events.md, "Console links").
 */
export function consoleEncode(name: string): string {
  return encodeURIComponent(encodeURIComponent(name)).replace(/%/g, '$')
}

/** The CloudWatch console page of one log stream. */
export function logStreamConsoleUrl(region: string, group: string, stream: string): string {
  return (
    `${consoleOrigin(region)}/cloudwatch/home?region=${encodeURIComponent(region)}` +
    `#logsV2:log-groups/log-group/${consoleEncode(group)}/log-events/${consoleEncode(stream)}`
  )
}
