/**
 * @module A fast reader for manifests written as strict JSON (`kubectl get -o json` exports, the
 * usual form of large inputs), giving the same values and lines as the YAML reader at a fraction
 * of its cost. Anything that is not plain strict JSON (a YAML flow mapping, a JSON stream,
 * duplicate keys, a syntax error) returns undefined and is left to the YAML reader, which then
 * decides and reports.
 */
import type { FieldPath } from './field-path.js'
import { MAX_NESTING_DEPTH } from './input-limits.js'
import type { ManifestDocument } from './yaml-documents.js'

/** Where a value sits in the text; for maps, also where each key is. */
interface Position {
  readonly line: number
  readonly start: number
  end: number
  readonly keys?: Map<string, { readonly keyLine: number; readonly value: Position }>
  readonly items?: Position[]
}

class NotPlainJson extends Error {}

/** Maps and lists nested deeper than MAX_NESTING_DEPTH, at `line`: an error whichever reader reads the text. */
export class NestingTooDeep extends Error {
  constructor(readonly line: number) {
    super(`nested more than ${MAX_NESTING_DEPTH} deep at line ${line}`)
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y

class Scanner {
  pos = 0
  line = 1
  depth = 0

  constructor(readonly text: string) {}

  skipSpace(): void {
    const t = this.text
    for (;;) {
      const c = t.charCodeAt(this.pos)
      if (c === 10) this.line++
      else if (c !== 32 && c !== 9 && c !== 13) return
      this.pos++
    }
  }

  fail(): never {
    throw new NotPlainJson()
  }

  value(): { value: unknown; at: Position } {
    this.skipSpace()
    const t = this.text
    const start = this.pos
    const line = this.line
    const c = t.charCodeAt(start)
    if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++this.depth > MAX_NESTING_DEPTH) throw new NestingTooDeep(line)
      const v = c === 123 ? this.object(start, line) : this.array(start, line)
      this.depth--
      return v
    }
    if (c === 34 /* " */) {
      const value = this.string()
      return { value, at: { line, start, end: this.pos } }
    }
    let value: unknown
    if (t.startsWith('true', start)) {
      value = true
      this.pos += 4
    } else if (t.startsWith('false', start)) {
      value = false
      this.pos += 5
    } else if (t.startsWith('null', start)) {
      value = null
      this.pos += 4
    } else {
      NUMBER.lastIndex = start
      const m = NUMBER.exec(t)
      if (!m) this.fail()
      value = Number(m[0])
      this.pos += m[0].length
    }
    return { value, at: { line, start, end: this.pos } }
  }

  string(): string {
    const t = this.text
    const start = this.pos
    let escaped = false
    for (let i = start + 1; i < t.length; i++) {
      const c = t.charCodeAt(i)
      if (c === 34 /* " */) {
        this.pos = i + 1
        return escaped ? (JSON.parse(t.slice(start, i + 1)) as string) : t.slice(start + 1, i)
      }
      if (c === 92 /* \ */) {
        escaped = true
        i++
      } else if (c < 32) {
        this.fail()
      }
    }
    return this.fail()
  }

  object(start: number, line: number): { value: unknown; at: Position } {
    const out: Record<string, unknown> = {}
    const keys = new Map<string, { keyLine: number; value: Position }>()
    const at: Position = { line, start, end: start, keys }
    this.pos++
    this.skipSpace()
    if (this.text.charCodeAt(this.pos) === 125 /* } */) {
      this.pos++
      at.end = this.pos
      return { value: out, at }
    }
    for (;;) {
      this.skipSpace()
      if (this.text.charCodeAt(this.pos) !== 34) this.fail()
      const keyLine = this.line
      const key = this.string()
      // Duplicate keys are the YAML reader's to report.
      if (keys.has(key)) this.fail()
      this.skipSpace()
      if (this.text.charCodeAt(this.pos) !== 58 /* : */) this.fail()
      this.pos++
      const v = this.value()
      // A key named __proto__ is data, not the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: v.value, enumerable: true, writable: true, configurable: true })
      else out[key] = v.value
      keys.set(key, { keyLine, value: v.at })
      this.skipSpace()
      const c = this.text.charCodeAt(this.pos++)
      if (c === 125 /* } */) break
      if (c !== 44 /* , */) this.fail()
    }
    at.end = this.pos
    return { value: out, at }
  }

  array(start: number, line: number): { value: unknown; at: Position } {
    const out: unknown[] = []
    const items: Position[] = []
    const at: Position = { line, start, end: start, items }
    this.pos++
    this.skipSpace()
    if (this.text.charCodeAt(this.pos) === 93 /* ] */) {
      this.pos++
      at.end = this.pos
      return { value: out, at }
    }
    for (;;) {
      const v = this.value()
      out.push(v.value)
      items.push(v.at)
      this.skipSpace()
      const c = this.text.charCodeAt(this.pos++)
      if (c === 93 /* ] */) break
      if (c !== 44 /* , */) this.fail()
    }
    at.end = this.pos
    return { value: out, at }
  }
}

/**
 * The one document of a strict JSON text, or undefined when the text is not plain strict JSON
 * (the YAML reader handles it then). Lines follow the YAML reader's rules: a map field is at its
 * key, a list item at the item, an absent field at its deepest existing ancestor.
 */
export function readJsonManifestDocument(text: string, file: string): ManifestDocument | undefined {
  const scanner = new Scanner(text)
  if (text.charCodeAt(0) === 0xfeff) scanner.pos = 1
  let root: { value: unknown; at: Position }
  try {
    root = scanner.value()
    scanner.skipSpace()
    if (scanner.pos !== text.length) return undefined
  } catch (err) {
    if (err instanceof NotPlainJson || err instanceof SyntaxError) return undefined
    throw err
  }
  const rootAt = root.at
  return {
    file,
    value: root.value,
    lineAt: (path: FieldPath) => {
      let at = rootAt
      let keyLine: number | undefined
      for (const seg of path) {
        let next: Position | undefined
        let nextKeyLine: number | undefined
        if (typeof seg === 'number') {
          next = at.items?.[seg]
        } else {
          const entry = at.keys?.get(seg)
          next = entry?.value
          nextKeyLine = entry?.keyLine
        }
        if (!next) break
        at = next
        keyLine = nextKeyLine
      }
      return keyLine ?? at.line
    },
    textAt: (path: FieldPath) => {
      let at = rootAt
      for (const seg of path) {
        const next = typeof seg === 'number' ? at.items?.[seg] : at.keys?.get(seg)?.value
        if (!next) break
        at = next
      }
      return text.slice(at.start, at.end)
    },
  }
}
