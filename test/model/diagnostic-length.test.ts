import { describe, expect, it } from 'vitest'
import { loadManifestText } from '../../src/cluster/load-manifests.js'
import { formatDiagnostic, InputError } from '../../src/model/diagnostic.js'

describe('a diagnostic stays readable whatever the size of the value it quotes', () => {
  it('a 1 MB name is quoted in part, with how much was left out, not in full twice', () => {
    let err: unknown
    try {
      loadManifestText(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${'a'.repeat(1_000_000)}\n`, { file: 'big.yaml' })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(InputError)
    const lines = (err as InputError).diagnostics.map(formatDiagnostic)
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) {
      expect(line.length).toBeLessThan(5000)
      expect(line).toMatch(/^big\.yaml:4: Namespace "a+… \(\d+ more characters\) …a+" is invalid: metadata\.name: /)
    }
    expect(lines.join('\n')).toContain('must be no more than 63 characters')
  })
})
