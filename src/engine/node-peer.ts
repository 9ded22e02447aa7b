/**
 * @module A ClusterNetworkPolicy `nodes` egress peer against the Node objects of the input.
 *
 * API (ClusterNetworkPolicyEgressPeer.nodes): "Nodes defines a way to select a set of nodes in the
 * cluster ... This field follows standard label selector semantics". The peer matches traffic to
 * the addresses of the selected nodes (netpol: the IPs of `status.addresses`).
 *
 * When the state has Node objects (`state.nodes`, all of the cluster's), netpol decides:
 * - an address outside the pods matches when it is an address of a selected node;
 * - a hostNetwork pod has its node's address: it matches when its node is selected. Its node is
 *   the Node named by `spec.nodeName`, else the Node one of the pod's IPs belongs to; when neither
 *   is known it *may* match (`nodes`) if some node is selected, and does not if none is;
 * - an ordinary pod never matches (it has its own address).
 * Without Node objects every address and hostNetwork pod *may* match (`nodes`): netpol says
 * `unknown` where that matters, never assumes.
 */
import { formatIp, parseIp } from '../model/cidr.js'
import { matchesSelector } from '../model/label-selector.js'
import type { LabelSelector, Node, Pod } from '../model/types.js'
import type { Endpoint, MaybeReason } from './verdict.js'

/** The known Node a hostNetwork pod runs on (its address is the node's), or undefined when unknown. */
export function hostNetworkPodNode(pod: Pod, nodes: readonly Node[]): Node | undefined {
  if (pod.nodeName !== undefined) {
    const named = nodes.find((n) => n.name === pod.nodeName)
    if (named !== undefined) return named
  }
  const ips = pod.ips.map(canonicalIp)
  return nodes.find((n) => n.addresses.some((a) => ips.includes(a)))
}

function canonicalIp(text: string): string {
  const ip = parseIp(text)
  return ip === undefined ? text : formatIp(ip)
}

/** Does an address belong to a node the selector selects? */
export function isSelectedNodeAddress(selector: LabelSelector, ip: string, nodes: readonly Node[]): boolean {
  const canonical = canonicalIp(ip)
  return nodes.some((n) => n.addresses.includes(canonical) && matchesSelector(selector, n.labels))
}

/** `yes`, `no`, or `nodes` (may match: the nodes, or the pod's node, are not known). */
export function nodesPeerMatches(selector: LabelSelector, e: Endpoint, nodes: readonly Node[] | undefined): 'yes' | 'no' | MaybeReason {
  if (e.kind === 'pod' && !e.pod.hostNetwork) return 'no'
  if (nodes === undefined) return 'nodes'
  if (e.kind === 'ip') return isSelectedNodeAddress(selector, e.ip, nodes) ? 'yes' : 'no'
  const node = hostNetworkPodNode(e.pod, nodes)
  if (node !== undefined) return matchesSelector(selector, node.labels) ? 'yes' : 'no'
  return nodes.some((n) => matchesSelector(selector, n.labels)) ? 'nodes' : 'no'
}
