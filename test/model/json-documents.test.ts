import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readJsonManifestDocument } from '../../src/model/json-documents.js'
import type { FieldPath } from '../../src/model/field-path.js'
import { readManifestDocuments, readYamlManifestDocuments } from '../../src/model/yaml-documents.js'

/** Every path into a value, plus one absent child under each container. */
function pathsOf(value: unknown, prefix: FieldPath = []): FieldPath[] {
  const out: FieldPath[] = [prefix]
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
})
