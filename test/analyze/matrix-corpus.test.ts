/**
 * The matrix agrees with a peer analyzer: on the ACS security demo (test/fixtures/corpus), the workload
 * pairs our pod matrix allows are exactly the connections np-guard/netpol-analyzer lists.
 */
import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadManifests } from '../../src/cluster/load-manifests.js'
import { createEngine } from '../../src/engine/engine.js'
import { computeMatrix, matrixAllowed, type PortSpec } from '../../src/analyze/matrix.js'

const fixtures = join(import.meta.dirname, '..', 'fixtures')

describe('matrix on the ACS security demo', () => {
  it('allows exactly the workload connections netpol-analyzer lists, and nothing on other ports', async () => {
    const { state } = await loadManifests([join(fixtures, 'corpus', 'acs-security-demos', 'input')])
    const ports: PortSpec[] = [
      { port: 8080, protocol: 'TCP' },
      { port: 5353, protocol: 'UDP' },
      { port: 53, protocol: 'UDP' },
      { port: 80, protocol: 'TCP' },
      { port: 443, protocol: 'TCP' },
    ]
    const m = computeMatrix(createEngine(state), state, ports)
    const workload = (i: number) => {
      const p = m.pods[i]
      return p.owner ? `${p.namespace}/${p.owner.name}[${p.owner.kind}]` : `${p.namespace}/${p.name}[Pod]`
    }
    const ours = new Set<string>()
    for (let i = 0; i < m.pods.length; i++) {
      for (let j = 0; j < m.pods.length; j++) {
        if (i === j) continue
        m.ports.forEach((p, k) => {
          if (matrixAllowed(m, i, j, k)) ours.add(`${workload(i)} => ${workload(j)} : ${p.protocol} ${p.port}`)
        })
      }
    }
    const theirs = readFileSync(join(fixtures, 'matrix', 'acs-security-demos-connlist.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('=>') && !l.startsWith('{ingress-controller}'))
    expect(theirs.length).toBeGreaterThan(10)
    expect([...ours].sort()).toEqual([...theirs].sort())
  })
})
