/**
 * @module The fast engine the CLI, lab, agent and benchmarks use.
 *
 * Exports (the stable API that analyze/, dataplane/, lab/, agent/ and the benchmarks build on):
 * - `createEngine(state): Engine` — builds the index once (identities, selectors resolved to
 *   identity bit sets, policies compiled); cost roughly linear in pods + policies.
 * - `Engine.evaluate(traffic): Verdict` — the same rich verdict as `referenceEvaluator` (deep-equal:
 *   same policies, order, matches, misses and detail text), found through the index.
 * - `Engine.isAllowed(traffic): boolean` — the decision only, no allocation of reasons;
 *   `Engine.egressAllowed(traffic)` the same for the source's side alone.
 * - `Engine.selectedPods(policy)`, `Engine.peerPods(policy, peer)` — pods a policy selects / a peer
 *   matches (ipBlock peers match pods by IP; hostNetwork pods only by ipBlock).
 * - `Engine.isolatingPolicies(pod, direction)` — the policies isolating one pod for a direction, in
 *   verdict order (none for a hostNetwork pod); the data plane compiles a pod's chain from them.
 * - `Engine.allPairs(port, protocol): AllPairsResult` — reachability of every ordered pod pair for
 *   one port, computed on identities (see all-pairs.ts): counts (`allowedPodPairs`,
 *   `totalPodPairs`, `allowedIdentityPairs`), O(1) `isAllowedIndex(fromPodIndex, toPodIndex)`
 *   (indexes into `state.pods`), `forEachPodPair`, `pairs()`, and identity-level rows.
 * - `Engine.externalAccess(ip, port, protocol)` / `Engine.externalAccessPorts(ip, ports)` — which
 *   identities may reach / be reached from an address outside the cluster, for one port or for a
 *   list of ports at once (a bit mask per identity; which rules take the address is asked once).
 * - `Engine.withPolicy(policy)` / `Engine.withoutPolicy(namespace, name)` — a new engine for the
 *   state with that policy added or replaced (same namespace/name) / removed, reusing the index
 *   (identities, selector caches) when the policy uses only label keys, port names and ipBlocks
 *   the index already knows; otherwise it rebuilds. `Engine.incremental` says which happened.
 * - `Engine.withState(next)` — an engine for another load of the same cluster whose
 *   NetworkPolicies differ (a policy review: `netpol diff`), reusing the index; else it rebuilds.
 * - `Engine.state`, `Engine.identities`, `Engine.identityOf(pod)`.
 *
 * Traffic whose pod endpoints are not the state's own Pod objects is answered by the reference
 * evaluator, so answers are always right, just slower.
 *
 * Cost model (I = identities, P = pods, N = policies, R = rules): build is O(P) to group pods plus
 * about (N + R) bit-set operations of I/32 words each (selectors are resolved through a label
 * inverted index, each distinct selector once); `allPairs` is O(I²/32) word operations (one
 * blocked transpose) plus, when counts are read, one visit per allowed identity pair;
 * `evaluate`/`isAllowed` touch only the policies selecting the two ends; a one-policy update
 * recompiles that policy and relists the identities it selects. Replicas of a workload share an
 * identity unless ipBlocks tell their addresses apart (then I approaches P).
 */
import { parseIp, rangesContainIp } from '../model/cidr.js'
import type { ClusterState, NetworkPolicy, NetworkPolicyPeer, Pod, PolicyType, Protocol } from '../model/types.js'
import {
  policyRef,
  type DirectionVerdict,
  type Endpoint,
  type Evaluator,
  type PolicyEvaluation,
  type RuleMatch,
  type RuleMiss,
  type Traffic,
  type Verdict,
} from './verdict.js'
import { computeAllPairs, numberLists, type AllPairsResult, type ListIds } from './all-pairs.js'
import { emptySet, forEachBit, hasBit, setBit, type Bitset } from './bitset.js'
import { ipBlockKey } from './ip-index.js'
import {
  blockRanges,
  buildIndex,
  compilePolicy,
  indexCovers,
  resolvePeer,
  sortCompiled,
  type CompiledPolicy,
  type CompiledRule,
  type EngineIndex,
} from './engine-index.js'
import type { Identity } from './identity.js'
import { comparePolicies, policyAppliesTo, policySelectsPod } from './isolation.js'
import { describePeerMiss, ipBlockMatches, peerMatches } from './peer.js'
import { selectorKeys } from '../model/label-selector.js'
import { sameMeaning } from '../model/same-meaning.js'
import { endpointName } from '../model/describe.js'
import { describePortMiss } from './port.js'
import { isFromLocalNode, isLoopback, joinSides, noRulesDetail, referenceEvaluator, unenforced, unenforcedWithTiers } from './reference.js'
import { compileTiers, compiledRuleHit, type CompiledClusterPolicy, type TierLists } from './cluster-policy-index.js'
import { clusterPolicySelectsPod, evaluateTier, sideOutcome } from './cluster-policy.js'
import type { ClusterNetworkPolicy } from '../model/cluster-network-policy-types.js'

export type { AllPairsResult } from './all-pairs.js'

export interface Engine extends Evaluator {
  readonly state: ClusterState
  /** Pods grouped by identity (see identity.ts). */
  readonly identities: readonly Identity[]
  /** True when this engine was derived from another without rebuilding its index. */
  readonly incremental: boolean
  identityOf(pod: Pod): Identity | undefined
  /** `evaluate(t).egress.allowed` (the source's side alone), without building the verdict's reasons. */
  egressAllowed(t: Traffic): boolean
  selectedPods(policy: NetworkPolicy): readonly Pod[]
  peerPods(policy: NetworkPolicy, peer: NetworkPolicyPeer): readonly Pod[]
  /**
   * The policies that select `pod` and have `direction` in their policyTypes, in verdict order
   * (namespace, name): the pod is isolated for that direction when there is any. None for a
   * hostNetwork pod (policies are not enforced there).
   */
  isolatingPolicies(pod: Pod, direction: PolicyType): readonly NetworkPolicy[]
  allPairs(port: number, protocol: Protocol): AllPairsResult
  /**
   * For an address outside the cluster (an IP no pod of the state has): the identities whose pods
   * may open a new connection to it (`egress`) and those that accept one from it (`ingress`) on
   * this port. The same answers as `isAllowed` with an `ip` endpoint, for every identity at once.
   */
  externalAccess(ip: string, port: number, protocol: Protocol): ExternalAccess
  /**
   * The same answers for several ports at once (one pass over the policies: which rules take the
   * address does not depend on the port).
   */
  externalAccessPorts(ip: string, ports: readonly PortQuery[]): ExternalAccessPorts
  withPolicy(policy: NetworkPolicy): Engine
  withoutPolicy(namespace: string, name: string): Engine
  /**
   * An engine for `next`. When `next` differs from this engine's state only in its NetworkPolicies
   * (namespaces, pods and nodes of the same meaning, in the same order, as from a second load of
   * the same manifests; no ClusterNetworkPolicies on either side), the index is reused: policies
   * of the same meaning keep their compiled sets (bound to `next`'s objects and file:line) and only
   * the others are compiled. Otherwise, or when a new policy needs what the index dropped, a
   * fresh `createEngine(next)`. Either way it answers exactly as `createEngine(next)` would.
   */
  withState(next: ClusterState): Engine
  /** Pods a ClusterNetworkPolicy's subject selects (never hostNetwork ones). */
  clusterSelectedPods(policy: ClusterNetworkPolicy): readonly Pod[]
}

/** A port of a list of ports asked together. */
export interface PortQuery {
  readonly port: number
  readonly protocol: Protocol
}

/**
 * `externalAccess` for several ports at once: per identity `s`, words `s * words ..` hold one bit
 * per port of the list (bit `d` of word `d >>> 5`).
 */
export interface ExternalAccessPorts {
  readonly words: number
  readonly egress: Uint32Array
  readonly ingress: Uint32Array
}

export interface ExternalAccess {
  readonly egress: Bitset
  readonly ingress: Bitset
}

/** The other end of a side, for peer matching: its identity, or -1 for an address outside the cluster. */
interface Other {
  readonly identity: number
  readonly endpoint: Endpoint
}

export function createEngine(state: ClusterState): Engine {
  const index = buildIndex(state)
  const compiled = sortCompiled(state.policies.map((p) => compilePolicy(index, p)))
  const cnps = state.clusterNetworkPolicies ?? []
  return assemble(index, compiled, false, undefined, cnps.length > 0 ? compileTiers(index, cnps) : undefined)
}

function policyLists(index: EngineIndex, compiled: readonly CompiledPolicy[]): { ingressOf: CompiledPolicy[][]; egressOf: CompiledPolicy[][] } {
  const ingressOf: CompiledPolicy[][] = []
  const egressOf: CompiledPolicy[][] = []
  for (let i = 0; i < index.size; i++) {
    ingressOf.push([])
    egressOf.push([])
  }
  // `compiled` is in verdict order, so every list comes out sorted.
  for (const cp of compiled) {
    forEachBit(cp.selected, (id) => {
      if (cp.ingress) ingressOf[id]!.push(cp)
      if (cp.egress) egressOf[id]!.push(cp)
    })
  }
  return { ingressOf: shareEqualLists(ingressOf), egressOf: shareEqualLists(egressOf) }
}

/** Identities selected by the same policies share one list object (all-pairs caches by list). */
function shareEqualLists(lists: CompiledPolicy[][]): CompiledPolicy[][] {
  const seen = new Map<string, CompiledPolicy[]>()
  const ids = new Map<CompiledPolicy, number>()
  return lists.map((l) => {
    if (l.length === 0) return l
    const key = l
      .map((p) => {
        let id = ids.get(p)
        if (id === undefined) ids.set(p, (id = ids.size))
        return id
      })
      .join(',')
    const existing = seen.get(key)
    if (existing !== undefined) return existing
    seen.set(key, l)
    return l
  })
}

function assemble(
  index: EngineIndex,
  compiled: readonly CompiledPolicy[],
  incremental: boolean,
  lists: { ingressOf: CompiledPolicy[][]; egressOf: CompiledPolicy[][] } = policyLists(index, compiled),
  tiers?: TierLists,
): Engine {
  const { ingressOf, egressOf } = lists
  const state = index.state
  let fallback: Evaluator | undefined
  const reference = (): Evaluator => (fallback ??= referenceEvaluator(state))

  // Only the state's own pod objects are indexed; any other object (even with the same name) may
  // differ in labels or ports, so it goes to the reference.
  const podIndexOf = (pod: Pod): number | undefined => index.podIndex.get(pod)
  /** Identity of an endpoint: -1 for an IP, undefined for a pod the state does not hold. */
  const identityOfEndpoint = (e: Endpoint): number | undefined => {
    if (e.kind === 'ip') return -1
    const i = podIndexOf(e.pod)
    return i === undefined ? undefined : index.ids.podIdentity[i]!
  }

  const peerMatchAt = (rule: CompiledRule, i: number, other: Other): boolean => {
    if (other.identity >= 0) return hasBit(rule.peerSets[i]!, other.identity)
    const ranges = rule.peerRanges[i]
    if (ranges === undefined || other.endpoint.kind !== 'ip') return false
    const ip = parseIp(other.endpoint.ip)
    return ip !== undefined && rangesContainIp(ranges, ip)
  }
  const firstPeer = (rule: CompiledRule, other: Other): number => {
    for (let i = 0; i < rule.peerSets.length; i++) if (peerMatchAt(rule, i, other)) return i
    return -1
  }
  const firstPort = (rule: CompiledRule, port: number, protocol: Protocol, dest: number): number => {
    for (let i = 0; i < rule.compiledPorts.length; i++) {
      const cp = rule.compiledPorts[i]!
      if (cp.protocol !== protocol) continue
      if (cp.kind === 'range') {
        if (port >= cp.lo && port <= cp.hi) return i
      } else if (dest >= 0 && index.ids.identities[dest]!.namedPorts.get(cp.key)?.includes(port) === true) {
        return i
      }
    }
    return -1
  }
  const ruleAllows = (rule: CompiledRule, other: Other, t: Traffic, dest: number): boolean =>
    (rule.peers.length === 0 || firstPeer(rule, other) >= 0) && (rule.ports.length === 0 || firstPort(rule, t.port, t.protocol, dest) >= 0)

  const sideAllows = (list: readonly CompiledPolicy[], direction: PolicyType, other: Other, t: Traffic, dest: number): boolean => {
    if (list.length === 0) return true
    for (const cp of list) {
      const rules = direction === 'Ingress' ? cp.ingressRules : cp.egressRules
      for (const r of rules) if (ruleAllows(r, other, t, dest)) return true
    }
    return false
  }

  const evaluatePolicy = (cp: CompiledPolicy, direction: PolicyType, other: Other, t: Traffic, dest: number): PolicyEvaluation => {
    const rules = direction === 'Ingress' ? cp.ingressRules : cp.egressRules
    const allowedBy: RuleMatch[] = []
    const misses: RuleMiss[] = []
    const ref = cp.ref
    if (rules.length === 0)
      misses.push({ policy: ref, direction, ruleIndex: -1, reason: 'no-rules', detail: noRulesDetail(direction), source: cp.policy.source })
    for (const rule of rules) {
      let peerIndex: number | undefined
      if (rule.peers.length > 0) {
        const i = firstPeer(rule, other)
        if (i < 0) {
          misses.push({
            policy: ref,
            direction,
            ruleIndex: rule.index,
            reason: 'peer',
            detail: describePeerMiss(cp.policy, rule.peers, other.endpoint, index.nsLabels),
            source: rule.source,
          })
          continue
        }
        peerIndex = i
      }
      let portIndex: number | undefined
      if (rule.ports.length > 0) {
        const i = firstPort(rule, t.port, t.protocol, dest)
        if (i < 0) {
          const destination = t.to.kind === 'pod' ? t.to.pod : undefined
          const why = describePortMiss(rule.ports, t.port, t.protocol, destination, endpointName(t.to))
          misses.push({ policy: ref, direction, ruleIndex: rule.index, reason: why.reason, detail: why.detail, source: rule.source })
          continue
        }
        portIndex = i
      }
      allowedBy.push({
        policy: ref,
        direction,
        ruleIndex: rule.index,
        ...(peerIndex === undefined ? {} : { peerIndex }),
        ...(portIndex === undefined ? {} : { portIndex }),
        source: rule.source,
      })
    }
    return { policy: ref, allowedBy, misses }
  }

  const tier = (tierName: 'Admin' | 'Baseline', list: readonly CompiledClusterPolicy[], direction: PolicyType, other: Other, t: Traffic, dest: number) => {
    const named = dest >= 0 ? index.ids.identities[dest]!.namedPorts : undefined
    const ip = other.endpoint.kind === 'ip' ? other.endpoint.ip : undefined
    const views = list.map((cp) => ({ ref: cp.ref, rules: (direction === 'Ingress' ? cp.ingressRules : cp.egressRules).map((r) => r.view) }))
    return evaluateTier(tierName, views, direction, (pi, ri) => {
      const cp = list[pi]!
      return compiledRuleHit((direction === 'Ingress' ? cp.ingressRules : cp.egressRules)[ri]!, other.identity, ip, t.port, t.protocol, named)
    })
  }

  const side = (direction: PolicyType, subject: Endpoint, subjectId: number, other: Other, t: Traffic, dest: number): DirectionVerdict => {
    if (subject.kind !== 'pod' || subject.pod.hostNetwork) return tiers === undefined ? unenforced(direction) : unenforcedWithTiers(direction)
    const list = direction === 'Ingress' ? ingressOf[subjectId]! : egressOf[subjectId]!
    const policies = list.map((cp) => evaluatePolicy(cp, direction, other, t, dest))
    const isolated = policies.length > 0
    const npAllowed = !isolated || policies.some((e) => e.allowedBy.length > 0)
    if (tiers === undefined) return { direction, enforced: true, isolated, policies, allowed: npAllowed }
    const admin = direction === 'Ingress' ? tiers.adminIngressOf[subjectId]! : tiers.adminEgressOf[subjectId]!
    const baseline = direction === 'Ingress' ? tiers.baselineIngressOf[subjectId]! : tiers.baselineEgressOf[subjectId]!
    const result = sideOutcome(tier('Admin', admin, direction, other, t, dest), isolated, npAllowed, () =>
      tier('Baseline', baseline, direction, other, t, dest),
    )
    return { direction, enforced: true, isolated, policies, allowed: result.outcome === 'allowed', tiers: result }
  }

  const evaluate = (t: Traffic): Verdict => {
    const from = identityOfEndpoint(t.from)
    const to = identityOfEndpoint(t.to)
    if (from === undefined || to === undefined) return reference().evaluate(t)
    const egress = side('Egress', t.from, from, { identity: to, endpoint: t.to }, t, to)
    const ingress = side('Ingress', t.to, to, { identity: from, endpoint: t.from }, t, to)
    return joinSides(t, egress, ingress)
  }

  const isAllowed = (t: Traffic): boolean => {
    if (tiers !== undefined) return evaluate(t).allowed
    if (isLoopback(t) || isFromLocalNode(t)) return true
    const from = identityOfEndpoint(t.from)
    const to = identityOfEndpoint(t.to)
    if (from === undefined || to === undefined) return reference().isAllowed(t)
    if (t.from.kind === 'pod' && !t.from.pod.hostNetwork) {
      if (!sideAllows(egressOf[from]!, 'Egress', { identity: to, endpoint: t.to }, t, to)) return false
    }
    if (t.to.kind === 'pod' && !t.to.pod.hostNetwork) {
      if (!sideAllows(ingressOf[to]!, 'Ingress', { identity: from, endpoint: t.from }, t, to)) return false
    }
    return true
  }

  const egressAllowed = (t: Traffic): boolean => {
    if (tiers !== undefined) return evaluate(t).egress.allowed
    const from = identityOfEndpoint(t.from)
    const to = identityOfEndpoint(t.to)
    if (from === undefined || to === undefined) return reference().evaluate(t).egress.allowed
    // Not enforced for a hostNetwork pod or an address (see `side`).
    if (t.from.kind !== 'pod' || t.from.pod.hostNetwork) return true
    return sideAllows(egressOf[from]!, 'Egress', { identity: to, endpoint: t.to }, t, to)
  }

  const podsOf = (set: Bitset): Pod[] => {
    const out: number[] = []
    forEachBit(set, (id) => out.push(...index.ids.identities[id]!.pods))
    return out.sort((a, b) => a - b).map((i) => state.pods[i]!)
  }
  const findCompiled = (policy: NetworkPolicy): CompiledPolicy | undefined => compiled.find((c) => c.policy === policy)

  // Policies and peers the index does not cover (label keys it projected away) are answered literally.
  const selectedPods = (policy: NetworkPolicy): readonly Pod[] => {
    const cp = findCompiled(policy) ?? (indexCovers(index, policy) ? compilePolicy(index, policy) : undefined)
    if (cp !== undefined) return podsOf(cp.selected)
    return state.pods.filter((p) => policyAppliesTo(policy, p))
  }
  const peerPods = (policy: NetworkPolicy, peer: NetworkPolicyPeer): readonly Pod[] => {
    if (peer.ipBlock !== undefined) {
      const block = peer.ipBlock
      // Identities split on every ipBlock of the state, so a known block is one bit set.
      const id = index.blockIds.get(ipBlockKey(block))
      if (id !== undefined) return podsOf(index.blockSets[id]!)
      const ranges = blockRanges(index, block)
      return state.pods.filter((p) => ipBlockMatches(block, p.ips, ranges))
    }
    if (peer.podSelector !== undefined && selectorKeys(peer.podSelector).some((k) => index.droppedLabelKeys.has(k))) {
      return state.pods.filter((p) => peerMatches(policy, peer, { kind: 'pod', pod: p }, index.nsLabels))
    }
    return podsOf(resolvePeer(index, policy, peer))
  }

  const isolatingPolicies = (pod: Pod, direction: PolicyType): readonly NetworkPolicy[] => {
    const i = podIndexOf(pod)
    if (i === undefined) return state.policies.filter((p) => policySelectsPod(p, pod, direction)).sort(comparePolicies)
    const id = index.ids.podIdentity[i]!
    return (direction === 'Ingress' ? ingressOf : egressOf)[id]!.map((cp) => cp.policy)
  }

  const allPairsCache = new Map<string, AllPairsResult>()
  const allPairs = (port: number, protocol: Protocol): AllPairsResult => {
    const key = `${port}/${protocol}`
    let r = allPairsCache.get(key)
    if (r === undefined) {
      r = computeAllPairs(index, distinctLists(), port, protocol, tiers)
      allPairsCache.set(key, r)
    }
    return r
  }

  // Lists are shared between identities (shareEqualLists), so one answer per distinct list serves
  // many identities (see numberLists).
  let listIds: ListIds | undefined
  const distinctLists = (): ListIds => (listIds ??= numberLists(index, ingressOf, egressOf))

  // With ClusterNetworkPolicies, egress to an address goes through the tiers: asked per identity and port.
  const tieredExternalAccess = (ip: string, port: number, protocol: Protocol): ExternalAccess => {
    const endpoint: Endpoint = { kind: 'ip', ip }
    const other: Other = { identity: -1, endpoint }
    const t: Traffic = { from: endpoint, to: endpoint, port, protocol }
    const size = index.size
    const egress = emptySet(size)
    const ingress = emptySet(size)
    const lists = distinctLists()
    // 0: not asked yet, 1: denied, 2: allowed.
    const egressAnswer = new Uint8Array(lists.egressLists.length)
    const ingressAnswer = new Uint8Array(lists.ingressLists.length)
    const namedAnswer = new Map<number, boolean>()
    for (let s = 0; s < size; s++) {
      const identity = index.ids.identities[s]!
      if (identity.hostNetwork) {
        setBit(egress, s)
        setBit(ingress, s)
        continue
      }
      if (tiers !== undefined) {
        // Egress to the address also goes through the tiers (networks, domainNames, nodes peers).
        const pod = state.pods[identity.pods[0]!]!
        if (side('Egress', { kind: 'pod', pod }, s, other, { from: { kind: 'pod', pod }, to: endpoint, port, protocol }, -1).allowed) setBit(egress, s)
      } else {
        const e = lists.egress[s]!
        if (egressAnswer[e] === 0) egressAnswer[e] = sideAllows(lists.egressLists[e]!, 'Egress', other, t, -1) ? 2 : 1
        if (egressAnswer[e] === 2) setBit(egress, s)
      }
      const i = lists.ingress[s]!
      let allowed: boolean
      if (lists.named[i] === 1) {
        // Identities with the same named ports answer alike under one list.
        const k = i * lists.portKinds + lists.portKind[s]!
        let a = namedAnswer.get(k)
        if (a === undefined) namedAnswer.set(k, (a = sideAllows(lists.ingressLists[i]!, 'Ingress', other, t, s)))
        allowed = a
      } else {
        if (ingressAnswer[i] === 0) ingressAnswer[i] = sideAllows(lists.ingressLists[i]!, 'Ingress', other, t, s) ? 2 : 1
        allowed = ingressAnswer[i] === 2
      }
      if (allowed) setBit(ingress, s)
    }
    return { egress, ingress }
  }

  /**
   * What answering addresses outside the cluster on a list of ports needs, built once per list
   * (callers pass the same array for every address): each side of each identity is a "key" (a
   * distinct egress list; a distinct ingress list, per kind of named ports when its rules have
   * named ports; -1 for hostNetwork pods and unisolated sides, which allow everything), and each
   * key a run of (rule, mask of the ports the rule admits towards that side's destination). Which
   * rules' peers take an address does not depend on the port, so an address costs one peer test
   * per rule and one OR of masks per (key, rule).
   */
  interface ExternalPlan {
    readonly words: number
    readonly everything: Uint32Array
    readonly rules: readonly CompiledRule[]
    readonly egressKey: Int32Array
    readonly ingressKey: Int32Array
    /** Per key k: entries first[k] .. first[k + 1] of `rule` and of `mask` (words each). */
    readonly egressRuns: { first: Int32Array; rule: Int32Array; mask: Uint32Array; keys: number }
    readonly ingressRuns: { first: Int32Array; rule: Int32Array; mask: Uint32Array; keys: number }
  }
  const plans = new WeakMap<readonly PortQuery[], ExternalPlan>()
  const externalPlan = (ports: readonly PortQuery[]): ExternalPlan => {
    const cached = plans.get(ports)
    if (cached !== undefined) return cached
    const words = Math.max(1, (ports.length + 31) >>> 5)
    const everything = new Uint32Array(words)
    for (let d = 0; d < ports.length; d++) everything[d >>> 5]! |= 1 << (d & 31)
    const lists = distinctLists()
    const ruleIds = new Map<CompiledRule, number>()
    const rules: CompiledRule[] = []
    const ruleId = (r: CompiledRule): number => {
      let id = ruleIds.get(r)
      if (id === undefined) {
        ruleIds.set(r, (id = rules.length))
        rules.push(r)
      }
      return id
    }
    /** Bit d: the rule admits `ports[d]` towards `dest` (an identity whose named ports count, or -1). */
    const admits = (rule: CompiledRule, dest: number): Uint32Array => {
      const mask = new Uint32Array(words)
      for (let d = 0; d < ports.length; d++) {
        const q = ports[d]!
        if (rule.ports.length === 0 || firstPort(rule, q.port, q.protocol, dest) >= 0) mask[d >>> 5]! |= 1 << (d & 31)
      }
      return mask
    }
    const runs = () => ({ first: [0], rule: [] as number[], masks: [] as Uint32Array[] })
    const addKey = (run: ReturnType<typeof runs>, list: readonly CompiledPolicy[], direction: PolicyType, dest: number): number => {
      for (const cp of list) {
        for (const r of direction === 'Ingress' ? cp.ingressRules : cp.egressRules) {
          run.rule.push(ruleId(r))
          run.masks.push(admits(r, dest))
        }
      }
      run.first.push(run.rule.length)
      return run.first.length - 2
    }
    const seal = (run: ReturnType<typeof runs>) => {
      const mask = new Uint32Array(run.masks.length * words)
      run.masks.forEach((m, i) => mask.set(m, i * words))
      return { first: Int32Array.from(run.first), rule: Int32Array.from(run.rule), mask, keys: run.first.length - 1 }
    }
    const egressRun = runs()
    const ingressRun = runs()
    const egressKeyOfList = new Map<number, number>()
    const ingressKeyOf = new Map<number, number>()
    const size = index.size
    const egressKey = new Int32Array(size)
    const ingressKey = new Int32Array(size)
    for (let s = 0; s < size; s++) {
      if (index.ids.identities[s]!.hostNetwork) {
        egressKey[s] = -1
        ingressKey[s] = -1
        continue
      }
      const e = lists.egress[s]!
      const egressList = lists.egressLists[e]!
      let ek = egressList.length === 0 ? -1 : egressKeyOfList.get(e)
      if (ek === undefined) egressKeyOfList.set(e, (ek = addKey(egressRun, egressList, 'Egress', -1)))
      egressKey[s] = ek
      const i = lists.ingress[s]!
      const ingressList = lists.ingressLists[i]!
      // Identities with the same named ports answer alike under one list.
      const named = lists.named[i] === 1
      const k = i * lists.portKinds + (named ? lists.portKind[s]! : 0)
      let ik = ingressList.length === 0 ? -1 : ingressKeyOf.get(k)
      if (ik === undefined) ingressKeyOf.set(k, (ik = addKey(ingressRun, ingressList, 'Ingress', named ? s : -1)))
      ingressKey[s] = ik
    }
    const plan: ExternalPlan = { words, everything, rules, egressKey, ingressKey, egressRuns: seal(egressRun), ingressRuns: seal(ingressRun) }
    plans.set(ports, plan)
    return plan
  }

  const externalAccessPorts = (ip: string, ports: readonly PortQuery[]): ExternalAccessPorts => {
    const words = Math.max(1, (ports.length + 31) >>> 5)
    if (tiers !== undefined) {
      const egress = new Uint32Array(index.size * words)
      const ingress = new Uint32Array(index.size * words)
      ports.forEach((q, d) => {
        const a = tieredExternalAccess(ip, q.port, q.protocol)
        forEachBit(a.egress, (s) => (egress[s * words + (d >>> 5)]! |= 1 << (d & 31)))
        forEachBit(a.ingress, (s) => (ingress[s * words + (d >>> 5)]! |= 1 << (d & 31)))
      })
      return { words, egress, ingress }
    }
    const plan = externalPlan(ports)
    const other: Other = { identity: -1, endpoint: { kind: 'ip', ip } }
    // 0: not asked yet, 1: the rule's peers do not take the address, 2: they do.
    const taken = new Uint8Array(plan.rules.length)
    const answer = (run: ExternalPlan['egressRuns']): Uint32Array => {
      const out = new Uint32Array(run.keys * words)
      for (let k = 0; k < run.keys; k++) {
        for (let j = run.first[k]!; j < run.first[k + 1]!; j++) {
          const r = run.rule[j]!
          if (taken[r] === 0) {
            const rule = plan.rules[r]!
            taken[r] = rule.peers.length === 0 || firstPeer(rule, other) >= 0 ? 2 : 1
          }
          if (taken[r] === 2) for (let w = 0; w < words; w++) out[k * words + w]! |= run.mask[j * words + w]!
        }
      }
      return out
    }
    const egressByKey = answer(plan.egressRuns)
    const ingressByKey = answer(plan.ingressRuns)
    const size = index.size
    const egress = new Uint32Array(size * words)
    const ingress = new Uint32Array(size * words)
    for (let s = 0; s < size; s++) {
      const at = s * words
      const ek = plan.egressKey[s]!
      const ik = plan.ingressKey[s]!
      for (let w = 0; w < words; w++) {
        egress[at + w] = ek < 0 ? plan.everything[w]! : egressByKey[ek * words + w]!
        ingress[at + w] = ik < 0 ? plan.everything[w]! : ingressByKey[ik * words + w]!
      }
    }
    return { words, egress, ingress }
  }

  const externalAccess = (ip: string, port: number, protocol: Protocol): ExternalAccess => {
    if (tiers !== undefined) return tieredExternalAccess(ip, port, protocol)
    const a = externalAccessPorts(ip, [{ port, protocol }])
    const size = index.size
    const egress = emptySet(size)
    const ingress = emptySet(size)
    for (let s = 0; s < size; s++) {
      if (a.egress[s]! & 1) setBit(egress, s)
      if (a.ingress[s]! & 1) setBit(ingress, s)
    }
    return { egress, ingress }
  }

  const update = (remove: { namespace: string; name: string }, add: NetworkPolicy | undefined): Engine => {
    const same = (p: { namespace: string; name: string }): boolean => p.namespace === remove.namespace && p.name === remove.name
    const policies = state.policies.filter((p) => !same(p))
    if (add !== undefined) policies.push(add)
    const nextState: ClusterState = { ...state, policies }
    if (add !== undefined && !indexCovers(index, add)) return createEngine(nextState)
    const nextIndex: EngineIndex = { ...index, state: nextState }
    const removed = compiled.filter((c) => same(c.policy))
    const kept = compiled.filter((c) => !same(c.policy))
    const added = add === undefined ? undefined : compilePolicy(nextIndex, add)
    // Insert in verdict order; after every equal key, like a stable sort of the new state would.
    const nextCompiled = kept.slice()
    if (added !== undefined) {
      let at = nextCompiled.length
      while (at > 0 && comparePolicies(nextCompiled[at - 1]!.policy, add!) > 0) at--
      nextCompiled.splice(at, 0, added)
    }
    // Only identities selected by a removed or the added policy get new lists.
    const nextIngress = ingressOf.slice()
    const nextEgress = egressOf.slice()
    const touched = new Set<number>()
    for (const c of [...removed, ...(added ? [added] : [])]) forEachBit(c.selected, (id) => touched.add(id))
    // Identities that shared a list and agree on the added policy keep sharing the new list.
    const memo = new Map<readonly CompiledPolicy[], Map<boolean, CompiledPolicy[]>>()
    const relist = (list: readonly CompiledPolicy[], direction: 'ingress' | 'egress', id: number): CompiledPolicy[] => {
      const joins = added !== undefined && added[direction] && hasBit(added.selected, id)
      let byJoin = memo.get(list)
      if (byJoin === undefined) memo.set(list, (byJoin = new Map()))
      const hit = byJoin.get(joins)
      if (hit !== undefined) return hit
      const out = list.filter((c) => !same(c.policy))
      if (joins) {
        let at = out.length
        while (at > 0 && comparePolicies(out[at - 1]!.policy, added!.policy) > 0) at--
        out.splice(at, 0, added!)
      }
      byJoin.set(joins, out)
      return out
    }
    for (const id of touched) {
      nextIngress[id] = relist(ingressOf[id]!, 'ingress', id)
      nextEgress[id] = relist(egressOf[id]!, 'egress', id)
    }
    return assemble(nextIndex, nextCompiled, true, { ingressOf: nextIngress, egressOf: nextEgress }, tiers)
  }

  const withState = (next: ClusterState): Engine => {
    const sameCluster =
      tiers === undefined &&
      (next.clusterNetworkPolicies?.length ?? 0) === 0 &&
      next.pods.length === state.pods.length &&
      sameMeaning(state.nodes, next.nodes) &&
      sameMeaning(state.namespaces, next.namespaces) &&
      sameMeaning(state.pods, next.pods)
    if (!sameCluster) return createEngine(next)
    const nextIndex: EngineIndex = { ...index, state: next, podIndex: new Map(next.pods.map((p, i) => [p, i])) }
    const byName = new Map<string, CompiledPolicy[]>()
    for (const cp of compiled) {
      const key = `${cp.policy.namespace}/${cp.policy.name}`
      const list = byName.get(key)
      if (list === undefined) byName.set(key, [cp])
      else list.push(cp)
    }
    const nextCompiled: CompiledPolicy[] = []
    for (const p of next.policies) {
      const same = byName.get(`${p.namespace}/${p.name}`)?.find((cp) => sameMeaning(cp.policy, p))
      if (same !== undefined) nextCompiled.push(rebindPolicy(same, p))
      else if (indexCovers(nextIndex, p)) nextCompiled.push(compilePolicy(nextIndex, p))
      else return createEngine(next)
    }
    return assemble(nextIndex, sortCompiled(nextCompiled), true)
  }

  return {
    state,
    identities: index.ids.identities,
    incremental,
    identityOf: (pod) => {
      const i = podIndexOf(pod)
      return i === undefined ? undefined : index.ids.identities[index.ids.podIdentity[i]!]
    },
    evaluate,
    isAllowed,
    egressAllowed,
    selectedPods,
    peerPods,
    isolatingPolicies,
    allPairs,
    externalAccess,
    externalAccessPorts,
    withPolicy: (policy) => update(policy, policy),
    clusterSelectedPods: (policy) => {
      const cp = tiers?.policies.find((c) => c.policy === policy)
      if (cp !== undefined) return podsOf(cp.selected)
      return state.pods.filter((p) => clusterPolicySelectsPod(policy, p, index.nsLabels))
    },
    withoutPolicy: (namespace, name) => update({ namespace, name }, undefined),
    withState,
  }
}

/**
 * A compiled policy for `policy`, which has the same meaning as `cp.policy`: the same sets, with
 * `policy`'s own objects (its rules, peers and ports, and their file:line) for verdicts to name.
 */
function rebindPolicy(cp: CompiledPolicy, policy: NetworkPolicy): CompiledPolicy {
  return {
    ...cp,
    policy,
    ref: policyRef(policy),
    ingressRules: cp.ingressRules.map((r, i) => ({ ...r, source: policy.ingress[i]!.source, peers: policy.ingress[i]!.from, ports: policy.ingress[i]!.ports })),
    egressRules: cp.egressRules.map((r, i) => ({ ...r, source: policy.egress[i]!.source, peers: policy.egress[i]!.to, ports: policy.egress[i]!.ports })),
  }
}
