/**
 * @module Validating a custom resource as kube-apiserver does with its CRD installed: the
 * structural OpenAPI schema (types, required, enum, minimum/maximum, min/maxItems,
 * min/maxProperties, maxLength, pattern, `x-kubernetes-list-type: set`) and the CRD's CEL rules
 * (`x-kubernetes-validations`), with the apiserver's field paths and messages
 * (apiextensions-apiserver `kubeOpenAPIResultToFieldErrors`, the CEL validator's
 * `Invalid value: "object": <message>`). Fields the schema does not declare are strict decoding
 * errors (kubectl's default field validation); `null` in a field that is not nullable is pruned
 * (treated as absent) as the apiserver does.
 *
 * A schema is written in TypeScript beside the model it checks; each CEL rule carries its
 * upstream text (tests compare the schemas with the vendored CRD YAML) and a function computing it.
 */
import { formatFieldPath, type FieldPath } from './field-path.js'
import { formatFieldValue, isPlainMap, type ObjectReader, type PlainMap } from './object-reader.js'

export type CrdType = 'object' | 'array' | 'string' | 'integer'

/** One `x-kubernetes-validations` entry. */
export interface CelRule {
  /** The rule as written in the CRD (compared with the vendored CRD by tests). */
  readonly rule: string
  readonly message: string
  /** The rule evaluated on a value that passed the schema. */
  readonly holds: (self: unknown) => boolean
  /**
   * When set and it returns a text, a failure is only a warning with that text appended (for a
   * rule only one channel's CRD has, on an object that may be meant for the other).
   */
  readonly warnOnlyWhen?: (self: unknown) => string | undefined
}

export interface CrdSchema {
  readonly type: CrdType
  readonly properties?: Readonly<Record<string, CrdSchema>>
  /** A map's values (`matchLabels`). */
  readonly additionalProperties?: CrdSchema
  readonly required?: readonly string[]
  readonly items?: CrdSchema
  readonly enum?: readonly string[]
  readonly minimum?: number
  readonly maximum?: number
  readonly minItems?: number
  readonly maxItems?: number
  readonly minProperties?: number
  readonly maxProperties?: number
  readonly maxLength?: number
  readonly pattern?: string
  readonly format?: 'int32' | 'int64'
  readonly listType?: 'atomic' | 'set' | 'map'
  readonly mapType?: 'atomic'
  /** Applied before validation when the field is absent (v1alpha1 `protocol: TCP`). */
  readonly default?: string
  readonly validations?: readonly CelRule[]
  /** Only in the experimental channel's CRD (checked against it by tests; used with a warning). */
  readonly experimental?: boolean
}

/** The type name kube-openapi reports for a value ("must be of type integer: \"string\""). */
function openApiTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (Array.isArray(value)) return 'array'
  if (typeof value === 'string') return 'string'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  if (typeof value === 'bigint') return 'integer'
  return 'object'
}

function hasType(value: unknown, type: CrdType): boolean {
  switch (type) {
    case 'object':
      return isPlainMap(value)
    case 'array':
      return Array.isArray(value)
    case 'string':
      return typeof value === 'string'
    case 'integer':
      return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'bigint'
  }
}

/**
 * The value with every YAML 1.1 timestamp (an unquoted `2024-01-01`) back to its text: the
 * apiserver's YAML reader (go-yaml v2) keeps such scalars as strings when the target is untyped,
 * as a custom resource's is, so `name: 2024-01-01` is a string there.
 */
export function timestampsAsText(r: ObjectReader, value: unknown, path: FieldPath = []): unknown {
  if (value instanceof Date) return r.doc.textAt([...r.base, ...path]) ?? value.toISOString()
  if (Array.isArray(value)) return value.map((v, i) => timestampsAsText(r, v, [...path, i]))
  if (isPlainMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, timestampsAsText(r, v, [...path, k])]))
  return value
}

/** Present and not null: the apiserver prunes `null` from fields that are not nullable. */
export function present(map: PlainMap, key: string): boolean {
  return map[key] !== undefined && map[key] !== null
}

/** Characters (code points) as OpenAPI's maxLength counts them. */
function codePoints(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

export interface CrdValidation {
  /** Errors of the kinds after which the apiserver does not run CEL rules (type, required, enum, too long, too many). */
  blocking: boolean
  /** Where CEL rules apply, collected during the schema pass, run afterwards. */
  readonly cel: { readonly path: FieldPath; readonly value: unknown; readonly rules: readonly CelRule[] }[]
}

/**
 * Validates `value` at `path` (relative to the object) against `schema`, recording errors on `r`
 * exactly as the apiserver words them, then runs the CEL rules unless a blocking error was found
 * (then, like the apiserver, it says that some rules were not checked). `valid`: no error
 * recorded here; `shaped`: no blocking error, so every present value has its schema's type.
 */
export function validateCustomResource(r: ObjectReader, value: unknown, schema: CrdSchema, path: FieldPath = []): { valid: boolean; shaped: boolean } {
  const before = r.errors.length
  const state: CrdValidation = { blocking: false, cel: [] }
  validateValue(r, value, schema, path, state)
  if (state.blocking) {
    // The apiserver says so whenever the CRD has rules at all, reached by this object or not.
    if (hasCelRules(schema))
      r.error(
        [],
        'Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      )
  } else {
    for (const { path: at, value: self, rules } of state.cel) {
      for (const rule of rules) {
        if (rule.holds(self)) continue
        const message = `Invalid value: ${JSON.stringify(openApiTypeName(self))}: ${rule.message}`
        const note = rule.warnOnlyWhen?.(self)
        if (note !== undefined) r.warn(at, `${message} (${note})`)
        else r.error(at, message)
      }
    }
  }
  return { valid: r.errors.length === before, shaped: !state.blocking }
}

const celMemo = new WeakMap<CrdSchema, boolean>()

function hasCelRules(schema: CrdSchema): boolean {
  let has = celMemo.get(schema)
  if (has === undefined) {
    has =
      (schema.validations?.length ?? 0) > 0 ||
      Object.values(schema.properties ?? {}).some(hasCelRules) ||
      (schema.items !== undefined && hasCelRules(schema.items)) ||
      (schema.additionalProperties !== undefined && hasCelRules(schema.additionalProperties))
    celMemo.set(schema, has)
  }
  return has
}

function inBody(path: FieldPath): string {
  return `${formatFieldPath(path)} in body`
}

function validateValue(r: ObjectReader, value: unknown, schema: CrdSchema, path: FieldPath, state: CrdValidation): void {
  if (!hasType(value, schema.type)) {
    const actual = openApiTypeName(value)
    r.error(path, `Invalid value: ${JSON.stringify(actual)}: ${inBody(path)} must be of type ${schema.type}: ${JSON.stringify(actual)}`)
    state.blocking = true
    return
  }
  switch (schema.type) {
    case 'object':
      validateObject(r, value as PlainMap, schema, path, state)
      break
    case 'array':
      validateArray(r, value as readonly unknown[], schema, path, state)
      break
    case 'string':
      validateString(r, value as string, schema, path, state)
      break
    case 'integer':
      validateInteger(r, Number(value), schema, path)
      break
  }
  if (schema.validations && schema.validations.length > 0) state.cel.push({ path, value, rules: schema.validations })
}

function validateObject(r: ObjectReader, map: PlainMap, schema: CrdSchema, path: FieldPath, state: CrdValidation): void {
  const keys = Object.keys(map).filter((k) => map[k] !== null)
  if (schema.properties) {
    r.unknownFields(map, path, Object.keys(schema.properties))
    for (const [key, sub] of Object.entries(schema.properties)) {
      if (present(map, key)) validateValue(r, map[key], sub, [...path, key], state)
    }
  } else if (schema.additionalProperties) {
    for (const key of keys) validateValue(r, map[key], schema.additionalProperties, [...path, key], state)
  }
  for (const key of schema.required ?? []) {
    if (!present(map, key)) {
      r.error([...path, key], 'Required value', path)
      state.blocking = true
    }
  }
  const count = schema.properties ? keys.filter((k) => Object.hasOwn(schema.properties!, k)).length : keys.length
  if (schema.maxProperties !== undefined && count > schema.maxProperties) {
    r.error(path, `Too many: ${count}: must have at most ${schema.maxProperties} items`)
    state.blocking = true
  }
  if (schema.minProperties !== undefined && count < schema.minProperties) {
    r.error(path, `Invalid value: ${count}: ${inBody(path)} should have at least ${schema.minProperties} properties`)
  }
}

function validateArray(r: ObjectReader, list: readonly unknown[], schema: CrdSchema, path: FieldPath, state: CrdValidation): void {
  if (schema.maxItems !== undefined && list.length > schema.maxItems) {
    r.error(path, `Too many: ${list.length}: must have at most ${schema.maxItems} items`)
    state.blocking = true
  }
  if (schema.minItems !== undefined && list.length < schema.minItems) {
    r.error(path, `Invalid value: ${list.length}: ${inBody(path)} should have at least ${schema.minItems} items`)
  }
  if (schema.items) {
    list.forEach((item, i) => {
      // A null item of a list is no pruned field: it is a value of the wrong type.
      validateValue(r, item, schema.items!, [...path, i], state)
    })
  }
  if (schema.listType === 'set') {
    const seen = new Set<string>()
    list.forEach((item, i) => {
      const key = JSON.stringify(item)
      if (seen.has(key)) r.error([...path, i], `Duplicate value: ${formatFieldValue(item)}`)
      seen.add(key)
    })
  }
}

function validateString(r: ObjectReader, s: string, schema: CrdSchema, path: FieldPath, state: CrdValidation): void {
  if (schema.maxLength !== undefined && codePoints(s) > schema.maxLength) {
    r.error(path, `Too long: may not be more than ${schema.maxLength} bytes`)
    state.blocking = true
  }
  if (schema.pattern !== undefined && !patternOf(schema.pattern).test(s)) {
    r.error(path, `Invalid value: ${formatFieldValue(s)}: ${inBody(path)} should match '${schema.pattern}'`)
  }
  if (schema.enum && !schema.enum.includes(s)) {
    r.error(path, `Unsupported value: ${formatFieldValue(s)}: supported values: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`)
    state.blocking = true
  }
}

const patterns = new Map<string, RegExp>()

function patternOf(source: string): RegExp {
  let re = patterns.get(source)
  if (!re) {
    re = new RegExp(source, 'u')
    patterns.set(source, re)
  }
  return re
}

function validateInteger(r: ObjectReader, n: number, schema: CrdSchema, path: FieldPath): void {
  if (schema.minimum !== undefined && n < schema.minimum) {
    r.error(path, `Invalid value: ${n}: ${inBody(path)} should be greater than or equal to ${schema.minimum}`)
  }
  if (schema.maximum !== undefined && n > schema.maximum) {
    r.error(path, `Invalid value: ${n}: ${inBody(path)} should be less than or equal to ${schema.maximum}`)
  }
}

/**
 * A copy of `value` with the schema's defaults applied to absent fields (the apiserver defaults
 * before it validates), nulls left as they are (validation prunes them).
 */
export function applyDefaults(value: unknown, schema: CrdSchema): unknown {
  if (schema.type === 'object' && isPlainMap(value) && schema.properties) {
    const out: Record<string, unknown> = { ...value }
    for (const [key, sub] of Object.entries(schema.properties)) {
      if (!present(out, key) && sub.default !== undefined) out[key] = sub.default
      else if (present(out, key)) out[key] = applyDefaults(out[key], sub)
    }
    return out
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items) return value.map((v) => applyDefaults(v, schema.items!))
  return value
}
