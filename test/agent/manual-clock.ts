/**
 * @module A clock for the sync scheduler's tests: time moves only when the test says, and the
 * timers due meanwhile fire in order, each followed by the promise jobs it started.
 */
import type { SchedulerClock } from '../../src/agent/sync-scheduler.js'

export interface ManualClock extends SchedulerClock {
  /** Timers armed and not yet fired or cleared. */
  readonly pending: number
  /** Moves time forward by `ms`, firing every timer due on the way (at its due time). */
  advance(ms: number): Promise<void>
}

/** Lets promise callbacks (a run's continuation, the scheduler's bookkeeping after it) happen. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

export function manualClock(): ManualClock {
  let now = 0
  let seq = 0
  const timers = new Map<number, { due: number; fn: () => void }>()
  return {
    now: () => now,
    setTimer(fn, ms) {
      const id = seq++
      timers.set(id, { due: now + ms, fn })
      return { clear: () => void timers.delete(id) }
    },
    get pending() {
      return timers.size
    },
    async advance(ms) {
      const until = now + ms
      await settle()
      for (;;) {
        let next: [number, { due: number; fn: () => void }] | undefined
        // Earliest due first; among equals, the first armed.
        for (const entry of timers) if (entry[1].due <= until && (!next || entry[1].due < next[1].due)) next = entry
        if (!next) break
        timers.delete(next[0])
        now = next[1].due
        next[1].fn()
        await settle()
      }
      now = until
    },
  }
}
