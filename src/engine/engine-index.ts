/**
 * @module The fast engine's index: identities, every selector resolved once to an identity set,
 * and policies compiled to bit sets.
 *
 * Resolution uses an inverted index over identity labels (key=value -> identities), so a selector
 * costs a few word-wise operations on bit sets instead of a match per pod. Caches are keyed by the
 * selector's canonical text and shared by later engine versions (incremental updates), which is
 * safe because identities never change within one index.
 */
import { ipBlockRanges, type IpRange } from '../model/cidr.js'
import type { ClusterState, IPBlock, LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod, Protocol, SourceRef } from '../model/types.js'
import { policyRef, type PolicyRef } from './verdict.js'
import { andInto, andNotInto, copySet, emptySet, fullSet, orInto, setBit, setRange, type Bitset } from './bitset.js'
import { groupPods, namedPortKey, type IdentityIndex } from './identity.js'
import { buildIpBlockIndex, ipBlockKey, type IpBlockIndex } from './ip-index.js'
import { ipBlockMatches, namespaceLabelsOf, type NamespaceLabels } from './peer.js'
import { formatSelector, matchesSelector, selectorKeys } from '../model/label-selector.js'
import { comparePolicies } from './isolation.js'
import { clusterPolicyNeeds } from './cluster-policy.js'

/** One NetworkPolicyPort, ready to test: a numeric range (absent port = whole range) or a name. */
export type CompiledPort =
  | { readonly protocol: Protocol; readonly kind: 'range'; readonly lo: number; readonly hi: number }
  | { readonly protocol: Protocol; readonly kind: 'named'; readonly key: string }

export interface CompiledRule {
  readonly index: number
  readonly source: SourceRef
  readonly peers: readonly NetworkPolicyPeer[]
  readonly ports: readonly NetworkPolicyPort[]
  /** Per peer: the identities it matches. */
  readonly peerSets: readonly Bitset[]
  /** Per peer: its ipBlock's ranges (to match external addresses), or undefined for selector peers. */
  readonly peerRanges: readonly (readonly IpRange[] | undefined)[]
  /** Identities matched by any peer (every identity when the rule has no peers). */
  readonly union: Bitset
  readonly compiledPorts: readonly CompiledPort[]
}

export interface CompiledPolicy {
  readonly policy: NetworkPolicy
  readonly ref: PolicyRef
  /** Identities the policy selects (its namespace, its podSelector, never hostNetwork). */
  readonly selected: Bitset
  readonly ingress: boolean
  readonly egress: boolean
  readonly ingressRules: readonly CompiledRule[]
  readonly egressRules: readonly CompiledRule[]
}

export interface EngineIndex {
  readonly state: ClusterState
  readonly nsLabels: NamespaceLabels
  readonly ids: IdentityIndex
  /** Number of identities. */
  readonly size: number
  readonly all: Bitset
  readonly notHostNetwork: Bitset
  /** Pod object -> state.pods index. */
  readonly podIndex: ReadonlyMap<Pod, number>
  /** Pod label keys identities keep (see `projectedKeys`). */
  readonly podLabelKeys: ReadonlySet<string>
  /** Keys some pod has but identities drop: per-pod keys no selector uses (a policy using one needs a rebuild). */
  readonly droppedLabelKeys: ReadonlySet<string>
  /** `name/PROTOCOL` of every named container port of any pod (identities keep them all). */
  readonly namedPorts: ReadonlySet<string>
  readonly blockIds: ReadonlyMap<string, number>
  readonly blockIndex: IpBlockIndex
  /** Identities per ipBlock id. */
  readonly blockSets: readonly Bitset[]
  /** `name/PROTOCOL` -> port number -> identities whose named port resolves to it. */
  readonly namedIndex: ReadonlyMap<string, ReadonlyMap<number, Bitset>>
  /** Label key -> value -> identities; and key -> identities having it. */
  readonly postings: ReadonlyMap<string, ReadonlyMap<string, Bitset>>
  readonly keyPresent: ReadonlyMap<string, Bitset>
  readonly podSelectorCache: Map<string, Bitset>
  readonly namespaceSelectorCache: Map<string, Bitset>
  /** `key=value` -> namespaces with that label (filled on first use; see namespacePostings). */
  readonly namespacePostings: Map<string, string[]>
  readonly namespaceSetCache: Map<string, Bitset>
  readonly peerCache: Map<string, Bitset>
  readonly rangesCache: Map<string, readonly IpRange[]>
}

/** What a policy needs from an index: its pod label keys and ipBlocks. */
export function policyNeeds(policy: NetworkPolicy): { podLabelKeys: string[]; blocks: IPBlock[] } {
  const podLabelKeys = selectorKeys(policy.podSelector)
  const blocks: IPBlock[] = []
  const rules = [...policy.ingress.map((r) => ({ peers: r.from })), ...policy.egress.map((r) => ({ peers: r.to }))]
  for (const r of rules) {
    for (const p of r.peers) {
      if (p.podSelector !== undefined) podLabelKeys.push(...selectorKeys(p.podSelector))
      if (p.ipBlock !== undefined) blocks.push(p.ipBlock)
    }
  }
  return { podLabelKeys, blocks }
}

/**
 * True when `policy` can be compiled against `index` without regrouping pods: identities keep
 * every label key it selects on (keys no pod has are trivially kept) and every named port, and its
 * ipBlocks are indexed.
 */
export function indexCovers(index: EngineIndex, policy: NetworkPolicy): boolean {
  const needs = policyNeeds(policy)
  return needs.podLabelKeys.every((k) => !index.droppedLabelKeys.has(k)) && needs.blocks.every((b) => index.blockIds.has(ipBlockKey(b)))
}

/**
 * The pod label keys identities keep: every key a selector uses, and every other key except
 * per-pod ones (on two or more pods, a different value on each: statefulset pod names, pod
 * indexes), which would otherwise give every replica an identity of its own. Keeping the rest means
 * a new policy selecting on an ordinary label needs no regrouping.
 */
function projectedKeys(pods: readonly Pod[], referenced: ReadonlySet<string>): { keep: Set<string>; dropped: Set<string> } {
  const seen = new Map<string, { pods: number; values: Set<string> }>()
  for (const pod of pods) {
    for (const [k, v] of Object.entries(pod.labels)) {
      let s = seen.get(k)
      if (s === undefined) seen.set(k, (s = { pods: 0, values: new Set() }))
      s.pods++
      s.values.add(v)
    }
  }
  const keep = new Set(referenced)
  const dropped = new Set<string>()
  for (const [k, s] of seen) {
    if (referenced.has(k)) continue
    if (s.pods >= 2 && s.values.size === s.pods) dropped.add(k)
    else keep.add(k)
  }
  return { keep, dropped }
}

export function buildIndex(state: ClusterState): EngineIndex {
  const referencedKeys = new Set<string>()
  const namedPorts = new Set<string>()
  const blockIds = new Map<string, number>()
  const blocks: IPBlock[] = []
  for (const pod of state.pods) for (const cp of pod.containerPorts) if (cp.name !== undefined) namedPorts.add(namedPortKey(cp.name, cp.protocol))
  for (const needs of [...state.policies.map(policyNeeds), ...(state.clusterNetworkPolicies ?? []).map(clusterPolicyNeeds)]) {
    for (const k of needs.podLabelKeys) referencedKeys.add(k)
    for (const b of needs.blocks) {
      const key = ipBlockKey(b)
      if (!blockIds.has(key)) {
        blockIds.set(key, blocks.length)
        blocks.push(b)
      }
    }
  }
  const blockIndex = buildIpBlockIndex(blocks)
  const { keep: podLabelKeys, dropped: droppedLabelKeys } = projectedKeys(state.pods, referencedKeys)
  const ids = groupPods(state, { podLabelKeys, namedPorts, blockIndex })
  const size = ids.identities.length
  const all = fullSet(size)
  const notHostNetwork = fullSet(size)
  const blockSets = blocks.map(() => emptySet(size))
  const namedIndex = new Map<string, Map<number, Bitset>>()
  const postings = new Map<string, Map<string, Bitset>>()
  const keyPresent = new Map<string, Bitset>()
  for (const idn of ids.identities) {
    if (idn.hostNetwork) notHostNetwork[idn.id >>> 5]! &= ~(1 << (idn.id & 31))
    for (const b of idn.blocks) setBit(blockSets[b]!, idn.id)
    for (const [k, nums] of idn.namedPorts) {
      let byNum = namedIndex.get(k)
      if (byNum === undefined) namedIndex.set(k, (byNum = new Map()))
      for (const n of nums) {
        let s = byNum.get(n)
        if (s === undefined) byNum.set(n, (s = emptySet(size)))
        setBit(s, idn.id)
      }
    }
    for (const [k, v] of Object.entries(idn.labels)) {
      let byValue = postings.get(k)
      if (byValue === undefined) postings.set(k, (byValue = new Map()))
      let s = byValue.get(v)
      if (s === undefined) byValue.set(v, (s = emptySet(size)))
      setBit(s, idn.id)
      let present = keyPresent.get(k)
      if (present === undefined) keyPresent.set(k, (present = emptySet(size)))
      setBit(present, idn.id)
    }
  }
  const podIndex = new Map<Pod, number>()
  state.pods.forEach((p, i) => podIndex.set(p, i))
  return {
    state,
    nsLabels: namespaceLabelsOf(state.namespaces),
    ids,
    size,
    all,
    notHostNetwork,
    podIndex,
    podLabelKeys,
    droppedLabelKeys,
    namedPorts,
    blockIds,
    blockIndex,
    blockSets,
    namedIndex,
    postings,
    keyPresent,
    podSelectorCache: new Map(),
    namespaceSelectorCache: new Map(),
    namespacePostings: new Map(),
    namespaceSetCache: new Map(),
    peerCache: new Map(),
    rangesCache: new Map(),
  }
}

/** Identities whose (projected) labels match the selector, in any namespace, hostNetwork included. */
export function resolvePodSelector(index: EngineIndex, selector: LabelSelector): Bitset {
  const key = formatSelector(selector)
  const cached = index.podSelectorCache.get(key)
  if (cached !== undefined) return cached
  const out = fullSet(index.size)
  const none = emptySet(index.size)
  for (const [k, v] of Object.entries(selector.matchLabels)) andInto(out, index.postings.get(k)?.get(v) ?? none)
  for (const req of selector.matchExpressions) {
    const byValue = index.postings.get(req.key)
    switch (req.operator) {
      case 'In':
      case 'NotIn': {
        const union = emptySet(index.size)
        for (const v of req.values) {
          const s = byValue?.get(v)
          if (s !== undefined) orInto(union, s)
        }
        if (req.operator === 'In') andInto(out, union)
        else andNotInto(out, union)
        break
      }
      case 'Exists':
        andInto(out, index.keyPresent.get(req.key) ?? none)
        break
      case 'DoesNotExist':
        andNotInto(out, index.keyPresent.get(req.key) ?? none)
        break
    }
  }
  index.podSelectorCache.set(key, out)
  return out
}

/** Every identity of one namespace. */
export function namespaceSet(index: EngineIndex, namespace: string): Bitset {
  const cached = index.namespaceSetCache.get(namespace)
  if (cached !== undefined) return cached
  const out = emptySet(index.size)
  const r = index.ids.namespaceRange.get(namespace)
  if (r !== undefined) setRange(out, r.lo, r.hi)
  index.namespaceSetCache.set(namespace, out)
  return out
}

/** Namespaces (that have identities) by label key=value, built on first use. */
function namespacePostings(index: EngineIndex): Map<string, string[]> {
  if (index.namespacePostings.size > 0 || index.ids.namespaceRange.size === 0) return index.namespacePostings
  for (const [ns, r] of index.ids.namespaceRange) {
    if (r.hi === r.lo) continue
    const labels = index.nsLabels(ns)
    for (const k of Object.keys(labels)) {
      const key = `${k}=${labels[k]}`
      const list = index.namespacePostings.get(key)
      if (list === undefined) index.namespacePostings.set(key, [ns])
      else list.push(ns)
    }
  }
  index.namespacePostings.set('', [])
  return index.namespacePostings
}

/** Every identity of the namespaces whose labels match. */
export function resolveNamespaceSelector(index: EngineIndex, selector: LabelSelector): Bitset {
  const key = formatSelector(selector)
  const cached = index.namespaceSelectorCache.get(key)
  if (cached !== undefined) return cached
  const out = emptySet(index.size)
  // With matchLabels, only namespaces carrying the rarest of its pairs can match.
  let candidates: Iterable<string> = index.ids.namespaceRange.keys()
  const pairs = Object.keys(selector.matchLabels)
  if (pairs.length > 0) {
    const postings = namespacePostings(index)
    let best: string[] | undefined
    for (const k of pairs) {
      const list = postings.get(`${k}=${selector.matchLabels[k]}`) ?? []
      if (best === undefined || list.length < best.length) best = list
    }
    candidates = best!
  }
  for (const ns of candidates) {
    const r = index.ids.namespaceRange.get(ns)!
    if (r.hi > r.lo && matchesSelector(selector, index.nsLabels(ns))) setRange(out, r.lo, r.hi)
  }
  index.namespaceSelectorCache.set(key, out)
  return out
}

function ipBlockSet(index: EngineIndex, block: IPBlock): Bitset {
  const id = index.blockIds.get(ipBlockKey(block))
  if (id !== undefined) return index.blockSets[id]!
  // A block the index has not seen (a peer asked about outside the state): identities do not
  // split on it, so test every pod; the set then holds identities with at least one such pod.
  const out = emptySet(index.size)
  const ranges = blockRanges(index, block)
  for (const idn of index.ids.identities) {
    for (const pi of idn.pods) {
      if (ipBlockMatches(block, index.state.pods[pi]!.ips, ranges)) {
        setBit(out, idn.id)
        break
      }
    }
  }
  return out
}

export function blockRanges(index: EngineIndex, block: IPBlock): readonly IpRange[] {
  const key = ipBlockKey(block)
  const cached = index.rangesCache.get(key)
  if (cached !== undefined) return cached
  const r = ipBlockRanges(block)
  index.rangesCache.set(key, r)
  return r
}

/** The identities a peer of `policy` matches (see peer.ts for the rules). */
export function resolvePeer(index: EngineIndex, policy: NetworkPolicy, peer: NetworkPolicyPeer): Bitset {
  if (peer.ipBlock !== undefined) return ipBlockSet(index, peer.ipBlock)
  const podKey = peer.podSelector === undefined ? '*' : formatSelector(peer.podSelector)
  const nsKey = peer.namespaceSelector === undefined ? `=${policy.namespace}` : formatSelector(peer.namespaceSelector)
  const key = `${podKey}\u0000${nsKey}`
  const cached = index.peerCache.get(key)
  if (cached !== undefined) return cached
  const out = copySet(peer.namespaceSelector === undefined ? namespaceSet(index, policy.namespace) : resolveNamespaceSelector(index, peer.namespaceSelector))
  if (peer.podSelector !== undefined) andInto(out, resolvePodSelector(index, peer.podSelector))
  andInto(out, index.notHostNetwork)
  index.peerCache.set(key, out)
  return out
}

function compilePort(pp: NetworkPolicyPort): CompiledPort {
  if (typeof pp.port === 'string') return { protocol: pp.protocol, kind: 'named', key: namedPortKey(pp.port, pp.protocol) }
  if (pp.port === undefined) return { protocol: pp.protocol, kind: 'range', lo: 0, hi: Number.MAX_SAFE_INTEGER }
  return { protocol: pp.protocol, kind: 'range', lo: pp.port, hi: pp.endPort ?? pp.port }
}

function compileRule(
  index: EngineIndex,
  policy: NetworkPolicy,
  i: number,
  peers: readonly NetworkPolicyPeer[],
  ports: readonly NetworkPolicyPort[],
  source: SourceRef,
): CompiledRule {
  const peerSets = peers.map((p) => resolvePeer(index, policy, p))
  const peerRanges = peers.map((p) => (p.ipBlock === undefined ? undefined : blockRanges(index, p.ipBlock)))
  let union: Bitset
  if (peers.length === 0) union = index.all
  else if (peerSets.length === 1) union = peerSets[0]!
  else {
    union = emptySet(index.size)
    for (const s of peerSets) orInto(union, s)
  }
  return { index: i, source, peers, ports, peerSets, peerRanges, union, compiledPorts: ports.map(compilePort) }
}

export function compilePolicy(index: EngineIndex, policy: NetworkPolicy): CompiledPolicy {
  const selected = copySet(namespaceSet(index, policy.namespace))
  andInto(selected, resolvePodSelector(index, policy.podSelector))
  andInto(selected, index.notHostNetwork)
  return {
    policy,
    ref: policyRef(policy),
    selected,
    ingress: policy.policyTypes.includes('Ingress'),
    egress: policy.policyTypes.includes('Egress'),
    ingressRules: policy.ingress.map((r, i) => compileRule(index, policy, i, r.from, r.ports, r.source)),
    egressRules: policy.egress.map((r, i) => compileRule(index, policy, i, r.to, r.ports, r.source)),
  }
}

/** Policies in the verdict's order: (namespace, name), stable for equal keys. */
export function sortCompiled(list: CompiledPolicy[]): CompiledPolicy[] {
  return list.sort((a, b) => comparePolicies(a.policy, b.policy))
}
