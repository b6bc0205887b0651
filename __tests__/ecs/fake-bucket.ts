/**
 * An in-memory S3 bucket for the revision cache tests: GetObject and PutObject with S3's
 * conditional writes (If-None-Match: * and If-Match answer 412 PreconditionFailed), ETags that
 * change on every write, and switches for denied writes and failing requests. Every request is
 * recorded with the fake clock's time.
 */
import { GetObjectCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3'
import type { Clock } from '../../src/util/clock.js'

export interface BucketCall {
  at: number
  op: 'GetObject' | 'PutObject'
  key: string
  ifNoneMatch?: string
  ifMatch?: string
  /** The answer: an HTTP status. */
  status: number
}

const s3Error = (name: string, status: number, message: string): S3ServiceException =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message
  })

export class FakeBucket {
  readonly objects = new Map<string, { body: string; etag: string }>()
  readonly calls: BucketCall[] = []
  /** PutObject answers 403 AccessDenied. */
  denyWrites = false
  /** GetObject answers 403 AccessDenied for every key. */
  denyReads = false
  /** GetObject answers 403 for missing keys (no s3:ListBucket). */
  noListBucket = false
  /** The next N requests answer this error. */
  failNext: { count: number; error: () => Error } = { count: 0, error: () => new Error() }
  /** Conditional PUTs answer 409 ConditionalRequestConflict this many times. */
  conflictNext = 0
  private etags = 0

  constructor(private readonly clock: Clock) {}

  /** Stores `body` as if another writer put it; returns its ETag. */
  put(key: string, body: string): string {
    const etag = `"etag-${++this.etags}"`
    this.objects.set(key, { body, etag })
    return etag
  }

  body(key: string): unknown {
    const o = this.objects.get(key)
    return o ? JSON.parse(o.body) : undefined
  }

  send(command: unknown): Promise<unknown> {
    return Promise.resolve().then(() => this.answer(command))
  }

  private answer(command: unknown): unknown {
    const at = this.clock.now()
    if (command instanceof GetObjectCommand) {
      const key = command.input.Key ?? ''
      const record = (status: number) => this.calls.push({ at, op: 'GetObject', key, status })
      if (this.failNext.count > 0) {
        this.failNext.count--
        record(500)
        throw this.failNext.error()
      }
      const o = this.objects.get(key)
      if (this.denyReads) {
        record(403)
        throw s3Error('AccessDenied', 403, 'Access Denied')
      }
      if (!o) {
        record(this.noListBucket ? 403 : 404)
        throw this.noListBucket
          ? s3Error('AccessDenied', 403, 'Access Denied')
          : s3Error('NoSuchKey', 404, 'The specified key does not exist.')
      }
      record(200)
      return { ETag: o.etag, Body: { transformToString: () => Promise.resolve(o.body) } }
    }
    if (command instanceof PutObjectCommand) {
      const { Key = '', IfNoneMatch, IfMatch, Body } = command.input
      const call: BucketCall = { at, op: 'PutObject', key: Key, status: 200 }
      if (IfNoneMatch !== undefined) call.ifNoneMatch = IfNoneMatch
      if (IfMatch !== undefined) call.ifMatch = IfMatch
      this.calls.push(call)
      if (this.failNext.count > 0) {
        this.failNext.count--
        call.status = 500
        throw this.failNext.error()
      }
      if (this.denyWrites) {
        call.status = 403
        throw s3Error('AccessDenied', 403, 'Access Denied')
      }
      const conditional = IfNoneMatch !== undefined || IfMatch !== undefined
      if (conditional && this.conflictNext > 0) {
        this.conflictNext--
        call.status = 409
        throw s3Error('ConditionalRequestConflict', 409, 'A conflicting operation occurred.')
      }
      const existing = this.objects.get(Key)
      if (
        (IfNoneMatch === '*' && existing) ||
        (IfMatch !== undefined && existing?.etag !== IfMatch)
      ) {
        call.status = 412
        throw s3Error(
          'PreconditionFailed',
          412,
          'At least one of the pre-conditions you specified did not hold'
        )
      }
      return { ETag: this.put(Key, typeof Body === 'string' ? Body : '') }
    }
    throw new Error(`FakeBucket: unexpected command ${String(command)}`)
  }
}

export const serverError = (): Error => s3Error('InternalError', 500, 'We encountered an error.')
