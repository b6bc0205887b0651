/**
 * `npm run sim`: starts the local ECS + CloudWatch Logs endpoint and the S3 server, prints the
 * environment to export for trying the action (or any AWS CLI/SDK call) by hand, with the
 * notification prefix as SIM_NOTIFICATION_PREFIX, logs each task state change, and stops on
 * SIGINT or SIGTERM with a summary of the calls it answered. A shell starts a background job
 * with SIGINT ignored, so stop a backgrounded simulator with SIGTERM (`kill <pid>`).
 */
import { parseArgs } from 'node:util'
import { startLocalAws, type FleetOptions, type LocalAwsOptions } from './index.js'

const USAGE = `Usage: npm run sim -- [options]

  --region <name>          region in ARNs (default ap-northeast-1)
  --time-scale <n>         real seconds per simulated second (default 1; 0.1 = ten times faster)
  --seed <n>               seed for ids and delivery faults (default 1)
  --port <n>               ECS + Logs port on 127.0.0.1 (default: a free one)
  --s3-port <n>            S3 port on 127.0.0.1 (default: a free one)
  --bucket <name>          notification bucket (default oneshot-notifications)
  --key-prefix <path>      key prefix in the bucket (default oneshot)
  --clusters <a,b>         the only clusters that exist (default: every name exists)
  --fleet <cluster=n>      n EC2 container instances (2048 CPU, 3800 MiB) in cluster; repeatable
  --delay <s>              event delivery delay, seconds (default 0.3)
  --jitter <s>             extra random delivery delay, seconds (default 0.4)
  --duplicate <p>          probability an event is delivered twice (default 0)
  --late <p>               probability an event arrives 3 s late, out of order (default 0)
  --drop <p>               probability an event is lost (default 0)
  --drop-status <STATUS>   lose every event with this lastStatus (e.g. STOPPED); repeatable
  --no-throttling          turn the token buckets off
  --quiet                  do not log task state changes
`

function number(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`--${name} must be a non-negative number, got '${raw}'`)
  }
  return value
}

/** Parses the command line into startLocalAws options. */
export function parseCli(argv: string[]): { options: LocalAwsOptions; quiet: boolean } | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      region: { type: 'string' },
      'time-scale': { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string' },
      's3-port': { type: 'string' },
      bucket: { type: 'string' },
      'key-prefix': { type: 'string' },
      clusters: { type: 'string' },
      fleet: { type: 'string', multiple: true },
      delay: { type: 'string' },
      jitter: { type: 'string' },
      duplicate: { type: 'string' },
      late: { type: 'string' },
      drop: { type: 'string' },
      'drop-status': { type: 'string', multiple: true },
      'no-throttling': { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) return 'help'
  const fleet: Record<string, FleetOptions> = {}
  for (const item of values.fleet ?? []) {
    const [cluster, count] = item.split('=')
    const instances = number('fleet', count)
    if (!cluster || instances === undefined) {
      throw new Error(`--fleet must be cluster=count, got '${item}'`)
    }
    fleet[cluster] = { instances }
  }
  return {
    quiet: values.quiet ?? false,
    options: {
      region: values.region,
      timeScale: number('time-scale', values['time-scale']),
      seed: number('seed', values.seed),
      ports: { aws: number('port', values.port), s3: number('s3-port', values['s3-port']) },
      bucket: values.bucket,
      keyPrefix: values['key-prefix'],
      clusters: values.clusters?.split(',').filter(Boolean),
      fleet,
      throttling: values['no-throttling'] ? false : undefined,
      delivery: {
        delaySeconds: number('delay', values.delay),
        jitterSeconds: number('jitter', values.jitter),
        duplicateProbability: number('duplicate', values.duplicate),
        lateProbability: number('late', values.late),
        dropProbability: number('drop', values.drop),
        dropStatuses: values['drop-status']
      }
    }
  }
}

async function main(): Promise<void> {
  const parsed = parseCli(process.argv.slice(2))
  if (parsed === 'help') {
    process.stdout.write(USAGE)
    return
  }
  const { options, quiet } = parsed
  const err = (line: string): void => void process.stderr.write(`${line}\n`)
  const local = await startLocalAws({
    ...options,
    onEvent: quiet
      ? undefined
      : (event) => {
          const d = event.detail
          const exits = d.containers
            .filter((c) => c.exitCode !== undefined || c.reason !== undefined)
            .map((c) => `${String(c.name)}=${String(c.exitCode ?? c.reason)}`)
          err(
            `[sim] ${event.time} ${d.taskArn} v${d.version} ${d.lastStatus}/${d.desiredStatus}` +
              (typeof d.stopCode === 'string' ? ` ${d.stopCode}` : '') +
              (exits.length > 0 ? ` ${exits.join(' ')}` : '')
          )
        }
  })
  // stdout carries only lines a shell can source (`npm run -s sim > sim.env`; without -s npm
  // adds its banner), the prefix among them, so a script never has to read stderr for it.
  process.stdout.write(
    Object.entries({ ...local.env, SIM_NOTIFICATION_PREFIX: local.prefix })
      .map(([name, value]) => `export ${name}=${value}\n`)
      .join('')
  )
  err(`[sim] ECS + CloudWatch Logs: ${local.ecsEndpoint}`)
  err(`[sim] S3: ${local.s3Endpoint} (bucket ${local.bucket})`)
  err(`[sim] oneshot_notification_prefix: ${local.prefix}`)
  err('[sim] script tasks with SIM_* env vars (sim/README.md); Ctrl-C or SIGTERM stops')

  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    const stats = local.stats()
    err(
      `[sim] ECS calls: ${JSON.stringify(stats.ecs.calls)} throttled: ${JSON.stringify(stats.ecs.throttled)}`
    )
    err(
      `[sim] S3 requests: ${JSON.stringify(stats.s3.byOperation)} events: ${JSON.stringify(stats.events)}`
    )
    local.close().then(
      () => process.exit(0),
      (error: unknown) => {
        err(`[sim] close failed: ${error instanceof Error ? error.message : String(error)}`)
        process.exit(1)
      }
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`sim: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`)
  process.exit(2)
})
