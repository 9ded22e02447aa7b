/**
 * @module Reading manifest text (YAML or JSON) into plain values that still know their lines.
 *
 * YAML is read as YAML 1.1, the way the API server's decoder (go-yaml v2) reads it: unquoted
 * `yes`/`no`/`on`/`off` are booleans, `010` is octal, timestamps are not strings. Go-yaml v2 has
 * no sexagesimal numbers, so `1:20` stays a string here too. JSON is a subset and goes through
 * the same reader, which gives it lines as well.
 */
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, type CST, type Document, type Node } from 'yaml'
import type { Diagnostic } from './diagnostic.js'
import type { FieldPath } from './field-path.js'
import { readCommonYaml, YAML_OPTIONS } from './common-yaml.js'
import { formatBytes, MAX_FULL_YAML_CHARS, MAX_NESTING_DEPTH } from './input-limits.js'
import { NestingTooDeep, readJsonManifestDocument } from './json-documents.js'

/** One document of a manifest file: its plain value, and the line of any field in it. */
export interface ManifestDocument {
  readonly file: string
  /** The document as plain data (maps, arrays, strings, numbers, booleans, null, Date). */
  readonly value: unknown
  /** 1-based line of the node at `path`; of the deepest existing ancestor when the path is absent. */
  lineAt(path: FieldPath): number
  /** The source text of the node at `path` (e.g. `yes` for a value YAML read as a boolean); of the deepest existing ancestor when absent. */
  textAt(path: FieldPath): string | undefined
}

export interface ReadDocumentsResult {
  readonly documents: readonly ManifestDocument[]
  readonly errors: readonly Diagnostic[]
}

/**
 * Splits text into its non-empty documents; syntax errors become diagnostics, and their documents
 * are dropped. Strict JSON takes a fast path with the same values and lines.
 */
export function readManifestDocuments(text: string, file: string): ReadDocumentsResult {
  if (startsLikeJson(text)) {
    try {
      const doc = readJsonManifestDocument(text, file)
      if (doc) return { documents: doc.value === null ? [] : [doc], errors: [] }
    } catch (err) {
      if (!(err instanceof NestingTooDeep)) throw err
      return { documents: [], errors: [nestingError(file, err.line)] }
    }
  }
  let outsideAt = 0
  const common = readCommonYaml(text, (line) => (outsideAt = line))
  if (common) {
    // Source texts are wanted only for some error messages: the full reader finds them then.
    let full: ReadDocumentsResult | undefined
    const documents = common.map((doc, k): ManifestDocument => ({
      file,
      value: doc.value,
      lineAt: doc.lineAt,
      textAt: (path) => (full ??= readYamlManifestDocuments(text, file)).documents[k]?.textAt(path),
    }))
    return { documents, errors: [] }
  }
  if (text.length > MAX_FULL_YAML_CHARS) {
    const limit = formatBytes(MAX_FULL_YAML_CHARS)
    const message =
      `error: larger than ${limit}, and uses YAML beyond what kubectl and generators write (anchors, tags, \`>\` blocks, ` +
      `double-quoted strings over several lines, multi-line flow collections, duplicate keys, ...; the first at or near this line), which ` +
      `netpol reads only in files up to ${limit}: split the file, or write it as plain YAML or strict JSON`
    return { documents: [], errors: [{ severity: 'error', file, line: outsideAt, message }] }
  }
  return readYamlManifestDocuments(text, file)
}

function nestingError(file: string, line: number): Diagnostic {
  return {
    severity: 'error',
    file,
    line,
    message: `error parsing YAML: maps and lists nested more than ${MAX_NESTING_DEPTH} deep (netpol's limit; no Kubernetes object comes near it)`,
  }
}

/**
 * The deepest nesting of collections in a CST document, walked without recursion (the point is
 * to refuse what would overflow the stack of the recursive composer); the offset where the limit
 * is crossed, or undefined. Also says whether the document has aliases (they can nest further).
 */
function checkCstDepth(doc: CST.Document): { tooDeepAt?: number; aliases: boolean } {
  const stack: [CST.Token, number][] = doc.value ? [[doc.value, 1]] : []
  let aliases = false
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!
    if (token.type === 'alias') aliases = true
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue
    if (depth > MAX_NESTING_DEPTH) return { tooDeepAt: token.offset, aliases }
    for (const item of token.items) {
      if (item.key) stack.push([item.key, depth + 1])
      if (item.value) stack.push([item.value, depth + 1])
    }
  }
  return { aliases }
}

/** Whether a plain value (maps and arrays, possibly shared through aliases) nests deeper than the limit. */
function valueTooDeep(root: unknown): boolean {
  const seen = new Set<object>()
  const stack: [unknown, number][] = [[root, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (v === null || typeof v !== 'object' || v instanceof Date) continue
    if (depth > MAX_NESTING_DEPTH) return true
    if (seen.has(v)) continue
    seen.add(v)
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1])
  }
  return false
}

function startsLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 123 /* { */ || c === 91 /* [ */) return true
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) return false
  }
  return false
}

/** The YAML 1.1 reader for any text (JSON included); `readManifestDocuments` is the entry point. */
export function readYamlManifestDocuments(text: string, file: string): ReadDocumentsResult {
  const lineCounter = new LineCounter()
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line
  const documents: ManifestDocument[] = []
  const errors: Diagnostic[] = []
  // Parsed to tokens first (the parser keeps its own stack), so that a document nested too deep
  // for the recursive composer is refused before composing; its place is kept, empty.
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text))
  const refused = new Set<number>()
  const withAliases = new Set<number>()
  for (const token of tokens) {
    if (token.type !== 'document') continue
    const { tooDeepAt, aliases } = checkCstDepth(token)
    if (aliases) withAliases.add(token.offset)
    if (tooDeepAt !== undefined) {
      errors.push(nestingError(file, lineOf(tooDeepAt)))
      refused.add(token.offset)
      delete token.value
    }
  }
  const composer = new Composer(YAML_OPTIONS)
  const docs: Document.Parsed[] = Array.from(composer.compose(tokens))
  for (const doc of docs) {
    if (refused.has(doc.range[0])) continue
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = e.pos[0] >= 0 ? lineCounter.linePos(e.pos[0]) : undefined
        const message = pos ? `${e.message} at line ${pos.line}, column ${pos.col}` : e.message
        errors.push({ severity: 'error', file, line: pos?.line ?? 0, message: `error parsing YAML: ${firstLine(message)}` })
      }
      continue
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: 1000 })
      if (withAliases.has(doc.range[0]) && valueTooDeep(value)) {
        errors.push(nestingError(file, doc.contents.range ? lineOf(doc.contents.range[0]) : 0))
        continue
      }
    } catch (err) {
      const line = doc.contents.range ? lineOf(doc.contents.range[0]) : 0
      errors.push({ severity: 'error', file, line, message: `error parsing YAML: ${firstLine(String((err as Error).message ?? err))}` })
      continue
    }
    const root = doc.contents
    documents.push({
      file,
      value,
      lineAt: (path) => {
        const node = findNode(doc, root, path, true)
        return node.range ? lineOf(node.range[0]) : 0
      },
      textAt: (path) => {
        const node = findNode(doc, root, path, false)
        return node.range ? text.slice(node.range[0], node.range[1]).trim() : undefined
      },
    })
  }
  return { documents, errors }
}

function firstLine(message: string): string {
  const i = message.indexOf('\n')
  return (i < 0 ? message : message.slice(0, i)).replace(/:$/, '')
}

/**
 * The deepest node along `path`, resolving aliases; stops at the last node that exists. With
 * `preferKey`, a field reached through a map ends at its key (`from:` rather than the list below
 * it), which is the line a reader looks for.
 */
function findNode(doc: Document.Parsed, root: Node, path: FieldPath, preferKey: boolean): Node {
  let node: Node = root
  let keyNode: Node | undefined
  for (const seg of path) {
    if (isAlias(node)) {
      const target = node.resolve(doc)
      if (!target) return node
      node = target
    }
    let next: Node | undefined
    let nextKey: Node | undefined
    if (typeof seg === 'number' && isSeq(node)) {
      const item = node.items[seg]
      if (item && typeof item === 'object' && !isPair(item)) next = item as Node
    } else if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key
        const keyText = isScalar(key) ? String(key.value) : undefined
        if (keyText === String(seg)) {
          // A key with no value (`ingress:`) has no value node with a range: point at the key.
          const value = pair.value as Node | null
          next = value && value.range ? value : (key as Node)
          nextKey = key as Node
          break
        }
      }
    }
    if (!next) return preferKey && keyNode?.range ? keyNode : node
    node = next
    keyNode = nextKey
  }
  return preferKey && keyNode?.range ? keyNode : node
}
