/**
 * fast-check arbitraries for ClusterNetworkPolicies of both tiers mixed with NetworkPolicies:
 * subjects (namespaces, pods), every peer kind (namespaces, pods, networks v4/v6, nodes,
 * domainNames; Node objects present or not), protocols (number, range, named port), all three actions, and priorities from a
 * small pool so that equal priorities (undefined outcomes) and shared selectors occur often.
 */
import fc from 'fast-check'
import type { ClusterState, LabelSelector, Node } from '../../src/model/types.js'
import type {
  ClusterNetworkPolicy,
  ClusterNetworkPolicyEgressPeer,
  ClusterNetworkPolicyIngressPeer,
  ClusterNetworkPolicyProtocol,
  ClusterNetworkPolicyRuleAction,
  NamespacedPod,
} from '../../src/model/cluster-network-policy-types.js'
import { clusterArbOf, requirementArb } from './cluster-arbitrary.js'

const src = (line: number) => ({ file: 'cnp.yaml', line })
const ACTIONS: ClusterNetworkPolicyRuleAction[] = ['Accept', 'Deny', 'Pass']

const EMPTY: LabelSelector = { matchLabels: {}, matchExpressions: [] }

/** A selector, empty (everything) about a third of the time so that rules match often. */
function selectorArb(keys: readonly string[], values: readonly string[]): fc.Arbitrary<LabelSelector> {
  return fc.oneof({ weight: 1, arbitrary: fc.constant(EMPTY) }, { weight: 2, arbitrary: someSelectorArb(keys, values) })
}

function someSelectorArb(keys: readonly string[], values: readonly string[]): fc.Arbitrary<LabelSelector> {
  return fc.record({
    matchLabels: fc.dictionary(fc.constantFrom(...keys), fc.constantFrom(...values), { maxKeys: 1 }),
    matchExpressions: fc.array(requirementArb(keys, values), { maxLength: 1 }),
  })
}
const podSel = selectorArb(['app', 'tier', 'pod'], ['a', 'b', 'c'])
const nsSel = selectorArb(['team', 'env'], ['a', 'b'])
const namespacedPodArb: fc.Arbitrary<NamespacedPod> = fc.record({ namespaceSelector: nsSel, podSelector: podSel })

const ingressPeerArb: fc.Arbitrary<ClusterNetworkPolicyIngressPeer> = fc.oneof(
  nsSel.map((namespaces) => ({ namespaces, source: src(50) })),
  namespacedPodArb.map((pods) => ({ pods, source: src(51) })),
)
const NETWORKS = ['10.0.0.0/16', '10.0.1.0/24', '10.0.1.4/31', '0.0.0.0/0', '192.0.2.0/24', 'fd00::/64', 'fd00::8/125', '::/0', '10.0.2.3/32']
const egressPeerArb: fc.Arbitrary<ClusterNetworkPolicyEgressPeer> = fc.oneof(
  { weight: 3, arbitrary: nsSel.map((namespaces) => ({ namespaces, source: src(60) })) },
  { weight: 3, arbitrary: namespacedPodArb.map((pods) => ({ pods, source: src(61) })) },
  { weight: 3, arbitrary: fc.uniqueArray(fc.constantFrom(...NETWORKS), { minLength: 1, maxLength: 2 }).map((networks) => ({ networks, source: src(62) })) },
  { weight: 1, arbitrary: fc.constant({ domainNames: ['example.com'], source: src(63) }) },
  { weight: 1, arbitrary: nsSel.map((nodes) => ({ nodes, source: src(64) })) },
)

const protocolArb: fc.Arbitrary<ClusterNetworkPolicyProtocol> = fc.oneof(
  fc
    .record({ p: fc.constantFrom('tcp', 'udp', 'sctp'), n: fc.constantFrom(53, 80, 81, 443, 8080) })
    .map(({ p, n }) => ({ [p]: { destinationPort: { number: n } }, source: src(70) })),
  fc
    .record({ p: fc.constantFrom('tcp', 'udp'), r: fc.constantFrom({ start: 53, end: 81 }, { start: 81, end: 8080 }) })
    .map(({ p, r }) => ({ [p]: { destinationPort: { range: r } }, source: src(71) })),
  fc.constantFrom('http', 'dns', 'metrics').map((destinationNamedPort) => ({ destinationNamedPort, source: src(72) })),
)

function rulesArb<P>(peer: fc.Arbitrary<P>, line: number) {
  return fc
    .array(
      fc.record({
        name: fc.option(fc.constantFrom('r1', 'r2'), { nil: undefined }),
        action: fc.constantFrom(...ACTIONS),
        peers: fc.array(peer, { minLength: 1, maxLength: 2 }),
        protocols: fc.oneof(fc.constant([] as ClusterNetworkPolicyProtocol[]), fc.array(protocolArb, { minLength: 1, maxLength: 2 })),
      }),
      { maxLength: 3 },
    )
    .map((rules) =>
      rules.map((r, i) => ({
        ...(r.name === undefined ? {} : { name: r.name }),
        action: r.action,
        peers: r.peers,
        protocols: r.protocols,
        source: src(line + i),
      })),
    )
}

export function clusterPolicyArb(name: string): fc.Arbitrary<ClusterNetworkPolicy> {
  return fc
    .record({
      tier: fc.constantFrom<'Admin' | 'Baseline'>('Admin', 'Baseline'),
      priority: fc.constantFrom(0, 5, 5),
      subject: fc.oneof(
        nsSel.map((namespaces) => ({ namespaces, source: src(2) })),
        namespacedPodArb.map((pods) => ({ pods, source: src(3) })),
      ),
      ingress: rulesArb(ingressPeerArb, 10),
      egress: rulesArb(egressPeerArb, 20),
    })
    .map((r) => ({
      name,
      spec: {
        tier: r.tier,
        priority: r.priority,
        subject: r.subject,
        ingress: r.ingress.map((x) => ({
          ...(x.name === undefined ? {} : { name: x.name }),
          action: x.action,
          from: x.peers,
          protocols: x.protocols,
          source: x.source,
        })),
        egress: r.egress.map((x) => ({
          ...(x.name === undefined ? {} : { name: x.name }),
          action: x.action,
          to: x.peers,
          protocols: x.protocols,
          source: x.source,
        })),
      },
      source: src(1),
    }))
}

/**
 * Node addresses: some are pod addresses of the generated clusters (10.0.a.b, fd00::n) so that
 * hostNetwork pods find their node by IP, some are the outside addresses trafficArb uses.
 */
const NODE_ADDRESSES = ['10.0.0.1', '10.0.1.2', '10.0.2.5', '10.0.1.5', '192.0.2.9', 'fd00::3', 'fd00::9', '2001:db8::1']

/**
 * Node objects, or none (`undefined`: unknown) half of the time. Pods name `node-1`/`node-2` in
 * spec.nodeName (cluster-arbitrary.ts); `node-2` is sometimes missing, so a pod's named node may be
 * unknown. Labels use the namespace label keys, as the `nodes` peers above select with nsSel.
 */
const nodesArb: fc.Arbitrary<Node[] | undefined> = fc.option(
  fc
    .record({
      names: fc.constantFrom(['node-1'], ['node-1', 'node-2'], ['node-1', 'node-2', 'node-3']),
      labels: fc.array(fc.dictionary(fc.constantFrom('team', 'env'), fc.constantFrom('a', 'b'), { maxKeys: 2 }), { minLength: 3, maxLength: 3 }),
      addresses: fc.array(fc.uniqueArray(fc.constantFrom(...NODE_ADDRESSES), { maxLength: 2 }), { minLength: 3, maxLength: 3 }),
    })
    .map(({ names, labels, addresses }) => names.map((name, i): Node => ({ name, labels: labels[i]!, addresses: addresses[i]!, source: src(90 + i) }))),
  { nil: undefined },
)

/** Generated clusters (pods, NetworkPolicies) with up to `maxCnps` ClusterNetworkPolicies of both tiers, and sometimes Node objects. */
export function tieredClusterArbOf(limits: { minPods?: number; maxPods: number; maxPolicies: number; maxCnps: number }): fc.Arbitrary<ClusterState> {
  return clusterArbOf(limits).chain((state) =>
    fc
      .array(fc.constant(null), { minLength: 1, maxLength: limits.maxCnps })
      .chain((slots) => fc.tuple(nodesArb, ...slots.map((_, i) => clusterPolicyArb(`cnp-${i}`))))
      .map(([nodes, ...clusterNetworkPolicies]): ClusterState => ({ ...state, clusterNetworkPolicies, ...(nodes === undefined ? {} : { nodes }) })),
  )
}

export const tieredClusterArb = tieredClusterArbOf({ maxPods: 9, maxPolicies: 3, maxCnps: 5 })
