/**
 * @module The exit codes of the CLI's one error boundary (main.ts); the errors it maps live in
 * src/model/errors.ts and src/model/diagnostic.ts, so that every layer may raise them.
 */

/** The answer is "no": failed expectations, lint findings, probe disagreements, new connections in a diff. */
export const EXIT_NO = 1
/** Bad input or usage, or a missing prerequisite. */
export const EXIT_BAD_INPUT = 2
/** A bug in netpol. */
export const EXIT_INTERNAL = 3
