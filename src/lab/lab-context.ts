/**
 * @module What every lab operation gets from its caller (the CLI, or a test).
 */
import type { LabDataplane } from './lab-dataplane.js'

export interface LabContext {
  /** The directory holding every lab's state directory (see state-store.ts). */
  readonly root: string
  readonly dataplane: LabDataplane
  /** Non-fatal problems worth telling the user (stderr in the CLI). */
  readonly warn: (message: string) => void
}

/** `lab up` or `lab apply` was interrupted (SIGINT/SIGTERM); what it had done is undone. Exit 130. */
export class LabInterrupted extends Error {
  constructor(signal: string, undone = 'removed the partly built lab') {
    super(`interrupted by ${signal}; ${undone}`)
    this.name = 'LabInterrupted'
  }
}

/**
 * SIGINT/SIGTERM held while a lab is changed: the change stops at its next `checkpoint()` and
 * undoes what it did (Ctrl-C also reaches the `ip`/`nft` children, whose failure then means
 * "interrupted": a caller's error path calls `checkpoint()` again before its own error).
 * `release()` in a `finally`.
 */
export interface HeldSignals {
  /** The first signal received, if any. */
  readonly signal: () => NodeJS.Signals | undefined
  /** Throws LabInterrupted once a signal has arrived. */
  checkpoint(): void
  release(): void
}

export function holdSignals(undone?: string): HeldSignals {
  let received: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    received ??= signal
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: () => received,
    checkpoint(): void {
      if (received !== undefined) throw new LabInterrupted(received, undone)
    },
    release(): void {
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
    },
  }
}
