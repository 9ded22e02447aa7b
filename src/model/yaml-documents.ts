/**
 * @module Reading manifest text (YAML or JSON) into plain values that still know their lines.
 *
 * YAML is read as YAML 1.1, the way the API server's decoder (go-yaml v2) reads it: unquoted
 * `yes`/`no`/`on`/`off` are booleans, `010` is octal, timestamps are not strings. Go-yaml v2 has
 * no sexagesimal numbers, so `1:20` stays a string here too. JSON is a subset and goes through
 * the same reader, which gives it lines as well.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml'
import type { Diagnostic } from './diagnostic.js'
import type { FieldPath } from './field-path.js'
import { readJsonManifestDocument } from './json-documents.js'

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
    const doc = readJsonManifestDocument(text, file)
    if (doc) return { documents: doc.value === null ? [] : [doc], errors: [] }
  }
  return readYamlManifestDocuments(text, file)
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
  const parsed = parseAllDocuments(text, {
    version: '1.1',
    lineCounter,
    prettyErrors: true,
    // Go-yaml v2 has no base-60 numbers.
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.format !== 'TIME'),
  })
  // An empty stream comes back as a bare (non-array) object.
  const docs: Document.Parsed[] = Array.isArray(parsed) ? parsed : []
  const documents: ManifestDocument[] = []
  const errors: Diagnostic[] = []
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const line = e.linePos?.[0]?.line ?? lineOf(e.pos[0])
        errors.push({ severity: 'error', file, line, message: `error parsing YAML: ${firstLine(e.message)}` })
      }
      continue
    }
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) continue
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: 1000 })
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
