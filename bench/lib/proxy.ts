/**
 * A recording pass-through proxy on 127.0.0.1, put between job processes and the simulator's
 * endpoints so the demo and the benchmark can tell which job sent which request: each job runs
 * with its own `AWS_SDK_UA_APP_ID`, which the SDK v3 appends to the user agent as `app/<id>`.
 * The simulator's own counters are account-wide; these are per job, with a timestamp, the
 * operation and whether ECS answered ThrottlingException. Headers (Host included, which SigV4
 * signs) are forwarded unchanged, so s3rver's signature check still passes.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request as the proxy saw it. */
export interface RecordedRequest {
  /** The `app/<id>` of the user agent; '' when there is none. */
  appId: string
  /** `ecs`, `logs` (CloudWatch Logs, on the same simulator port) or `s3`. */
  service: 'ecs' | 'logs' | 's3'
  /** ECS/Logs operation from X-Amz-Target, or the S3 operation from the method and path. */
  operation: string
  /** Epoch ms when the request arrived. */
  at: number
  /** HTTP status of the answer. */
  status: number
  /** The answer was a ThrottlingException (AWS JSON) or SlowDown (S3). */
  throttled: boolean
  /** Epoch ms when the answer was complete (undefined: never forwarded). */
  answeredAt?: number
  /**
   * The answer told the job its task stopped: an S3 GET of a `stopped.json` answered 200, or a
   * DescribeTasks answered 200 with a task whose lastStatus is STOPPED. From the protocol's
   * answers, never from what the job prints.
   */
  sawStop?: boolean
}

export interface RecordingProxy {
  /** http://127.0.0.1:<port>, to put in AWS_ENDPOINT_URL_* instead of the target. */
  endpoint: string
  /** Every request so far, in completion order. */
  requests(): RecordedRequest[]
  close(): Promise<void>
}

/** The `app/<id>` in a user agent header (`x-amz-user-agent` or `user-agent`), or ''. */
export function appIdOf(headers: IncomingHttpHeaders): string {
  const text = [headers['x-amz-user-agent'], headers['user-agent']]
    .flat()
    .filter((h): h is string => typeof h === 'string')
    .join(' ')
  const match = /(?:^|\s)app\/([^\s]+)/.exec(text)
  return match?.[1] ?? ''
}

/** The operation of a request: the X-Amz-Target's, else S3's from method, path and query. */
export function operationOf(method: string, url: string, target: string | undefined): string {
  if (target) return target.split('.').pop() ?? target
  const [path = '', query = ''] = url.split('?')
  const hasKey = path.split('/').filter((s) => s !== '').length > 1
  if (method === 'GET' && !hasKey)
    return query.includes('list-type') ? 'ListObjectsV2' : 'ListObjects'
  if (method === 'GET') return 'GetObject'
  if (method === 'HEAD') return 'HeadObject'
  if (method === 'PUT') return 'PutObject'
  return method
}

/**
 * Whether an answer tells its job that the task stopped (see RecordedRequest.sawStop): read from
 * the request's path and the answer's status and JSON body only.
 */
export function answerSawStop(
  service: RecordedRequest['service'],
  operation: string,
  url: string,
  status: number,
  body: string
): boolean {
  if (status !== 200) return false
  if (service === 's3') {
    return operation === 'GetObject' && (url.split('?')[0] ?? '').endsWith('/stopped.json')
  }
  if (operation !== 'DescribeTasks') return false
  try {
    const parsed = JSON.parse(body) as { tasks?: { lastStatus?: unknown }[] }
    return (parsed.tasks ?? []).some((t) => t.lastStatus === 'STOPPED')
  } catch {
    return false
  }
}

/** The service of a request from its X-Amz-Target (none: S3's REST protocol). */
export function serviceOf(target: string | undefined): RecordedRequest['service'] {
  if (!target) return 's3'
  return target.startsWith('Logs_') ? 'logs' : 'ecs'
}

/**
 * Holds each job's first request until `expected` jobs have sent one, then lets them all
 * through at once: a race of jobs that really start together, whatever the machine's process
 * start-up spreads. One barrier may sit in several proxies (ECS and S3), so whichever service a
 * job calls first counts. After `timeoutMs` it opens anyway (a job that died before asking).
 */
export interface RequestBarrier {
  /** Resolves when the barrier is open; the first call of an app id counts it. */
  pass(appId: string): Promise<void>
  /** Epoch ms when it opened; undefined while closed. */
  openedAt(): number | undefined
  /** true when it opened by timeout rather than by every job arriving. */
  timedOut(): boolean
}

export function requestBarrier(expected: number, timeoutMs: number): RequestBarrier {
  const arrived = new Set<string>()
  let opened: number | undefined
  let byTimeout = false
  let open = (): void => {}
  const gate = new Promise<void>((resolve) => (open = resolve))
  const openNow = (timeout: boolean): void => {
    if (opened !== undefined) return
    opened = Date.now()
    byTimeout = timeout
    clearTimeout(timer)
    open()
  }
  const timer = setTimeout(() => openNow(true), timeoutMs)
  timer.unref()
  return {
    pass(appId) {
      if (opened !== undefined) return Promise.resolve()
      arrived.add(appId)
      if (arrived.size >= expected) openNow(false)
      return gate
    },
    openedAt: () => opened,
    timedOut: () => byTimeout
  }
}

/** Answers `deny` matches with 403 AccessDenied instead of forwarding (a role without a grant). */
export interface ProxyOptions {
  barrier?: RequestBarrier
  /** S3 PutObject paths (`/bucket/key`) to refuse with 403 AccessDenied. */
  denyPut?: (path: string) => boolean
}

/** Starts a proxy in front of `target` (http://127.0.0.1:<port>). */
export async function startRecordingProxy(
  target: string,
  options: ProxyOptions = {}
): Promise<RecordingProxy> {
  const upstream = new URL(target)
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity })
  const recorded: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const at = Date.now()
    const target = req.headers['x-amz-target']
    const operation = operationOf(req.method ?? 'GET', req.url ?? '/', target as string | undefined)
    const appId = appIdOf(req.headers)
    const service = serviceOf(target as string | undefined)
    if (service === 's3' && operation === 'PutObject' && options.denyPut?.(req.url ?? '')) {
      req.resume()
      recorded.push({ appId, service, operation, at, status: 403, throttled: false })
      res.writeHead(403, { 'content-type': 'application/xml' })
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>' +
          '<Message>Access Denied</Message></Error>'
      )
      return
    }
    req.pause()
    const forward = (): void => {
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent
        },
        (answer) => {
          const status = answer.statusCode ?? 0
          const chunks: Buffer[] = []
          answer.on('data', (chunk: Buffer) => chunks.push(chunk))
          answer.on('end', () => {
            const body = Buffer.concat(chunks)
            // Only error answers and DescribeTasks answers are worth decoding.
            const text = status >= 400 || operation === 'DescribeTasks' ? body.toString('utf8') : ''
            recorded.push({
              appId,
              service,
              operation,
              at,
              status,
              throttled:
                status >= 400 &&
                (text.includes('ThrottlingException') || text.includes('<Code>SlowDown')),
              answeredAt: Date.now(),
              sawStop: answerSawStop(service, operation, req.url ?? '/', status, text)
            })
            res.writeHead(status, answer.headers)
            res.end(body)
          })
        }
      )
      out.on('error', (error) => {
        recorded.push({ appId, service, operation, at, status: 502, throttled: false })
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
        res.end(`proxy: ${error.message}`)
      })
      req.pipe(out)
      req.resume()
    }
    const held = options.barrier ? options.barrier.pass(appId) : Promise.resolve()
    void held.then(forward)
  })
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => [...recorded],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        agent.destroy()
      })
  }
}
