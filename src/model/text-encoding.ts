/**
 * @module Manifest bytes to text. UTF-8 (with or without a byte order mark) as the API server
 * reads it; UTF-16 and UTF-32 are decoded when a byte order mark says so (kubectl decodes UTF-16
 * the same way). Anything else is refused with the line where it goes wrong, rather than read as
 * replacement characters into a misleading error further on.
 */
import { isUtf8 } from 'node:buffer'

export type DecodeResult = { readonly text: string } | { readonly error: string; readonly line: number }

/** 1-based line of a byte offset, counting LF bytes (right for UTF-8 and for the ASCII prefix of anything). */
function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 10) line++
  return line
}

/** The first offset where `bytes` stops being valid UTF-8. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  // Binary search on prefixes would split characters; walk sequences instead (this runs only on bad input).
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i]
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
    if (len === 0 || i + len > bytes.length) return i
    try {
      decoder.decode(bytes.subarray(i, i + len))
    } catch {
      return i
    }
    i += len
  }
  return bytes.length
}

function decodeUtf32(bytes: Uint8Array, littleEndian: boolean): DecodeResult {
  if (bytes.length % 4 !== 0) return { error: 'UTF-32 text (by its byte order mark) whose length is not a multiple of 4 bytes', line: 0 }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const parts: string[] = []
  let line = 1
  let chunk: number[] = []
  for (let i = 4; i < bytes.length; i += 4) {
    const cp = view.getUint32(i, littleEndian)
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { error: `invalid UTF-32 character U+${cp.toString(16).toUpperCase()}`, line }
    if (cp === 10) line++
    chunk.push(cp)
    if (chunk.length >= 8192) {
      parts.push(String.fromCodePoint(...chunk))
      chunk = []
    }
  }
  parts.push(String.fromCodePoint(...chunk))
  return { text: parts.join('') }
}

function decodeUtf16(bytes: Uint8Array, littleEndian: boolean): DecodeResult {
  if (bytes.length % 2 !== 0) return { error: 'UTF-16 text (by its byte order mark) with an odd number of bytes', line: 0 }
  try {
    return { text: new TextDecoder(littleEndian ? 'utf-16le' : 'utf-16be', { fatal: true, ignoreBOM: false }).decode(bytes) }
  } catch {
    return { error: 'invalid UTF-16 (an unpaired surrogate)', line: 0 }
  }
}

/**
 * The text of a manifest file. A UTF-8 byte order mark is dropped; UTF-16 and UTF-32 need one.
 * NUL bytes are refused: YAML does not allow them, and they usually mean UTF-16 without its mark.
 */
export function decodeManifestBytes(bytes: Uint8Array): DecodeResult {
  const [b0, b1, b2, b3] = bytes
  if (b0 === 0x00 && b1 === 0x00 && b2 === 0xfe && b3 === 0xff) return decodeUtf32(bytes, false)
  if (b0 === 0xff && b1 === 0xfe && b2 === 0x00 && b3 === 0x00) return decodeUtf32(bytes, true)
  if (b0 === 0xfe && b1 === 0xff) return decodeUtf16(bytes, false)
  if (b0 === 0xff && b1 === 0xfe) return decodeUtf16(bytes, true)
  const start = b0 === 0xef && b1 === 0xbb && b2 === 0xbf ? 3 : 0
  const body = bytes.subarray(start)
  const nul = body.indexOf(0)
  if (nul >= 0) {
    return { error: 'the text holds NUL bytes: netpol reads UTF-8, or UTF-16/UTF-32 that start with a byte order mark', line: lineOfByte(body, nul) }
  }
  if (!isUtf8(body)) {
    return {
      error: 'the text is not valid UTF-8: netpol reads UTF-8, or UTF-16/UTF-32 that start with a byte order mark',
      line: lineOfByte(body, firstInvalidUtf8(body)),
    }
  }
  return { text: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') }
}
