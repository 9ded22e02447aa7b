/**
 * @module Labels and label selectors: decoded, validated as apimachinery's `ValidateLabels` and
 * `ValidateLabelSelector` do (for new objects: invalid values in selectors are errors), defaulted.
 */
import type { FieldPath } from './field-path.js'
import { labelValueErrors, qualifiedNameErrors } from './name-validation.js'
import type { ObjectReader } from './object-reader.js'
import type { LabelSelector, LabelSelectorOperator, LabelSelectorRequirement, Labels } from './types.js'

const OPERATORS: readonly LabelSelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist']

/** A label map (`metadata.labels`, `matchLabels`): keys qualified names, values label values, all strings. */
export function readLabels(r: ObjectReader, value: unknown, path: FieldPath): Labels {
  const map = r.map(value, path)
  const out: Record<string, string> = {}
  if (!map) return out
  for (const [key, raw] of Object.entries(map)) {
    const keyPath = [...path, key]
    // JSON null decodes to the empty string in a map[string]string.
    const v = raw === null ? '' : r.string(raw, keyPath)
    for (const msg of qualifiedNameErrors(key)) r.invalid(path, key, msg, keyPath)
    if (v === undefined) continue
    for (const msg of labelValueErrors(v)) r.invalid(path, v, msg, keyPath)
    out[key] = v
  }
  return out
}

const SELECTOR_FIELDS = ['matchLabels', 'matchExpressions']
const REQUIREMENT_FIELDS = ['key', 'operator', 'values']

/** A label selector; absent parts default to empty (an empty selector matches everything). */
export function readLabelSelector(r: ObjectReader, value: unknown, path: FieldPath): LabelSelector {
  const map = r.map(value, path)
  if (!map) return { matchLabels: {}, matchExpressions: [] }
  r.unknownFields(map, path, SELECTOR_FIELDS)
  const matchLabels = readLabels(r, map.matchLabels, [...path, 'matchLabels'])
  const matchExpressions = r.items(map.matchExpressions, [...path, 'matchExpressions'], (raw, at) => readRequirement(r, raw, at))
  return { matchLabels, matchExpressions }
}

function readRequirement(r: ObjectReader, raw: unknown, path: FieldPath): LabelSelectorRequirement | undefined {
  const map = r.map(raw, path) ?? (raw === null ? {} : undefined)
  if (!map) return undefined
  r.unknownFields(map, path, REQUIREMENT_FIELDS)
  const key = r.string(map.key, [...path, 'key']) ?? ''
  const operator = r.string(map.operator, [...path, 'operator']) ?? ''
  const values: string[] = []
  const rawValues = r.list(map.values, [...path, 'values']) ?? []
  rawValues.forEach((v, i) => {
    const s = r.string(v, [...path, 'values', i])
    if (s !== undefined) values.push(s)
  })
  let valid = true
  switch (operator) {
    case 'In':
    case 'NotIn':
      if (rawValues.length === 0) {
        r.required([...path, 'values'], "must be specified when `operator` is 'In' or 'NotIn'")
        valid = false
      }
      break
    case 'Exists':
    case 'DoesNotExist':
      if (rawValues.length > 0) {
        r.forbidden([...path, 'values'], "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
        valid = false
      }
      break
    default:
      r.invalid([...path, 'operator'], operator, 'not a valid selector operator')
      valid = false
  }
  for (const msg of qualifiedNameErrors(key)) r.invalid([...path, 'key'], key, msg)
  values.forEach((v, i) => {
    for (const msg of labelValueErrors(v)) r.invalid([...path, 'values', i], v, msg)
  })
  if (!valid || !OPERATORS.includes(operator as LabelSelectorOperator)) return undefined
  return { key, operator: operator as LabelSelectorOperator, values }
}
