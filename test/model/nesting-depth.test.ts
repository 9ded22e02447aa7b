import { describe, expect, it } from 'vitest'
import { MAX_NESTING_DEPTH } from '../../src/model/input-limits.js'
import { readManifestDocuments } from '../../src/model/yaml-documents.js'

const jsonArrays = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`
const jsonMaps = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`
const flowYaml = (n: number): string => `a: ${'['.repeat(n - 1)}${']'.repeat(n - 1)}\n`
const blockYaml = (n: number): string => `${Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`

describe('the nesting depth limit', () => {
  it.each([
    ['JSON arrays', jsonArrays],
    ['JSON maps', jsonMaps],
    ['YAML flow collections', flowYaml],
    ['YAML block maps', blockYaml],
  ])('%s: up to the limit read, beyond it one clear error with file:line, never a stack overflow', (_, make) => {
    expect(readManifestDocuments(make(MAX_NESTING_DEPTH), 'ok.yaml').errors).toEqual([])
    for (const n of [MAX_NESTING_DEPTH + 1, 3000]) {
      const { documents, errors } = readManifestDocuments(make(n), 'deep.yaml')
      expect(documents).toEqual([])
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({ severity: 'error', file: 'deep.yaml' })
      expect(errors[0].line).toBeGreaterThan(0)
      expect(errors[0].message).toBe(
        `error parsing YAML: maps and lists nested more than ${MAX_NESTING_DEPTH} deep (netpol's limit; no Kubernetes object comes near it)`,
      )
    }
  })
  it('names the line where the limit is crossed, and keeps the other documents of the stream', () => {
    const { documents, errors } = readManifestDocuments(`a: 1\n---\n${blockYaml(400)}---\nb: 2\n`, 'f.yaml')
    expect(documents.map((d) => d.value)).toEqual([{ a: 1 }, { b: 2 }])
    expect(errors.map((e) => e.line)).toEqual([2 + MAX_NESTING_DEPTH + 1])
  })
  it('counts nesting through aliases too', () => {
    // Each part is well within the limit; the alias puts one inside the other.
    const half = Math.ceil(MAX_NESTING_DEPTH / 2) + 5
    const text = `a: &a ${'['.repeat(half)}${']'.repeat(half)}\nb: ${'['.repeat(half)}*a${']'.repeat(half)}\n`
    const { documents, errors } = readManifestDocuments(text, 'alias.yaml')
    expect(documents).toEqual([])
    expect(errors).toEqual([{ severity: 'error', file: 'alias.yaml', line: 1, message: expect.stringContaining(`nested more than ${MAX_NESTING_DEPTH} deep`) }])
  })
})
