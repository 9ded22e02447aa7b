/**
 * @module A fast reader for the common subset of YAML: what kubectl, Helm, Kustomize and most
 * people write (block maps and sequences, plain and quoted scalars (plain and single-quoted ones
 * also folded over several lines, as go-yaml writes long strings), `|` blocks, one-line flow
 * collections, comments, `---`). It gives exactly the values and lines of the full YAML
 * reader (YAML 1.1 scalars through the `yaml` package's own resolvers) at several times its speed.
 * Anything it does not fully understand (anchors, tags, `>` blocks, double-quoted strings over
 * several lines, tabs,
 * complex keys, odd indentation, errors of any kind) makes it give up on the whole text, and the
 * full reader reads it, so that the full reader alone decides what is valid and reports errors.
 */
import { Composer, isScalar, Parser, type Document, type DocumentOptions, type SchemaOptions } from 'yaml'
import type { FieldPath } from './field-path.js'
import { MAX_NESTING_DEPTH } from './input-limits.js'

/** The full reader's options; the fast path must resolve scalars exactly as they do. */
export const YAML_OPTIONS: DocumentOptions & SchemaOptions = {
  version: '1.1',
  // Go-yaml v2 has no base-60 numbers.
  customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.format !== 'TIME'),
}

/** Thrown anywhere in the fast path: the text is left to the full reader. */
class NotCommonYaml extends Error {}

const giveUp = (): never => {
  throw new NotCommonYaml()
}

interface ScalarTag {
  readonly default?: boolean | 'key'
  readonly test?: RegExp
  readonly resolve: (value: string, onError: (message: string) => void, options: unknown) => unknown
}

let schema: { tags: readonly ScalarTag[]; options: unknown } | undefined

/** The scalar tags of the full reader's schema (YAML 1.1 as configured), taken from the `yaml` package itself. */
function scalarSchema(): { tags: readonly ScalarTag[]; options: unknown } {
  if (!schema) {
    const composer = new Composer(YAML_OPTIONS)
    const [doc] = Array.from(composer.compose(new Parser().parse('a'))) as Document.Parsed[]
    const tags = (doc.schema.tags as unknown as ScalarTag[]).filter((t) => t.default === true && t.test)
    schema = { tags, options: doc.options }
  }
  return schema
}

const DECIMAL = /^[1-9][0-9]{0,14}$/
const DOTTED = /^[0-9]+(?:\.[0-9]+){2,}$/

/** A plain scalar's value, as the full reader resolves it (null, bool, int, float, timestamp, else the string). */
function resolvePlain(text: string): unknown {
  // Every non-string form starts with a digit, one of `+-.eE` (the yaml package reads `e5` as a
  // float, NaN) or, for the short words (null, booleans), one of `~nNyYtTfFoO`.
  const c = text.charCodeAt(0)
  const maybeWord = c === 126 || c === 110 || c === 78 || c === 121 || c === 89 || c === 116 || c === 84 || c === 102 || c === 70 || c === 111 || c === 79
  if (text.length > 0 && !(c >= 48 && c <= 57) && c !== 43 && c !== 45 && c !== 46 && c !== 101 && c !== 69 && !(maybeWord && text.length <= 5)) return text
  // The common numeric-looking scalars of manifests, decided without trying every tag (each tag's
  // test is anchored, and none of them admits a '/' or two dots without an exponent): a decimal
  // integer (ports, replicas) is what the int tag makes of it, and an address or a CIDR is a string.
  if (DECIMAL.test(text)) return parseInt(text, 10)
  if (text.includes('/') || DOTTED.test(text)) return text
  const { tags, options } = scalarSchema()
  for (const tag of tags) {
    if (tag.test!.test(text)) {
      let failed = false
      const value = tag.resolve(text, () => (failed = true), options)
      if (failed) giveUp()
      // Some resolvers (floats) return a node that keeps formatting; its value is what toJS gives.
      return isScalar(value) ? value.value : value
    }
  }
  return text
}

/** Where the nodes of a collection are: a map's key lines, a sequence's item lines, and the collections below. */
interface Pos {
  readonly line: number
  /** Map keys in order; undefined for a sequence. */
  readonly keys: string[] | undefined
  /** Per entry: the key's line (map) or the item's line (sequence). */
  readonly lines: number[]
  readonly children: (Pos | undefined)[]
}

/** Characters that the full reader treats specially or refuses; the fast path leaves such texts to it. */
const UNUSUAL = /[\t\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF]/

/**
 * Where the first unusual character is (or a carriage return not followed by a line feed), -1 when
 * there is none. Two scans, not one alternation: a character class alone is a fast native scan.
 */
function firstUnusual(text: string): number {
  const m = UNUSUAL.exec(text)
  const limit = m === null ? text.length : m.index
  for (let i = text.indexOf('\r'); i >= 0 && i < limit; i = text.indexOf('\r', i + 1)) if (text.charCodeAt(i + 1) !== 10) return i
  return m === null ? -1 : m.index
}

/** Plain scalars may not start with these (or need the full reader's care): `-?:,[]{}#&*!|>'"%@` and the backtick. */
const INDICATORS = new Set([...'-?:,[]{}#&*!|>\'"%@`'].map((c) => c.charCodeAt(0)))

function isIndicator(text: string, at: number): boolean {
  return INDICATORS.has(text.charCodeAt(at))
}

/** A plain key's first character: no indicator, no space. */
function startsPlainKey(text: string, at: number): boolean {
  const c = text.charCodeAt(at)
  return at < text.length && c !== 32 && !INDICATORS.has(c)
}

/** A flow collection's node: its value and, when asked for, where its entries are. */
interface Value {
  value: unknown
  pos: Pos | undefined
}

class Reader {
  /** Current line index and the column where its content starts (after a `- `, inside the line). */
  private i: number
  private col = 0
  private depth = 0
  /** Where the value just read is (with `withPos`; undefined for scalars). */
  private pos: Pos | undefined

  /** Reads the document on `lines[first..end)`; `withPos`: also where every node is (for lineAt). */
  constructor(
    private readonly lines: readonly string[],
    first: number,
    private readonly end: number,
    private readonly withPos: boolean,
  ) {
    this.i = first
  }

  /** The 1-based line being read (where the reader gave up, after a NotCommonYaml). */
  get line(): number {
    return Math.min(this.i, this.end - 1) + 1
  }

  /** Skips blank and comment lines; false at the end of the document. Sets `col` to the indentation. */
  private nextContent(): boolean {
    while (this.i < this.end) {
      const line = this.lines[this.i]
      let c = 0
      while (c < line.length && line.charCodeAt(c) === 32) c++
      const ch = line.charCodeAt(c)
      if (c < line.length && ch !== 35 /* # */ && !(ch === 13 && c === line.length - 1)) {
        this.col = c
        return true
      }
      this.i++
    }
    return false
  }

  private text(): string {
    const line = this.lines[this.i]
    return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line
  }

  /** The document: a block map at column 0, nothing after it. Undefined for an empty document. */
  document(): { value: unknown; line: number; pos: Pos | undefined } | undefined {
    if (!this.nextContent()) return undefined
    // A root that is not a block map (never a manifest) is the full reader's to report.
    if (this.col !== 0 || this.startsSeqItem()) giveUp()
    const line = this.i + 1
    const value = this.block(0)
    const pos = this.pos
    if (this.nextContent()) giveUp()
    return { value, line, pos }
  }

  /** A block map or sequence starting at the current content position (column `this.col`). */
  private block(indent: number): unknown {
    if (++this.depth > MAX_NESTING_DEPTH) giveUp()
    const text = this.text()
    const isSeq = text.charCodeAt(indent) === 45 /* - */ && (text.length === indent + 1 || text.charCodeAt(indent + 1) === 32)
    const v = isSeq ? this.seq(indent) : this.map(indent)
    this.depth--
    return v
  }

  private map(indent: number): unknown {
    const out: Record<string, unknown> = {}
    const pos: Pos | undefined = this.withPos ? { line: this.i + 1, keys: [], lines: [], children: [] } : undefined
    // Keys so far, to refuse a repeated one: manifests' maps are small, so a list is cheaper than
    // asking the object (whose shape changes with every key); a Set past a few dozen keys.
    const seen: string[] = []
    let seenSet: Set<string> | undefined
    for (;;) {
      const text = this.text()
      const lineNo = this.i + 1
      const { key, after } = this.key(text, indent)
      if (key === '__proto__') giveUp()
      if (seenSet !== undefined) {
        if (seenSet.has(key)) giveUp()
        seenSet.add(key)
      } else {
        if (seen.includes(key)) giveUp()
        seen.push(key)
        if (seen.length > 32) seenSet = new Set(seen)
      }
      const rest = skipSpaces(text, after)
      let v: unknown
      this.pos = undefined
      if (rest === text.length || text.charCodeAt(rest) === 35 /* # */) {
        if (rest < text.length && text.charCodeAt(rest - 1) !== 32) giveUp()
        // The value is on the lines below: a more indented block, or a sequence at the key's own indentation.
        this.i++
        if (this.nextContent() && (this.col > indent || (this.col === indent && this.startsSeqItem()))) {
          v = this.block(this.col)
        } else {
          v = null
        }
      } else {
        v = this.inlineValue(text, rest, indent)
      }
      out[key] = v
      if (pos) {
        pos.keys!.push(key)
        pos.lines.push(lineNo)
        pos.children.push(this.pos)
      }
      if (!this.nextContent() || this.col < indent) break
      if (this.col > indent || this.startsSeqItem()) giveUp()
    }
    this.pos = pos
    return out
  }

  private seq(indent: number): unknown {
    const out: unknown[] = []
    const pos: Pos | undefined = this.withPos ? { line: this.i + 1, keys: undefined, lines: [], children: [] } : undefined
    for (;;) {
      const text = this.text()
      const lineNo = this.i + 1
      const rest = skipSpaces(text, indent + 1)
      let v: unknown
      let itemLine = lineNo
      this.pos = undefined
      if (rest === text.length || text.charCodeAt(rest) === 35 /* # */) {
        if (rest < text.length && text.charCodeAt(rest - 1) !== 32) giveUp()
        this.i++
        if (this.nextContent() && this.col > indent) {
          // The item is on the lines below.
          itemLine = this.i + 1
          v = this.block(this.col)
        } else {
          // `-` and nothing: a null item.
          v = null
        }
      } else if (this.isMapEntry(text, rest)) {
        // `- key: value`: a map whose entries are at the column of its first key.
        this.col = rest
        if (++this.depth > MAX_NESTING_DEPTH) giveUp()
        v = this.map(rest)
        this.depth--
      } else {
        v = this.inlineValue(text, rest, indent)
      }
      out.push(v)
      if (pos) {
        pos.lines.push(itemLine)
        pos.children.push(this.pos)
      }
      if (!this.nextContent() || this.col < indent) break
      if (this.col > indent || !this.startsSeqItem()) {
        // A sequence at a key's indentation ends where that map's next key starts.
        if (this.col === indent && !this.startsSeqItem()) break
        giveUp()
      }
    }
    this.pos = pos
    return out
  }

  private startsSeqItem(): boolean {
    const text = this.text()
    return text.charCodeAt(this.col) === 45 && (text.length === this.col + 1 || text.charCodeAt(this.col + 1) === 32)
  }

  /** Whether the content at `at` is `key:` followed by a space or the end of the line. */
  private isMapEntry(text: string, at: number): boolean {
    const c = text.charCodeAt(at)
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const close = quotedEnd(text, at)
      return close > 0 && text.charCodeAt(close) === 58 && (close + 1 === text.length || text.charCodeAt(close + 1) === 32)
    }
    if (!startsPlainKey(text, at)) return false
    const colon = keyColon(text, at)
    return colon > 0
  }

  /** The key of a map entry at column `at`, and the position after its `:`. */
  private key(text: string, at: number): { key: string; after: number } {
    const c = text.charCodeAt(at)
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const close = quotedEnd(text, at)
      if (close < 0 || text.charCodeAt(close) !== 58 || !(close + 1 === text.length || text.charCodeAt(close + 1) === 32)) giveUp()
      return { key: quotedValue(text, at, close), after: close + 1 }
    }
    if (!startsPlainKey(text, at)) giveUp()
    const colon = keyColon(text, at)
    if (colon < 0) giveUp()
    const raw = text.slice(at, colon)
    // Keys that YAML 1.1 reads as something else (y, no, 1, null, <<, dates) and long keys: the full reader's.
    if (raw.length > 1000 || raw.charCodeAt(raw.length - 1) === 32 || resolvePlain(raw) !== raw || raw === '<<') giveUp()
    return { key: raw, after: colon + 1 }
  }

  /** A value written on the line of its key or dash, from `at`: a scalar, a quoted string, a flow collection or a `|` block. */
  private inlineValue(text: string, at: number, indent: number): unknown {
    this.pos = undefined
    const c = text.charCodeAt(at)
    if (c === 124 /* | */) return this.literal(text, at, indent)
    const lineNo = this.i + 1
    let v: unknown
    let end: number
    if (c === 34 || c === 39) {
      end = quotedEnd(text, at)
      // A single-quoted string over several lines (go-yaml writes long strings so).
      if (end < 0) return c === 39 ? this.foldedSingleQuoted(text, at, indent) : giveUp()
      v = quotedValue(text, at, end)
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      const flow = new FlowReader(text, at, lineNo, this.depth, this.withPos)
      const fv = flow.value()
      v = fv.value
      this.pos = fv.pos
      end = flow.at
    } else {
      // A plain scalar: to the end of the line or a comment.
      // `-`, `?` and `:` may start a plain scalar when a non-space follows (`-1`, `::/0`).
      if (isIndicator(text, at) && !((c === 45 || c === 63 || c === 58) && at + 1 < text.length && text.charCodeAt(at + 1) !== 32)) giveUp()
      let stop = text.indexOf(' #', at)
      if (stop < 0) stop = text.length
      const e = skipSpacesBack(text, stop, at)
      const raw = text.slice(at, e)
      if (raw.includes(': ') || raw.charCodeAt(raw.length - 1) === 58 /* : */) giveUp()
      const { parts, next } = this.continuation(indent)
      if (parts.length === 0) {
        this.i++
        return resolvePlain(raw)
      }
      // A plain scalar over several lines (go-yaml folds long strings so): line breaks fold to
      // spaces, blank lines to line breaks. A comment cannot come before its end.
      if (stop < text.length) giveUp()
      let folded = raw
      for (const [blanks, part] of parts) {
        if (isIndicator(part, 0) || part.includes(': ') || part.includes(' #') || part.charCodeAt(part.length - 1) === 58) giveUp()
        folded += blanks > 0 ? '\n'.repeat(blanks) + part : ` ${part}`
      }
      this.i = next
      return resolvePlain(folded)
    }
    const tail = skipSpaces(text, end)
    if (tail < text.length && !(text.charCodeAt(tail) === 35 && tail > end)) giveUp()
    this.i++
    return v
  }

  /**
   * The lines that continue a plain scalar: more indented than `indent`, with blank lines between
   * them, up to a less indented line, a comment or the document's end. Each with the number of
   * blank lines before it, trimmed; `next` is the line after the last one.
   */
  private continuation(indent: number): { parts: [number, string][]; next: number } {
    const parts: [number, string][] = []
    let blanks = 0
    let next = this.i + 1
    for (let j = this.i + 1; j < this.end; j++) {
      const line = withoutCR(this.lines[j])
      const sp = skipSpaces(line, 0)
      if (sp === line.length) {
        blanks++
        continue
      }
      if (sp <= indent || line.charCodeAt(sp) === 35 /* # */) break
      const e = skipSpacesBack(line, line.length, sp)
      parts.push([blanks, line.slice(sp, e)])
      blanks = 0
      next = j + 1
    }
    return { parts, next }
  }

  /** A single-quoted string whose closing quote is on a later line, each more indented than `indent`; folded like a plain scalar. */
  private foldedSingleQuoted(text: string, at: number, indent: number): unknown {
    const first = skipSpacesBack(text, text.length, at + 1)
    let folded = text.slice(at + 1, first)
    if (folded === '') giveUp()
    let blanks = 0
    for (let j = this.i + 1; j < this.end; j++) {
      const line = withoutCR(this.lines[j])
      const sp = skipSpaces(line, 0)
      if (sp === line.length) {
        blanks++
        continue
      }
      if (sp <= indent) giveUp()
      const close = quotedEnd(`'${line.slice(sp)}`, 0)
      const piece = close < 0 ? line.slice(sp, skipSpacesBack(line, line.length, sp)) : line.slice(sp, sp + close - 2)
      folded += blanks > 0 ? '\n'.repeat(blanks) + piece : ` ${piece}`
      blanks = 0
      if (close >= 0) {
        const after = sp + close - 1
        const tail = skipSpaces(line, after)
        if (tail < line.length && !(line.charCodeAt(tail) === 35 && tail > after)) giveUp()
        this.i = j + 1
        return folded.replaceAll("''", "'")
      }
    }
    return giveUp()
  }

  /** A literal block scalar (`|`, `|-`, `|+`); its content lines are those indented more than the parent. */
  private literal(text: string, at: number, indent: number): unknown {
    const header = text.slice(at).replace(/ +(#.*)?$/, '')
    const chomp = header === '|' ? 'clip' : header === '|-' ? 'strip' : header === '|+' ? 'keep' : giveUp()
    const lines: string[] = []
    let blockIndent = -1
    let maxLeadingBlank = 0
    let j = this.i + 1
    for (; j < this.end; j++) {
      const raw = this.lines[j]
      const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw
      let sp = 0
      while (sp < line.length && line.charCodeAt(sp) === 32) sp++
      if (sp === line.length) {
        // A blank line: content (empty, or the spaces beyond the block's indentation).
        if (blockIndent < 0) maxLeadingBlank = Math.max(maxLeadingBlank, sp)
        lines.push(blockIndent >= 0 && sp > blockIndent ? line.slice(blockIndent) : '')
        continue
      }
      if (blockIndent < 0) {
        if (sp <= indent || sp < maxLeadingBlank) break
        blockIndent = sp
      }
      if (sp < blockIndent) break
      lines.push(line.slice(blockIndent))
    }
    if (blockIndent < 0) giveUp()
    // Trailing blank lines belong to the scalar's chomping, not its content.
    let last = lines.length
    while (last > 0 && lines[last - 1] === '') last--
    const body = lines.slice(0, last).join('\n')
    const value = chomp === 'strip' ? body : chomp === 'clip' ? `${body}\n` : `${body}\n${'\n'.repeat(lines.length - last)}`
    this.i = j
    return value
  }
}

function withoutCR(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line
}

function skipSpaces(text: string, at: number): number {
  while (at < text.length && text.charCodeAt(at) === 32) at++
  return at
}

/** Where the text before `end` stops once trailing spaces are left out, going back no further than `floor`. */
function skipSpacesBack(text: string, end: number, floor: number): number {
  while (end > floor && text.charCodeAt(end - 1) === 32) end--
  return end
}

/** The `:` that ends a plain key starting at `at` (followed by a space or the line's end), or -1. */
function keyColon(text: string, at: number): number {
  for (let k = at; k < text.length; k++) {
    const c = text.charCodeAt(k)
    if (c === 58 /* : */ && (k + 1 === text.length || text.charCodeAt(k + 1) === 32)) return k
    // A comment or flow indicator before the colon: not a key the fast path reads.
    if (c === 35 /* # */ && text.charCodeAt(k - 1) === 32) return -1
  }
  return -1
}

/** The position just after the closing quote of a one-line quoted scalar starting at `at`, or -1. */
function quotedEnd(text: string, at: number): number {
  const q = text.charCodeAt(at)
  for (let k = at + 1; k < text.length; k++) {
    const c = text.charCodeAt(k)
    if (q === 34 && c === 92 /* \ */) {
      k++
      continue
    }
    if (c === q) {
      if (q === 39 && text.charCodeAt(k + 1) === 39) {
        k++
        continue
      }
      return k + 1
    }
  }
  return -1
}

const JSON_ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/g

/** The string of a quoted scalar from `at` to `end` (exclusive, after the closing quote). */
function quotedValue(text: string, at: number, end: number): string {
  const inner = text.slice(at + 1, end - 1)
  if (text.charCodeAt(at) === 39) return inner.replaceAll("''", "'")
  if (!inner.includes('\\')) return inner
  // Only the escapes JSON shares with YAML; YAML's own (\x, \U, \N, \_, line folding) are the full reader's.
  if (inner.replace(JSON_ESCAPE, '').includes('\\')) giveUp()
  const value = JSON.parse(`"${inner}"`) as string
  // YAML reads an escaped surrogate pair (\uD83D\uDE00) as two characters; leave those to the full reader.
  if (/[\uD800-\uDFFF]/.test(value)) giveUp()
  return value
}

/** A one-line flow collection (`{}`, `[a, b]`, `{app: web, tier: "db"}`), nested flow included. */
class FlowReader {
  constructor(
    readonly text: string,
    public at: number,
    readonly line: number,
    private depth: number,
    private readonly withPos: boolean,
  ) {}

  value(): Value {
    if (++this.depth > MAX_NESTING_DEPTH) giveUp()
    const open = this.text.charCodeAt(this.at)
    const close = open === 123 ? 125 : 93
    this.at++
    const isMap = open === 123
    const out: Record<string, unknown> | unknown[] = isMap ? {} : []
    const pos: Pos | undefined = this.withPos ? { line: this.line, keys: isMap ? [] : undefined, lines: [], children: [] } : undefined
    this.at = skipSpaces(this.text, this.at)
    if (this.text.charCodeAt(this.at) === close) {
      this.at++
      this.depth--
      return { value: out, pos }
    }
    for (;;) {
      if (isMap) {
        const key = this.scalar(true)
        if (typeof key.value !== 'string' || key.value === '__proto__') giveUp()
        const k = key.value as string
        if (this.text.charCodeAt(this.at) !== 58 || this.text.charCodeAt(this.at + 1) !== 32) giveUp()
        this.at = skipSpaces(this.text, this.at + 1)
        if (Object.prototype.hasOwnProperty.call(out, k)) giveUp()
        const v = this.item()
        ;(out as Record<string, unknown>)[k] = v.value
        if (pos) {
          pos.keys!.push(k)
          pos.lines.push(this.line)
          pos.children.push(v.pos)
        }
      } else {
        const v = this.item()
        ;(out as unknown[]).push(v.value)
        if (pos) {
          pos.lines.push(this.line)
          pos.children.push(v.pos)
        }
      }
      this.at = skipSpaces(this.text, this.at)
      const c = this.text.charCodeAt(this.at)
      this.at++
      if (c === close) break
      if (c !== 44 /* , */) giveUp()
      this.at = skipSpaces(this.text, this.at)
      // A trailing comma or an empty entry: the full reader's.
      if (this.text.charCodeAt(this.at) === close || this.text.charCodeAt(this.at) === 44) giveUp()
    }
    this.depth--
    return { value: out, pos }
  }

  private item(): Value {
    const c = this.text.charCodeAt(this.at)
    if (c === 123 || c === 91) return this.value()
    return this.scalar(false)
  }

  /** A quoted or plain scalar inside a flow collection; a key stops at its `:`. */
  private scalar(isKey: boolean): Value {
    const t = this.text
    const c = t.charCodeAt(this.at)
    if (c === 34 || c === 39) {
      const end = quotedEnd(t, this.at)
      if (end < 0) giveUp()
      const value = quotedValue(t, this.at, end)
      this.at = skipSpaces(t, end)
      return { value, pos: undefined }
    }
    if (isIndicator(t, this.at) && !((c === 45 || c === 63 || c === 58) && this.at + 1 < t.length && !/[\s,[\]{}]/.test(t[this.at + 1]))) giveUp()
    let k = this.at
    for (; k < t.length; k++) {
      const d = t.charCodeAt(k)
      if (d === 44 || d === 93 || d === 125 || d === 91 || d === 123) break
      if (d === 58 /* : */) {
        const n = t.charCodeAt(k + 1)
        if (k + 1 === t.length || n === 32 || n === 44 || n === 93 || n === 125) break
      }
      if (d === 35 /* # */ && t.charCodeAt(k - 1) === 32) giveUp()
    }
    const e = skipSpacesBack(t, k, this.at)
    const raw = t.slice(this.at, e)
    if (raw === '') giveUp()
    // A colon ends a key; in a value (or a sequence item: a one-pair map) it is the full reader's.
    if (t.charCodeAt(k) === 58 && !isKey) giveUp()
    if (isKey && t.charCodeAt(k) !== 58) giveUp()
    if (t.charCodeAt(k) === 91 || t.charCodeAt(k) === 123) giveUp()
    this.at = k
    const value = resolvePlain(raw)
    if (isKey && (value !== raw || raw === '<<' || raw.length > 1000)) giveUp()
    return { value, pos: undefined }
  }
}

/** Lines of document markers and directives, which split the stream or need the full reader. */
function isMarker(line: string): 'doc' | 'other' | undefined {
  const c = line.charCodeAt(0)
  if (c === 37 /* % */) return 'other'
  if (c !== 45 && c !== 46) return undefined
  if (line.startsWith('---')) return /^---(?: +(?:#[^\r]*)?)?\r?$/.test(line) ? 'doc' : line.length === 3 || /^---\s/.test(line) ? 'other' : undefined
  if (line.startsWith('...')) return line.length === 3 || /^\.\.\.\s/.test(line) ? 'other' : undefined
  return undefined
}

export interface CommonYamlDocument {
  readonly value: unknown
  lineAt(path: FieldPath): number
}

/**
 * The documents of a text written in the common subset, with their lines; undefined when the text
 * has anything else (the full reader then reads it all). Empty documents are left out.
 */
export function readCommonYaml(text: string, onGiveUp?: (line: number) => void): CommonYamlDocument[] | undefined {
  let body = text
  if (body.charCodeAt(0) === 0xfeff) body = body.slice(1)
  const unusual = firstUnusual(body)
  if (unusual >= 0) {
    onGiveUp?.(lineOfOffset(body, unusual))
    return undefined
  }
  const lines = body.split('\n')
  // The text's final line break ends its last line; it does not start another.
  if (lines[lines.length - 1] === '') lines.pop()
  const docs: CommonYamlDocument[] = []
  let start = 0
  let reader: Reader | undefined
  try {
    for (let i = 0; i <= lines.length; i++) {
      const marker = i < lines.length ? isMarker(lines[i]) : 'doc'
      if (marker === 'other') {
        onGiveUp?.(i + 1)
        return undefined
      }
      if (marker !== 'doc') continue
      reader = new Reader(lines, start, i, false)
      const doc = reader.document()
      if (doc) docs.push(positioned(doc.value, doc.line, lines, start, i))
      start = i + 1
    }
  } catch (err) {
    if (!(err instanceof NotCommonYaml)) throw err
    onGiveUp?.(reader?.line ?? 0)
    return undefined
  }
  return docs
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++
  return line
}

/**
 * `lineAt` with the full reader's rules: a field reached through a map is at its key, a list item
 * at the item, an absent field at its deepest existing ancestor. Most objects are only ever asked
 * for their own line, so the lines of their fields are found (by reading the document again) the
 * first time one is asked for.
 */
function positioned(value: unknown, rootLine: number, lines: readonly string[], first: number, end: number): CommonYamlDocument {
  let root: Pos | undefined
  return {
    value,
    lineAt: (path) => {
      if (path.length === 0) return rootLine
      root ??= new Reader(lines, first, end, true).document()!.pos!
      let pos: Pos | undefined = root
      let line = root.line
      for (const seg of path) {
        if (!pos) break
        let idx: number
        if (pos.keys) idx = pos.keys.indexOf(String(seg))
        else idx = typeof seg === 'number' && seg < pos.lines.length ? seg : -1
        if (idx < 0) break
        line = pos.lines[idx]
        pos = pos.children[idx]
      }
      return line
    },
  }
}
