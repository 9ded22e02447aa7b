import { describe, expect, it } from 'vitest'
import { createEngine } from '../../src/engine/engine.js'
import { referenceEvaluator } from '../../src/engine/reference.js'
import { computeGroupedMatrix } from '../../src/analyze/grouped-matrix.js'
import { groupEnds, groupReachability } from '../../src/analyze/group-reachability.js'
import { externalRanges } from '../../src/analyze/external-ranges.js'
import { portClasses } from '../../src/analyze/port-classes.js'
import { explainVerdict } from '../../src/analyze/explain.js'
import { documents, namespaceYaml, podYaml } from '../cases/case-types.js'
import { buildState } from '../cases/build-state.js'
import { expectAllPairsAgree } from '../engine/all-pairs-agreement.js'
import type { ClusterState, Pod } from '../../src/model/types.js'

const TCP80 = { port: 80, protocol: 'TCP' as const }

/** A deny-all namespace with a DaemonSet-like hostNetwork agent on two nodes, db pods on node-1 and node-2, and one pod without a node. */
const state: ClusterState = buildState(
  documents(
    namespaceYaml('shop'),
    podYaml('shop', 'db-0', { app: 'db' }, ['10.8.0.1'], [TCP80], { nodeName: 'node-1' }),
    podYaml('shop', 'db-1', { app: 'db' }, ['10.8.0.2'], [TCP80], { nodeName: 'node-2' }),
    podYaml('shop', 'db-2', { app: 'db' }, ['10.8.0.3'], [TCP80]),
    podYaml('shop', 'agent-a', { app: 'agent' }, ['192.168.0.1'], [TCP80], { hostNetwork: true, nodeName: 'node-1' }),
    podYaml('shop', 'agent-b', { app: 'agent' }, ['192.168.0.2'], [TCP80], { hostNetwork: true, nodeName: 'node-2' }),
    podYaml('shop', 'agent-c', { app: 'agent' }, ['192.168.0.3'], [TCP80], { hostNetwork: true }),
    `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
`,
  ),
)
const pod = (name: string): Pod => state.pods.find((p) => p.name === name)!

describe("traffic from a pod's own node", () => {
  it('the matrix (all pairs) agrees with both evaluators pair by pair', () => {
    // Allowed: every pod to itself (6), agent-a -> db-0, agent-b -> db-1, and every agent to other agents and outward.
    expect(expectAllPairsAgree(state, 80, 'TCP')).toBeGreaterThan(6)
    const engine = createEngine(state)
    const t = { from: { kind: 'pod' as const, pod: pod('agent-a') }, to: { kind: 'pod' as const, pod: pod('db-0') }, port: 80, protocol: 'TCP' as const }
    expect(engine.evaluate(t)).toEqual(referenceEvaluator(state).evaluate(t))
    expect(engine.evaluate(t)).toMatchObject({ allowed: true, fromNode: true, ingress: { allowed: false } })
  })
  it('grouped views count the node pairs like the pod matrix', () => {
    for (const by of ['pod', 'workload', 'namespace'] as const) {
      const fast = computeGroupedMatrix(createEngine(state), state, [TCP80], by)
      const slow = computeGroupedMatrix(referenceEvaluator(state), state, [TCP80], by)
      expect(fast.connections, by).toEqual(slow.connections)
      const classes = portClasses([state])
      const ranges = externalRanges([state])
      const ends = groupEnds(state, by, ranges)
      const norm = (m: Map<string, Set<number>>) => [...m].map(([k, v]) => `${k}:${[...v].sort((a, b) => a - b).join(',')}`).sort()
      expect(norm(groupReachability(state, createEngine(state), ends, classes)), by).toEqual(
        norm(groupReachability(state, referenceEvaluator(state), ends, classes)),
      )
    }
  })
  it('explain says why, and what it assumes when a node is unknown', () => {
    const engine = createEngine(state)
    const say = (from: string, to: string) =>
      explainVerdict(state, engine.evaluate({ from: { kind: 'pod', pod: pod(from) }, to: { kind: 'pod', pod: pod(to) }, port: 80, protocol: 'TCP' })).summary
    expect(say('agent-a', 'db-0')).toBe(
      'shop/agent-a -> shop/db-0 on 80/TCP is allowed: shop/agent-a uses hostNetwork on node node-1, where shop/db-0 runs, and traffic from a ' +
        "pod's own node is always allowed",
    )
    expect(say('agent-b', 'db-0')).toBe(
      'shop/agent-b -> shop/db-0 on 80/TCP is denied by the ingress of shop/db-0 (shop/agent-b uses hostNetwork on node node-2, shop/db-0 runs on node-1)',
    )
    expect(say('agent-c', 'db-0')).toMatch(
      new RegExp(
        String.raw`denied by the ingress of shop\/db-0 \(unless both run on one node: .*` +
          String.raw`netpol does not know the node of shop\/agent-c \(spec.nodeName\) and assumes different nodes\)$`,
      ),
    )
  })
})
