/**
 * `mode: summary`: a step in a final job (`needs:` the fan-out, `if: always()`) reads the ledger
 * of this workflow run from the notification bucket (src/ledger/reader.ts) and writes one job
 * summary of the whole fan-out, with its counts as outputs (src/report/batch-summary.ts). It reads
 * only S3: one LIST page per 1,000 records and at most one GET per record, no ECS call.
 */
import type { AwsClients, ClientOptions } from './aws/clients.js'
import type { RenderedDefinition } from './definition/rendered.js'
import type { ActionInputs } from './inputs-types.js'
import { readRunLedger } from './ledger/reader.js'
import { runPrefixOf } from './ledger/records.js'
import type { ReportIO } from './report/report.js'
import { batchFailure, batchOf, batchOutputs, batchSummary } from './report/batch-summary.js'
import { UserError, foreignErrorMessage } from './util/errors.js'
import type { Logger } from './util/logger.js'
import { resolveNotificationPrefix } from './wait/prefix.js'

/** What the summary mode needs from the outside world (a part of main's dependencies). */
export interface SummaryModeDeps extends ReportIO {
  logger: Logger
  env: NodeJS.ProcessEnv
  createClients(options: ClientOptions): Promise<AwsClients>
}

/**
 * Reads the ledger of this workflow run, writes the summary and sets the outputs. Returns the
 * step's failure message, or undefined when the step passes.
 * @throws UserError when there is no notification prefix or no workflow run to read.
 */
export async function summarizeRun(
  deps: SummaryModeDeps,
  input: {
    inputs: Pick<
      ActionInputs,
      'definition' | 'notificationPrefix' | 'region' | 'jobs' | 'failOnError'
    >
    rendered: Pick<RenderedDefinition, 'notificationPrefix' | 'region'>
  }
): Promise<string | undefined> {
  const { inputs, rendered } = input
  const { logger } = deps
  const runId = deps.env.GITHUB_RUN_ID?.trim()
  if (!runId) {
    throw new UserError(
      'mode: summary reads the ledger of this workflow run, and GITHUB_RUN_ID is not set: ' +
        'run it in a job of the workflow run whose tasks it summarizes'
    )
  }
  const clients = await deps.createClients({
    inputRegion: inputs.region,
    definitionRegion: rendered.region,
    scaleOut: false,
    publish: false
  })
  const prefix = resolveNotificationPrefix({
    input: inputs.notificationPrefix,
    definitionValue: rendered.notificationPrefix,
    definitionFile: inputs.definition,
    defaultRegion: clients.region
  })
  if (prefix === undefined || prefix === 'none') {
    throw new UserError(
      'mode: summary reads the ledger in the notification bucket, and there is none: set the ' +
        `input 'notification-prefix' or scheduler.oneshot_notification_prefix in ` +
        `${inputs.definition} to the s3://bucket/prefix the fan-out jobs use` +
        (prefix === 'none' ? " (it is 'none')" : '')
    )
  }
  const region = prefix.region ?? clients.region
  const location = `s3://${prefix.bucket}/${runPrefixOf(prefix.prefix, runId)}`
  const jobs = inputs.jobs
  const ledger = await logger.group('Read the ledger', async () => {
    logger.info(
      `Reading ${location}` + (jobs === undefined ? ' (every job)' : ` (jobs ${jobs.join(', ')})`)
    )
    const read = await readRunLedger(
      { s3: clients.s3(region), logger },
      {
        bucket: prefix.bucket,
        prefix: prefix.prefix,
        runId,
        region,
        ...(jobs !== undefined ? { jobs } : {})
      }
    )
    logger.info(
      `${read.jobs.length} job segment(s): ${read.listPages} LIST page(s), ${read.gets} GET(s)`
    )
    return read
  })
  const batch = batchOf(ledger, jobs)
  return logger.group('Report', async () => {
    const outputs = batchOutputs(batch)
    for (const [name, value] of Object.entries(outputs)) deps.setOutput(name, value)
    logger.info(
      `${outputs.total} task(s): ${outputs.succeeded} succeeded, ${outputs.failed} failed or not ` +
        `run (${outputs['not-run']} not run), ${outputs.running} running`
    )
    try {
      await deps.writeSummary(batchSummary(batch, { runId, location }))
    } catch (error) {
      logger.warning(`Could not write the job summary: ${foreignErrorMessage(error)}`)
    }
    return batchFailure(batch, { failOnError: inputs.failOnError, listed: ledger.listed, location })
  })
}
