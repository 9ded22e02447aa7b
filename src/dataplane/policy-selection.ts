/**
 * @module Which pods a policy selects and which addresses/ports its rules admit, as the compiler needs them.
 *
 * The same semantics as the engine (src/engine): a policy selects non-hostNetwork pods of its own
 * namespace; pod/namespace selectors match non-hostNetwork pods only; an ipBlock matches addresses
 * (pod IPs included, hostNetwork pods' IPs included); named ports resolve against the destination
 * pod's container ports with the same protocol. Pure.
 */
import { matchesSelector } from '../model/label-selector.js'
import { ipBlockRanges, parseIp, type IpFamily, type IpRange } from '../model/cidr.js'
import {
  NAMESPACE_NAME_LABEL,
  type ClusterState,
  type LabelSelector,
  type Labels,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type Pod,
  type PolicyType,
  type Protocol,
} from '../model/types.js'

/** Namespace name -> labels; namespaces only referenced still carry the immutable name label. */
export function namespaceLabelIndex(state: ClusterState): (namespace: string) => Labels {
  const byName = new Map<string, Labels>()
  for (const ns of state.namespaces) byName.set(ns.name, ns.labels)
  return (namespace) => byName.get(namespace) ?? { [NAMESPACE_NAME_LABEL]: namespace }
}

export function policySelectsPod(policy: NetworkPolicy, pod: Pod): boolean {
  return !pod.hostNetwork && pod.namespace === policy.namespace && matchesSelector(policy.podSelector, pod.labels)
}

export function policyHasType(policy: NetworkPolicy, type: PolicyType): boolean {
  return policy.policyTypes.includes(type)
}

/** A pod/namespace-selector peer (not ipBlock) matching a pod. */
export function selectorPeerMatchesPod(
  policy: NetworkPolicy,
  peer: NetworkPolicyPeer,
  pod: Pod,
  nsLabels: (namespace: string) => Labels,
): boolean {
  if (pod.hostNetwork || peer.ipBlock) return false
  if (peer.namespaceSelector) {
    if (!matchesSelector(peer.namespaceSelector, nsLabels(pod.namespace))) return false
  } else if (pod.namespace !== policy.namespace) {
    return false
  }
  return peer.podSelector ? matchesSelector(peer.podSelector, pod.labels) : true
}

/** The parsed IPs of a pod, by family (invalid texts are ignored; validation reports them). */
export function podAddresses(pod: Pod): { family: IpFamily; value: bigint }[] {
  const out: { family: IpFamily; value: bigint }[] = []
  for (const text of pod.ips) {
    const ip = parseIp(text)
    if (ip) out.push(ip)
  }
  return out
}

/**
 * Pods grouped by namespace and by each `key=value` label, so a selector with matchLabels only
 * looks at the pods carrying one of its labels (the compiler stays near-linear at 5,000 policies).
 */
export class PodIndex {
  private readonly byNamespace = new Map<string, Pod[]>()
  private readonly byLabel = new Map<string, Pod[]>()
  constructor(readonly pods: readonly Pod[]) {
    for (const pod of pods) {
      push(this.byNamespace, pod.namespace, pod)
      for (const [k, v] of Object.entries(pod.labels)) push(this.byLabel, `${k}=${v}`, pod)
    }
  }
  /** A superset of the pods in `namespace` (all namespaces when undefined) that `selector` can match, in input order. */
  candidates(namespace: string | undefined, selector: LabelSelector | undefined): readonly Pod[] {
    let best: readonly Pod[] = namespace === undefined ? this.pods : (this.byNamespace.get(namespace) ?? [])
    for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) {
      const list = this.byLabel.get(`${k}=${v}`) ?? []
      if (list.length < best.length) best = list
    }
    return best
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/** Every address a rule's peers admit, as ranges (unmerged). */
export function peerRanges(
  policy: NetworkPolicy,
  peers: readonly NetworkPolicyPeer[],
  index: PodIndex,
  nsLabels: (namespace: string) => Labels,
): IpRange[] {
  const out: IpRange[] = []
  for (const peer of peers) {
    if (peer.ipBlock) {
      out.push(...ipBlockRanges(peer.ipBlock))
      continue
    }
    for (const pod of index.candidates(peer.namespaceSelector ? undefined : policy.namespace, peer.podSelector)) {
      if (!selectorPeerMatchesPod(policy, peer, pod, nsLabels)) continue
      for (const ip of podAddresses(pod)) out.push({ family: ip.family, start: ip.value, end: ip.value })
    }
  }
  return out
}

/** Sorts and merges overlapping or adjacent ranges of one family. */
export function mergeRanges(ranges: readonly IpRange[]): IpRange[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
  const out: IpRange[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && r.start <= last.end + 1n) {
      if (r.end > last.end) out[out.length - 1] = { family: last.family, start: last.start, end: r.end }
    } else {
      out.push(r)
    }
  }
  return out
}

/** One resolved named port: the destination pod address and the number the name means there. */
export interface NamedPortTarget {
  readonly family: IpFamily
  readonly address: bigint
  readonly protocol: Protocol
  readonly port: number
}

/** Every (pod IP, protocol, number) a named port resolves to, over every pod that declares it. */
export function resolveNamedPort(name: string, protocol: Protocol, pods: readonly Pod[]): NamedPortTarget[] {
  const out: NamedPortTarget[] = []
  for (const pod of pods) {
    for (const cp of pod.containerPorts) {
      if (cp.name !== name || cp.protocol !== protocol) continue
      for (const ip of podAddresses(pod)) out.push({ family: ip.family, address: ip.value, protocol, port: cp.containerPort })
    }
  }
  return out
}
