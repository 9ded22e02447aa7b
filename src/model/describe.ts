/**
 * @module The one text form of each concept netpol names in its output: the ends of a connection,
 * ports, peers and sides. explain, lint, diff, test, report, list, the matrix legends and the deny
 * log all print through these, so one thing reads the same everywhere. Selectors print with
 * `formatSelector` (label-selector.ts), addresses with `formatIp`/`formatCidr` (cidr.ts), places
 * with `formatSource` (diagnostic.ts), pods and workloads grouped with `groupLabel`
 * (analyze/group.ts).
 *
 * The text is raw: names and labels come from input, so renderers escape what people read
 * (printable.ts) and machine formats encode it.
 */
import { formatSelector, isEmptySelector } from './label-selector.js'
import { qualifiedName, type ContainerPort, type IPBlock, type NetworkPolicyPeer, type NetworkPolicyPort, type PolicyType, type Protocol } from './types.js'

/** Which side of a connection enforces: the egress of the source or the ingress of the destination. */
export type Side = 'ingress' | 'egress'

/** `Ingress` -> `ingress`: the side a policy type is enforced on. */
export function sideOf(direction: PolicyType): Side {
  return direction === 'Ingress' ? 'ingress' : 'egress'
}

/** One end of a connection as far as its name goes: a pod of the cluster, or an address. */
export type NamedEndpoint =
  { readonly kind: 'pod'; readonly pod: { readonly namespace: string; readonly name: string } } | { readonly kind: 'ip'; readonly ip: string }

/** `ns/pod` for a pod, the address for anything else. */
export function endpointName(e: NamedEndpoint): string {
  return e.kind === 'pod' ? qualifiedName(e.pod) : e.ip
}

/** A connection's destination port: `80/TCP`. */
export function formatPort(p: { readonly port: number; readonly protocol: Protocol }): string {
  return `${p.port}/${p.protocol}`
}

/** A container port: `http (8080/TCP)`, or `8080/TCP` when it has no name. */
export function formatContainerPort(c: ContainerPort): string {
  const port = formatPort({ port: c.containerPort, protocol: c.protocol })
  return c.name ? `${c.name} (${port})` : port
}

/**
 * A NetworkPolicyPort (or a ClusterNetworkPolicy protocol entry): `80/TCP`, `8000-8080/TCP`,
 * `http/TCP`; `every UDP port` when it names only a protocol (the words explain uses for a rule
 * without ports: `every port`).
 */
export function formatPolicyPort(pp: Pick<NetworkPolicyPort, 'protocol' | 'port' | 'endPort'>): string {
  if (pp.port === undefined) return `every ${pp.protocol} port`
  if (pp.endPort !== undefined) return `${pp.port}-${pp.endPort}/${pp.protocol}`
  return `${pp.port}/${pp.protocol}`
}

/** `ipBlock 10.0.0.0/8`, `ipBlock 0.0.0.0/0 except 169.254.169.254/32, 10.0.0.0/8`. */
export function formatIpBlock(block: IPBlock): string {
  return block.except.length === 0 ? `ipBlock ${block.cidr}` : `ipBlock ${block.cidr} except ${block.except.join(', ')}`
}

/**
 * A NetworkPolicyPeer in words: which pods in which namespaces, or which addresses.
 * `pods app=web in namespace prod` (a podSelector alone means the policy's namespace),
 * `all pods in namespaces team=a`, `all pods in every namespace` (an empty or absent selector
 * selects all; the empty one is not printed as a selector), `ipBlock 10.0.0.0/8 except 10.1.0.0/16`.
 */
export function describePeer(peer: NetworkPolicyPeer, policyNamespace: string): string {
  if (peer.ipBlock !== undefined) return formatIpBlock(peer.ipBlock)
  const pods = peer.podSelector === undefined || isEmptySelector(peer.podSelector) ? 'all pods' : `pods ${formatSelector(peer.podSelector)}`
  if (peer.namespaceSelector === undefined) return `${pods} in namespace ${policyNamespace}`
  const namespaces = isEmptySelector(peer.namespaceSelector) ? 'every namespace' : `namespaces ${formatSelector(peer.namespaceSelector)}`
  return `${pods} in ${namespaces}`
}

/**
 * A ClusterNetworkPolicy rule as the deny log, counters and data plane name it: its `name`, or
 * `ingress[2]` (the index form explain uses) when it has none.
 */
export function clusterRuleLabel(r: { readonly side: Side; readonly ruleIndex: number; readonly ruleName?: string }): string {
  return r.ruleName ?? `${r.side}[${r.ruleIndex}]`
}

/** `admin ClusterNetworkPolicy tenant-isolation rule deny-cross-tenant (priority 10)`. */
export function formatClusterRule(r: {
  readonly tier: 'Admin' | 'Baseline'
  readonly policy: string
  readonly priority: number
  readonly side: Side
  readonly ruleIndex: number
  readonly ruleName?: string
}): string {
  return `${r.tier === 'Admin' ? 'admin' : 'baseline'} ClusterNetworkPolicy ${r.policy} rule ${clusterRuleLabel(r)} (priority ${r.priority})`
}
