/**
 * The post step: stops every task the main step started but did not see stop (a cancelled or
 * crashed main step). It only ever warns: cleanup never fails the job.
 */
import type { AwsClients, ClientOptions } from './aws/clients.js'
import { stopTasks } from './ecs/stop-task.js'
import { STATE, readList, type StateStore } from './state.js'
import { foreignErrorMessage } from './util/errors.js'
import type { Runtime } from './util/runtime.js'

export interface PostDeps extends Runtime {
  state: StateStore
  createClients(options: ClientOptions): Promise<AwsClients>
}

export async function post(deps: PostDeps): Promise<void> {
  const { logger, state } = deps
  try {
    const settled = new Set(readList(state, STATE.settledArns))
    const open = readList(state, STATE.taskArns).filter((arn) => arn !== '' && !settled.has(arn))
    if (open.length === 0) {
      logger.debug('post: no task left to stop')
      return
    }
    const cluster = state.get(STATE.cluster)
    const region = state.get(STATE.region)
    logger.info(`Stopping ${open.length} task(s) the main step did not see stop`)
    const clients = await deps.createClients({ inputRegion: region || undefined })
    const { stopped, failed } = await stopTasks(
      { ecs: clients.ecs, clock: deps.clock, random: deps.random, logger },
      {
        cluster,
        taskArns: open,
        reason: 'Stopped by hako-oneshot-action: the job ended before the task stopped'
      }
    )
    for (const arn of stopped) logger.info(`Stopped ${arn}`)
    // stopTasks has warned about each failure; say how to finish the job by hand.
    for (const taskArn of failed) {
      logger.info(`Stop it by hand: aws ecs stop-task --cluster ${cluster} --task ${taskArn}`)
    }
  } catch (error) {
    logger.warning(`Could not stop the task(s) started by this job: ${foreignErrorMessage(error)}`)
  }
}
