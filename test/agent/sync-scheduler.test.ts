import { describe, expect, it } from 'vitest'
import { SyncScheduler, type SyncBatch, type SyncSchedulerOptions } from '../../src/agent/sync-scheduler.js'
import { manualClock, settle } from './manual-clock.js'

interface Run {
  readonly at: number
  readonly batch: SyncBatch
}

/**
 * A scheduler on a manual clock whose runs are recorded. `outcome` decides each run's result
 * (true, false, or a throw); with `hold`, runs wait until `finish()` is called.
 */
function setup(options: Partial<SyncSchedulerOptions> & { outcome?: (n: number) => boolean | 'throw'; hold?: boolean } = {}) {
  const clock = manualClock()
  const runs: Run[] = []
  const errors: { err: unknown; retryInMs: number }[] = []
  let active = 0
  let maxActive = 0
  const waiting: (() => void)[] = []
  const scheduler = new SyncScheduler({
    minIntervalMs: 100,
    resyncIntervalMs: 0,
    clock,
    onRunError: (err, retryInMs) => errors.push({ err, retryInMs }),
    ...options,
    run: async (batch) => {
      const n = runs.length
      runs.push({ at: clock.now(), batch })
      active++
      maxActive = Math.max(maxActive, active)
      try {
        if (options.hold) await new Promise<void>((resolve) => waiting.push(resolve))
        const result = options.outcome?.(n) ?? true
        if (result === 'throw') throw new Error(`run ${n} failed`)
        return result
      } finally {
        active--
      }
    },
  })
  scheduler.start()
  const finish = async (): Promise<void> => {
    for (const f of waiting.splice(0)) f()
    await settle()
  }
  return { clock, scheduler, runs, errors, finish, maxActive: () => maxActive }
}

const starts = (runs: readonly Run[]): number[] => runs.map((r) => r.at)

describe('sync scheduler: a bounded-frequency runner', () => {
  it('starts the batch at the earliest event time given to request(at), keeps it over a failed run, and gives eventSince only for such requests', async () => {
    const { clock, scheduler, runs } = setup({ outcome: (n) => n !== 1 })
    scheduler.request()
    await clock.advance(0)
    expect(runs[0]!.batch.since).toBe(0)
    expect(runs[0]!.batch.eventSince).toBeUndefined()
    await clock.advance(50)
    // An event received at 40, handed over at 50, then a LIST at 60: the batch starts at 40.
    scheduler.request(40)
    await clock.advance(10)
    scheduler.request()
    await clock.advance(100)
    expect(runs[1]!.batch).toMatchObject({ since: 40, eventSince: 40 })
    // Run 1 failed: its events stay the start of the retried batch.
    scheduler.request(clock.now())
    await clock.advance(2000)
    expect(runs[2]!.batch).toMatchObject({ since: 40, eventSince: 40 })
  })

  it('coalesces a burst of requests into one run, whose batch starts at the first request', async () => {
    const { clock, scheduler, runs } = setup()
    scheduler.request()
    await clock.advance(0)
    expect(starts(runs)).toEqual([0])
    // A burst after the first run: one run, no earlier than 100 ms after the last start.
    await clock.advance(10)
    for (let i = 0; i < 20; i++) {
      scheduler.request()
      await clock.advance(2)
    }
    await clock.advance(1000)
    expect(starts(runs)).toEqual([0, 100])
    expect(runs[1].batch).toEqual({ since: 10, resync: false, retryInMs: 1000 })
  })

  it('a request long after the last run starts at once; runs never start closer than the minimum interval', async () => {
    const { clock, scheduler, runs } = setup({ minIntervalMs: 250 })
    for (const t of [0, 50, 400, 1000, 1100]) {
      await clock.advance(t - clock.now())
      scheduler.request()
    }
    await clock.advance(1000)
    expect(starts(runs)).toEqual([0, 250, 500, 1000, 1250])
  })

  it('requests arriving during a run cause one more run after it; runs never overlap', async () => {
    const { clock, scheduler, runs, finish, maxActive } = setup({ hold: true })
    scheduler.request()
    await clock.advance(0)
    expect(runs).toHaveLength(1)
    for (let i = 0; i < 10; i++) {
      scheduler.request()
      await clock.advance(100)
    }
    // Still the first run: the others wait for it.
    expect(runs).toHaveLength(1)
    expect(scheduler.isRunning).toBe(true)
    await finish()
    await clock.advance(0)
    expect(starts(runs)).toEqual([0, 1000])
    expect(runs[1].batch.since).toBe(0)
    await finish()
    await clock.advance(5000)
    expect(runs).toHaveLength(2)
    expect(maxActive()).toBe(1)
  })

  it('retries a failed run with a backoff that doubles up to its cap, folding new requests into the retry', async () => {
    const { clock, scheduler, runs } = setup({ outcome: () => false, backoffInitialMs: 1000, backoffMaxMs: 5000 })
    scheduler.request()
    await clock.advance(0)
    // A request during the backoff does not bring the retry forward.
    await clock.advance(300)
    scheduler.request()
    await clock.advance(20_000)
    expect(starts(runs)).toEqual([0, 1000, 3000, 7000, 12000, 17000])
    expect(runs.map((r) => r.batch.retryInMs)).toEqual([1000, 2000, 4000, 5000, 5000, 5000])
    // The retried batch keeps the time of its first request.
    for (const r of runs) expect(r.batch.since).toBe(0)
    expect(scheduler.currentBackoffMs).toBe(5000)
  })

  it('a failed batch merged with requests that arrived during its run keeps the earliest start', async () => {
    const { clock, scheduler, runs, finish } = setup({ hold: true, outcome: (n) => n !== 0 })
    scheduler.request()
    await clock.advance(0)
    await clock.advance(50)
    scheduler.request()
    await finish() // run 0 fails
    await clock.advance(1000)
    expect(starts(runs)).toEqual([0, 1050])
    expect(runs[1].batch.since).toBe(0)
  })

  it('a successful run resets the backoff', async () => {
    const results = [false, false, true, false]
    const { clock, scheduler, runs } = setup({ outcome: (n) => results[n] ?? true })
    scheduler.request()
    await clock.advance(5000)
    expect(starts(runs)).toEqual([0, 1000, 3000])
    expect(scheduler.currentBackoffMs).toBe(1000)
    scheduler.request()
    await clock.advance(5000)
    // Failed at 5000: retried after 1000 ms (not 4000), then succeeded.
    expect(starts(runs)).toEqual([0, 1000, 3000, 5000, 6000])
    expect(runs.slice(3).map((r) => r.batch.retryInMs)).toEqual([1000, 2000])
  })

  it('a run that throws is reported and retried like a failed one', async () => {
    const { clock, scheduler, runs, errors } = setup({ outcome: (n) => (n === 0 ? 'throw' : true) })
    scheduler.request()
    await clock.advance(5000)
    expect(starts(runs)).toEqual([0, 1000])
    expect(errors).toHaveLength(1)
    expect(String(errors[0].err)).toContain('run 0 failed')
    expect(errors[0].retryInMs).toBe(1000)
  })

  it('resyncs periodically without requests, as resync batches without a latency start; a failed resync stays a resync', async () => {
    const { clock, runs } = setup({ resyncIntervalMs: 1000, backoffInitialMs: 300, outcome: (n) => n !== 1 })
    await clock.advance(999)
    expect(runs).toHaveLength(0)
    await clock.advance(3001)
    // Run 1 failed: its retry, 300 ms later and before the next tick, is still a resync.
    expect(starts(runs)).toEqual([1000, 2000, 2300, 3000, 4000])
    for (const r of runs) expect(r.batch).toMatchObject({ since: undefined, resync: true })
  })

  it('a request and a resync in one batch: the batch is a resync with a latency start', async () => {
    const { clock, scheduler, runs } = setup({ resyncIntervalMs: 1000, minIntervalMs: 500 })
    await clock.advance(1000)
    await clock.advance(100)
    scheduler.request()
    await clock.advance(300)
    expect(runs).toHaveLength(1)
    await clock.advance(100)
    expect(runs[1].batch).toEqual({ since: 1100, resync: false, retryInMs: 1000 })
    await clock.advance(500)
    expect(runs[2]).toEqual({ at: 2000, batch: { since: undefined, resync: true, retryInMs: 1000 } })
  })

  it('waits while it cannot run; work stays pending until a request finds it runnable', async () => {
    let ready = false
    const { clock, scheduler, runs } = setup({ canRun: () => ready })
    scheduler.request()
    await clock.advance(1000)
    expect(runs).toHaveLength(0)
    expect(scheduler.waitingSince).toBe(0)
    // Not runnable: not stalled either (nothing can be done until the stores are whole).
    expect(scheduler.stalledFor()).toBe(0)
    ready = true
    scheduler.request()
    await clock.advance(0)
    expect(runs).toHaveLength(1)
    expect(runs[0].batch.since).toBe(0)
    expect(scheduler.waitingSince).toBeUndefined()
  })

  it('waitingSince: from the first pending request until a successful run that no request overtook', async () => {
    const { clock, scheduler, finish } = setup({ hold: true, outcome: (n) => n !== 0 })
    expect(scheduler.waitingSince).toBeUndefined()
    await clock.advance(5)
    scheduler.request()
    await clock.advance(0)
    await finish() // run 0 fails
    expect(scheduler.waitingSince).toBe(5)
    await clock.advance(1000) // retry starts at 1005
    scheduler.request() // arrives during the retry
    await finish()
    expect(scheduler.waitingSince).toBe(5)
    await clock.advance(1000) // one more run takes the request
    await finish()
    expect(scheduler.waitingSince).toBeUndefined()
  })

  it('stalledFor: the age of the run in progress, 0 once it ended and nothing is due', async () => {
    const { clock, scheduler, finish } = setup({ hold: true })
    scheduler.request()
    await clock.advance(0)
    await clock.advance(700)
    expect(scheduler.stalledFor()).toBe(700)
    await finish()
    expect(scheduler.stalledFor()).toBe(0)
  })

  it('stop waits for the run in progress, and nothing runs after it', async () => {
    const { clock, scheduler, runs, finish } = setup({ hold: true, resyncIntervalMs: 1000, outcome: () => false })
    scheduler.request()
    await clock.advance(0)
    let stopped = false
    const stopping = scheduler.stop().then(() => (stopped = true))
    await settle()
    expect(stopped).toBe(false)
    scheduler.request()
    await finish()
    await stopping
    expect(stopped).toBe(true)
    // The failed run armed no retry, and the resync timer is gone.
    expect(clock.pending).toBe(0)
    scheduler.request()
    await clock.advance(60_000)
    expect(runs).toHaveLength(1)
  })

  it('stop with nothing running resolves at once and clears its timers', async () => {
    const { clock, scheduler, runs } = setup({ resyncIntervalMs: 1000 })
    scheduler.request()
    await scheduler.stop()
    expect(clock.pending).toBe(0)
    await clock.advance(10_000)
    expect(runs).toHaveLength(0)
  })
})
