/**
 * @module When the agent syncs: a bounded-frequency runner. Requests only mark work pending; one
 * run at a time takes everything pending (coalescing), runs start at least `minIntervalMs` apart,
 * a failed run is retried after an exponential backoff (capped; requests arriving meanwhile fold
 * into the retry), and a periodic resync asks for a run even when nothing changed.
 *
 * It knows nothing of Kubernetes or nft: what a run does is the caller's `run`. Time comes from an
 * injectable clock, so the rules above are tested without real timers (test/agent/sync-scheduler.test.ts).
 */
import { setLongTimeout, type LongTimer } from './long-timer.js'

/** Where the scheduler reads the time and arms timers. */
export interface SchedulerClock {
  /** Milliseconds on a monotonic clock (performance.now() in production). */
  now(): number
  /** Calls `fn` once after `ms` (a finite number >= 0), unless cleared first. */
  setTimer(fn: () => void, ms: number): LongTimer
}

/** The process's monotonic clock, with timers safe for any delay (see long-timer.ts). */
const systemClock: SchedulerClock = {
  now: () => performance.now(),
  setTimer: setLongTimeout,
}

/** What one run is asked to do. */
export interface SyncBatch {
  /** clock.now() of the first request of the batch (carried over failed runs); undefined when only a resync asked. */
  readonly since: number | undefined
  /** The earliest `at` given to request() in the batch (carried over failed runs): the first watch event's arrival; undefined when none. */
  readonly eventSince?: number
  /** A periodic resync is part of this batch: the caller should act even if nothing changed. */
  readonly resync: boolean
  /** The delay before the retry if this run fails (the backoff now in force). */
  readonly retryInMs: number
}

export interface SyncSchedulerOptions {
  /** One run; resolves true on success, false to be retried with backoff. A throw counts as false. */
  readonly run: (batch: SyncBatch) => Promise<boolean>
  /** Runs wait while this is false; pending work stays pending until the next request. @default always true */
  readonly canRun?: () => boolean
  /** Told of a run that threw (the run is retried like a failed one). */
  readonly onRunError?: (err: unknown, retryInMs: number) => void
  /** Least time between the starts of two runs. */
  readonly minIntervalMs: number
  /** Ask for a run this often even without requests; 0 = never. */
  readonly resyncIntervalMs: number
  /** First retry delay; doubled after each failed run up to `backoffMaxMs`, reset by a successful run. @default 1000 */
  readonly backoffInitialMs?: number
  /** @default 30000 */
  readonly backoffMaxMs?: number
  readonly clock?: SchedulerClock
}

export class SyncScheduler {
  private readonly clock: SchedulerClock
  private readonly backoffInitialMs: number
  private readonly backoffMaxMs: number
  private stopped = true
  private running = false
  /** Work was requested that no run has taken yet. */
  private dirty = false
  private batchSince: number | undefined
  private batchEventSince: number | undefined
  private resyncPending = false
  /** Since when work has been pending without a successful run taking it (undefined: none pending). */
  private pendingSince: number | undefined
  private lastRunStart = -Infinity
  private lastRunEnd = -Infinity
  private backoffMs: number
  /** The min-interval wait or the backoff wait: at most one of them at a time. */
  private timer: LongTimer | undefined
  private resyncTimer: LongTimer | undefined
  private idle: (() => void)[] = []

  constructor(private readonly options: SyncSchedulerOptions) {
    this.clock = options.clock ?? systemClock
    this.backoffInitialMs = options.backoffInitialMs ?? 1000
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000
    this.backoffMs = this.backoffInitialMs
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    const every = this.options.resyncIntervalMs
    if (every > 0) {
      // The next period starts when the last one ends, as setLongInterval.
      const next = (): void => {
        this.resyncTimer = this.clock.setTimer(() => {
          next()
          this.mark(true)
        }, every)
      }
      next()
    }
    if (this.dirty) this.arm()
  }

  /** No run starts after this; resolves when the run in progress (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true
    this.timer?.clear()
    this.timer = undefined
    this.resyncTimer?.clear()
    this.resyncTimer = undefined
    while (this.running) await new Promise<void>((resolve) => this.idle.push(resolve))
  }

  /**
   * Something changed: run soon (coalesced with every other request until the run starts). `at`
   * (clock.now() time, not later than now): when the change happened, if before this call; the
   * batch's latency starts there.
   */
  request(at?: number): void {
    this.mark(false, at)
  }

  /** True while a run is in progress. */
  get isRunning(): boolean {
    return this.running
  }

  /** clock.now() since when requested work has waited for a successful run; undefined when none waits. */
  get waitingSince(): number | undefined {
    return this.pendingSince
  }

  /** The current retry delay (the initial one unless runs have been failing). */
  get currentBackoffMs(): number {
    return this.backoffMs
  }

  /**
   * How long the loop has gone without progress: the age of the run in progress, or, when work is
   * due (pending, runnable, not stopped) but no run has started, the time since the later of the
   * last run's end and the first pending request. 0 when idle.
   */
  stalledFor(): number {
    const now = this.clock.now()
    if (this.running) return now - this.lastRunStart
    if (this.dirty && !this.stopped && this.runnable()) return now - Math.max(this.lastRunEnd, this.pendingSince ?? now)
    return 0
  }

  private mark(resync: boolean, at?: number): void {
    if (this.stopped) return
    const now = this.clock.now()
    // Only requests start a latency sample; a resync is not an event.
    if (resync) this.resyncPending = true
    else {
      this.batchSince ??= Math.min(at ?? now, now)
      if (at !== undefined) this.batchEventSince ??= Math.min(at, now)
    }
    this.dirty = true
    this.pendingSince ??= now
    this.arm()
  }

  private runnable(): boolean {
    return this.options.canRun?.() ?? true
  }

  private arm(): void {
    if (this.stopped || this.running || this.timer) return
    const wait = Math.max(0, this.lastRunStart + this.options.minIntervalMs - this.clock.now())
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined
      void this.runOnce()
    }, wait)
  }

  private async runOnce(): Promise<void> {
    if (this.stopped || this.running || !this.dirty) return
    // Pending work stays pending; the next request arms the timer again.
    if (!this.runnable()) return
    const batch: SyncBatch = {
      since: this.batchSince,
      ...(this.batchEventSince === undefined ? {} : { eventSince: this.batchEventSince }),
      resync: this.resyncPending,
      retryInMs: this.backoffMs,
    }
    this.running = true
    this.dirty = false
    this.batchSince = undefined
    this.batchEventSince = undefined
    this.resyncPending = false
    this.lastRunStart = this.clock.now()
    let ok = false
    try {
      ok = await this.options.run(batch)
    } catch (err) {
      try {
        this.options.onRunError?.(err, batch.retryInMs)
      } catch {
        // Reporting failed too: the retry below still happens, and the loop never wedges.
      }
    }
    this.lastRunEnd = this.clock.now()
    if (ok) {
      this.backoffMs = this.backoffInitialMs
      if (!this.dirty) this.pendingSince = undefined
    } else {
      this.backoffMs = Math.min(this.backoffMs * 2, this.backoffMaxMs)
      // The failed batch joins whatever arrived meanwhile; its latency starts at its first request.
      this.batchSince = earliest(batch.since, this.batchSince)
      this.batchEventSince = earliest(batch.eventSince, this.batchEventSince)
      this.resyncPending ||= batch.resync
      this.dirty = true
      if (!this.stopped) {
        this.timer = this.clock.setTimer(() => {
          this.timer = undefined
          this.arm()
        }, batch.retryInMs)
      }
    }
    this.running = false
    for (const resolve of this.idle.splice(0)) resolve()
    if (this.dirty) this.arm()
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.min(a, b)
}
