import { describe, it, expect } from 'vitest'
import { generateCluster, SIZES } from '../../testing/generate-cluster.js'
import type { Protocol } from '../../src/model/types.js'
import { expectAllPairsAgree } from './all-pairs-agreement.js'

// The benchmark's realistic shapes (default deny, DNS egress, tiers, namespace/team peers,
// ipBlocks with except over node subnets, endPort ranges, named ports) at size S.
describe('fast engine on a generated realistic cluster', () => {
  const { state } = generateCluster({ ...SIZES.S, seed: 7 })
  const ports: { port: number; protocol: Protocol }[] = [
    { port: 8080, protocol: 'TCP' },
    { port: 53, protocol: 'UDP' },
  ]
  for (const { port, protocol } of ports) {
    it(`allPairs agrees with the reference on every pod pair for ${port}/${protocol}`, () => {
      const allowed = expectAllPairsAgree(state, port, protocol)
      // Not a degenerate cluster: some pairs allowed, some denied.
      expect(allowed).toBeGreaterThan(state.pods.length)
      expect(allowed).toBeLessThan(state.pods.length ** 2)
    })
  }
})
