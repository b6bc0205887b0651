/**
 * The AWS JSON 1.1 wire protocol on loopback: `POST /` with `X-Amz-Target: <prefix>.<Operation>`
 * and a JSON body, answered with `application/x-amz-json-1.1`. Errors are
 * `{"__type": "<Name>", "message": "..."}` with the service's HTTP status, which the SDK v3
 * clients turn into an error whose `name` is `<Name>`. Signatures are not checked.
 * An AWS Query protocol service (form-encoded `Action=...`, XML answers) can share the port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** An error answered to the client as the named AWS exception. */
export class AwsError extends Error {
  constructor(
    /** The exception name (`__type`), e.g. `ClientException`. */
    readonly type: string,
    message: string,
    /** HTTP status; AWS answers 400 for client-side errors and throttling. */
    readonly status = 400,
    /** Further fields of the error body (ConflictException's resourceIds). */
    readonly fields: Record<string, unknown> = {}
  ) {
    super(message)
    this.name = type
  }
}

/** Answers one JSON 1.1 operation: the parsed request body in, the response body out. */
export type JsonHandler = (operation: string, body: Record<string, unknown>) => Promise<unknown>

/** Answers one Query protocol action: form parameters in, an XML document out. */
export type QueryHandler = (action: string, params: URLSearchParams) => Promise<string>

export interface JsonServerOptions {
  /** JSON 1.1 services by target prefix, e.g. `AmazonEC2ContainerServiceV20141113`. */
  services: Record<string, JsonHandler>
  /** The Query protocol service on this port, if any. */
  query?: QueryHandler
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number
}

export interface JsonServer {
  /** http://127.0.0.1:<port> */
  endpoint: string
  close(): Promise<void>
}

const JSON_TYPE = 'application/x-amz-json-1.1'

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

let requestCounter = 0
function requestId(): string {
  requestCounter++
  return `00000000-0000-4000-8000-${requestCounter.toString(16).padStart(12, '0')}`
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId()
  })
  response.end(body)
}

function sendJsonError(response: ServerResponse, error: AwsError): void {
  send(
    response,
    error.status,
    JSON_TYPE,
    JSON.stringify({ ...error.fields, __type: error.type, message: error.message })
  )
}

function sendQueryError(response: ServerResponse, error: AwsError): void {
  const code = error.type.replace(/Exception$/, '') === 'Throttling' ? 'Throttling' : error.type
  const body =
    `<ErrorResponse xmlns="https://autoscaling.amazonaws.com/doc/2011-01-01/"><Error>` +
    `<Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(error.message)}</Message>` +
    `</Error><RequestId>${requestId()}</RequestId></ErrorResponse>`
  send(response, error.status, 'text/xml', body)
}

/** Escapes text for an XML element body. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function toAwsError(error: unknown): AwsError {
  if (error instanceof AwsError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new AwsError('ServerException', `Simulator error: ${message}`, 500)
}

async function handle(
  options: JsonServerOptions,
  request: IncomingMessage,
  response: ServerResponse
): Promise<void> {
  const raw = await readBody(request)
  const target = request.headers['x-amz-target']
  const contentType = request.headers['content-type'] ?? ''
  if (typeof target !== 'string' && contentType.startsWith('application/x-www-form-urlencoded')) {
    const params = new URLSearchParams(raw)
    const action = params.get('Action') ?? ''
    if (!options.query) {
      sendQueryError(response, new AwsError('InvalidAction', `Unknown action ${action}`))
      return
    }
    try {
      send(response, 200, 'text/xml', await options.query(action, params))
    } catch (error) {
      sendQueryError(response, toAwsError(error))
    }
    return
  }
  const [prefix = '', operation = ''] = typeof target === 'string' ? target.split('.') : []
  const service = options.services[prefix]
  if (!service) {
    sendJsonError(
      response,
      new AwsError('UnknownOperationException', `Unknown target '${String(target)}'`)
    )
    return
  }
  let body: Record<string, unknown>
  try {
    const parsed: unknown = raw.trim() === '' ? {} : JSON.parse(raw)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('not an object')
    }
    body = parsed as Record<string, unknown>
  } catch {
    sendJsonError(response, new AwsError('SerializationException', 'Start of structure expected'))
    return
  }
  try {
    const result = await service(operation, body)
    send(response, 200, JSON_TYPE, JSON.stringify(result ?? {}))
  } catch (error) {
    sendJsonError(response, toAwsError(error))
  }
}

/** Starts the server on 127.0.0.1. */
export async function startJsonServer(options: JsonServerOptions): Promise<JsonServer> {
  const server = createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJsonError(response, toAwsError(error))
    })
  })
  // Many job processes keep connections alive; do not let idle sockets pile up forever.
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      })
  }
}
