/**
 * @module The cluster state of the data plane benchmark: two real pods plus N policies that select OTHER pods.
 *
 * Every "other" pod sits on the same node (so its pod chains, dispatch-map entries, policy chains
 * and sets are all in the node's ruleset) but has no namespace of its own: only the ruleset's size
 * matters for them. Each other policy allows ingress from another other pod on 80/TCP and egress
 * to 10.0.0.0/8 minus a /24, so the ruleset holds real peer sets, port matches and except ranges.
 * `withClusterPolicies` adds ClusterNetworkPolicies of both tiers on top.
 */
import type { ClusterNetworkPolicy, ClusterNetworkPolicyProtocol } from '../src/model/cluster-network-policy-types.js'
import type { ClusterState, Namespace, NetworkPolicy, Pod } from '../src/model/types.js'

const src = { file: 'bench', line: 1 }
export const BENCH_NODE = 'bench-node'

function pod(namespace: string, name: string, labels: Record<string, string>, ip: string): Pod {
  return {
    namespace,
    name,
    labels,
    ips: [ip],
    containerPorts: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
    hostNetwork: false,
    nodeName: BENCH_NODE,
    source: src,
  }
}

function allowPolicy(namespace: string, name: string, target: string, from: string, exceptIndex: number): NetworkPolicy {
  return {
    namespace,
    name,
    podSelector: { matchLabels: { app: target }, matchExpressions: [] },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [{ podSelector: { matchLabels: { app: from }, matchExpressions: [] }, source: src }],
        ports: [{ protocol: 'TCP', port: 80, source: src }],
        source: src,
      },
    ],
    egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: [`10.9.${exceptIndex % 250}.0/24`] }, source: src }], ports: [], source: src }],
    source: src,
  }
}

/**
 * `others` policies selecting other pods; with `serverSelected` the server is also isolated by one
 * policy that allows the client on 80/TCP (so the measured connection walks the pod and policy chains).
 */
export function dataplaneBenchState(others: number, serverSelected: boolean, clientIp: string, serverIp: string): ClusterState {
  const pods: Pod[] = [pod('bench', 'client', { app: 'client' }, clientIp), pod('bench', 'server', { app: 'server' }, serverIp)]
  const policies: NetworkPolicy[] = serverSelected ? [allowPolicy('bench', 'server-allow-client', 'server', 'client', 0)] : []
  for (let i = 0; i < others; i++) {
    pods.push(pod('others', `other-${i}`, { app: `other-${i}` }, `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`))
    policies.push(allowPolicy('others', `other-${i}`, `other-${i}`, `other-${(i + 1) % others}`, i))
  }
  return { namespaces: [], pods, policies }
}

const ALL = { matchLabels: {}, matchExpressions: [] }
const labelsOf = (labels: Record<string, string>) => ({ matchLabels: labels, matchExpressions: [] })
const inNamespace = (name: string) => labelsOf({ 'kubernetes.io/metadata.name': name })
const tcpPort = (port: number): ClusterNetworkPolicyProtocol => ({ tcp: { destinationPort: { number: port } }, source: src })

function namespace(name: string): Namespace {
  return { name, labels: { 'kubernetes.io/metadata.name': name }, implicit: false, source: src }
}

/**
 * ClusterNetworkPolicy `i` of `count` (the first half Admin, the rest Baseline): it selects the
 * other pod `other-i`, denies ingress from the next other pod on 80/TCP, accepts it from a tenant
 * namespace, denies egress to a /24 and passes (Admin) or accepts (Baseline) egress to 10.0.0.0/8
 * on a port range, so the ruleset holds real tier chains, peer sets, interval sets and ports.
 */
function otherClusterPolicy(i: number, count: number, others: number): ClusterNetworkPolicy {
  const tier = i < count / 2 ? 'Admin' : 'Baseline'
  const rule = <T>(r: T) => ({ ...r, source: src })
  return {
    name: `other-${tier.toLowerCase()}-${i}`,
    spec: {
      tier,
      priority: (i * 10) % 1001,
      subject: { pods: { namespaceSelector: inNamespace('others'), podSelector: labelsOf({ app: `other-${i % Math.max(others, 1)}` }) }, source: src },
      ingress: [
        rule({
          name: 'deny-neighbour',
          action: 'Deny' as const,
          from: [{ pods: { namespaceSelector: ALL, podSelector: labelsOf({ app: `other-${(i + 1) % Math.max(others, 1)}` }) }, source: src }],
          protocols: [tcpPort(80)],
        }),
        rule({ name: 'accept-tenant', action: 'Accept' as const, from: [{ namespaces: labelsOf({ tenant: `t-${i}` }), source: src }], protocols: [] }),
      ],
      egress: [
        rule({ name: 'deny-range', action: 'Deny' as const, to: [{ networks: [`10.8.${i % 256}.0/24`], source: src }], protocols: [] }),
        rule({
          name: 'to-cluster',
          action: tier === 'Admin' ? ('Pass' as const) : ('Accept' as const),
          to: [{ networks: ['10.0.0.0/8'], source: src }],
          protocols: [{ tcp: { destinationPort: { range: { start: 1000, end: 2000 } } }, source: src }],
        }),
      ],
    },
    source: src,
  }
}

/**
 * `base` (dataplaneBenchState without the server policy) plus `count` ClusterNetworkPolicies
 * selecting other pods, both tiers; with `benchSelected` also an Admin and a Baseline policy
 * selecting the bench namespace, so the measured connection walks both tiers on both sides: the
 * Admin one passes bench-to-bench traffic, the Baseline one accepts client -> server:80/TCP and
 * denies the rest.
 */
export function withClusterPolicies(base: ClusterState, count: number, benchSelected: boolean): ClusterState {
  const others = base.pods.length - 2
  const cnps: ClusterNetworkPolicy[] = []
  for (let i = 0; i < count; i++) cnps.push(otherClusterPolicy(i, count, others))
  if (benchSelected) {
    const bench = { namespaces: inNamespace('bench'), source: src }
    cnps.push({
      name: 'bench-admin',
      spec: {
        tier: 'Admin',
        priority: 500,
        subject: bench,
        ingress: [{ name: 'pass-bench', action: 'Pass', from: [bench], protocols: [], source: src }],
        egress: [{ name: 'pass-bench', action: 'Pass', to: [bench], protocols: [], source: src }],
      },
      source: src,
    })
    const pods = (app: string) => ({ pods: { namespaceSelector: inNamespace('bench'), podSelector: labelsOf({ app }) }, source: src })
    cnps.push({
      name: 'bench-baseline',
      spec: {
        tier: 'Baseline',
        priority: 500,
        subject: bench,
        ingress: [
          { name: 'accept-client', action: 'Accept', from: [pods('client')], protocols: [tcpPort(80)], source: src },
          { name: 'deny-rest', action: 'Deny', from: [{ namespaces: ALL, source: src }], protocols: [], source: src },
        ],
        egress: [
          { name: 'accept-server', action: 'Accept', to: [pods('server')], protocols: [tcpPort(80)], source: src },
          { name: 'deny-rest', action: 'Deny', to: [{ networks: ['0.0.0.0/0', '::/0'], source: src }], protocols: [], source: src },
        ],
      },
      source: src,
    })
  }
  return { ...base, namespaces: [namespace('bench'), namespace('others')], clusterNetworkPolicies: cnps }
}
