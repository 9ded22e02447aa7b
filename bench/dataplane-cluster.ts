/**
 * @module The cluster state of the data plane benchmark: two real pods plus N policies that select OTHER pods.
 *
 * Every "other" pod sits on the same node (so its pod chains, dispatch-map entries, policy chains
 * and sets are all in the node's ruleset) but has no namespace of its own: only the ruleset's size
 * matters for them. Each other policy allows ingress from another other pod on 80/TCP and egress
 * to 10.0.0.0/8 minus a /24, so the ruleset holds real peer sets, port matches and except ranges.
 */
import type { ClusterState, NetworkPolicy, Pod } from '../src/model/types.js'

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
