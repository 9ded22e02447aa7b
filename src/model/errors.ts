/**
 * @module Errors for usage and environment problems, raised at any layer; the CLI's one error
 * boundary (src/cli/main.ts) maps them, with InputError (diagnostic.ts), to messages and exit codes.
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
