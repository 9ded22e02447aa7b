/** printable: the one escape for human output (docs/security.md, "Human output"). */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { hasUnsafeText, printable, terminalSafeJson } from '../../src/model/printable.js'

/** Any sequence of UTF-16 code units, lone surrogates included. */
const anyText = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((units) => String.fromCharCode(...units))
const RAW_UNSAFE = new RegExp(
  [
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff]/,
    /[\ud800-\udbff](?![\udc00-\udfff])/,
    /(?<![\ud800-\udbff])[\udc00-\udfff]/,
  ]
    .map((r) => r.source)
    .join('|'),
)

describe('printable', () => {
  it('escapes C0, DEL and C1 controls, tab and line breaks by name or as \\xHH', () => {
    expect(printable('a\tb\nc\rd')).toBe('a\\tb\\nc\\rd')
    expect(printable('\u0000\u0007\u001b[31m\u007f')).toBe('\\x00\\x07\\x1b[31m\\x7f')
    expect(printable('\u0085\u009b1m')).toBe('\\x85\\x9b1m')
  })

  it('escapes bidirectional controls, line separators, the BOM and noncharacters as \\uHHHH', () => {
    expect(printable('\u202eexe.txt')).toBe('\\u202eexe.txt')
    expect(printable('\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069')).toBe(
      '\\u061c\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069',
    )
    expect(printable('\u2028\u2029\ufeff\ufffe\uffff')).toBe('\\u2028\\u2029\\ufeff\\ufffe\\uffff')
  })

  it('escapes lone surrogates, keeps pairs (emoji) and every other script', () => {
    expect(printable('a\ud800b\udc00c\ud800')).toBe('a\\ud800b\\udc00c\\ud800')
    const text = 'prod/frontend 🚀 Größe 名前 اسم ‍ zero‌width'
    expect(printable(text)).toBe(text)
  })

  it('leaves safe text as it is (the same string)', () => {
    const s = 'examples/three-tier/policies.yaml:25'
    expect(printable(s)).toBe(s)
    expect(hasUnsafeText(s)).toBe(false)
  })

  it('never lets an unsafe code point or a line break through, for any input', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const out = printable(s)
        expect(out).not.toMatch(RAW_UNSAFE)
        expect(hasUnsafeText(s)).toBe(out !== s)
      }),
    )
  })
})

describe('terminalSafeJson', () => {
  it('writes what JSON.stringify leaves raw as \\u escapes: the same values', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const json = terminalSafeJson(JSON.stringify({ s, [s]: [s] }, null, 2))
        expect(json.replaceAll('\n', '')).not.toMatch(RAW_UNSAFE)
        const back = JSON.parse(json)
        expect(back.s).toBe(s)
        expect(back[s]).toEqual([s])
      }),
    )
  })
})
