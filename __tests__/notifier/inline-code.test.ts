/**
 * The template's inline code run the way Lambda runs it (docs/ecs-events.md): CloudFormation writes
 * Code.ZipFile to index.js in a directory without a package.json, and the Node.js runtime loads
 * it as CommonJS with the AWS SDK v3 on its module path (NODE_PATH in Lambda). Here a child
 * Node process requires it the same way, with NODE_PATH pointing at node_modules, and calls
 * `handler` against the loopback S3 server.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import { startS3Server, type S3Server } from '../../sim/s3-server.js'
import { at, loadNotifierTemplate } from './cloudformation.js'
import { runningEvent, stoppedEvent, storedRunning, storedStopped, TASK_ARN } from './events.js'

const run = promisify(execFile)
const nodeModules = fileURLToPath(new URL('../../node_modules', import.meta.url))

// Requires ./index.js as CommonJS, calls handler(event from argv), prints the outcome.
const invoke = `
const { handler } = require(process.cwd() + '/index.js')
handler(JSON.parse(process.argv[1])).then(
  (outcome) => process.stdout.write('OUTCOME ' + JSON.stringify(outcome) + '\\n'),
  (error) => { process.stdout.write('ERROR ' + error.name + ': ' + error.message + '\\n'); process.exitCode = 1 }
)`

describe('the inline code as Lambda loads it', () => {
  let server: S3Server
  let dir: string

  beforeAll(async () => {
    server = await startS3Server({ buckets: ['notes'] })
    dir = mkdtempSync(join(tmpdir(), 'notifier-lambda-'))
    const code = at(loadNotifierTemplate(), 'Resources', 'NotifierFunction', 'Properties', 'Code')
    writeFileSync(join(dir, 'index.js'), (code as { ZipFile: string }).ZipFile)
  })
  afterAll(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Runs handler(event) in a fresh Node process, as the Lambda runtime would. */
  async function lambda(event: unknown, env: Record<string, string> = {}, sdkPath = nodeModules) {
    // Only what the Lambda runtime sets: no NODE_OPTIONS, so no ESM loader from this test run.
    const result = await run(process.execPath, ['-e', invoke, JSON.stringify(event)], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_PATH: sdkPath,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_ENDPOINT_URL_S3: server.endpoint,
        NOTIFICATION_BUCKET: 'notes',
        NOTIFICATION_PREFIX: 'hako-oneshot',
        ...env
      }
    }).catch((e: { stdout: string; stderr: string }) => e)
    return {
      lines: result.stdout.split('\n').filter((l) => l !== ''),
      stderr: result.stderr
    }
  }

  const read = async (key: string): Promise<unknown> => {
    const got = await server.client().send(new GetObjectCommand({ Bucket: 'notes', Key: key }))
    return JSON.parse((await got.Body?.transformToString()) ?? '')
  }

  it('is CommonJS: no import or export statements', () => {
    const code = at(loadNotifierTemplate(), 'Resources', 'NotifierFunction', 'Properties', 'Code')
    const text = (code as { ZipFile: string }).ZipFile
    expect(text).not.toMatch(/^\s*(import|export)\s/m)
    expect(text).toContain('require("@aws-sdk/client-s3")')
  })

  it('writes stopped.json and started.json with the bucket and prefix from env', async () => {
    const stoppedKey = `hako-oneshot/${TASK_ARN}/stopped.json`
    const stopped = await lambda(stoppedEvent())
    expect(stopped.lines).toEqual([
      `written s3://notes/${stoppedKey}: version 6`,
      `OUTCOME ${JSON.stringify({ action: 'written', key: stoppedKey, reason: 'version 6' })}`
    ])
    expect(await read(stoppedKey)).toEqual(storedStopped())

    // Slashes around the prefix in env are tolerated.
    const startedKey = `hako-oneshot/${TASK_ARN}/started.json`
    const started = await lambda(runningEvent(), { NOTIFICATION_PREFIX: '/hako-oneshot/' })
    expect(started.lines.at(-1)).toBe(
      `OUTCOME ${JSON.stringify({ action: 'written', key: startedKey, reason: 'version 3' })}`
    )
    expect(await read(startedKey)).toEqual(storedRunning())
  })

  // The runtime's bundled SDK is whatever AWS ships (docs/limits.md, "S3 conditional writes in the SDK"):
  // here a client-s3 that drops If-None-Match and If-Match, as those before 3.635.0 do, stands
  // on the module path in place of the real one.
  it('fails the invocation, writing nothing, when the bundled SDK drops the conditional headers', async () => {
    const old = join(dir, 'old-sdk')
    const pkg = join(old, '@aws-sdk', 'client-s3')
    mkdirSync(pkg, { recursive: true })
    writeFileSync(join(pkg, 'package.json'), '{"name":"@aws-sdk/client-s3","main":"index.js"}')
    writeFileSync(
      join(pkg, 'index.js'),
      `const real = require(${JSON.stringify(join(nodeModules, '@aws-sdk', 'client-s3'))})
class S3Client extends real.S3Client {
  constructor(config) {
    super(config)
    this.middlewareStack.add((next) => (args) => {
      delete args.request.headers['if-match']
      delete args.request.headers['if-none-match']
      return next(args)
    }, { step: 'build', name: 'oldSerializer' })
  }
}
module.exports = { ...real, S3Client }
`
    )
    const event = {
      ...stoppedEvent(),
      detail: { ...stoppedEvent().detail, taskArn: `${TASK_ARN}0` }
    }
    const result = await lambda(event, {}, old)
    expect(result.lines).toEqual([
      "ERROR Error: This runtime's @aws-sdk/client-s3 is older than 3.700.0: it drops If-Match, so no write"
    ])
    await expect(read(`hako-oneshot/${TASK_ARN}0/stopped.json`)).rejects.toMatchObject({
      name: 'NoSuchKey'
    })
  })

  it('skips a malformed event without failing the invocation', async () => {
    const result = await lambda({ hello: 'world' })
    expect(result.lines).toEqual([
      'skipped: not an aws.ecs event',
      `OUTCOME ${JSON.stringify({ action: 'skipped', reason: 'not an aws.ecs event' })}`
    ])
  })

  it('fails the invocation when NOTIFICATION_BUCKET is not set', async () => {
    const result = await lambda(stoppedEvent(), { NOTIFICATION_BUCKET: '' })
    expect(result.lines).toEqual([
      'ERROR Error: Set NOTIFICATION_BUCKET to the notification bucket name'
    ])
  })
})
