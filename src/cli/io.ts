/**
 * @module What a command may touch of the outside world; tests pass their own.
 */

export interface CliIO {
  readonly stdout: (text: string) => void
  /**
   * Bytes (UTF-8 text) to stdout, for outputs of hundreds of MB; true when they were written out at
   * once (the caller may then reuse the buffer). Absent: the command decodes and calls `stdout`.
   */
  readonly stdoutBytes?: (bytes: Uint8Array) => boolean
  readonly stderr: (text: string) => void
  readonly stdin: NodeJS.ReadableStream
  readonly stdoutIsTTY: boolean
  readonly stderrIsTTY: boolean
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
  /** Resolves once stdout has taken what was written (backpressure for very large outputs); absent: nothing to wait for. */
  readonly drain?: () => Promise<void>
}

/** Above this much unwritten stdout, `drain` waits for the reader. */
const STDOUT_HIGH_WATER = 1 << 20

export function processIO(): CliIO {
  return {
    stdout: (t) => void process.stdout.write(t),
    // Nothing left in the stream's queue: it holds no reference to the bytes (files, and pipes and
    // terminals on Linux, are written synchronously).
    stdoutBytes: (b) => {
      process.stdout.write(b)
      return process.stdout.writableLength === 0
    },
    stderr: (t) => void process.stderr.write(t),
    stdin: process.stdin,
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
    drain: () =>
      process.stdout.writableLength < STDOUT_HIGH_WATER
        ? Promise.resolve()
        : new Promise((resolve) => {
            const done = (): void => {
              process.stdout.off('drain', done)
              process.stdout.off('close', done)
              resolve()
            }
            process.stdout.once('drain', done)
            process.stdout.once('close', done)
          }),
  }
}

/** Colours only on a TTY, never with NO_COLOR, always with FORCE_COLOR. */
export function useColour(io: CliIO, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  if (io.env.NO_COLOR) return false
  if (io.env.FORCE_COLOR && io.env.FORCE_COLOR !== '0') return true
  return stream === 'stdout' ? io.stdoutIsTTY : io.stderrIsTTY
}
