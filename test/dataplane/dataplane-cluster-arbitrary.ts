/**
 * Generated clusters for the data plane tests: pods on two nodes (at most one hostNetwork pod per
 * node, with the node's address), small label/port vocabularies so selectors, named ports and
 * ipBlocks collide often, NetworkPolicies of every shape and, in `tieredClusterArb`,
 * ClusterNetworkPolicies of both tiers from the engine's generator.
 */
import fc from 'fast-check'
import type { ClusterState, LabelSelector, NetworkPolicyPeer, NetworkPolicyPort, Node, Pod, Protocol } from '../../src/model/types.js'
import { NAMESPACE_NAME_LABEL } from '../../src/model/types.js'
import { clusterPolicyArb } from '../engine/cluster-policy-arbitrary.js'
export const PROBES: readonly { port: number; protocol: Protocol }[] = [
  { port: 80, protocol: 'TCP' },
  { port: 81, protocol: 'TCP' },
  { port: 84, protocol: 'TCP' },
  { port: 8080, protocol: 'TCP' },
  { port: 53, protocol: 'UDP' },
  { port: 80, protocol: 'UDP' },
  { port: 9000, protocol: 'SCTP' },
]
export const EXTERNAL_IPS = ['203.0.113.9', '10.0.0.200', 'fd00::ff']
const NODE_IPS: Record<string, { v4: string; v6: string }> = { n1: { v4: '192.168.0.1', v6: 'fd01::1' }, n2: { v4: '192.168.0.2', v6: 'fd01::2' } }
const NAMESPACES = ['x', 'y', 'z']
const src = { file: 'generated.yaml', line: 1 }

const selectorArb: fc.Arbitrary<LabelSelector> = fc.oneof(
  fc.constant({ matchLabels: {}, matchExpressions: [] }),
  fc.constantFrom('a', 'b', 'c').map((v) => ({ matchLabels: { app: v }, matchExpressions: [] })),
  fc.subarray(['a', 'b', 'c'], { minLength: 1 }).map((vs) => ({ matchLabels: {}, matchExpressions: [{ key: 'app', operator: 'In' as const, values: vs }] })),
  fc.constant({ matchLabels: {}, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' as const, values: [] }] }),
  fc.constant({ matchLabels: {}, matchExpressions: [{ key: 'team', operator: 'NotIn' as const, values: ['red'] }] }),
)

const ipBlockArb = fc.constantFrom(
  { cidr: '10.0.0.0/24', except: [] },
  { cidr: '10.0.0.0/24', except: ['10.0.0.0/29', '10.0.0.16/28'] },
  { cidr: '10.0.0.128/25', except: [] },
  { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] },
  { cidr: '192.168.0.0/24', except: [] },
  { cidr: 'fd00::/64', except: ['fd00::/125'] },
  { cidr: '::/0', except: [] },
  { cidr: '203.0.113.0/24', except: [] },
)

const peerArb: fc.Arbitrary<NetworkPolicyPeer> = fc.oneof(
  selectorArb.map((podSelector) => ({ podSelector, source: src })),
  selectorArb.map((s) => ({ namespaceSelector: s.matchLabels.app ? { matchLabels: { team: s.matchLabels.app }, matchExpressions: [] } : s, source: src })),
  fc
    .tuple(selectorArb, fc.constantFrom('a', 'b'))
    .map(([podSelector, team]) => ({ podSelector, namespaceSelector: { matchLabels: { team }, matchExpressions: [] }, source: src })),
  ipBlockArb.map((ipBlock) => ({ ipBlock, source: src })),
)

const portArb: fc.Arbitrary<NetworkPolicyPort> = fc.oneof(
  fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP').map((protocol) => ({ protocol, source: src })),
  fc.constantFrom(80, 81, 53, 9000).chain((port) => fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP').map((protocol) => ({ protocol, port, source: src }))),
  fc.constant({ protocol: 'TCP' as Protocol, port: 81, endPort: 85, source: src }),
  fc.constant({ protocol: 'TCP' as Protocol, port: 8000, endPort: 8080, source: src }),
  fc
    .constantFrom('http', 'dns', 'sctp-svc')
    .chain((name) => fc.constantFrom<Protocol>('TCP', 'UDP', 'SCTP').map((protocol) => ({ protocol, port: name, source: src }))),
)

const ruleArb = fc.record({ peers: fc.array(peerArb, { maxLength: 2 }), ports: fc.array(portArb, { maxLength: 2 }) })

const policyArb = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  podSelector: selectorArb,
  types: fc.constantFrom(['Ingress'], ['Egress'], ['Ingress', 'Egress']),
  ingress: fc.array(ruleArb, { maxLength: 2 }),
  egress: fc.array(ruleArb, { maxLength: 2 }),
})

const CONTAINER_PORTS = [
  { name: 'http', containerPort: 80, protocol: 'TCP' as Protocol },
  { name: 'http', containerPort: 8080, protocol: 'TCP' as Protocol },
  { name: 'dns', containerPort: 53, protocol: 'UDP' as Protocol },
  { name: 'sctp-svc', containerPort: 9000, protocol: 'SCTP' as Protocol },
  { containerPort: 81, protocol: 'TCP' as Protocol },
]

const podArb = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  app: fc.constantFrom('a', 'b', 'c'),
  tier: fc.option(fc.constant('web'), { nil: undefined }),
  node: fc.constantFrom('n1', 'n2'),
  hostNetwork: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  ports: fc.subarray([0, 1, 2, 3, 4]),
  v6: fc.boolean(),
})

/** Generated clusters with this many pods and policies. */
const clusterOfArb = (pods: { minLength: number; maxLength: number }, policies: { minLength: number; maxLength: number }): fc.Arbitrary<ClusterState> =>
  fc
    .record({
      teams: fc.tuple(fc.constantFrom('a', 'b', 'red'), fc.constantFrom('a', 'b', 'red'), fc.constantFrom('a', 'b', 'red')),
      pods: fc.array(podArb, pods),
      policies: fc.array(policyArb, policies),
    })
    .map(({ teams, pods, policies }) => {
      const hostUsed = new Set<string>()
      const outPods: Pod[] = pods.map((p, i) => {
        // At most one hostNetwork pod per node: they share the node's address.
        const hostNetwork = p.hostNetwork && !hostUsed.has(p.node)
        if (hostNetwork) hostUsed.add(p.node)
        // Pods cycle through 10.0.0.0/24 so some fall in the excepts and some outside 10.0.0.128/25.
        const ip = hostNetwork ? (p.v6 ? NODE_IPS[p.node].v6 : NODE_IPS[p.node].v4) : p.v6 ? `fd00::${(i * 7 + 3).toString(16)}` : `10.0.0.${i * 37 + 3}`
        return {
          namespace: p.namespace,
          name: `p${i}`,
          labels: { app: p.app, ...(p.tier ? { tier: p.tier } : {}) },
          ips: [ip],
          containerPorts: p.ports.map((k) => CONTAINER_PORTS[k]),
          hostNetwork,
          nodeName: p.node,
          source: src,
        }
      })
      return {
        namespaces: NAMESPACES.map((name, i) => ({ name, labels: { team: teams[i], [NAMESPACE_NAME_LABEL]: name }, implicit: false })),
        pods: outPods,
        policies: policies.map((p, i) => ({
          namespace: p.namespace,
          name: `np${i}`,
          podSelector: p.podSelector,
          policyTypes: [...p.types],
          ingress: p.ingress.map((r) => ({ from: r.peers, ports: r.ports, source: src })),
          egress: p.egress.map((r) => ({ to: r.peers, ports: r.ports, source: src })),
          source: src,
        })),
      }
    })

export const clusterArb: fc.Arbitrary<ClusterState> = clusterOfArb({ minLength: 1, maxLength: 7 }, { maxLength: 5, minLength: 0 })

/**
 * Node objects for `nodes` peers, or none (unknown) half of the time: n1 and n2 with their
 * addresses (the hostNetwork pods' addresses, sometimes also an outside address of EXTERNAL_IPS),
 * labelled with the namespace label keys the generated `nodes` selectors use; n2 sometimes missing.
 */
const nodesArb: fc.Arbitrary<Node[] | undefined> = fc.option(
  fc
    .record({
      both: fc.boolean(),
      labels: fc.array(fc.dictionary(fc.constantFrom('team', 'env'), fc.constantFrom('a', 'b'), { maxKeys: 2 }), { minLength: 2, maxLength: 2 }),
      extra: fc.array(fc.option(fc.constantFrom(...EXTERNAL_IPS), { nil: undefined }), { minLength: 2, maxLength: 2 }),
    })
    .map(({ both, labels, extra }) =>
      (both ? ['n1', 'n2'] : ['n1']).map((name, i): Node => ({
        name,
        labels: labels[i]!,
        addresses: [NODE_IPS[name]!.v4, NODE_IPS[name]!.v6, ...(extra[i] === undefined ? [] : [extra[i]!])],
        source: src,
      })),
    ),
  { nil: undefined },
)

/**
 * Clusters of three or more pods and policies with two twins of every pod (same namespace, labels
 * and ports, their own addresses, one on each node): a selector peer then matches two or more pods, so its plain set keeps its
 * name while pods come and go and updates change its elements in place (ruleset-delta.ts).
 */
export const crowdedClusterArb: fc.Arbitrary<ClusterState> = clusterOfArb({ minLength: 3, maxLength: 7 }, { minLength: 3, maxLength: 6 }).map((state) => {
  const own = state.pods.filter((p) => !p.hostNetwork)
  const twins = [1, 2].flatMap((k) =>
    own.map((p, i): Pod => ({
      ...p,
      name: `${p.name}twin${k}`,
      ips: [p.ips[0].includes(':') ? `fd00::${k + 3}:${(i + 1).toString(16)}` : `10.0.${k + 3}.${i + 1}`],
      nodeName: k === 1 ? p.nodeName : p.nodeName === 'n1' ? 'n2' : 'n1',
    })),
  )
  return { ...state, pods: [...state.pods, ...twins] }
})

/** The clusters above with one to four ClusterNetworkPolicies of both tiers (the engine's generator of them), and sometimes Node objects. */
export const tieredClusterArb: fc.Arbitrary<ClusterState> = clusterArb.chain((state) =>
  fc
    .integer({ min: 1, max: 4 })
    .chain((n) => fc.tuple(nodesArb, ...Array.from({ length: n }, (_, i) => clusterPolicyArb(`cnp-${i}`))))
    .map(([nodes, ...clusterNetworkPolicies]): ClusterState => ({ ...state, clusterNetworkPolicies, ...(nodes === undefined ? {} : { nodes }) })),
)

const EVERYTHING = { matchLabels: {}, matchExpressions: [] }

/**
 * Clusters with big priority groups: 2 to 24 ClusterNetworkPolicies (the engine's generator),
 * three in four of one tier, at one priority and selecting every pod, so one pod meets groups of
 * up to 24 (the kernel's 16 levels refused the chain of gotos groups were compiled to until
 * 2026-12); some pods dual-stack (their second address of the other family), and sometimes Node
 * objects. NetworkPolicy ipBlock peers are left out: on a dual-stack pod they are the documented
 * difference between the engine and the data plane (docs/dataplane.md: an IPv4 ipBlock never
 * matches IPv6 traffic), not what these clusters are for.
 */
export const groupedClusterArb: fc.Arbitrary<ClusterState> = clusterArb.chain((state) =>
  fc
    .record({
      dual: fc.array(fc.boolean(), { minLength: state.pods.length, maxLength: state.pods.length }),
      nodes: nodesArb,
      policies: fc.tuple(fc.integer({ min: 2, max: 24 }), fc.constantFrom<'Admin' | 'Baseline'>('Admin', 'Baseline')).chain(([n, tier]) =>
        fc.tuple(
          ...Array.from({ length: n }, (_, i) =>
            fc
              .tuple(
                clusterPolicyArb(`cnp-${String(i).padStart(2, '0')}`),
                fc.integer({ min: 0, max: 3 }),
                fc.constantFrom(5, 5, 5, 0),
                fc.integer({ min: 0, max: 3 }),
              )
              .map(([p, own, priority, everything]) => ({
                ...p,
                spec: {
                  ...p.spec,
                  ...(own === 0 ? {} : { tier }),
                  priority,
                  ...(everything === 0 ? {} : { subject: { namespaces: EVERYTHING, source: src } }),
                },
              })),
          ),
        ),
      ),
    })
    .map(({ dual, nodes, policies }): ClusterState => ({
      ...state,
      policies: state.policies.map((p) => ({
        ...p,
        ingress: p.ingress.map((r) => ({ ...r, from: r.from.filter((peer) => peer.ipBlock === undefined) })),
        egress: p.egress.map((r) => ({ ...r, to: r.to.filter((peer) => peer.ipBlock === undefined) })),
      })),
      pods: state.pods.map((p, i) => {
        if (!dual[i]) return p
        const v6 = p.ips[0]!.includes(':')
        const other = p.hostNetwork ? NODE_IPS[p.nodeName!]![v6 ? 'v4' : 'v6'] : v6 ? `10.0.0.${i * 37 + 3}` : `fd00::${(i * 7 + 3).toString(16)}`
        return { ...p, ips: [...p.ips, other] }
      }),
      clusterNetworkPolicies: policies,
      ...(nodes === undefined ? {} : { nodes }),
    })),
)
