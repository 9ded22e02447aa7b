/**
 * @module Structural equality of model objects as written, ignoring where they were written: two
 * loads of equal manifests from different files give objects of the same meaning.
 */

/**
 * Same meaning: equal plain data, where it was written (`source`, at any depth) left out and an
 * undefined property the same as an absent one.
 */
export function sameMeaning(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameMeaning(a[i], b[i])) return false
    return true
  }
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  let n = 0
  for (const k in x) {
    if (k === 'source' || x[k] === undefined) continue
    if (!sameMeaning(x[k], y[k])) return false
    n++
  }
  for (const k in y) if (k !== 'source' && y[k] !== undefined) n--
  return n === 0
}
