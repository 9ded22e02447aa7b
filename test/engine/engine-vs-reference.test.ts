import { describe, it, expect } from 'vitest'
import fc from 'fast-check'
import { createEngine } from '../../src/engine/engine.js'
import { rowStrategy } from '../../src/engine/all-pairs.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { policyRef, type Endpoint, type Traffic } from '../../src/engine/verdict.js'
import { expectAllPairsAgree } from './all-pairs-agreement.js'
import { clusterArb, clusterArbOf, policyArb, trafficArb, PORT_NUMBERS } from './cluster-arbitrary.js'
import { matchesSelector } from '../../src/model/label-selector.js'
import type { ClusterState, NetworkPolicy, NetworkPolicyPeer, Pod, Protocol } from '../../src/model/types.js'

const RUNS = 200

/** Deep equality, checked cheaply first (vitest's toEqual is slow on hundreds of verdicts). */
function expectSame<T>(actual: T, expected: T): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected)
}

describe('fast engine equals the reference evaluator on generated clusters', () => {
  it('evaluate() verdicts are deep-equal and isAllowed() and egressAllowed() agree', () => {
    fc.assert(
      fc.property(
        clusterArb.chain((state) => fc.tuple(fc.constant(state), fc.array(trafficArb(state), { minLength: 10, maxLength: 20 }))),
        ([state, traffics]) => {
          const reference = referenceEvaluator(state)
          const engine = createEngine(state)
          for (const t of traffics) {
            const want = reference.evaluate(t)
            expectSame(engine.evaluate(t), want)
            expect(engine.isAllowed(t)).toBe(want.allowed)
            expect(engine.egressAllowed(t)).toBe(want.egress.allowed)
            expect(reference.isAllowed(t)).toBe(want.allowed)
          }
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('allPairs() agrees with the reference on every pod pair', () => {
    fc.assert(
      fc.property(clusterArb, fc.constantFrom(...PORT_NUMBERS, 8000), fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP'), (state, port, protocol) => {
        expectAllPairsAgree(state, port, protocol)
      }),
      { numRuns: 150 },
    )
  })

  it('allPairs() agrees on clusters with more identities than one bit-set word', () => {
    fc.assert(
      fc.property(
        clusterArbOf({ minPods: 40, maxPods: 70, maxPolicies: 8 }),
        fc.constantFrom(...PORT_NUMBERS),
        fc.constantFrom<Protocol>('TCP', 'UDP'),
        (state, port, protocol) => {
          expectAllPairsAgree(state, port, protocol)
        },
      ),
      { numRuns: 8 },
    )
  })

  it('allPairs() agrees whichever way its rows are built (by signature of the columns taking a source, or by one transpose)', () => {
    for (const mode of ['signature', 'transpose'] as const) {
      rowStrategy.mode = mode
      try {
        fc.assert(
          fc.property(
            clusterArbOf({ minPods: 10, maxPods: 60, maxPolicies: 10 }),
            fc.constantFrom(...PORT_NUMBERS),
            fc.constantFrom<Protocol>('TCP', 'UDP'),
            (state, port, protocol) => {
              expectAllPairsAgree(state, port, protocol)
            },
          ),
          { numRuns: 40 },
        )
      } finally {
        rowStrategy.mode = 'auto'
      }
    }
  })

  it('selectedPods() and peerPods() list what the reference matches', () => {
    fc.assert(
      fc.property(clusterArb, (state) => {
        const engine = createEngine(state)
        for (const policy of state.policies) {
          const selected = state.pods.filter((p) => !p.hostNetwork && p.namespace === policy.namespace && referenceSelects(state, policy, p))
          expect(engine.selectedPods(policy)).toEqual(selected)
          for (const rule of [...policy.ingress.map((r) => r.from), ...policy.egress.map((r) => r.to)]) {
            for (const peer of rule) {
              // Whether peer matches a pod, per the reference: a rule holding only this peer, from that pod.
              const matched = state.pods.filter((p) => peerMatchesByReference(state, policy, peer, p))
              expect(engine.peerPods(policy, peer)).toEqual(matched)
            }
          }
        }
      }),
      { numRuns: 80 },
    )
  })
})

describe('isolatingPolicies() lists the policies the reference names as isolating', () => {
  it('for every pod and direction, also for a pod object the state does not hold', () => {
    fc.assert(
      fc.property(clusterArb, (state) => {
        const engine = createEngine(state)
        const reference = referenceEvaluator(state)
        const other: Endpoint = { kind: 'ip', ip: '203.0.113.1' }
        for (const pod of state.pods) {
          const self: Endpoint = { kind: 'pod', pod }
          const verdict = (t: Traffic) => reference.evaluate(t)
          const ingress = verdict({ from: other, to: self, port: 80, protocol: 'TCP' }).ingress.policies.map((e) => e.policy)
          const egress = verdict({ from: self, to: other, port: 80, protocol: 'TCP' }).egress.policies.map((e) => e.policy)
          expect(engine.isolatingPolicies(pod, 'Ingress').map(policyRef)).toEqual(ingress)
          expect(engine.isolatingPolicies(pod, 'Egress').map(policyRef)).toEqual(egress)
          // A copy is not indexed: answered literally, the same.
          expect(engine.isolatingPolicies({ ...pod }, 'Ingress').map(policyRef)).toEqual(ingress)
          expect(engine.isolatingPolicies({ ...pod }, 'Egress').map(policyRef)).toEqual(egress)
          if (pod.hostNetwork) expect([...ingress, ...egress]).toEqual([])
        }
      }),
      { numRuns: 100 },
    )
  })
})

describe('incremental updates equal a rebuild', () => {
  it('withPolicy() (add or replace) and withoutPolicy() answer like createEngine on the new state', () => {
    fc.assert(
      fc.property(
        clusterArb.chain((state) =>
          fc.tuple(
            fc.constant(state),
            policyArb(
              state.namespaces.map((n) => n.name),
              'np-0',
            ),
            policyArb(
              state.namespaces.map((n) => n.name),
              'np-new',
            ),
            fc.array(trafficArb(state), { minLength: 5, maxLength: 15 }),
            fc.constantFrom(...PORT_NUMBERS),
            fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP'),
          ),
        ),
        ([state, replacement, added, traffics, port, protocol]) => {
          const base = createEngine(state)
          const variants: { engine: ReturnType<typeof createEngine>; state: ClusterState }[] = []
          // Replace np-0 (or add it when the state has none), add a new one, remove np-0.
          for (const p of [replacement, added]) {
            const engine = base.withPolicy(p)
            variants.push({ engine, state: engine.state })
          }
          const removed = base.withoutPolicy(replacement.namespace, 'np-0')
          variants.push({ engine: removed, state: removed.state })
          const removedAny = state.policies[0] ? base.withoutPolicy(state.policies[0].namespace, state.policies[0].name) : removed
          variants.push({ engine: removedAny, state: removedAny.state })
          for (const v of variants) {
            const rebuilt = createEngine(v.state)
            const reference = referenceEvaluator(v.state)
            for (const t of traffics) {
              const want = reference.evaluate(t)
              expectSame(v.engine.evaluate(t), want)
              expectSame(rebuilt.evaluate(t), want)
              expect(v.engine.isAllowed(t)).toBe(want.allowed)
            }
            const a = v.engine.allPairs(port, protocol)
            const b = rebuilt.allPairs(port, protocol)
            expect(a.allowedPodPairs).toBe(b.allowedPodPairs)
            const wrong: string[] = []
            v.state.pods.forEach((_, i) => v.state.pods.forEach((__, j) => a.isAllowedIndex(i, j) !== b.isAllowedIndex(i, j) && wrong.push(`${i} -> ${j}`)))
            expect(wrong).toEqual([])
          }
        },
      ),
      { numRuns: 80 },
    )
  })

  it('reuses the index when the new policy only uses known label keys, port names and ipBlocks', () => {
    fc.assert(
      fc.property(clusterArb, (state) => {
        fc.pre(state.policies.length > 0)
        const p = state.policies[0]!
        const tweaked = { ...p, policyTypes: p.policyTypes.includes('Egress') ? (['Ingress'] as const) : (['Ingress', 'Egress'] as const) }
        expect(createEngine(state).withPolicy(tweaked).incremental).toBe(true)
      }),
      { numRuns: 50 },
    )
  })

  it('a new policy selecting on a label key no selector used before needs no regrouping, unless the key is per pod', () => {
    const pod = (name: string, labels: Record<string, string>): Pod => ({
      namespace: 'x',
      name,
      labels,
      ips: [],
      containerPorts: [],
      hostNetwork: false,
      source: { file: 't', line: 1 },
    })
    const state: ClusterState = {
      namespaces: [{ name: 'x', labels: { 'kubernetes.io/metadata.name': 'x' }, implicit: false }],
      pods: [pod('a-0', { app: 'a', 'pod-name': 'a-0' }), pod('a-1', { app: 'a', 'pod-name': 'a-1' }), pod('b-0', { app: 'b', 'pod-name': 'b-0' })],
      policies: [],
    }
    const engine = createEngine(state)
    expect(engine.identities.length).toBe(2)
    const policy = (key: string, value: string): NetworkPolicy => ({
      namespace: 'x',
      name: 'p',
      podSelector: { matchLabels: { [key]: value }, matchExpressions: [] },
      policyTypes: ['Ingress'],
      ingress: [],
      egress: [],
      source: { file: 't', line: 1 },
    })
    const byApp = engine.withPolicy(policy('app', 'a'))
    expect(byApp.incremental).toBe(true)
    expect(byApp.selectedPods(byApp.state.policies[0]!).map((p) => p.name)).toEqual(['a-0', 'a-1'])
    const byPodName = engine.withPolicy(policy('pod-name', 'a-1'))
    expect(byPodName.incremental).toBe(false)
    expect(byPodName.selectedPods(byPodName.state.policies[0]!).map((p) => p.name)).toEqual(['a-1'])
    const t = { from: { kind: 'pod' as const, pod: state.pods[2]! }, to: { kind: 'pod' as const, pod: state.pods[1]! }, port: 80, protocol: 'TCP' as const }
    expect(byPodName.isAllowed(t)).toBe(false)
    expect(byApp.isAllowed(t)).toBe(false)
  })
})

function referenceSelects(_state: ClusterState, policy: NetworkPolicy, pod: Pod): boolean {
  return matchesSelector(policy.podSelector, pod.labels)
}

function peerMatchesByReference(state: ClusterState, policy: NetworkPolicy, peer: NetworkPolicyPeer, pod: Pod): boolean {
  // A probe policy selecting every pod of a namespace with one ingress rule holding only this peer;
  // the reference then says whether traffic from `pod` matches it.
  const target: Pod = { namespace: policy.namespace, name: '__probe__', labels: {}, ips: [], containerPorts: [], hostNetwork: false, source: policy.source }
  const probe: NetworkPolicy = {
    ...policy,
    podSelector: { matchLabels: {}, matchExpressions: [] },
    policyTypes: ['Ingress'],
    ingress: [{ from: [peer], ports: [], source: policy.source }],
    egress: [],
  }
  const probeState: ClusterState = { namespaces: state.namespaces, pods: [...state.pods, target], policies: [probe] }
  return referenceEvaluator(probeState).evaluate({ from: { kind: 'pod', pod }, to: { kind: 'pod', pod: target }, port: 80, protocol: 'TCP' }).ingress.allowed
}

describe('endpoints the engine did not index', () => {
  it('answers for a pod object that is not one of the state, through the reference', () => {
    fc.assert(
      fc.property(
        clusterArb.filter((s) => s.pods.length > 0).chain((state) => fc.tuple(fc.constant(state), fc.array(trafficArb(state), { minLength: 3, maxLength: 8 }))),
        ([state, traffics]) => {
          const engine = createEngine(state)
          const reference = referenceEvaluator(state)
          for (const t of traffics) {
            // A copy with other labels: the engine must not answer from the original's identity.
            const foreign = (e: typeof t.from): typeof t.from =>
              e.kind === 'pod' ? { kind: 'pod', pod: { ...e.pod, labels: { ...e.pod.labels, app: 'foreign' } } } : e
            const moved = { ...t, from: foreign(t.from) }
            expectSame(engine.evaluate(moved), reference.evaluate(moved))
            expect(engine.isAllowed(moved)).toBe(reference.isAllowed(moved))
          }
        },
      ),
      { numRuns: 40 },
    )
  })
})

/** A second load of the same cluster: equal objects (not the same ones), every file:line elsewhere. */
function reloaded<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reloaded) as T
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === 'source' && v !== null && typeof v === 'object' ? { ...v, file: `after/${(v as { file: string }).file}` } : reloaded(v)
  }
  return out as T
}

describe('withState() equals a rebuild', () => {
  it('on a second load of the cluster with one policy replaced or added: same verdicts (naming the new file:line) and all pairs as createEngine', () => {
    fc.assert(
      fc.property(
        clusterArb.chain((state) =>
          fc.tuple(
            fc.constant(state),
            policyArb(
              state.namespaces.map((n) => n.name),
              'np-0',
            ),
            fc.array(trafficArb(state), { minLength: 5, maxLength: 15 }),
            fc.constantFrom(...PORT_NUMBERS),
            fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP'),
            fc.boolean(),
          ),
        ),
        ([state, replacement, traffics, port, protocol, changePod]) => {
          const again = reloaded(state)
          const policies = [...again.policies.filter((p) => !(p.namespace === replacement.namespace && p.name === 'np-0')), replacement]
          // A pod of other labels: not the same cluster, so a full rebuild.
          const pods =
            changePod && again.pods.length > 0 ? [{ ...again.pods[0]!, labels: { ...again.pods[0]!.labels, extra: 'x' } }, ...again.pods.slice(1)] : again.pods
          const next: ClusterState = { ...again, policies, pods }
          const engine = createEngine(state).withState(next)
          const rebuilt = createEngine(next)
          expect(engine.state).toBe(next)
          if (changePod && state.pods.length > 0) expect(engine.incremental).toBe(false)
          const own = (e: Endpoint): Endpoint => (e.kind === 'pod' ? { kind: 'pod', pod: next.pods[state.pods.indexOf(e.pod)]! } : e)
          for (const t of traffics) {
            const mine = { ...t, from: own(t.from), to: own(t.to) }
            expectSame(engine.evaluate(mine), rebuilt.evaluate(mine))
            expect(engine.isAllowed(mine)).toBe(rebuilt.isAllowed(mine))
          }
          const a = engine.allPairs(port, protocol)
          const b = rebuilt.allPairs(port, protocol)
          expect(a.allowedPodPairs).toBe(b.allowedPodPairs)
          const wrong: string[] = []
          next.pods.forEach((_, i) => next.pods.forEach((__, j) => a.isAllowedIndex(i, j) !== b.isAllowedIndex(i, j) && wrong.push(`${i} -> ${j}`)))
          expect(wrong).toEqual([])
          for (const policy of next.policies) expect(engine.selectedPods(policy)).toEqual(rebuilt.selectedPods(policy))
        },
      ),
      { numRuns: 100 },
    )
  })

  it('reuses the index when only policies differ', () => {
    fc.assert(
      fc.property(clusterArb, (state) => {
        fc.pre((state.clusterNetworkPolicies?.length ?? 0) === 0)
        expect(createEngine(state).withState(reloaded(state)).incremental).toBe(true)
      }),
      { numRuns: 30 },
    )
  })
})
