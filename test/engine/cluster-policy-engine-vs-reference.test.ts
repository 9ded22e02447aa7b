import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { createEngine } from '../../src/engine/engine.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import type { Protocol } from '../../src/model/types.js'
import { PORT_NUMBERS, trafficArb } from './cluster-arbitrary.js'
import { tieredClusterArb, tieredClusterArbOf } from './cluster-policy-arbitrary.js'

function expectSame<T>(actual: T, expected: T): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected)
}

describe('fast engine equals the reference on clusters mixing both ClusterNetworkPolicy tiers and NetworkPolicies', () => {
  it('evaluate() verdicts (tier traces included) are deep-equal and isAllowed() agrees', () => {
    fc.assert(
      fc.property(
        tieredClusterArb.chain((state) => fc.tuple(fc.constant(state), fc.array(trafficArb(state), { minLength: 10, maxLength: 20 }))),
        ([state, traffics]) => {
          const reference = referenceEvaluator(state)
          const engine = createEngine(state)
          for (const t of traffics) {
            const want = reference.evaluate(t)
            expect(want.outcome).toBeDefined()
            expect(want.allowed).toBe(want.outcome === 'allowed')
            expectSame(engine.evaluate(t), want)
            expect(engine.isAllowed(t)).toBe(want.allowed)
            expect(engine.egressAllowed(t)).toBe(want.egress.allowed)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('allPairs() outcomes (allowed, denied, undefined, unknown) agree with the reference on every pod pair', () => {
    fc.assert(
      fc.property(tieredClusterArb, fc.constantFrom(...PORT_NUMBERS, 8000), fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP'), (state, port, protocol) => {
        const reference = referenceEvaluator(state)
        const pairs = createEngine(state).allPairs(port, protocol)
        const wrong: string[] = []
        let allowed = 0
        state.pods.forEach((from, i) =>
          state.pods.forEach((to, j) => {
            const want = reference.evaluate({ from: { kind: 'pod', pod: from }, to: { kind: 'pod', pod: to }, port, protocol })
            if (want.allowed) allowed++
            const got = pairs.outcomeIndex(i, j)
            if (got !== want.outcome)
              wrong.push(`${from.namespace}/${from.name} -> ${to.namespace}/${to.name} ${port}/${protocol}: want ${want.outcome}, got ${got}`)
            if (pairs.isAllowedIndex(i, j) !== want.allowed) wrong.push(`isAllowedIndex ${i} -> ${j}`)
          }),
        )
        expect(wrong).toEqual([])
        expect(pairs.allowedPodPairs).toBe(allowed)
      }),
      { numRuns: 300 },
    )
  })

  it('allPairs() agrees on clusters with more identities than one bit-set word', () => {
    fc.assert(
      fc.property(
        tieredClusterArbOf({ minPods: 40, maxPods: 70, maxPolicies: 5, maxCnps: 6 }),
        fc.constantFrom(...PORT_NUMBERS),
        fc.constantFrom<Protocol>('TCP', 'UDP'),
        (state, port, protocol) => {
          const reference = referenceEvaluator(state)
          const pairs = createEngine(state).allPairs(port, protocol)
          const wrong: string[] = []
          state.pods.forEach((from, i) =>
            state.pods.forEach((to, j) => {
              const want = reference.evaluate({ from: { kind: 'pod', pod: from }, to: { kind: 'pod', pod: to }, port, protocol }).outcome
              if (pairs.outcomeIndex(i, j) !== want) wrong.push(`${i} -> ${j}: want ${want}`)
            }),
          )
          expect(wrong).toEqual([])
        },
      ),
      { numRuns: 8 },
    )
  })

  it('externalAccess() agrees with isAllowed() toward and from addresses outside the cluster', () => {
    fc.assert(
      fc.property(
        tieredClusterArb,
        fc.constantFrom('10.0.1.5', '192.0.2.9', '8.8.8.8', 'fd00::9', '2001:db8::1'),
        fc.constantFrom(...PORT_NUMBERS),
        (state, ip, port) => {
          const engine = createEngine(state)
          const reference = referenceEvaluator(state)
          const access = engine.externalAccess(ip, port, 'TCP')
          for (const idn of engine.identities) {
            const pod = state.pods[idn.pods[0]!]!
            expect(access.egress[idn.id >>> 5]! & (1 << (idn.id & 31)) ? true : false).toBe(
              reference.isAllowed({ from: { kind: 'pod', pod }, to: { kind: 'ip', ip }, port, protocol: 'TCP' }),
            )
            expect(access.ingress[idn.id >>> 5]! & (1 << (idn.id & 31)) ? true : false).toBe(
              reference.isAllowed({ from: { kind: 'ip', ip }, to: { kind: 'pod', pod }, port, protocol: 'TCP' }),
            )
          }
        },
      ),
      { numRuns: 100 },
    )
  })
})
