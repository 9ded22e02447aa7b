/**
 * @module Errors the CLI maps to exit codes in its one error boundary (see main.ts).
 */

/** Wrong flags or arguments. Exit code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'UsageError'
  }
}

/**
 * The machine lacks something a command needs (root, `nft`, `ip`, a kubeconfig). Exit code 2.
 * `detail`: one item per line under the message (the message itself is printed as one line).
 */
export class EnvironmentError extends Error {
  readonly detail: readonly string[]
  constructor(message: string, options?: { cause?: unknown; detail?: readonly string[] }) {
    super(message, options)
    this.name = 'EnvironmentError'
    this.detail = options?.detail ?? []
  }
}

export const EXIT_OK = 0
/** The answer is "no": failed expectations, lint findings, probe disagreements, new connections in a diff. */
export const EXIT_NO = 1
/** Bad input or usage, or a missing prerequisite. */
export const EXIT_BAD_INPUT = 2
/** A bug in netpol. */
export const EXIT_INTERNAL = 3
