import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NestingTooDeep, readJsonManifestDocument, scanJsonManifestDocument } from '../../src/model/json-documents.js'
import type { FieldPath } from '../../src/model/field-path.js'
import { readManifestDocuments, readYamlManifestDocuments } from '../../src/model/yaml-documents.js'

/** Every path into a value, plus one absent child under each container and each scalar. */
function pathsOf(value: unknown, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [prefix]
  if (value === null || typeof value !== 'object') out.push([...prefix, 'absent-key'], [...prefix, 0])
  if (Array.isArray(value)) {
    value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])))
    out.push([...prefix, value.length])
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]))
    out.push([...prefix, 'absent-key'])
  }
  return out
}

describe('the strict JSON fast path', () => {
  it('gives the same values, lines and texts as the YAML reader, for any JSON object and layout', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })).filter((o) => !/\\"|: /.test(JSON.stringify(o))),
        fc.constantFrom(0, 1, 2, 4),
        fc.boolean(),
        (obj, indent, valuesBelowKeys) => {
          // Values on the line below their key tell key lines from value lines (strings holding `": ` are filtered out above).
          const text = valuesBelowKeys ? JSON.stringify(obj, null, indent).replaceAll('": ', '":\n  ') : JSON.stringify(obj, null, indent)
          const fast = readJsonManifestDocument(text, 'f.json')
          const slow = readYamlManifestDocuments(text, 'f.json')
          expect(slow.errors).toEqual([])
          expect(fast).toBeDefined()
          expect(fast!.value).toEqual(slow.documents[0].value)
          for (const path of pathsOf(obj)) {
            expect([path, fast!.lineAt(path)]).toEqual([path, slow.documents[0].lineAt(path)])
            expect([path, fast!.textAt(path)]).toEqual([path, slow.documents[0].textAt(path)])
          }
        },
      ),
      { numRuns: 200 },
    )
  })
  it('leaves everything that is not plain strict JSON to the YAML reader', () => {
    for (const text of [
      '{apiVersion: v1, kind: Pod}',
      '{"a": 1}{"b": 2}',
      '{"a": 1, "a": 2}',
      '{"a": 1,}',
      '{"a": "tab\there"}',
      '{"a": 01}',
      '[1, 2',
      '{"a": tru}',
    ]) {
      expect([text, readJsonManifestDocument(text, 'f.json')]).toEqual([text, undefined])
    }
    // Which then reads or reports them.
    expect(readManifestDocuments('{apiVersion: v1, kind: Pod}', 'f.yaml').documents[0].value).toEqual({ apiVersion: 'v1', kind: 'Pod' })
    expect(readManifestDocuments('{"a": 1, "a": 2}', 'f.json').errors[0].message).toContain('unique')
  })
  it('keeps a __proto__ key as data', () => {
    const doc = readJsonManifestDocument('{"__proto__": {"x": 1}}', 'f.json')!
    expect(Object.keys(doc.value as object)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(doc.value)).toBe(Object.prototype)
  })
  it('a JSON null document is an empty document', () => {
    expect(readManifestDocuments(' null ', 'f.json').documents).toEqual([])
  })

  // Values come from JSON.parse and positions are found on demand; the scanning reader (every
  // position recorded while reading) is the reference for both.
  const layouts = fc.record({
    indent: fc.constantFrom(0, 1, 2, 4),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    around: fc.constantFrom('', ' ', '\n', '\n\n  \t'),
  })
  const layout = (value: unknown, l: { indent: number; crlf: boolean; bom: boolean; around: string }): string => {
    const body = JSON.stringify(value, null, l.indent)
    return (l.bom ? '\ufeff' : '') + l.around + (l.crlf ? body.replaceAll('\n', '\r\n') : body) + l.around
  }
  const anyJson = fc.jsonValue({ maxDepth: 5 })
  const withEscapes = fc.dictionary(
    fc.string({ unit: fc.constantFrom('a', ':', '"', '\\', '\n', '\u2028', 'é', '😀', '{', ']', ',') }),
    fc.oneof(anyJson, fc.string({ unit: fc.constantFrom('b', ':', '"', '\\', '\t', '}', '[') })),
  )

  it('reads values and positions exactly as the scanning reader, in any layout', () => {
    fc.assert(
      fc.property(fc.oneof(anyJson, withEscapes, fc.array(withEscapes)), layouts, (value, l) => {
        const text = layout(value, l)
        const fast = readJsonManifestDocument(text, 'f.json')
        const scanned = scanJsonManifestDocument(text, 'f.json')
        expect(scanned).toBeDefined()
        expect(fast).toBeDefined()
        expect(fast!.value).toEqual(scanned!.value)
        for (const path of pathsOf(value)) {
          expect([path, fast!.lineAt(path)]).toEqual([path, scanned!.lineAt(path)])
          expect([path, fast!.textAt(path)]).toEqual([path, scanned!.textAt(path)])
        }
        // Positions are found as asked: each path alone on a fresh document, line first, then from the deepest path up.
        for (const path of pathsOf(value)) {
          const alone = readJsonManifestDocument(text, 'f.json')!
          expect([path, alone.lineAt(path), alone.textAt(path)]).toEqual([path, scanned!.lineAt(path), scanned!.textAt(path)])
        }
        const again = readJsonManifestDocument(text, 'f.json')!
        for (const path of pathsOf(value).sort((x, y) => y.length - x.length)) {
          expect([path, again.textAt(path), again.lineAt(path)]).toEqual([path, scanned!.textAt(path), scanned!.lineAt(path)])
        }
      }),
      { numRuns: 300 },
    )
  })

  it('leaves a duplicate key to the YAML reader wherever it is, whatever colons the strings hold', () => {
    fc.assert(
      fc.property(
        withEscapes.filter((o) => Object.keys(o).length > 0),
        fc.nat(),
        fc.constantFrom(0, 2),
        fc.boolean(),
        (obj, pick, indent, nested) => {
          const keys = Object.keys(obj)
          const k = keys[pick % keys.length]!
          // The duplicate member written before the object's own members.
          const inner = JSON.stringify(obj, null, indent)
          const dup = `{${JSON.stringify(k)}: ${JSON.stringify(obj[k])}, ${inner.slice(1)}`
          const text = nested ? `{"items": [1, ${dup}, "x:y"]}` : dup
          expect(scanJsonManifestDocument(text, 'f.json')).toBeUndefined()
          expect(readJsonManifestDocument(text, 'f.json')).toBeUndefined()
        },
      ),
      { numRuns: 300 },
    )
  })

  it('does not let an escaped colon hide a duplicate key', () => {
    // One colon fewer in the text than in the parsed strings, one key fewer than members: the counts would agree.
    expect(readJsonManifestDocument('{"a": 1, "a": 2, "b": "\\u003a"}', 'f.json')).toBeUndefined()
    expect(readJsonManifestDocument('{"a": 1, "b": ["\\u003A"], "a": 2}', 'f.json')).toBeUndefined()
    expect(readJsonManifestDocument('{"a\\u003a": 1}', 'f.json')!.value).toEqual({ 'a:': 1 })
    expect(readJsonManifestDocument('{"a": "x:y", "a": 1}', 'f.json')).toBeUndefined()
  })

  it('refuses nesting past the limit at the line the scanning reader names', () => {
    const deep = (n: number): string => '[\n'.repeat(n) + '1' + '\n]'.repeat(n)
    expect(readJsonManifestDocument(deep(256), 'f.json')).toBeDefined()
    const lineOf = (text: string): number | undefined => {
      try {
        readJsonManifestDocument(text, 'f.json')
      } catch (err) {
        if (err instanceof NestingTooDeep) return err.line
        throw err
      }
      return undefined
    }
    expect(lineOf(deep(257))).toBe(257)
    expect(lineOf(`{"a": [${'{"b": '.repeat(300)}1${'}'.repeat(300)}]}`)).toBe(1)
  })
})
