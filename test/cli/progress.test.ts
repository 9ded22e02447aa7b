import { describe, it, expect } from 'vitest'
import { createProgress } from '../../src/cli/progress.js'
import type { CliIO } from '../../src/cli/io.js'

function fakeIO(stderrIsTTY: boolean): { io: CliIO; err: string[] } {
  const err: string[] = []
  const io: CliIO = {
    stdout: () => {},
    stderr: (t) => void err.push(t),
    stdin: process.stdin,
    stdoutIsTTY: false,
    stderrIsTTY,
    env: {},
    cwd: '/',
  }
  return { io, err }
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0
  return { now: () => t, advance: (ms) => void (t += ms) }
}

describe('progress', () => {
  it('draws nothing on a TTY before the delay, then a throttled line, and erases it at the end', () => {
    const { io, err } = fakeIO(true)
    const c = clock()
    const p = createProgress(io, 'matrix', { now: c.now, delayMs: 300, intervalMs: 100 })
    p.update(1, 10)
    expect(err).toEqual([])
    c.advance(400)
    p.update(5, 10)
    expect(err.join('')).toContain('matrix  50% 5/10')
    c.advance(50)
    p.update(6, 10)
    expect(err).toHaveLength(1)
    c.advance(100)
    p.update(7, 10)
    expect(err).toHaveLength(2)
    p.done()
    expect(err[err.length - 1]).toBe('\r\x1b[K')
    p.update(8, 10)
    expect(err).toHaveLength(3)
  })

  it('stays silent when stderr is not a TTY', () => {
    const { io, err } = fakeIO(false)
    const c = clock()
    const p = createProgress(io, 'matrix', { now: c.now })
    c.advance(10_000)
    p.update(5, 10)
    p.done()
    expect(err).toEqual([])
  })

  it('prints plain lines without escape codes off a TTY when asked', () => {
    const { io, err } = fakeIO(false)
    const c = clock()
    const p = createProgress(io, 'bench L', { now: c.now, lines: true, lineIntervalMs: 1000 })
    c.advance(1500)
    p.update(1_234_567, 0)
    c.advance(200)
    p.update(1_300_000, 0)
    p.done()
    expect(err).toEqual(['bench L 1,234,567  1.5s\n'])
  })

  it('a short run that finishes before the delay leaves no trace', () => {
    const { io, err } = fakeIO(true)
    const c = clock()
    const p = createProgress(io, 'matrix', { now: c.now })
    p.update(10, 10)
    p.done()
    expect(err).toEqual([])
  })
})
