import { describe, expect, it } from 'vitest'
import { readManifestDocuments } from '../../src/model/yaml-documents.js'

describe('readManifestDocuments', () => {
  it('reads scalars as YAML 1.1 like the API server: yes/on are booleans, 010 is octal', () => {
    const { documents } = readManifestDocuments('a: yes\nb: on\nc: 010\nd: "yes"\ne: off\n', 'f.yaml')
    expect(documents[0].value).toEqual({ a: true, b: true, c: 8, d: 'yes', e: false })
  })
  it('keeps base-60 looking values as strings, as go-yaml v2 does', () => {
    const { documents } = readManifestDocuments('a: 1:20\n', 'f.yaml')
    expect(documents[0].value).toEqual({ a: '1:20' })
  })
  it('splits multi-document streams and skips empty and comment-only documents', () => {
    const text = '---\n---\n# only a comment\n---\na: 1\n---\n~\n---\nb: 2\n'
    const { documents, errors } = readManifestDocuments(text, 'f.yaml')
    expect(errors).toEqual([])
    expect(documents.map((d) => d.value)).toEqual([{ a: 1 }, { b: 2 }])
  })
  it('gives the line of any field path, lists and nested maps included', () => {
    const text = [
      'kind: NetworkPolicy', // 1
      'spec:', // 2
      '  ingress:', // 3
      '    - from:', // 4
      '        - podSelector: {}', // 5
      '        - ipBlock:', // 6
      '            cidr: 10.0.0.0/8', // 7
      '            except:', // 8
      '              - 10.1.0.0/16', // 9
      '              - 10.2.0.0/16', // 10
    ].join('\n')
    const doc = readManifestDocuments(text, 'f.yaml').documents[0]
    expect(doc.lineAt([])).toBe(1)
    expect(doc.lineAt(['spec', 'ingress', 0])).toBe(4)
    expect(doc.lineAt(['spec', 'ingress', 0, 'from', 1])).toBe(6)
    expect(doc.lineAt(['spec', 'ingress', 0, 'from', 1, 'ipBlock', 'except', 1])).toBe(10)
    // An absent field falls back to its deepest existing ancestor.
    expect(doc.lineAt(['spec', 'ingress', 0, 'from', 1, 'ipBlock', 'nope'])).toBe(6)
    // A field reached through a map is at its key, even when its value starts below.
    expect(doc.lineAt(['spec', 'ingress', 0, 'from'])).toBe(4)
    expect(doc.lineAt(['spec', 'ingress', 0, 'from', 1, 'ipBlock', 'except'])).toBe(8)
    expect(doc.textAt(['spec', 'ingress', 0, 'from', 1, 'ipBlock', 'cidr'])).toBe('10.0.0.0/8')
  })
  it('counts lines per source: a second text starts again at line 1', () => {
    readManifestDocuments('a: 1\n\n\n\nb: 2\n', 'one.yaml')
    const doc = readManifestDocuments('a: 1\nb: 2\n', 'two.yaml').documents[0]
    expect(doc.lineAt(['b'])).toBe(2)
  })
  it('points a key without a value at the key', () => {
    const doc = readManifestDocuments('spec:\n  ingress:\n  egress: []\n', 'f.yaml').documents[0]
    expect(doc.lineAt(['spec', 'ingress'])).toBe(2)
  })
  it('resolves aliases when looking up lines', () => {
    const doc = readManifestDocuments('base: &b\n  k: 1\n  l: 2\nuse: *b\n', 'f.yaml').documents[0]
    expect(doc.value).toEqual({ base: { k: 1, l: 2 }, use: { k: 1, l: 2 } })
    expect(doc.lineAt(['use', 'l'])).toBe(3)
  })
  it('reads an unquoted y key as the boolean true, as the API server does (its key becomes "true")', () => {
    const doc = readManifestDocuments('y: 1\nn: 2\n', 'f.yaml').documents[0]
    expect(doc.value).toEqual({ true: 1, false: 2 })
    expect(doc.lineAt(['false'])).toBe(2)
  })
  it('reads JSON with lines', () => {
    const text = '{\n  "kind": "Pod",\n  "metadata": {\n    "name": "a"\n  }\n}\n'
    const doc = readManifestDocuments(text, 'f.json').documents[0]
    expect(doc.value).toEqual({ kind: 'Pod', metadata: { name: 'a' } })
    expect(doc.lineAt(['metadata', 'name'])).toBe(4)
  })
  it('turns syntax errors into diagnostics with file:line and keeps the valid documents', () => {
    const { documents, errors } = readManifestDocuments('a: 1\n---\nb: [1, 2\n---\nc: 3\n', 'bad.yaml')
    expect(documents.map((d) => d.value)).toEqual([{ a: 1 }, { c: 3 }])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ severity: 'error', file: 'bad.yaml' })
    expect(errors[0].line).toBeGreaterThanOrEqual(3)
    expect(errors[0].message).toMatch(/^error parsing YAML: /)
  })
  it('reports duplicate keys as errors', () => {
    const { errors } = readManifestDocuments('a: 1\na: 2\n', 'dup.yaml')
    expect(errors[0]).toMatchObject({ file: 'dup.yaml', line: 2 })
    expect(errors[0].message).toContain('unique')
  })
})
