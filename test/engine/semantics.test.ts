import { describe, it, expect } from 'vitest'
import { semanticsCases } from '../cases/semantics-cases.js'
import { buildState } from '../cases/build-state.js'
import { trafficOf } from '../cases/resolve-endpoint.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { createEngine } from '../../src/engine/engine.js'

describe('NetworkPolicy semantics (shared case tables)', () => {
  for (const c of semanticsCases) {
    it(c.name, () => {
      const state = buildState(c.manifests)
      const reference = referenceEvaluator(state)
      const engine = createEngine(state)
      for (const x of c.expect) {
        const t = trafficOf(state, x)
        const label = `${x.from} -> ${x.to} ${x.port}/${x.protocol}`
        const verdict = reference.evaluate(t)
        expect(verdict.allowed, `reference: ${label}`).toBe(x.allowed)
        expect(reference.isAllowed(t), `reference isAllowed: ${label}`).toBe(x.allowed)
        expect(engine.evaluate(t), `engine verdict: ${label}`).toEqual(verdict)
        expect(engine.isAllowed(t), `engine isAllowed: ${label}`).toBe(x.allowed)
        if (t.from.kind === 'pod' && t.to.kind === 'pod') {
          const pairs = engine.allPairs(x.port, x.protocol)
          const fi = state.pods.indexOf(t.from.pod)
          const ti = state.pods.indexOf(t.to.pod)
          expect(pairs.isAllowedIndex(fi, ti), `engine allPairs: ${label}`).toBe(x.allowed)
        }
      }
    })
  }
})
