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
