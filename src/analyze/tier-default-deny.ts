/**
 * @module Which pods a ClusterNetworkPolicy tier closes by default: a Deny rule for every protocol
 * and port whose peers take in every pod (and, for egress, every address). NetworkPolicy lint
 * rules that warn about pods left open ask this before reporting them (docs/lint.md).
 */
import type { ClusterNetworkPolicy, ClusterNetworkPolicyEgressPeer } from '../model/cluster-network-policy-types.js'
import { isEmptySelector } from '../model/label-selector.js'
import { parseCidr } from '../model/cidr.js'
import type { PolicyType } from '../model/types.js'
import { clusterRules } from '../engine/cluster-policy.js'

/** A peer that matches every (non-hostNetwork) pod of the cluster. */
export function peerTakesEveryPod(peer: ClusterNetworkPolicyEgressPeer): boolean {
  if (peer.namespaces !== undefined) return isEmptySelector(peer.namespaces)
  if (peer.pods !== undefined) return isEmptySelector(peer.pods.namespaceSelector) && isEmptySelector(peer.pods.podSelector)
  return false
}

/** Networks that cover all of IPv4 and all of IPv6 (`0.0.0.0/0` and `::/0`, in one peer or several). */
function networksTakeEveryAddress(peers: readonly ClusterNetworkPolicyEgressPeer[]): boolean {
  let v4 = false
  let v6 = false
  for (const peer of peers) {
    for (const cidr of peer.networks ?? []) {
      const parsed = parseCidr(cidr)
      if (!parsed.ok || parsed.cidr.prefix !== 0) continue
      if (parsed.cidr.family === 4) v4 = true
      else v6 = true
    }
  }
  return v4 && v6
}

/**
 * The policy's first rule of `direction` that denies all of it: action Deny, no `protocols`, peers
 * taking in every pod (egress: and every address). Undefined when it has none.
 */
export function denyAllRule(policy: ClusterNetworkPolicy, direction: PolicyType): number | undefined {
  const rules = clusterRules(policy, direction)
  const i = rules.findIndex(
    (r) =>
      r.action === 'Deny' &&
      r.protocols.length === 0 &&
      r.peers.some(peerTakesEveryPod) &&
      (direction === 'Ingress' || networksTakeEveryAddress(r.peers as readonly ClusterNetworkPolicyEgressPeer[])),
  )
  return i < 0 ? undefined : i
}
