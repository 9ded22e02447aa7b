import { describe, expect, it } from 'vitest'
import { decodeManifestBytes } from '../../src/model/text-encoding.js'

const TEXT = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: é-ü\n'

function utf32(text: string, littleEndian: boolean): Uint8Array {
  const cps = [0xfeff, ...[...text].map((c) => c.codePointAt(0)!)]
  const out = new DataView(new ArrayBuffer(cps.length * 4))
  cps.forEach((cp, i) => out.setUint32(i * 4, cp, littleEndian))
  return new Uint8Array(out.buffer)
}

function utf16be(text: string): Uint8Array {
  const le = Buffer.from(`\uFEFF${text}`, 'utf16le')
  return le.swap16()
}

describe('decodeManifestBytes', () => {
  it('reads UTF-8, with or without a byte order mark', () => {
    expect(decodeManifestBytes(Buffer.from(TEXT))).toEqual({ text: TEXT })
    expect(decodeManifestBytes(Buffer.from(`\uFEFF${TEXT}`))).toEqual({ text: TEXT })
  })
  it('decodes UTF-16 and UTF-32, either byte order, when a byte order mark says so', () => {
    expect(decodeManifestBytes(Buffer.from(`\uFEFF${TEXT}`, 'utf16le'))).toEqual({ text: TEXT })
    expect(decodeManifestBytes(utf16be(TEXT))).toEqual({ text: TEXT })
    expect(decodeManifestBytes(utf32(TEXT, true))).toEqual({ text: TEXT })
    expect(decodeManifestBytes(utf32(TEXT, false))).toEqual({ text: TEXT })
    expect(decodeManifestBytes(utf32('a: 😀\n', true))).toEqual({ text: 'a: 😀\n' })
  })
  it('refuses text that is not valid UTF-8, naming the line', () => {
    const r = decodeManifestBytes(Buffer.concat([Buffer.from('a: 1\nb: caf'), Buffer.from([0xe9]), Buffer.from('\n')]))
    expect(r).toEqual({ error: 'the text is not valid UTF-8: netpol reads UTF-8, or UTF-16/UTF-32 that start with a byte order mark', line: 2 })
  })
  it('refuses NUL bytes (UTF-16 without its byte order mark reads so), naming the line', () => {
    const r = decodeManifestBytes(Buffer.from('a: 1\n\0b\0:\0'))
    expect(r).toMatchObject({ line: 2 })
    expect('error' in r && r.error).toMatch(/NUL bytes/)
    expect(decodeManifestBytes(Buffer.from(TEXT, 'utf16le'))).toMatchObject({ line: 1 })
  })
  it('refuses truncated UTF-16 and UTF-32 and invalid code points', () => {
    expect(decodeManifestBytes(Buffer.from([0xff, 0xfe, 0x61]))).toMatchObject({ error: expect.stringMatching(/odd number of bytes/) })
    expect(decodeManifestBytes(Buffer.from([0xff, 0xfe, 0, 0, 0x61, 0]))).toMatchObject({ error: expect.stringMatching(/multiple of 4/) })
    expect(decodeManifestBytes(Buffer.from([0xff, 0xfe, 0, 0, 0, 0xd8, 0, 0]))).toMatchObject({
      error: expect.stringMatching(/invalid UTF-32 character U\+D800/),
    })
  })
})
