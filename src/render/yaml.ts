/**
 * @module YAML output of plain data, in the block style kubectl prints. Exact values; a string that
 * holds a code point a terminal would act on (printable.ts) is written double-quoted with that code
 * point as a `\uXXXX` escape, so the output is valid YAML and safe to print.
 */
import { Document, isScalar, visit, type ToStringOptions } from 'yaml'
import { hasUnsafeText } from '../model/printable.js'

/** What `printable` escapes, as YAML double-quoted escapes (the yaml library writes some of them raw). */
const RAW_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]/g

export interface YamlOptions {
  /** YAML version of the document (`1.1`: how the API server reads manifests). @default '1.2' */
  readonly version?: '1.1' | '1.2'
}

export function renderYaml(data: unknown, options: YamlOptions = {}): string {
  const doc = new Document(data, { version: options.version ?? '1.2' })
  let quoted = false
  visit(doc, {
    Scalar(_, node) {
      if (isScalar(node) && typeof node.value === 'string' && hasUnsafeText(node.value)) {
        node.type = 'QUOTE_DOUBLE'
        quoted = true
      }
    },
  })
  const toString: ToStringOptions = { lineWidth: 0, indentSeq: false }
  const text = doc.toString(toString)
  // Only double-quoted scalars hold such code points now, and there the escape means the same.
  return quoted ? text.replace(RAW_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text
}
