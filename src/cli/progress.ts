/**
 * @module Progress for long runs, on stderr only, so stdout stays clean for `-o json` and pipes.
 *
 * For command authors (matrix, report, bench, ...):
 * ```ts
 * const progress = createProgress(ctx.io, 'computing matrix')
 * const result = computeMatrix(engine, state, ports, { onProgress: progress.update })
 * progress.done()   // always (also on error): it erases the line before results are printed
 * ```
 * On a TTY it draws one line (`computing matrix  42% 4,200,000/10,000,000  1.3s`), redrawn at most
 * every `intervalMs` and only once the work has run for `delayMs` (short runs show nothing), and
 * `done()` erases it. Not on a TTY it stays silent, unless `lines: true` asks for a plain line
 * every `lineIntervalMs` (for logs of long batch runs such as the benchmark). `update` is cheap to
 * call often: it only reads the clock. `startProgress(io, label)` is the same with defaults.
 */
import type { CliIO } from './io.js'

export interface Progress {
  /** Reports `done` units of `total`; `total` 0 means unknown. Bound: safe to pass as a callback. */
  readonly update: (done: number, total: number) => void
  /** Ends the progress display (erases the TTY line); safe to call more than once. */
  readonly done: () => void
}

export interface ProgressOptions {
  /** Minimum time between two redraws on a TTY. @default 100 */
  readonly intervalMs?: number
  /** Nothing is drawn before the work has run this long. @default 300 */
  readonly delayMs?: number
  /** When stderr is not a TTY, print a plain line now and then instead of nothing. @default false */
  readonly lines?: boolean
  /** Minimum time between two plain lines. @default 5000 */
  readonly lineIntervalMs?: number
  /** For tests. @default performance.now */
  readonly now?: () => number
}

const ERASE_LINE = '\r\x1b[K'

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

function formatLine(label: string, done: number, total: number, elapsedMs: number): string {
  const secs = `${(elapsedMs / 1000).toFixed(1)}s`
  if (total > 0) {
    const pct = Math.min(100, Math.floor((done / total) * 100))
    return `${label} ${String(pct).padStart(3)}% ${formatCount(done)}/${formatCount(total)}  ${secs}`
  }
  return `${label} ${formatCount(done)}  ${secs}`
}

export function createProgress(io: CliIO, label: string, options: ProgressOptions = {}): Progress {
  const now = options.now ?? (() => performance.now())
  const tty = io.stderrIsTTY
  const intervalMs = tty ? (options.intervalMs ?? 100) : (options.lineIntervalMs ?? 5000)
  const delayMs = options.delayMs ?? 300
  const enabled = tty || options.lines === true
  const start = now()
  let last = -Infinity
  let drawn = false
  let finished = false
  const update = (done: number, total: number): void => {
    if (!enabled || finished) return
    const t = now()
    if (t - start < delayMs || t - last < intervalMs) return
    last = t
    const line = formatLine(label, done, total, t - start)
    if (tty) {
      io.stderr(`${ERASE_LINE}${line}`)
      drawn = true
    } else {
      io.stderr(`${line}\n`)
    }
  }
  const done = (): void => {
    if (finished) return
    finished = true
    if (drawn) io.stderr(ERASE_LINE)
  }
  return { update, done }
}

/** `createProgress` with the defaults: a TTY line on stderr, nothing otherwise. */
export function startProgress(io: CliIO, label: string): Progress {
  return createProgress(io, label)
}
