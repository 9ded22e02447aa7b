/**
 * @module ClusterNetworkPolicies compiled onto the fast engine's identities: subjects and peers
 * become identity bit sets (through the same selector caches as NetworkPolicy), `networks` become
 * ipBlocks the identities split on, and every identity gets its tiers' policies in evaluation order.
 *
 * A peer matches an identity for certain (`certain`) or possibly (`maybe`: a domainNames peer may
 * match every identity, a nodes peer the hostNetwork ones); for an address outside the cluster
 * `ranges` (networks) decide, and `maybeExternal` says whether the peer may match it.
 */
import type { IpRange } from '../model/cidr.js'
import { parseIp, rangesContainIp } from '../model/cidr.js'
import type { LabelSelector, PolicyType, Protocol } from '../model/types.js'
import type { ClusterNetworkPolicy, ClusterNetworkPolicyEgressPeer, ClusterNetworkPolicyTier, NamespacedPod } from '../model/cluster-network-policy-types.js'
import { andInto, copySet, emptySet, fullSet, hasBit, not, orInto, andNotInto, setBit, type Bitset } from './bitset.js'
import { matchesSelector } from '../model/label-selector.js'
import { blockRanges, resolveNamespaceSelector, resolvePodSelector, type EngineIndex } from './engine-index.js'
import { ipBlockKey } from './ip-index.js'
import { clusterPolicyRef, clusterRules, compareClusterPolicies, protocolEntry, type ClusterRuleView, type RuleHit } from './cluster-policy.js'
import { namedPortKey } from './identity.js'
import type { ClusterPolicyRef, MaybeReason } from './verdict.js'

export interface CompiledClusterPeer {
  readonly certain: Bitset
  readonly maybe: Bitset
  readonly maybeReason?: MaybeReason
  /** networks: the ranges matching addresses outside the cluster. */
  readonly ranges?: readonly IpRange[]
  /** Whether the peer may match an address outside the cluster (domainNames, nodes). */
  readonly maybeExternal: boolean
}

export type CompiledClusterProtocol = { readonly protocol: Protocol; readonly lo: number; readonly hi: number } | { readonly named: string } | undefined

export interface CompiledClusterRule {
  readonly index: number
  readonly view: ClusterRuleView
  readonly peers: readonly CompiledClusterPeer[]
  /** Identities some peer matches for certain. */
  readonly certain: Bitset
  /** Identities some peer may match and none matches for certain. */
  readonly maybeOnly: Bitset
  readonly protocols: readonly CompiledClusterProtocol[]
  readonly hasNamed: boolean
}

export interface CompiledClusterPolicy {
  readonly policy: ClusterNetworkPolicy
  readonly ref: ClusterPolicyRef
  readonly tier: ClusterNetworkPolicyTier
  readonly selected: Bitset
  readonly ingressRules: readonly CompiledClusterRule[]
  readonly egressRules: readonly CompiledClusterRule[]
}

/** Per identity and direction, the policies of each tier selecting it, in evaluation order (equal lists shared). */
export interface TierLists {
  readonly policies: readonly CompiledClusterPolicy[]
  readonly adminIngressOf: readonly (readonly CompiledClusterPolicy[])[]
  readonly adminEgressOf: readonly (readonly CompiledClusterPolicy[])[]
  readonly baselineIngressOf: readonly (readonly CompiledClusterPolicy[])[]
  readonly baselineEgressOf: readonly (readonly CompiledClusterPolicy[])[]
}

function namespacedPodSet(index: EngineIndex, p: NamespacedPod): Bitset {
  const out = copySet(resolveNamespaceSelector(index, p.namespaceSelector))
  andInto(out, resolvePodSelector(index, p.podSelector))
  andInto(out, index.notHostNetwork)
  return out
}

function namespacesSet(index: EngineIndex, s: LabelSelector): Bitset {
  const out = copySet(resolveNamespaceSelector(index, s))
  andInto(out, index.notHostNetwork)
  return out
}

function compilePeer(index: EngineIndex, peer: ClusterNetworkPolicyEgressPeer): CompiledClusterPeer {
  const none = emptySet(index.size)
  if (peer.namespaces !== undefined) return { certain: namespacesSet(index, peer.namespaces), maybe: none, maybeExternal: false }
  if (peer.pods !== undefined) return { certain: namespacedPodSet(index, peer.pods), maybe: none, maybeExternal: false }
  if (peer.networks !== undefined) {
    const certain = emptySet(index.size)
    const ranges: IpRange[] = []
    for (const cidr of peer.networks) {
      const block = { cidr, except: [] }
      const id = index.blockIds.get(ipBlockKey(block))
      // Every network of the state is an indexed block (buildIndex adds clusterPolicyNeeds).
      if (id !== undefined) orInto(certain, index.blockSets[id]!)
      ranges.push(...blockRanges(index, block))
    }
    return { certain, maybe: none, ranges, maybeExternal: false }
  }
  if (peer.domainNames !== undefined) return { certain: none, maybe: fullSet(index.size), maybeReason: 'domainNames', maybeExternal: true }
  if (peer.nodes !== undefined) {
    const nodes = index.state.nodes
    if (nodes === undefined) return { certain: none, maybe: not(index.notHostNetwork, index.size), maybeReason: 'nodes', maybeExternal: true }
    // Node objects known: the same decisions as nodesPeerMatches (node-peer.ts), per identity and per address.
    const selected = nodes.filter((n) => matchesSelector(peer.nodes!, n.labels))
    const certain = emptySet(index.size)
    const maybe = emptySet(index.size)
    for (const idn of index.ids.identities) {
      if (!idn.hostNetwork) continue
      if (idn.hostNode === '' || idn.hostNode === undefined) {
        if (selected.length > 0) setBit(maybe, idn.id)
      } else if (selected.some((n) => n.name === idn.hostNode)) setBit(certain, idn.id)
    }
    const ranges: IpRange[] = []
    for (const n of selected) {
      for (const a of n.addresses) {
        const ip = parseIp(a)
        if (ip !== undefined) ranges.push({ family: ip.family, start: ip.value, end: ip.value })
      }
    }
    return { certain, maybe, maybeReason: 'nodes', ranges, maybeExternal: false }
  }
  return { certain: none, maybe: none, maybeExternal: false }
}

function compileRule(index: EngineIndex, view: ClusterRuleView, i: number): CompiledClusterRule {
  const peers = view.peers.map((p) => compilePeer(index, p))
  const certain = emptySet(index.size)
  const maybeOnly = emptySet(index.size)
  for (const p of peers) {
    orInto(certain, p.certain)
    orInto(maybeOnly, p.maybe)
  }
  andNotInto(maybeOnly, certain)
  const protocols = view.protocols.map((p) => protocolEntry(p))
  return { index: i, view, peers, certain, maybeOnly, protocols, hasNamed: protocols.some((p) => p !== undefined && 'named' in p) }
}

export function compileClusterPolicy(index: EngineIndex, policy: ClusterNetworkPolicy): CompiledClusterPolicy {
  const s = policy.spec.subject
  const selected =
    s.namespaces !== undefined ? namespacesSet(index, s.namespaces) : s.pods !== undefined ? namespacedPodSet(index, s.pods) : emptySet(index.size)
  return {
    policy,
    ref: clusterPolicyRef(policy),
    tier: policy.spec.tier,
    selected,
    ingressRules: clusterRules(policy, 'Ingress').map((v, i) => compileRule(index, v, i)),
    egressRules: clusterRules(policy, 'Egress').map((v, i) => compileRule(index, v, i)),
  }
}

function listsOf(
  index: EngineIndex,
  compiled: readonly CompiledClusterPolicy[],
  tier: ClusterNetworkPolicyTier,
  direction: PolicyType,
): CompiledClusterPolicy[][] {
  const out: CompiledClusterPolicy[][] = []
  for (let i = 0; i < index.size; i++) out.push([])
  for (const cp of compiled) {
    if (cp.tier !== tier) continue
    if ((direction === 'Ingress' ? cp.ingressRules : cp.egressRules).length === 0) continue
    for (let id = 0; id < index.size; id++) if (hasBit(cp.selected, id)) out[id]!.push(cp)
  }
  const seen = new Map<string, CompiledClusterPolicy[]>()
  const ids = new Map<CompiledClusterPolicy, number>(compiled.map((c, i) => [c, i]))
  return out.map((l) => {
    const key = l.map((c) => ids.get(c)).join(',')
    const hit = seen.get(key)
    if (hit !== undefined) return hit
    seen.set(key, l)
    return l
  })
}

export function compileTiers(index: EngineIndex, policies: readonly ClusterNetworkPolicy[]): TierLists {
  const compiled = policies.map((p) => compileClusterPolicy(index, p)).sort((a, b) => compareClusterPolicies(a.policy, b.policy))
  return {
    policies: compiled,
    adminIngressOf: listsOf(index, compiled, 'Admin', 'Ingress'),
    adminEgressOf: listsOf(index, compiled, 'Admin', 'Egress'),
    baselineIngressOf: listsOf(index, compiled, 'Baseline', 'Ingress'),
    baselineEgressOf: listsOf(index, compiled, 'Baseline', 'Egress'),
  }
}

/**
 * The same answer as `clusterRuleHit` through the index: `other` is the other end's identity (-1
 * for an address outside the cluster, then `ip` decides), `dest` the destination's identity (-1
 * outside), `namedPorts` the destination identity's named ports.
 */
export function compiledRuleHit(
  rule: CompiledClusterRule,
  other: number,
  ip: string | undefined,
  port: number,
  protocol: Protocol,
  destNamedPorts: ReadonlyMap<string, readonly number[]> | undefined,
): RuleHit | undefined {
  let peerIndex = -1
  let maybe: MaybeReason | undefined
  for (let i = 0; i < rule.peers.length; i++) {
    const p = rule.peers[i]!
    let certain: boolean
    let possible: boolean
    if (other >= 0) {
      certain = hasBit(p.certain, other)
      possible = hasBit(p.maybe, other)
    } else {
      const parsed = ip === undefined ? undefined : parseIp(ip)
      certain = p.ranges !== undefined && parsed !== undefined && rangesContainIp(p.ranges, parsed)
      possible = p.maybeExternal
    }
    if (certain) {
      peerIndex = i
      maybe = undefined
      break
    }
    if (possible && peerIndex < 0) {
      peerIndex = i
      maybe = p.maybeReason
    }
  }
  if (peerIndex < 0) return undefined
  let protocolIndex: number | undefined
  if (rule.protocols.length > 0) {
    const i = rule.protocols.findIndex((e) => {
      if (e === undefined) return false
      if ('named' in e) return destNamedPorts?.get(namedPortKey(e.named, protocol))?.includes(port) === true
      return e.protocol === protocol && port >= e.lo && port <= e.hi
    })
    if (i < 0) return undefined
    protocolIndex = i
  }
  return { peerIndex, ...(protocolIndex === undefined ? {} : { protocolIndex }), ...(maybe === undefined ? {} : { maybe }) }
}
