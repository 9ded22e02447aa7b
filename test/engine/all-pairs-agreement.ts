/**
 * Test helper: the fast engine's allPairs for one port equals the reference evaluator on every pod pair.
 */
import { expect } from 'vitest'
import { createEngine } from '../../src/engine/engine.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import type { ClusterState, Protocol } from '../../src/model/types.js'

/** Checks every pod pair of `state` on `port/protocol`; returns how many pairs are allowed. */
export function expectAllPairsAgree(state: ClusterState, port: number, protocol: Protocol): number {
  const reference = referenceEvaluator(state)
  const pairs = createEngine(state).allPairs(port, protocol)
  let allowed = 0
  const wrong: string[] = []
  state.pods.forEach((from, i) =>
    state.pods.forEach((to, j) => {
      const want = reference.isAllowed({ from: { kind: 'pod', pod: from }, to: { kind: 'pod', pod: to }, port, protocol })
      if (want) allowed++
      if (pairs.isAllowedIndex(i, j) !== want) wrong.push(`${from.namespace}/${from.name} -> ${to.namespace}/${to.name} ${port}/${protocol}: want ${want}`)
    }),
  )
  expect(wrong).toEqual([])
  expect(pairs.allowedPodPairs).toBe(allowed)
  expect(pairs.totalPodPairs).toBe(state.pods.length ** 2)
  return allowed
}
