/**
 * @module Problems found in input, with the place they were found, and the error that carries them.
 */
import { printable } from './printable.js'

export type Severity = 'error' | 'warning'

/** One problem in the input, in the shape of a Kubernetes field error. */
export interface Diagnostic {
  readonly severity: Severity
  readonly file: string
  /** 1-based; 0 when unknown. */
  readonly line: number
  /** `Kind "ns/name"`, when the problem belongs to an object. */
  readonly object?: string
  /** Field path as the API server writes it, e.g. `spec.ingress[0].from[1].ipBlock.except[0]`. */
  readonly field?: string
  readonly message: string
}

/** Where in the input: `file:line`, or just `file` when the line is unknown (0: objects read from a live cluster). */
export function formatSource(s: { readonly file: string; readonly line: number }): string {
  return s.line > 0 ? `${s.file}:${s.line}` : s.file
}

/**
 * kubectl's tone: `file:line: NetworkPolicy "ns/name" is invalid: spec.x: Invalid value: ...`.
 * One line for people: file names, field names and messages carry text from input, so each is
 * escaped (printable.ts).
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = elide(printable(formatSource(d)))
  const obj = d.object ? ` ${elide(printable(d.object))}${d.severity === 'error' ? ' is invalid' : ''}:` : ''
  const field = d.field ? ` ${elide(printable(d.field))}:` : ''
  const level = d.severity === 'warning' ? ' warning:' : ''
  return `${where}:${level}${obj}${field} ${elide(printable(d.message))}`
}

/** Longest part of a diagnostic printed whole; no real name, path or message comes near it. */
const MAX_PART = 2048

/**
 * The middle of a part longer than MAX_PART left out, saying how much: a 20 MB name must not
 * become 40 MB of error output (it is quoted in the object and in the value), and both ends stay
 * (the start of a value and the reason after it).
 */
function elide(text: string): string {
  if (text.length <= MAX_PART) return text
  let head = MAX_PART / 2
  let tail = text.length - MAX_PART / 2
  // Never cut a surrogate pair in two.
  if (/[\uD800-\uDBFF]/.test(text[head - 1])) head--
  if (/[\uDC00-\uDFFF]/.test(text[tail])) tail++
  return `${text.slice(0, head)}… (${tail - head} more characters) …${text.slice(tail)}`
}

/** Input that cannot be used: every problem found, not only the first. Exit code 2. */
export class InputError extends Error {
  readonly diagnostics: readonly Diagnostic[]
  constructor(diagnostics: readonly Diagnostic[], options?: { cause?: unknown }) {
    super(diagnostics.map(formatDiagnostic).join('\n'), options)
    this.name = 'InputError'
    this.diagnostics = diagnostics
  }
}
