/**
 * The upstream ClusterNetworkPolicy conformance suite (test/cases/cnp-conformance-table.ts; not a `-cases.ts` reachability table: its steps mutate) run
 * against the reference evaluator and the fast engine (evaluate, isAllowed, allPairs), through
 * the real loader: the vendored upstream manifests, mutated step by step like the upstream
 * subtests patch the live objects, over the upstream base model.
 */
import { describe, it, expect } from 'vitest'
import { CNP_CONFORMANCE, type ConformanceTest } from '../cases/cnp-conformance-table.js'
import { conformanceProbes } from '../cases/cnp-conformance-model.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { createEngine } from '../../src/engine/engine.js'

function runTest(t: ConformanceTest): string[] {
  const wrong: string[] = []
  let probes = 0
  for (const { state, traffic, want, label } of conformanceProbes(t)) {
    const reference = referenceEvaluator(state).evaluate(traffic)
    const engine = createEngine(state)
    if (reference.outcome !== want) wrong.push(`reference ${reference.outcome}: ${label}`)
    if (engine.isAllowed(traffic) !== (want === 'allowed')) wrong.push(`engine isAllowed: ${label}`)
    expect(engine.evaluate(traffic)).toEqual(reference)
    const pairs = engine.allPairs(traffic.port, traffic.protocol)
    const got = pairs.outcomeIndex(state.pods.indexOf(traffic.from.pod), state.pods.indexOf(traffic.to.pod))
    if (got !== want) wrong.push(`engine allPairs ${got}: ${label}`)
    probes++
  }
  expect(probes).toBeGreaterThan(0)
  return wrong
}

describe('upstream ClusterNetworkPolicy conformance (kubernetes-sigs/network-policy-api v1alpha2), both evaluators', () => {
  it('transcribes every upstream test and probe (24 tests, 301 probes)', () => {
    expect(CNP_CONFORMANCE.length).toBe(24)
    expect(CNP_CONFORMANCE.flatMap((t) => t.runs.flatMap((r) => r.events.filter((e) => e.op === 'probe'))).length).toBe(301)
  })
  for (const t of CNP_CONFORMANCE) {
    it(`${t.shortName} (${t.source})`, () => {
      expect(runTest(t)).toEqual([])
    })
  }
})
