import { describe, it, expect } from 'vitest'
import { generateCluster, SIZES } from '../../bench/generate-cluster.js'
import { createEngine } from '../../src/engine/engine.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import type { Protocol } from '../../src/model/types.js'

// The benchmark's realistic shapes (default deny, DNS egress, tiers, namespace/team peers,
// ipBlocks with except over node subnets, endPort ranges, named ports) at size S.
describe('fast engine on a generated realistic cluster', () => {
  const { state } = generateCluster({ ...SIZES.S, seed: 7 })
  const engine = createEngine(state)
  const reference = referenceEvaluator(state)
  const ports: { port: number; protocol: Protocol }[] = [
    { port: 8080, protocol: 'TCP' },
    { port: 53, protocol: 'UDP' },
  ]
  for (const { port, protocol } of ports) {
    it(`allPairs agrees with the reference on every pod pair for ${port}/${protocol}`, () => {
      const pairs = engine.allPairs(port, protocol)
      const wrong: string[] = []
      let allowed = 0
      state.pods.forEach((from, i) =>
        state.pods.forEach((to, j) => {
          const want = reference.isAllowed({ from: { kind: 'pod', pod: from }, to: { kind: 'pod', pod: to }, port, protocol })
          if (want) allowed++
          if (pairs.isAllowedIndex(i, j) !== want) wrong.push(`${from.namespace}/${from.name} -> ${to.namespace}/${to.name}`)
        }),
      )
      expect(wrong).toEqual([])
      expect(pairs.allowedPodPairs).toBe(allowed)
      // Not a degenerate cluster: some pairs allowed, some denied.
      expect(allowed).toBeGreaterThan(state.pods.length)
      expect(allowed).toBeLessThan(state.pods.length ** 2)
    })
  }
})
