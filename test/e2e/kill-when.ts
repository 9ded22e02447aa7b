/**
 * Kills a CLI process at a chosen moment of its work (tests of what a kill -9 or a Ctrl-C leaves
 * behind). The moment is found by polling, so on a loaded machine the command may finish before
 * the signal lands: `killWhen` then reports `signal: null`, and `killWhenRetrying` puts things
 * back and tries again, so that a test always checks a command that really was interrupted.
 */
import type { BuiltCliRun } from './run-built-cli.js'

/** Starts the command with `start` and sends it `signal` as soon as `ready()` holds. */
export async function killWhen(
  start: (onSpawn: (pid: number) => void) => Promise<BuiltCliRun>,
  ready: () => Promise<boolean>,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<BuiltCliRun> {
  let pid = 0
  let finished = false
  const run = start((p) => (pid = p)).finally(() => (finished = true))
  const poll = (async () => {
    while (!finished) {
      if (pid !== 0 && (await ready()) && !finished) {
        try {
          process.kill(pid, signal)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err // ESRCH: it finished first
        }
        return
      }
      await new Promise((r) => setTimeout(r, 2))
    }
  })()
  const result = await run
  await poll
  return result
}

/** `killWhen` until the signal lands (at most `attempts` times), calling `reset` after a run that finished first. */
export async function killWhenRetrying(
  start: (onSpawn: (pid: number) => void) => Promise<BuiltCliRun>,
  ready: () => Promise<boolean>,
  reset: () => Promise<void>,
  signal: NodeJS.Signals = 'SIGKILL',
  attempts = 5,
): Promise<BuiltCliRun> {
  for (let attempt = 1; ; attempt++) {
    const run = await killWhen(start, ready, signal)
    if (run.signal !== null || run.code === 130 || attempt === attempts) return run
    await reset()
  }
}
