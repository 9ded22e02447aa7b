/**
 * @module Fixed-size bit sets on Uint32Array, the engine's representation of identity sets.
 *
 * Plain functions over `Uint32Array` (no class) so hot loops stay monomorphic and sets can be
 * shared between engine versions: a set is never mutated after it has been handed out.
 */

export type Bitset = Uint32Array

export function wordsFor(size: number): number {
  return (size + 31) >>> 5
}

/**
 * Sets are carved out of shared chunks: V8 makes every typed array of its own a separate backing
 * store, and thousands of small ones cost more in garbage collection than the bit work itself.
 * A chunk is freed once no set carved from it is reachable.
 */
const CHUNK_WORDS = 1 << 16
let chunk = new Uint32Array(CHUNK_WORDS)
let chunkUsed = 0

function allocate(words: number): Bitset {
  if (words > CHUNK_WORDS >>> 2) return new Uint32Array(words)
  if (chunkUsed + words > CHUNK_WORDS) {
    chunk = new Uint32Array(CHUNK_WORDS)
    chunkUsed = 0
  }
  const s = chunk.subarray(chunkUsed, chunkUsed + words)
  chunkUsed += words
  return s
}

export function emptySet(size: number): Bitset {
  return allocate(wordsFor(size))
}

/** A copy that may be changed without touching `s`. */
export function copySet(s: Bitset): Bitset {
  const out = allocate(s.length)
  out.set(s)
  return out
}

export function fullSet(size: number): Bitset {
  const s = allocate(wordsFor(size))
  setRange(s, 0, size)
  return s
}

export function hasBit(s: Bitset, i: number): boolean {
  return (s[i >>> 5]! & (1 << (i & 31))) !== 0
}

export function setBit(s: Bitset, i: number): void {
  s[i >>> 5]! |= 1 << (i & 31)
}

/** Sets bits [from, to). */
export function setRange(s: Bitset, from: number, to: number): void {
  for (let i = from; i < to;) {
    const w = i >>> 5
    const bit = i & 31
    const n = Math.min(32 - bit, to - i)
    const mask = n === 32 ? 0xffffffff : ((1 << n) - 1) << bit
    s[w]! |= mask
    i += n
  }
}

export function orInto(target: Bitset, source: Bitset): void {
  for (let i = 0; i < target.length; i++) target[i]! |= source[i]!
}

export function andInto(target: Bitset, source: Bitset): void {
  for (let i = 0; i < target.length; i++) target[i]! &= source[i]!
}

export function andNotInto(target: Bitset, source: Bitset): void {
  for (let i = 0; i < target.length; i++) target[i]! &= ~source[i]!
}

export function and(a: Bitset, b: Bitset): Bitset {
  const out = allocate(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]! & b[i]!
  return out
}

/** Complement within [0, size). */
export function not(a: Bitset, size: number): Bitset {
  const out = allocate(a.length)
  for (let i = 0; i < a.length; i++) out[i] = ~a[i]!
  const tail = size & 31
  if (tail !== 0 && out.length > 0) out[out.length - 1]! &= (1 << tail) - 1
  return out
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  x = (x + (x >>> 4)) & 0x0f0f0f0f
  return Math.imul(x, 0x01010101) >>> 24
}

export function count(s: Bitset): number {
  let n = 0
  for (let i = 0; i < s.length; i++) if (s[i] !== 0) n += popcount32(s[i]!)
  return n
}

/** Calls `f` with every member in increasing order. */
export function forEachBit(s: Bitset, f: (i: number) => void): void {
  for (let w = 0; w < s.length; w++) {
    let word = s[w]!
    while (word !== 0) {
      const low = word & -word
      f((w << 5) + 31 - Math.clz32(low))
      word ^= low
    }
  }
}

export function members(s: Bitset): number[] {
  const out: number[] = []
  forEachBit(s, (i) => out.push(i))
  return out
}

/** Sum of `weights[i]` over members i. */
export function weightedCount(s: Bitset, weights: ArrayLike<number>): number {
  let n = 0
  forEachBit(s, (i) => {
    n += weights[i]!
  })
  return n
}

/**
 * Transposes a square bit matrix given as rows (`rows[r]` has bit c set when (r, c) holds;
 * `undefined` is an empty row): returns `cols` with `cols[c]` bit r set. Works in 32x32 blocks,
 * so the cost does not depend on how dense the matrix is; the result lives in one buffer.
 */
export function transpose(rows: readonly (Bitset | undefined)[], size: number): Bitset[] {
  const words = wordsFor(size)
  const buffer = transposeRect(rows, size, size)
  const out: Bitset[] = []
  for (let i = 0; i < size; i++) out.push(buffer.subarray(i * words, (i + 1) * words))
  return out
}

/**
 * Transposes a `rowCount` x `colCount` bit matrix given as rows (each `wordsFor(colCount)` words;
 * `undefined` is an empty row) into one buffer of `colCount` rows of `wordsFor(rowCount)` words:
 * row `c` of the result has bit `r` set when (r, c) holds, in 32x32 blocks (see `transpose`).
 */
export function transposeRect(rows: readonly (Bitset | undefined)[], rowCount: number, colCount: number): Uint32Array {
  const outWords = wordsFor(rowCount)
  const inWords = wordsFor(colCount)
  const out = new Uint32Array(outWords * colCount)
  const block = new Uint32Array(32)
  const band: (Bitset | undefined)[] = new Array(32)
  for (let rb = 0; rb < outWords; rb++) {
    let present = 0
    for (let k = 0; k < 32; k++) {
      const r = (rb << 5) + k
      band[k] = r < rowCount ? rows[r] : undefined
      if (band[k] !== undefined) present++
    }
    if (present === 0) continue
    for (let cb = 0; cb < inWords; cb++) {
      let any = 0
      for (let k = 0; k < 32; k++) {
        const row = band[k]
        const v = row === undefined ? 0 : row[cb]!
        block[k] = v
        any |= v
      }
      if (any === 0) continue
      transpose32(block)
      for (let k = 0; k < 32; k++) {
        const c = (cb << 5) + k
        if (c < colCount && block[k] !== 0) out[c * outWords + rb] = block[k]!
      }
    }
  }
  return out
}

/**
 * In-place transpose of a 32x32 bit block where row k's bit j is (k, j): afterwards row j's bit k
 * is that value (the recursive swap of Hacker's Delight, adapted to LSB-first bit order).
 */
function transpose32(a: Uint32Array): void {
  let j = 16
  let m = 0x0000ffff
  while (j !== 0) {
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const t = ((a[k]! >>> j) ^ a[k + j]!) & m
      a[k + j]! ^= t
      a[k]! ^= t << j
    }
    j >>>= 1
    m ^= m << j
  }
}

/** FNV-1a over the words of a set: equal sets hash alike (to find equal rows quickly). */
export function hashSet(s: Bitset): number {
  let h = 0x811c9dc5
  for (let w = 0; w < s.length; w++) h = Math.imul(h ^ s[w]!, 0x01000193)
  return h >>> 0
}

/** Same members (sets of the same size). */
export function equalSets(a: Bitset, b: Bitset): boolean {
  if (a === b) return true
  for (let w = 0; w < a.length; w++) if (a[w] !== b[w]) return false
  return true
}
