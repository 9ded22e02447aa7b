/**
 * @module Large machine output written as UTF-8 bytes into chunks of about a megabyte, from pieces
 * encoded once (labels, field names) and integers written digit by digit. For outputs of millions
 * of lines: building each line as a string and encoding it costs 2-3x more (the string is
 * flattened, then encoded), see docs/performance.md.
 */

const CHUNK = 1 << 20
const encoder = new TextEncoder()

/** Text encoded once, to be put many times. */
export function encoded(text: string): Uint8Array {
  return encoder.encode(text)
}

export class ByteChunks {
  private out = new Uint8Array(CHUNK + 4096)
  private pos = 0

  put(bytes: Uint8Array): void {
    if (this.pos + bytes.length > this.out.length) this.grow(bytes.length)
    this.out.set(bytes, this.pos)
    this.pos += bytes.length
  }

  /** A non-negative integer in decimal. */
  int(n: number): void {
    if (this.pos + 16 > this.out.length) this.grow(16)
    if (n < 10) {
      this.out[this.pos++] = 48 + n
      return
    }
    let digits = 1
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++
    let at = this.pos + digits
    this.pos = at
    while (n >= 10) {
      const q = Math.floor(n / 10)
      this.out[--at] = 48 + n - q * 10
      n = q
    }
    this.out[--at] = 48 + n
  }

  /** One byte (an ASCII character's code). */
  byte(b: number): void {
    if (this.pos + 1 > this.out.length) this.grow(1)
    this.out[this.pos++] = b
  }

  /**
   * The bytes so far once they fill a chunk (call between lines, so a chunk ends at a line's end).
   * The chunk is a view of the buffer: call `renew` unless the reader is done with it.
   */
  take(): Uint8Array | undefined {
    return this.pos >= CHUNK ? this.flush() : undefined
  }

  /** The bytes so far, whatever their size (undefined when none); a view, as for `take`. */
  flush(): Uint8Array | undefined {
    if (this.pos === 0) return undefined
    const full = this.out.subarray(0, this.pos)
    this.pos = 0
    return full
  }

  /** Writes on in a new buffer: the reader still holds the last chunk (a stream may write it later). */
  renew(): void {
    this.out = new Uint8Array(CHUNK + 4096)
  }

  private grow(need: number): void {
    const bigger = new Uint8Array(Math.max(this.out.length * 2, this.pos + need))
    bigger.set(this.out.subarray(0, this.pos))
    this.out = bigger
  }
}
