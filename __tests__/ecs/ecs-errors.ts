/** ECS errors as the SDK raises them, for tests. */
import {
  AccessDeniedException,
  ClientException,
  ECSServiceException,
  InvalidParameterException,
  ServerException
} from '@aws-sdk/client-ecs'

const meta = (httpStatusCode: number) => ({
  httpStatusCode,
  requestId: 'req-1',
  attempts: 1,
  totalRetryDelay: 0
})

/** ECS does not model throttling: it arrives as the base exception named ThrottlingException. */
export const throttling = (): ECSServiceException =>
  new ECSServiceException({
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: meta(400),
    message: 'Rate exceeded'
  })

export const clientException = (message: string): ClientException =>
  new ClientException({ $metadata: meta(400), message })

export const noSuchFamily = (): ClientException =>
  clientException('Unable to describe task definition.')

export const tooManyConcurrent = (): ClientException =>
  clientException('Too many concurrent attempts to create a new revision of the specified family.')

export const invalidParameter = (message: string): InvalidParameterException =>
  new InvalidParameterException({ $metadata: meta(400), message })

export const accessDenied = (message: string): AccessDeniedException =>
  new AccessDeniedException({ $metadata: meta(400), message })

export const serverException = (): ServerException =>
  new ServerException({ $metadata: meta(500), message: 'Service Unavailable' })

/** A socket error: no HTTP status at all. */
export const networkError = (): Error =>
  Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' })
