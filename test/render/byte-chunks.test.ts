/** The byte writer behind the grouped matrix's machine output (src/render/byte-chunks.ts). */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ByteChunks, encoded } from '../../src/render/byte-chunks.js'

const text = (w: ByteChunks) => new TextDecoder().decode(w.flush() ?? new Uint8Array())

describe('byte chunks', () => {
  it('writes integers as String() does, between pieces encoded as UTF-8', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary-ascii' }), fc.integer({ min: 0, max: 2 ** 40 }))), (parts) => {
        const w = new ByteChunks()
        for (const [s, n] of parts) {
          w.put(encoded(s))
          w.int(n)
          w.byte(0x2c)
        }
        expect(text(w)).toBe(parts.map(([s, n]) => `${s}${n},`).join(''))
      }),
    )
    const w = new ByteChunks()
    for (const n of [0, 9, 10, 99, 100, 999_999, 1_000_000, 86_814_375]) {
      w.int(n)
      w.byte(0x20)
    }
    w.put(encoded('ns/wé\u202e[Pod]'))
    expect(text(w)).toBe('0 9 10 99 100 999999 1000000 86814375 ns/wé\u202e[Pod]')
  })

  it('a piece larger than a chunk still fits', () => {
    const w = new ByteChunks()
    const big = 'x'.repeat(3 << 20)
    w.put(encoded('a'))
    w.put(encoded(big))
    w.int(42)
    expect(text(w)).toBe(`a${big}42`)
  })
})
