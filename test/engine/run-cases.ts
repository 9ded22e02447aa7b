/** Runs a shared case table against the reference evaluator and the fast engine (evaluate, isAllowed, allPairs). */
import { it, expect } from 'vitest'
import type { ReachabilityCase } from '../cases/case-types.js'
import { buildState } from '../cases/build-state.js'
import { trafficOf } from '../cases/resolve-endpoint.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { createEngine } from '../../src/engine/engine.js'

export function runCases(cases: readonly ReachabilityCase[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const state = buildState(c.manifests)
      const reference = referenceEvaluator(state)
      const engine = createEngine(state)
      const wrong: string[] = []
      for (const x of c.expect) {
        const t = trafficOf(state, x)
        const label = `${x.from} -> ${x.to} ${x.port}/${x.protocol} (want ${x.allowed ? 'allowed' : 'denied'})`
        const verdict = reference.evaluate(t)
        if (verdict.allowed !== x.allowed) wrong.push(`reference: ${label}`)
        if (reference.isAllowed(t) !== x.allowed) wrong.push(`reference isAllowed: ${label}`)
        if (engine.isAllowed(t) !== x.allowed) wrong.push(`engine isAllowed: ${label}`)
        if (JSON.stringify(engine.evaluate(t)) !== JSON.stringify(verdict)) expect(engine.evaluate(t), `engine verdict: ${label}`).toEqual(verdict)
        if (t.from.kind === 'pod' && t.to.kind === 'pod') {
          const pairs = engine.allPairs(x.port, x.protocol)
          if (pairs.isAllowedIndex(state.pods.indexOf(t.from.pod), state.pods.indexOf(t.to.pod)) !== x.allowed) wrong.push(`engine allPairs: ${label}`)
        }
      }
      expect(wrong).toEqual([])
    })
  }
}
