/**
 * @module Deterministic, nft-safe names for the chains, sets and counters the compiler emits.
 *
 * nft names may be up to 255 bytes, but we keep them short (<= 64) so listings stay readable;
 * Kubernetes names can be 253 characters and contain `.`, which nft would read as the
 * concatenation operator. A readable, sanitized part is kept and a hash of the exact input
 * makes the name unique and stable: the same object always gets the same name.
 */
import { createHash } from 'node:crypto'

const MAX_NAME = 64
const HASH_CHARS = 10

export function shortHash(text: string, chars = HASH_CHARS): string {
  return createHash('sha256').update(text).digest('hex').slice(0, chars)
}

/** `<prefix>_<readable>_<hash>`: only [a-z0-9_], at most 64 characters, unique per `exact`. */
export function nftName(prefix: string, readable: string, exact: string): string {
  const hash = shortHash(exact)
  const room = MAX_NAME - prefix.length - hash.length - 2
  const clean = readable
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, Math.max(0, room))
    .replace(/_+$/g, '')
  return clean ? `${prefix}_${clean}_${hash}` : `${prefix}_${hash}`
}

/** A quoted nft string (comments, log prefixes): printable ASCII without `"` or `\`, bounded. */
export function nftString(text: string, maxBytes: number): string {
  const clean = text.replace(/[^\x20-\x7e]|["\\]/g, '?')
  return `"${clean.slice(0, maxBytes)}"`
}
