import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import {
  count,
  emptySet,
  forEachBit,
  fullSet,
  hasBit,
  members,
  not,
  setBit,
  setRange,
  transpose,
  transposeRect,
  weightedCount,
} from '../../src/engine/bitset.js'

describe('bitset', () => {
  it('transposes square bit matrices of any size like the naive loop', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 100 })
          .chain((n) => fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat(n - 1 < 0 ? 0 : n - 1), fc.nat(n - 1 < 0 ? 0 : n - 1)), { maxLength: 400 }))),
        ([n, cells]) => {
          const rows = Array.from({ length: n }, () => emptySet(n))
          if (n > 0) for (const [r, c] of cells) setBit(rows[r]!, c)
          const cols = transpose(rows, n)
          let wrong = 0
          for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (hasBit(cols[c]!, r) !== hasBit(rows[r]!, c)) wrong++
          expect(wrong).toBe(0)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('transposes rectangular bit matrices (rows of one width, columns of another) like the naive loop', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 90 }))
          .chain(([rowCount, colCount]) =>
            fc.tuple(
              fc.constant(rowCount),
              fc.constant(colCount),
              fc.array(fc.tuple(fc.nat(rowCount - 1), fc.nat(colCount - 1)), { maxLength: 300 }),
              fc.array(fc.nat(rowCount - 1), { maxLength: 5 }),
            ),
          ),
        ([rowCount, colCount, cells, missing]) => {
          const rows: (Uint32Array | undefined)[] = Array.from({ length: rowCount }, () => emptySet(colCount))
          for (const [r, c] of cells) setBit(rows[r]!, c)
          for (const r of missing) rows[r] = undefined
          const out = transposeRect(rows, rowCount, colCount)
          const words = (rowCount + 31) >>> 5
          expect(out.length).toBe(words * colCount)
          let wrong = 0
          for (let r = 0; r < rowCount; r++) {
            for (let c = 0; c < colCount; c++) {
              const want = rows[r] !== undefined && hasBit(rows[r]!, c)
              if (((out[c * words + (r >>> 5)]! & (1 << (r & 31))) !== 0) !== want) wrong++
            }
          }
          expect(wrong).toBe(0)
        },
      ),
      { numRuns: 80 },
    )
  })

  it('sets ranges, complements within the size and counts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n), fc.nat(n))),
        ([n, a, b]) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a]
          const s = emptySet(n)
          setRange(s, lo, hi)
          expect(members(s)).toEqual(Array.from({ length: hi - lo }, (_, i) => lo + i))
          expect(count(not(s, n))).toBe(n - (hi - lo))
          expect(count(fullSet(n))).toBe(n)
          let seen = 0
          forEachBit(s, () => seen++)
          expect(seen).toBe(hi - lo)
          expect(
            weightedCount(
              s,
              Array.from({ length: n }, () => 2),
            ),
          ).toBe(2 * (hi - lo))
        },
      ),
    )
  })
})
