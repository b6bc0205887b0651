import type { Clock, Random } from './clock.js'
import type { Logger } from './logger.js'

/**
 * What nearly every module takes from the outside world besides its AWS clients: the time, the
 * chance and the log. Modules extend it with the clients they call (`RegisterDeps` adds `ecs`).
 */
export interface Runtime {
  clock: Clock
  random: Random
  logger: Logger
}
