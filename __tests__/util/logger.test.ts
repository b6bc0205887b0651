import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { coreLogger } from '../../src/util/logger.js'
import { commandLines } from '../report/command-lines.js'

/** What @actions/core writes to stdout (it writes through process.stdout.write). */
let written: string[]
beforeEach(() => {
  written = []
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk))
    return true
  })
})
afterEach(() => {
  jest.restoreAllMocks()
})

const INJECTED =
  'reason\n::warning title=injected::pwned\r::add-mask::secret\r\n::set-output name=exit-code::0' +
  '\u2028::notice::a\u2029::error::b\u0085  ::stop-commands::t ##[warning]old'

describe('coreLogger', () => {
  it('info prints every line that would be a command with a backslash in front', () => {
    coreLogger.info(INJECTED)
    expect(written).toEqual([
      'reason\n\\::warning title=injected::pwned\r\\::add-mask::secret\r\n' +
        '\\::set-output name=exit-code::0\u2028\\::notice::a\u2029\\::error::b\u0085' +
        '  \\::stop-commands::t ##\\[warning]old\n'
    ])
    expect(commandLines(written.join(''))).toEqual([])
  })

  it('info prints the action own lines unchanged', () => {
    coreLogger.info('Started task: arn:aws:ecs:ap-northeast-1:123456789012:task/batch/abc')
    coreLogger.info('{\n  "cluster": "batch"\n}')
    expect(written).toEqual([
      'Started task: arn:aws:ecs:ap-northeast-1:123456789012:task/batch/abc\n',
      '{\n  "cluster": "batch"\n}\n'
    ])
  })

  it('debug stays one ::debug:: command, its lines neutralised too', () => {
    coreLogger.debug('read failed\n::set-output name=x::y 100%')
    expect(written).toEqual(['::debug::read failed%0A\\::set-output name=x::y 100%25\n'])
  })

  it('annotations keep @actions/core escaping: one command each', () => {
    coreLogger.warning('Could not stop: bad\n::add-mask::x\r%0A')
    coreLogger.notice('n\n::error::e')
    coreLogger.error('e\r\n::warning::w')
    expect(written).toEqual([
      '::warning::Could not stop: bad%0A::add-mask::x%0D%250A\n',
      '::notice::n%0A::error::e\n',
      '::error::e%0D%0A::warning::w\n'
    ])
    // Each is one physical line: the runner reads the first command only.
    expect(written.join('').split('\n')).toHaveLength(4)
  })

  it('group names stay inside the ::group:: command', async () => {
    await coreLogger.group('Last lines of x\n::warning::y', () => {
      coreLogger.info('::endgroup::')
      return Promise.resolve()
    })
    expect(written).toEqual([
      '::group::Last lines of x%0A::warning::y\n',
      '\\::endgroup::\n',
      '::endgroup::\n'
    ])
  })
})
