import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_MS, setLongInterval, setLongTimeout } from '../../src/agent/long-timer.js'

const DAY = 24 * 3600 * 1000

describe('timers for any duration (Node turns a delay over 2^31-1 ms into 1 ms)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a 30-day timeout fires after 30 days, not after a millisecond', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    const fn = vi.fn()
    setLongTimeout(fn, 30 * DAY)
    vi.advanceTimersByTime(1000)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(30 * DAY - 1000 - 1)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(2)
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('an interval of 2,147,484 s fires once per period', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    const fn = vi.fn()
    const t = setLongInterval(fn, 2_147_484_000)
    vi.advanceTimersByTime(11_000)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(2 * 2_147_484_000)
    expect(fn).toHaveBeenCalledTimes(2)
    t.clear()
    vi.advanceTimersByTime(5 * 2_147_484_000)
    expect(fn).toHaveBeenCalledTimes(2)
  })

  it('short delays behave like setTimeout; bad delays are refused', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    const fn = vi.fn()
    setLongTimeout(fn, 10)
    vi.advanceTimersByTime(10)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(MAX_TIMER_MS).toBe(2_147_483_647)
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) expect(() => setLongTimeout(fn, bad)).toThrow(RangeError)
    expect(() => setLongInterval(fn, 0)).toThrow(RangeError)
  })
})
