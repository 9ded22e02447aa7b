/**
 * The fast paths of the analyses (on identities, distinct rows, port classes and range classes)
 * against the straightforward computations (every pod pair, every range, every class, asked of
 * the reference evaluator) on small generated clusters, with extra ipBlock policies whose
 * excepts cut the pod network and the outside into many ranges.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { generateCluster } from '../../testing/generate-cluster.js'
import { createEngine } from '../../src/engine/engine.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { ipBlockMatches } from '../../src/engine/peer.js'
import { externalRanges } from '../../src/analyze/external-ranges.js'
import { portClasses } from '../../src/analyze/port-classes.js'
import { groupEnds, groupReachability } from '../../src/analyze/group-reachability.js'
import { computeGroupedMatrix } from '../../src/analyze/grouped-matrix.js'
import { groupMatrix } from '../../src/analyze/group.js'
import { computeMatrix, defaultPorts } from '../../src/analyze/matrix.js'
import { computeConnectivities, computeConnectivity } from '../../src/analyze/connectivity.js'
import { diffConnectivity } from '../../src/analyze/diff.js'
import { renderGroupedMatrix } from '../../src/render/grouped-matrix.js'
import { parse as parseYaml } from 'yaml'
import { csvRows, rebuildDense, type SparseDocument } from '../render/grouped-matrix-document.js'
import type { ClusterState, NetworkPolicy, Protocol } from '../../src/model/types.js'
import { clusterPolicyArb } from '../engine/cluster-policy-arbitrary.js'

const src = { file: 'extra.yaml', line: 1 }

/** Probed ports besides the containerPorts: some no policy names, some at a class's edge. */
const EXTRA_PORTS = [
  { port: 1, protocol: 'TCP' as Protocol },
  { port: 8081, protocol: 'TCP' as Protocol },
  { port: 65535, protocol: 'UDP' as Protocol },
  { port: 5432, protocol: 'TCP' as Protocol },
  { port: 53, protocol: 'UDP' as Protocol },
]

/** A policy with an ipBlock cut by excepts (inside the pod network and outside), on a port or all. */
function ipBlockPolicy(state: ClusterState, i: number, excepts: readonly number[], egress: boolean, port: number | undefined): NetworkPolicy {
  const ns = state.namespaces[i % state.namespaces.length].name
  const peer = {
    ipBlock: { cidr: '10.0.0.0/8', except: [...new Set(excepts)].map((e) => `10.${e % 2 === 0 ? 244 : 9}.${e % 4}.${(e * 8) % 256}/29`) },
    source: src,
  }
  const rule = { ports: port === undefined ? [] : [{ protocol: 'TCP' as Protocol, port, source: src }], source: src }
  return {
    namespace: ns,
    name: `extra-${i}`,
    podSelector: { matchLabels: {}, matchExpressions: [] },
    policyTypes: egress ? ['Egress'] : ['Ingress'],
    ingress: egress ? [] : [{ ...rule, from: [peer] }],
    egress: egress ? [{ ...rule, to: [peer] }] : [],
    source: src,
  }
}

const clusterArb = fc
  .record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    pods: fc.integer({ min: 20, max: 45 }),
    namespaces: fc.integer({ min: 4, max: 7 }),
    policies: fc.integer({ min: 0, max: 14 }),
    extra: fc.array(
      fc.record({
        excepts: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 8 }),
        egress: fc.boolean(),
        port: fc.option(fc.constantFrom(8080, 5432, 53), { nil: undefined }),
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ seed, pods, namespaces, policies, extra }) => {
    const { state } = generateCluster({ pods, namespaces, policies, seed })
    return { ...state, policies: [...state.policies, ...extra.map((e, i) => ipBlockPolicy(state, i, e.excepts, e.egress, e.port))] }
  })

/** The same clusters with ClusterNetworkPolicies of both tiers (test/engine/cluster-policy-arbitrary.ts). */
const tieredArb = fc
  .record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    pods: fc.integer({ min: 14, max: 20 }),
    namespaces: fc.integer({ min: 4, max: 5 }),
    policies: fc.integer({ min: 0, max: 6 }),
  })
  .map((o) => generateCluster(o).state)
  .chain((state) =>
    fc
      .array(fc.constant(null), { minLength: 1, maxLength: 4 })
      .chain((slots) => fc.tuple(...slots.map((_, i) => clusterPolicyArb(`cnp-${i}`))))
      .map((clusterNetworkPolicies): ClusterState => ({ ...state, clusterNetworkPolicies })),
  )

const norm = (m: Map<string, Set<number>>) => [...m].map(([k, v]) => `${k}:${[...v].sort((a, b) => a - b).join(',')}`).sort()

describe('fast paths agree with the straightforward computations', () => {
  it('group reachability: identities, equal rows, port and range classes = every pair asked of the reference', () => {
    fc.assert(
      fc.property(clusterArb, fc.constantFrom('workload' as const, 'pod' as const, 'namespace' as const), (state, by) => {
        const classes = portClasses([state])
        const ends = groupEnds(state, by, externalRanges([state]))
        expect(norm(groupReachability(state, createEngine(state), ends, classes))).toEqual(
          norm(groupReachability(state, referenceEvaluator(state), ends, classes)),
        )
      }),
      { numRuns: 25 },
    )
  })

  it(
    'with ClusterNetworkPolicies: group reachability (list, diff, report) = every pair asked of the reference; undefined and unknown count as ' + 'not allowed',
    () => {
      fc.assert(
        fc.property(tieredArb, fc.constantFrom('workload' as const, 'pod' as const), (state, by) => {
          const classes = portClasses([state])
          const ends = groupEnds(state, by, externalRanges([state]))
          expect(norm(groupReachability(state, createEngine(state), ends, classes))).toEqual(
            norm(groupReachability(state, referenceEvaluator(state), ends, classes)),
          )
        }),
        { numRuns: 12 },
      )
    },
  )

  it('with ClusterNetworkPolicies: connectivity is the same with either evaluator', () => {
    fc.assert(
      fc.property(tieredArb, (state) => {
        expect(computeConnectivity(state, createEngine(state), 'workload').edges).toEqual(
          computeConnectivity(state, referenceEvaluator(state), 'workload').edges,
        )
      }),
      { numRuns: 8 },
    )
  })

  it('connectivity (the edges of report and list) is the same with either evaluator', () => {
    fc.assert(
      fc.property(clusterArb, (state) => {
        expect(computeConnectivity(state, createEngine(state), 'workload').edges).toEqual(
          computeConnectivity(state, referenceEvaluator(state), 'workload').edges,
        )
      }),
      { numRuns: 15 },
    )
  })

  it('connectivity by namespace folded from workloads or pods = computed by namespace', () => {
    fc.assert(
      fc.property(clusterArb, fc.constantFrom('workload' as const, 'pod' as const), (state, by) => {
        const engine = createEngine(state)
        const [, folded] = computeConnectivities(state, engine, by, ['namespace'])
        expect(folded).toEqual(computeConnectivity(state, referenceEvaluator(state), 'namespace'))
      }),
      { numRuns: 15 },
    )
  })

  it('grouped matrix on identities = the pod matrix folded into groups; its machine outputs list exactly the cells with an allowed pair', () => {
    fc.assert(
      fc.property(clusterArb, fc.constantFrom('workload' as const, 'pod' as const, 'namespace' as const), fc.boolean(), (state, by, extraPorts) => {
        // Ports no policy names share their port class key with each other: one all-pairs for all of them.
        const ports = [...defaultPorts(state), ...(extraPorts ? EXTRA_PORTS : [])]
        const fast = computeGroupedMatrix(createEngine(state), state, ports, by)
        const slow = groupMatrix(computeMatrix(referenceEvaluator(state), state, ports), by)
        expect(fast.groups).toEqual(slow.groups)
        expect(fast.groupSizes).toEqual(slow.groupSizes)
        expect(fast.connections).toEqual(slow.connections)
        const json = renderGroupedMatrix(fast, 'json')
        expect(json).toBe(renderGroupedMatrix(slow, 'json'))
        const doc = JSON.parse(json) as SparseDocument
        // Listed: every cell with an allowed pod pair, as the dense fold has it; the rest rebuilds as denied.
        expect(doc.connections).toEqual(slow.connections.filter((c) => c.allowedPairs > 0))
        expect(rebuildDense(doc)).toEqual(slow.connections)
        expect(parseYaml(renderGroupedMatrix(fast, 'yaml'))).toEqual(doc)
        expect(csvRows(renderGroupedMatrix(fast, 'csv'))).toEqual(doc.connections)
      }),
      { numRuns: 20 },
    )
  })

  it('with ClusterNetworkPolicies: the grouped matrix on identities = the pod matrix folded (undefined and unknown count as denied)', () => {
    fc.assert(
      fc.property(tieredArb, fc.constantFrom('workload' as const, 'namespace' as const), (state, by) => {
        const ports = [...defaultPorts(state), ...EXTRA_PORTS]
        const fast = computeGroupedMatrix(createEngine(state), state, ports, by)
        const slow = groupMatrix(computeMatrix(referenceEvaluator(state), state, ports), by)
        expect(fast.connections).toEqual(slow.connections)
        expect(renderGroupedMatrix(fast, 'json')).toBe(renderGroupedMatrix(slow, 'json'))
      }),
      { numRuns: 12 },
    )
  })

  it('engine.externalAccess = isAllowed to and from the address for every pod', () => {
    fc.assert(
      fc.property(clusterArb, fc.constantFrom(8080, 53, 5432, 9090, 1), (state, port) => {
        const engine = createEngine(state)
        for (const range of externalRanges([state])) {
          for (const protocol of ['TCP', 'UDP'] as const) {
            const access = engine.externalAccess(range.probe, port, protocol)
            for (const pod of state.pods) {
              const id = engine.identityOf(pod)!.id
              const ip = { kind: 'ip' as const, ip: range.probe }
              const me = { kind: 'pod' as const, pod }
              const has = (s: Uint32Array) => (s[id >>> 5] & (1 << (id & 31))) !== 0
              expect(has(access.egress)).toBe(engine.isAllowed({ from: me, to: ip, port, protocol }))
              expect(has(access.ingress)).toBe(engine.isAllowed({ from: ip, to: me, port, protocol }))
            }
          }
        }
      }),
      { numRuns: 15 },
    )
  })

  it('engine.peerPods of an ipBlock peer = the pods whose IPs the block covers', () => {
    fc.assert(
      fc.property(clusterArb, (state) => {
        const engine = createEngine(state)
        for (const policy of state.policies) {
          for (const peer of [...policy.ingress.flatMap((r) => r.from), ...policy.egress.flatMap((r) => r.to)]) {
            if (!peer.ipBlock) continue
            const block = peer.ipBlock
            expect(engine.peerPods(policy, peer)).toEqual(state.pods.filter((p) => ipBlockMatches(block, p.ips)))
          }
        }
      }),
      { numRuns: 20 },
    )
  })

  it('diff with the fast engine = diff asked pair by pair of the reference', () => {
    fc.assert(
      fc.property(clusterArb, clusterArb, (a, b) => {
        const before = { ...a }
        // The same pods with the other cluster's policies where their namespaces exist.
        const names = new Set(a.namespaces.map((n) => n.name))
        const after = { ...a, policies: [...a.policies.slice(1), ...b.policies.filter((p) => names.has(p.namespace))] }
        const fast = diffConnectivity(
          { state: before, evaluator: createEngine(before) },
          { state: after, evaluator: createEngine(after) },
          { groupBy: 'workload' },
        )
        const slow = diffConnectivity(
          { state: before, evaluator: referenceEvaluator(before) },
          { state: after, evaluator: referenceEvaluator(after) },
          { groupBy: 'workload' },
        )
        expect(fast).toEqual(slow)
      }),
      { numRuns: 10 },
    )
  })

  it('diff after policy edits only (same pods): reusing BEFORE = computing AFTER in full', () => {
    const edits = fc.record({
      drop: fc.array(fc.nat(), { maxLength: 3 }),
      reselect: fc.array(fc.nat(), { maxLength: 2 }),
      retype: fc.array(fc.nat(), { maxLength: 2 }),
      moved: fc.array(fc.nat(), { maxLength: 2 }),
      extra: fc.array(
        fc.record({
          excepts: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 6 }),
          egress: fc.boolean(),
          port: fc.option(fc.constantFrom(8080, 9999, 53), { nil: undefined }),
        }),
        { maxLength: 2 },
      ),
    })
    fc.assert(
      fc.property(clusterArb, edits, fc.constantFrom('workload' as const, 'pod' as const, 'namespace' as const), (before, e, by) => {
        const n = before.policies.length
        const at = (xs: number[]) => new Set(n === 0 ? [] : xs.map((x) => x % n))
        const drop = at(e.drop)
        const reselect = at(e.reselect)
        const retype = at(e.retype)
        const moved = at(e.moved)
        const policies = before.policies.flatMap((p, i): NetworkPolicy[] => {
          if (drop.has(i)) return []
          let q = p
          // Select another set of pods, start or stop isolating, or only move in the file (no change in meaning).
          if (reselect.has(i)) q = { ...q, podSelector: { matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'Exists', values: [] }] } }
          if (retype.has(i)) q = { ...q, policyTypes: q.policyTypes.includes('Egress') ? ['Ingress'] : ['Ingress', 'Egress'] }
          if (moved.has(i)) q = { ...q, source: { file: 'moved.yaml', line: 40 + i } }
          return [q]
        })
        const after = {
          ...before,
          policies: [...policies, ...e.extra.map((x, i) => ({ ...ipBlockPolicy(before, i, x.excepts, x.egress, x.port), name: `edit-${i}` }))],
        }
        const sides = [
          { state: before, evaluator: createEngine(before) },
          { state: after, evaluator: createEngine(after) },
        ] as const
        const incremental = diffConnectivity(sides[0], sides[1], { groupBy: by, maxAffectedShare: 1 })
        const full = diffConnectivity(sides[0], sides[1], { groupBy: by, incremental: false })
        expect(incremental).toEqual(full)
      }),
      { numRuns: 25 },
    )
  })
})
