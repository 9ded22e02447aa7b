/**
 * @module Timers for any duration. Node's setTimeout/setInterval take at most 2^31-1 ms (24.8
 * days); a longer delay silently becomes 1 ms, so an interval meant as "rarely" fires a thousand
 * times a second. These wait in steps no longer than that limit. Unref'd: they never keep the
 * process alive on their own.
 */

/** The longest delay Node's timers accept. */
export const MAX_TIMER_MS = 2 ** 31 - 1

export interface LongTimer {
  clear(): void
}

/** Runs `fn` once after `ms` (a finite number >= 0). */
export function setLongTimeout(fn: () => void, ms: number): LongTimer {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`timer delay must be a finite number >= 0, got ${ms}`)
  let handle: NodeJS.Timeout | undefined
  let cleared = false
  const due = performance.now() + ms
  const arm = (): void => {
    const left = due - performance.now()
    handle = setTimeout(
      () => {
        if (cleared) return
        if (due - performance.now() > 1) arm()
        else fn()
      },
      Math.max(0, Math.min(left, MAX_TIMER_MS)),
    )
    handle.unref()
  }
  arm()
  return {
    clear() {
      cleared = true
      clearTimeout(handle)
    },
  }
}

/** Runs `fn` every `ms` (a finite number > 0), the next period starting when the last one ends. */
export function setLongInterval(fn: () => void, ms: number): LongTimer {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`timer interval must be a finite number > 0, got ${ms}`)
  let current: LongTimer | undefined
  let cleared = false
  const next = (): void => {
    current = setLongTimeout(() => {
      if (cleared) return
      next()
      fn()
    }, ms)
  }
  next()
  return {
    clear() {
      cleared = true
      current?.clear()
    },
  }
}
