/** The one classification of AWS errors (src/aws/errors.ts), for ECS, S3 and CloudWatch Logs. */
import { describe, expect, it } from '@jest/globals'
import {
  isAccessDenied,
  isNotFound,
  isRetryableS3,
  isThrottling,
  isTransient,
  isUnreachable
} from '../../src/aws/errors.js'
import { clientException, networkError, throttling } from '../ecs/ecs-errors.js'

/** An SDK-shaped error: a name, an HTTP status, and the fault the SDK sets from it. */
const answered = (name: string, status: number, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`${name} ${status}`), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    ...extra
  })
const withCode = (code: string): Error => Object.assign(new Error(code), { code })

describe('isThrottling and isTransient', () => {
  it.each([
    ['ECS ThrottlingException', throttling(), true, true],
    ['ECS ClientException "Rate exceeded"', clientException('Rate exceeded.'), true, true],
    ['another ClientException', clientException('Bad family.'), false, false],
    ["S3's SlowDown", answered('SlowDown', 503), true, true],
    ['a nameless 429', answered('', 429), true, true],
    ['CloudWatch Logs ThrottlingException', answered('ThrottlingException', 400), true, true],
    ['ServerException', answered('ServerException', 500), false, true],
    ['ServiceUnavailableException', answered('ServiceUnavailableException', 503), false, true],
    [
      'a server fault without a status',
      Object.assign(new Error('x'), { $fault: 'server' }),
      false,
      true
    ],
    ['a 502 of any name', answered('BadGateway', 502), false, true],
    ['a socket reset', networkError(), false, true],
    ['ETIMEDOUT', withCode('ETIMEDOUT'), false, true],
    ['AccessDeniedException', answered('AccessDeniedException', 400), false, false],
    ['NoSuchKey', answered('NoSuchKey', 404), false, false],
    ['a plain Error', new Error('boom'), false, false]
  ])('%s: throttled %s, transient %s', (_what, error, throttled, transient) => {
    expect(isThrottling(error)).toBe(throttled)
    expect(isTransient(error)).toBe(transient)
  })
})

describe('isRetryableS3', () => {
  it.each([
    ['SlowDown', answered('SlowDown', 503), true],
    ['RequestTimeout (a 400)', answered('RequestTimeout', 400), true],
    ['a 500', answered('InternalError', 500), true],
    ['no HTTP answer at all', new Error('socket hang up'), true],
    ['NoSuchBucket', answered('NoSuchBucket', 404), false],
    ['PermanentRedirect', answered('PermanentRedirect', 301), false],
    ['AccessDenied', answered('AccessDenied', 403), false]
  ])('%s: %s', (_what, error, retry) => {
    expect(isRetryableS3(error)).toBe(retry)
  })
})

describe('isAccessDenied and isNotFound, alone and with anyStatus', () => {
  const rules = { isAccessDenied, isNotFound }
  const denied = 'isAccessDenied' as const
  const missing = 'isNotFound' as const
  it.each([
    ['S3 AccessDenied', denied, true, true, answered('AccessDenied', 403)],
    ['ECS AccessDeniedException', denied, true, true, answered('AccessDeniedException', 400)],
    ['a nameless 403 (a HEAD)', denied, true, true, answered('', 403)],
    ['InvalidAccessKeyId, a named 403', denied, false, true, answered('InvalidAccessKeyId', 403)],
    ['NoSuchKey', denied, false, false, answered('NoSuchKey', 404)],
    ['S3 NoSuchKey', missing, true, true, answered('NoSuchKey', 404)],
    ['S3 NotFound (a HEAD)', missing, true, true, answered('NotFound', 404)],
    [
      'Logs ResourceNotFoundException',
      missing,
      true,
      true,
      answered('ResourceNotFoundException', 400)
    ],
    ['a nameless 404', missing, true, true, answered('', 404)],
    ['NoSuchBucket, a named 404', missing, false, true, answered('NoSuchBucket', 404)],
    ['AccessDenied', missing, false, false, answered('AccessDenied', 403)]
  ])('%s: %s says %s, with anyStatus %s', (_what, rule, plain, anyStatus, error) => {
    expect(rules[rule](error)).toBe(plain)
    expect(rules[rule](error, { anyStatus: true })).toBe(anyStatus)
  })
})

describe('isUnreachable', () => {
  it.each([
    { error: withCode('ENOTFOUND'), unreachable: true },
    { error: withCode('ECONNREFUSED'), unreachable: true },
    { error: withCode('ERR_TLS_CERT_ALTNAME_INVALID'), unreachable: true },
    { error: withCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), unreachable: true },
    { error: Object.assign(new Error('t'), { name: 'TimeoutError' }), unreachable: true },
    {
      error: Object.assign(new Error('slow'), {
        name: 'SlowDown',
        $metadata: { httpStatusCode: 503 }
      }),
      unreachable: false
    },
    {
      error: Object.assign(new Error('x'), {
        code: 'ECONNRESET',
        $metadata: { httpStatusCode: 500 }
      }),
      unreachable: false
    }
  ])('$error.message: $unreachable', ({ error, unreachable }) => {
    expect(isUnreachable(error)).toBe(unreachable)
  })
})
