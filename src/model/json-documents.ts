/**
 * @module A fast reader for manifests written as strict JSON (`kubectl get -o json` exports, the
 * usual form of large inputs), giving the same values and lines as the YAML reader at a fraction
 * of its cost. Anything that is not plain strict JSON (a YAML flow mapping, a JSON stream,
 * duplicate keys, a syntax error) returns undefined and is left to the YAML reader, which then
 * decides and reports.
 *
 * Values come from the native `JSON.parse`; positions are found only when a line or a source text
 * is asked for, and only along the path asked (see `LazyPositions`). What `JSON.parse` accepts
 * but this reader must not (duplicate keys, nesting past the limit) is recognised after parsing;
 * any doubt sends the text to the scanning reader (`scanJsonManifestDocument`), which decides.
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
 * key, a list item at the item, an absent field at its deepest existing ancestor. Throws
 * NestingTooDeep for collections nested past the limit.
 */
export function readJsonManifestDocument(text: string, file: string): ManifestDocument | undefined {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0
  const value = parseNative(text, start)
  if (value === NOT_NATIVE) return scanJsonManifestDocument(text, file)
  const positions = new LazyPositions(text, start)
  return { file, value, lineAt: (path) => positions.lineAt(path), textAt: (path) => positions.textAt(path) }
}

const NOT_NATIVE = Symbol('not native')

/**
 * The value of a strict JSON text through `JSON.parse`, when it is exactly what the scanning
 * reader would give; NOT_NATIVE when that is not sure (a syntax error, a duplicate key, nesting
 * past the limit, an escaped colon), and the scanning reader must decide.
 *
 * Duplicate keys: `JSON.parse` keeps the last one silently. In valid JSON every member has one
 * colon outside strings, so the colons of the text are the members plus the colons inside
 * strings; a duplicate key makes the parsed value have fewer keys than that. Colons inside
 * strings are counted in the parsed strings, which hold the same colons as the text unless one
 * was written as an escape (`\u003a`): such a text is left to the scanning reader.
 */
function parseNative(text: string, start: number): unknown {
  if (text.includes('\\u003a') || text.includes('\\u003A')) return NOT_NATIVE
  let value: unknown
  try {
    value = JSON.parse(start === 0 ? text : text.slice(start))
  } catch {
    return NOT_NATIVE
  }
  let colons = 0
  for (let i = text.indexOf(':', start); i >= 0; i = text.indexOf(':', i + 1)) colons++
  // Members plus the colons inside strings, counted over the value without recursion.
  let accounted = 0
  const stack: unknown[] = [value]
  const depths: number[] = [0]
  const count = (s: string): void => {
    for (let i = s.indexOf(':'); i >= 0; i = s.indexOf(':', i + 1)) accounted++
  }
  while (stack.length > 0) {
    const v = stack.pop()
    const depth = depths.pop()! + 1
    if (typeof v === 'string') {
      count(v)
      continue
    }
    if (v === null || typeof v !== 'object') continue
    if (depth > MAX_NESTING_DEPTH) return NOT_NATIVE
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i]
        if (typeof x === 'string') count(x)
        else if (x !== null && typeof x === 'object') {
          stack.push(x)
          depths.push(depth)
        }
      }
    } else {
      const o = v as Record<string, unknown>
      for (const k in o) {
        accounted++
        count(k)
        const x = o[k]
        if (typeof x === 'string') count(x)
        else if (x !== null && typeof x === 'object') {
          stack.push(x)
          depths.push(depth)
        }
      }
    }
  }
  return accounted === colons ? value : NOT_NATIVE
}

/** Where a value sits: its text starts at `start`; its end and children are found when first asked for. */
interface LazyNode {
  readonly start: number
  /** The offset after the value, once known. */
  end?: number
  keys?: Map<string, { readonly keyStart: number; readonly node: LazyNode }>
  items?: LazyNode[]
  /** Reading the children: where the next one starts (-1: all read), or after `last` ends. */
  next?: number
  last?: LazyNode
}

/**
 * Positions in a text `JSON.parse` accepted, found on demand: a container's children are read
 * only as far as a path asked for needs, a value's end only when the next sibling or its text is
 * wanted, and lines are counted from an index of the line breaks, built on the first question.
 * So reading every item's line of a `kind: List` passes over the text once. The answers are the
 * scanning reader's: a map field is at its key, a list item at the item, an absent field at its
 * deepest existing ancestor; lines count line feeds only.
 */
class LazyPositions {
  private readonly root: LazyNode
  private breaks: Int32Array | undefined

  constructor(
    private readonly text: string,
    start: number,
  ) {
    const first = skipSpace(text, start)
    let end = text.length
    while (end > first && isSpace(text.charCodeAt(end - 1))) end--
    this.root = { start: first, end }
  }

  lineAt(path: FieldPath): number {
    let at = this.root
    let keyStart: number | undefined
    for (const seg of path) {
      let next: LazyNode | undefined
      let nextKeyStart: number | undefined
      if (typeof seg === 'number') {
        next = this.item(at, seg)
      } else {
        const entry = this.key(at, seg)
        next = entry?.node
        nextKeyStart = entry?.keyStart
      }
      if (!next) break
      at = next
      keyStart = nextKeyStart
    }
    return this.lineOf(keyStart ?? at.start)
  }

  textAt(path: FieldPath): string {
    let at = this.root
    for (const seg of path) {
      const next = typeof seg === 'number' ? this.item(at, seg) : this.key(at, seg)?.node
      if (!next) break
      at = next
    }
    return this.text.slice(at.start, this.endOf(at))
  }

  /** 1-based line of an offset: one more than the line feeds before it. */
  private lineOf(offset: number): number {
    if (this.breaks === undefined) {
      const found: number[] = []
      for (let i = this.text.indexOf('\n'); i >= 0; i = this.text.indexOf('\n', i + 1)) found.push(i)
      this.breaks = Int32Array.from(found)
    }
    const b = this.breaks
    let lo = 0
    let hi = b.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (b[mid]! < offset) lo = mid + 1
      else hi = mid
    }
    return lo + 1
  }

  /** The member `key` of a map node (reading its members up to it), or undefined. */
  private key(node: LazyNode, key: string): { readonly keyStart: number; readonly node: LazyNode } | undefined {
    if (node.next === undefined && node.last === undefined) this.begin(node)
    const keys = node.keys
    if (keys === undefined) return undefined
    let entry = keys.get(key)
    // The text is valid JSON without duplicate keys: read on until the key or the closing brace.
    while (entry === undefined && this.nextChild(node) >= 0) {
      const e = this.readMember(node)
      if (e.key === key) entry = e.entry
    }
    return entry
  }

  /** Item `i` of a list node (reading its items up to it), or undefined. */
  private item(node: LazyNode, i: number): LazyNode | undefined {
    if (node.next === undefined && node.last === undefined) this.begin(node)
    const items = node.items
    if (items === undefined) return undefined
    while (items.length <= i && this.nextChild(node) >= 0) this.readItem(node)
    return items[i]
  }

  private readMember(node: LazyNode): { key: string; entry: { readonly keyStart: number; readonly node: LazyNode } } {
    const t = this.text
    const keyStart = node.next!
    const keyEnd = stringEnd(t, keyStart)
    const raw = t.slice(keyStart + 1, keyEnd - 1)
    const key = raw.includes('\\') ? (JSON.parse(t.slice(keyStart, keyEnd)) as string) : raw
    const child: LazyNode = { start: skipSpace(t, skipSpace(t, keyEnd) + 1) } // past the colon
    const entry = { keyStart, node: child }
    node.keys!.set(key, entry)
    node.last = child
    node.next = undefined
    return { key, entry }
  }

  private readItem(node: LazyNode): void {
    const child: LazyNode = { start: node.next! }
    node.items!.push(child)
    node.last = child
    node.next = undefined
  }

  /** Where the next child of a begun container starts, or -1 (and its end is known) when there is none. */
  private nextChild(node: LazyNode): number {
    if (node.last !== undefined) {
      const t = this.text
      const p = skipSpace(t, this.endOf(node.last))
      node.last = undefined
      if (t.charCodeAt(p) === 44 /* , */) node.next = skipSpace(t, p + 1)
      else {
        node.next = -1
        node.end = p + 1
      }
    }
    return node.next!
  }

  private begin(node: LazyNode): void {
    const t = this.text
    const open = t.charCodeAt(node.start)
    node.next = -1
    if (open !== 123 /* { */ && open !== 91 /* [ */) return
    if (open === 123) node.keys = new Map()
    else node.items = []
    const p = skipSpace(t, node.start + 1)
    if (t.charCodeAt(p) === (open === 123 ? 125 : 93)) node.end = p + 1
    else node.next = p
  }

  /** The offset after a node's value: by reading the rest of its children when some are read, else by skipping it. */
  private endOf(node: LazyNode): number {
    if (node.end !== undefined) return node.end
    if (node.keys !== undefined || node.items !== undefined) {
      while (this.nextChild(node) >= 0) {
        if (node.keys !== undefined) this.readMember(node)
        else this.readItem(node)
      }
      return node.end!
    }
    return (node.end = valueEnd(this.text, node.start))
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9
}

function skipSpace(t: string, p: number): number {
  while (isSpace(t.charCodeAt(p))) p++
  return p
}

/** The offset after the string whose opening quote is at `p`. */
function stringEnd(t: string, p: number): number {
  let q = p
  for (;;) {
    q = t.indexOf('"', q + 1)
    let k = q - 1
    while (t.charCodeAt(k) === 92 /* \ */) k--
    // An even number of backslashes before the quote: it is not escaped.
    if ((q - k) % 2 === 1) return q + 1
  }
}

const STRUCTURE = /["[\]{}]/g

/** The offset after the value starting at `p`. */
function valueEnd(t: string, p: number): number {
  const c = t.charCodeAt(p)
  if (c === 34 /* " */) return stringEnd(t, p)
  if (c === 123 /* { */ || c === 91 /* [ */) {
    // From one bracket or quote to the next by a regular expression (a native scan): most of a
    // pretty-printed text is indentation, which a character loop would visit one by one.
    let depth = 0
    STRUCTURE.lastIndex = p
    while (STRUCTURE.test(t)) {
      const i = STRUCTURE.lastIndex - 1
      const d = t.charCodeAt(i)
      if (d === 34) STRUCTURE.lastIndex = stringEnd(t, i)
      else if (d === 123 || d === 91) depth++
      else if (--depth === 0) return i + 1
    }
    return t.length
  }
  let i = p + 1
  for (;;) {
    const d = t.charCodeAt(i)
    if (d !== d || d === 44 || d === 125 || d === 93 || isSpace(d)) return i
    i++
  }
}

/**
 * The scanning reader: the same answers as `readJsonManifestDocument`, with every position
 * recorded while reading (slower, and it keeps a position per value). It decides every text the
 * native path is not sure of.
 */
export function scanJsonManifestDocument(text: string, file: string): ManifestDocument | undefined {
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
