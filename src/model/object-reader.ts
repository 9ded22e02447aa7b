/**
 * @module Reading one manifest object field by field: typed access that reports wrong types the
 * way the API server's decoder does, and field errors in the shapes of apimachinery's
 * `field.Error` (`Invalid value`, `Required value`, `Unsupported value`, `Forbidden`, ...), each
 * with the file, line, object and field path.
 */
import type { Diagnostic } from './diagnostic.js'
import { formatFieldPath, type FieldPath } from './field-path.js'
import type { ManifestDocument } from './yaml-documents.js'
import { editDistance } from './edit-distance.js'
import { DEFAULT_VALIDATION_RULES, type ValidationRules } from './kube-version.js'

export type PlainMap = Readonly<Record<string, unknown>>

/** Go's JSON name for the type of a decoded value, as in "cannot unmarshal bool into ...". */
export function jsonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (Array.isArray(value)) return 'array'
  if (value instanceof Date) return 'timestamp'
  switch (typeof value) {
    case 'string':
      return 'string'
    case 'number':
    case 'bigint':
      return 'number'
    case 'boolean':
      return 'bool'
    default:
      return 'object'
  }
}

/** A value as Go's `%#v`-ish field.Error formatting shows it: strings quoted, numbers bare. */
export function formatFieldValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (value === null || value === undefined) return 'null'
  return JSON.stringify(value)
}

export function isPlainMap(value: unknown): value is PlainMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/**
 * Reads one object of a document (the document itself, or one item of a List at `base`).
 * Paths passed to its methods are relative to the object, as the API server reports them.
 */
export class ObjectReader {
  readonly errors: Diagnostic[] = []
  readonly warnings: Diagnostic[] = []
  /** `Kind "ns/name"` once known (see `identify`). */
  object: string | undefined
  /**
   * Where a path of the object being validated was written, when the validated object is a
   * rewrite of the input (v1alpha1 peers of the older shape): diagnostics name the written place.
   */
  pathMap: ((path: FieldPath) => FieldPath) | undefined

  constructor(
    readonly doc: ManifestDocument,
    readonly base: FieldPath,
    /** The rules that changed between Kubernetes releases (`--kube-version`); the newest by default. */
    readonly rules: ValidationRules = DEFAULT_VALIDATION_RULES,
  ) {}

  /** Names the object (`Kind "ns/name"`) in this and every earlier diagnostic about it. */
  identify(object: string): void {
    this.object = object
    const tag = (d: Diagnostic): Diagnostic => (d.object ? d : { ...d, object })
    this.errors.splice(0, this.errors.length, ...this.errors.map(tag))
    this.warnings.splice(0, this.warnings.length, ...this.warnings.map(tag))
  }

  get file(): string {
    return this.doc.file
  }

  line(path: FieldPath): number {
    return this.doc.lineAt([...this.base, ...this.written(path)])
  }

  private written(path: FieldPath): FieldPath {
    return this.pathMap ? this.pathMap(path) : path
  }

  error(path: FieldPath, message: string, linePath: FieldPath = path): void {
    this.errors.push(this.diagnostic('error', path, message, linePath))
  }

  warn(path: FieldPath, message: string, linePath: FieldPath = path): void {
    this.warnings.push(this.diagnostic('warning', path, message, linePath))
  }

  private diagnostic(severity: 'error' | 'warning', path: FieldPath, message: string, linePath: FieldPath): Diagnostic {
    const field = formatFieldPath(this.written(path))
    return {
      severity,
      file: this.doc.file,
      line: this.line(linePath),
      ...(this.object ? { object: this.object } : {}),
      ...(field ? { field } : {}),
      message,
    }
  }

  invalid(path: FieldPath, value: unknown, detail: string, linePath?: FieldPath): void {
    this.error(path, `Invalid value: ${formatFieldValue(value)}: ${detail}`, linePath)
  }

  required(path: FieldPath, detail?: string, linePath?: FieldPath): void {
    this.error(path, detail ? `Required value: ${detail}` : 'Required value', linePath)
  }

  forbidden(path: FieldPath, detail: string): void {
    this.error(path, `Forbidden: ${detail}`)
  }

  notSupported(path: FieldPath, value: unknown, supported: readonly string[]): void {
    const list = [...supported]
      .sort()
      .map((s) => JSON.stringify(s))
      .join(', ')
    this.error(path, `Unsupported value: ${formatFieldValue(value)}: supported values: ${list}`)
  }

  duplicate(path: FieldPath, value: unknown): void {
    this.error(path, `Duplicate value: ${formatFieldValue(value)}`)
  }

  /** A field of the wrong type: the API server's decoder rejects the whole object. */
  wrongType(path: FieldPath, value: unknown, expected: string): void {
    const got = jsonTypeName(value)
    let hint = ''
    if (expected === 'string' && (got === 'bool' || got === 'number' || got === 'timestamp')) {
      const text = this.doc.textAt([...this.base, ...this.written(path)])
      const shown = text && !/^["']/.test(text) ? text : formatFieldValue(value)
      hint = `; YAML 1.1 reads an unquoted ${shown} as a ${got === 'bool' ? 'boolean' : got}, quote it: "${shown}"`
    }
    this.error(path, `Invalid type: cannot unmarshal ${got} into a field of type ${expected}${hint}`)
  }

  /** The value if it is a string; undefined if absent or null; a type error otherwise. */
  string(value: unknown, path: FieldPath): string | undefined {
    if (value === undefined || value === null) return undefined
    if (typeof value === 'string') return value
    this.wrongType(path, value, 'string')
    return undefined
  }

  /** An integer (Go int32/int64 field). */
  integer(value: unknown, path: FieldPath): number | undefined {
    if (value === undefined || value === null) return undefined
    if (typeof value === 'number' && Number.isInteger(value)) return value
    this.wrongType(path, value, 'integer')
    return undefined
  }

  boolean(value: unknown, path: FieldPath): boolean | undefined {
    if (value === undefined || value === null) return undefined
    if (typeof value === 'boolean') return value
    this.wrongType(path, value, 'bool')
    return undefined
  }

  map(value: unknown, path: FieldPath): PlainMap | undefined {
    if (value === undefined || value === null) return undefined
    if (isPlainMap(value)) return value
    this.wrongType(path, value, 'object')
    return undefined
  }

  list(value: unknown, path: FieldPath): readonly unknown[] | undefined {
    if (value === undefined || value === null) return undefined
    if (Array.isArray(value)) return value
    this.wrongType(path, value, 'array')
    return undefined
  }

  /** Each item of a list field read by `read` (at `path` + index); items it rejects (undefined) are left out, their errors recorded. */
  items<T>(value: unknown, path: FieldPath, read: (raw: unknown, path: FieldPath) => T | undefined): T[] {
    const out: T[] = []
    this.list(value, path)?.forEach((raw, i) => {
      const item = read(raw, [...path, i])
      if (item !== undefined) out.push(item)
    })
    return out
  }

  /** Fields the schema does not know: strict decoding (kubectl's default field validation) rejects them. */
  unknownFields(value: PlainMap, path: FieldPath, known: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        const full = formatFieldPath(this.written([...path, key]))
        const guess = known.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2)
        this.error([...path, key], `Unknown field: strict decoding error: unknown field "${full}"${guess ? ` (did you mean "${guess}"?)` : ''}`)
      }
    }
  }
}
