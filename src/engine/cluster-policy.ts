/**
 * @module ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2) read literally: which pods a
 * policy's subject selects, which connections a rule's peers and protocols match, and how the
 * tiers combine with NetworkPolicy into one side's outcome.
 *
 * API (ClusterNetworkPolicySpec, rules, actions; kubernetes-sigs/network-policy-api):
 * - "Policy tiers are evaluated in the following order: Admin tier, NetworkPolicy tier, Baseline
 *   tier." "If a given connection wasn't allowed or denied by any of the tiers, the default
 *   kubernetes policy is applied, which says that all pods can communicate with each other."
 * - priority: "Policies with lower priority values have higher precedence, and are checked before
 *   policies with higher priority values in the same tier." "If two (or more) policies in the same
 *   tier with the same priority could match a connection, then the implementation can apply any
 *   of the matching policies to the connection" — netpol reports such a connection as
 *   `undefined` (naming both) when their actions differ, instead of picking one.
 * - rules: "The relative precedence of ingress rules within a single CNP object ... will be
 *   determined by the order in which the rule is written." "CNPs with no ingress rules do not
 *   affect ingress traffic."
 * - Accept: "No further ingress ClusterNetworkPolicy or NetworkPolicy rules will be processed"
 *   (egress: "but any ingress rules at the destination do apply"). Deny: "Drops the selected
 *   traffic." Pass: "Skips all further ClusterNetworkPolicy rules in the current tier for the
 *   selected traffic, and passes evaluation to the next tier."
 * - "v1.NetworkPolicy always makes a final decision for selected pods. Further evaluation only
 *   happens for Pods not selected by a v1.NetworkPolicy." (isolation exists only there).
 * - Subject and the namespaces/pods peers: "host-networked pods are not included".
 * - protocols: "If unspecified, protocol-specific attributes will not be used to match traffic";
 *   destinationNamedPort "selects a destination port on a pod based on the ContainerPort name".
 * - networks: "cluster-internal traffic will be checked against the rule as well" (pod addresses
 *   match, as for NetworkPolicy ipBlocks: a pod matches when any of its IPs is inside).
 * - domainNames: the addresses a name resolves to are known only at run time (and may be any
 *   address, pods included via pod and headless-service records), so a domainNames peer *may*
 *   match every destination. nodes: matched against the Node objects of the input (node-peer.ts);
 *   without them a nodes peer may match a hostNetwork pod (which has its node's address) or an
 *   address outside the cluster, and never an ordinary pod. Such possible matches make a side `unknown` whenever matching or not
 *   matching would decide differently (see `sideOutcome`); netpol never assumes them allowed.
 * - "A Pod connecting to its own Pod IP is not subject to CNP" (loopback stays allowed).
 */
import type { IPBlock, Node, Pod, PolicyType, Protocol } from '../model/types.js'
import type {
  ClusterNetworkPolicy,
  ClusterNetworkPolicyEgressPeer,
  ClusterNetworkPolicyIngressPeer,
  ClusterNetworkPolicyProtocol,
  ClusterNetworkPolicyRuleAction,
  ClusterNetworkPolicyTier,
  NamespacedPod,
} from '../model/cluster-network-policy-types.js'
import { matchesSelector, selectorKeys } from '../model/label-selector.js'
import { formatPolicyPort } from '../model/describe.js'
import { ipBlockMatches, endpointIps, type NamespaceLabels } from './peer.js'
import { resolveNamedPort } from './port.js'
import { nodesPeerMatches } from './node-peer.js'
import type { ClusterPolicyRef, DecidedBy, Endpoint, MaybeReason, Outcome, TierRuleMatch, TierVerdict, Traffic } from './verdict.js'

export type ClusterPeer = ClusterNetworkPolicyIngressPeer | ClusterNetworkPolicyEgressPeer

/** A rule of either direction, seen the same way: its peers (`from` or `to`) and protocols. */
export interface ClusterRuleView {
  readonly name?: string
  readonly action: ClusterNetworkPolicyRuleAction
  readonly peers: readonly ClusterPeer[]
  readonly protocols: readonly ClusterNetworkPolicyProtocol[]
  readonly source: ClusterNetworkPolicy['source']
}

export function clusterRules(policy: ClusterNetworkPolicy, direction: PolicyType): readonly ClusterRuleView[] {
  return direction === 'Ingress'
    ? policy.spec.ingress.map((r) => ({
        ...(r.name === undefined ? {} : { name: r.name }),
        action: r.action,
        peers: r.from,
        protocols: r.protocols,
        source: r.source,
      }))
    : policy.spec.egress.map((r) => ({
        ...(r.name === undefined ? {} : { name: r.name }),
        action: r.action,
        peers: r.to,
        protocols: r.protocols,
        source: r.source,
      }))
}

export function clusterPolicyRef(p: ClusterNetworkPolicy): ClusterPolicyRef {
  return { name: p.name, tier: p.spec.tier, priority: p.spec.priority, source: p.source }
}

function namespacedPodKeys(p: NamespacedPod | undefined): string[] {
  return p === undefined ? [] : selectorKeys(p.podSelector)
}

/** What ClusterNetworkPolicies need from an index: the pod label keys they select on, and their networks as ipBlocks. */
export function clusterPolicyNeeds(policy: ClusterNetworkPolicy): { podLabelKeys: string[]; blocks: IPBlock[] } {
  const podLabelKeys = namespacedPodKeys(policy.spec.subject.pods)
  const blocks: IPBlock[] = []
  for (const r of policy.spec.ingress) for (const p of r.from) podLabelKeys.push(...namespacedPodKeys(p.pods))
  for (const r of policy.spec.egress) {
    for (const p of r.to) {
      podLabelKeys.push(...namespacedPodKeys(p.pods))
      for (const cidr of p.networks ?? []) blocks.push({ cidr, except: [] })
    }
  }
  return { podLabelKeys, blocks }
}

/** Evaluation order within a tier: priority (lower first), then name (code-unit order) for a stable trace. */
export function compareClusterPolicies(a: ClusterNetworkPolicy, b: ClusterNetworkPolicy): number {
  if (a.spec.priority !== b.spec.priority) return a.spec.priority - b.spec.priority
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

function namespacedPodMatches(sel: NamespacedPod, pod: Pod, nsLabels: NamespaceLabels): boolean {
  return matchesSelector(sel.namespaceSelector, nsLabels(pod.namespace)) && matchesSelector(sel.podSelector, pod.labels)
}

/** Does the policy's subject select the pod? Host-network pods never are. */
export function clusterPolicySelectsPod(policy: ClusterNetworkPolicy, pod: Pod, nsLabels: NamespaceLabels): boolean {
  if (pod.hostNetwork) return false
  const s = policy.spec.subject
  if (s.namespaces !== undefined) return matchesSelector(s.namespaces, nsLabels(pod.namespace))
  if (s.pods !== undefined) return namespacedPodMatches(s.pods, pod, nsLabels)
  return false
}

/** The tier's policies that select `pod` and have rules of `direction`, in evaluation order. */
export function tierPolicies(
  all: readonly ClusterNetworkPolicy[],
  tier: ClusterNetworkPolicyTier,
  pod: Pod,
  direction: PolicyType,
  nsLabels: NamespaceLabels,
): ClusterNetworkPolicy[] {
  return all
    .filter((p) => p.spec.tier === tier && clusterRules(p, direction).length > 0 && clusterPolicySelectsPod(p, pod, nsLabels))
    .sort(compareClusterPolicies)
}

/** `yes`, `no`, or a reason the peer may match (cannot be proven offline). */
export type PeerMatch = 'yes' | 'no' | MaybeReason

/** `nodes`: the state's Node objects (absent: unknown, so a `nodes` peer only may match; see node-peer.ts). */
export function clusterPeerMatches(peer: ClusterPeer, e: Endpoint, nsLabels: NamespaceLabels, nodes?: readonly Node[]): PeerMatch {
  if (peer.namespaces !== undefined) return e.kind === 'pod' && !e.pod.hostNetwork && matchesSelector(peer.namespaces, nsLabels(e.pod.namespace)) ? 'yes' : 'no'
  if (peer.pods !== undefined) return e.kind === 'pod' && !e.pod.hostNetwork && namespacedPodMatches(peer.pods, e.pod, nsLabels) ? 'yes' : 'no'
  const egress = peer as ClusterNetworkPolicyEgressPeer
  if (egress.networks !== undefined) {
    const ips = endpointIps(e)
    return egress.networks.some((cidr) => ipBlockMatches({ cidr, except: [] }, ips)) ? 'yes' : 'no'
  }
  if (egress.domainNames !== undefined) return 'domainNames'
  if (egress.nodes !== undefined) return nodesPeerMatches(egress.nodes, e, nodes)
  // No known field: a CRD newer than netpol. The API says to fail closed, which validation
  // already does by refusing the object; a peer that gets here matches nothing.
  return 'no'
}

/** The protocol and port range of a tcp/udp/sctp entry, or the named port. */
export function protocolEntry(p: ClusterNetworkPolicyProtocol): { protocol: Protocol; lo: number; hi: number } | { named: string } | undefined {
  const m =
    p.tcp !== undefined
      ? { protocol: 'TCP' as const, v: p.tcp }
      : p.udp !== undefined
        ? { protocol: 'UDP' as const, v: p.udp }
        : p.sctp !== undefined
          ? { protocol: 'SCTP' as const, v: p.sctp }
          : undefined
  if (m !== undefined) {
    const d = m.v.destinationPort
    if (d.range !== undefined) return { protocol: m.protocol, lo: d.range.start, hi: d.range.end }
    if (d.number !== undefined) return { protocol: m.protocol, lo: d.number, hi: d.number }
    return { protocol: m.protocol, lo: 0, hi: Number.MAX_SAFE_INTEGER }
  }
  if (p.destinationNamedPort !== undefined) return { named: p.destinationNamedPort }
  return undefined
}

/** Does the protocol entry match `port/protocol` to `destination` (undefined: an address outside the cluster)? */
export function clusterProtocolMatches(p: ClusterNetworkPolicyProtocol, port: number, protocol: Protocol, destination: Pod | undefined): boolean {
  const e = protocolEntry(p)
  if (e === undefined) return false
  if ('named' in e) return destination !== undefined && resolveNamedPort(destination, e.named, protocol).includes(port)
  return e.protocol === protocol && port >= e.lo && port <= e.hi
}

/** `80/TCP`, `5000-5100/UDP`, `every SCTP port`, as a NetworkPolicy port reads; `named port dns` (of any protocol). */
export function formatClusterProtocol(p: ClusterNetworkPolicyProtocol): string {
  const e = protocolEntry(p)
  if (e === undefined) return '?'
  if ('named' in e) return `named port ${e.named}`
  if (e.hi === Number.MAX_SAFE_INTEGER) return formatPolicyPort({ protocol: e.protocol })
  return formatPolicyPort({ protocol: e.protocol, port: e.lo, ...(e.lo === e.hi ? {} : { endPort: e.hi }) })
}

/** How one rule matches the traffic: undefined when it does not. */
export interface RuleHit {
  readonly peerIndex: number
  readonly protocolIndex?: number
  readonly maybe?: MaybeReason
}

/**
 * Matches one rule literally: the first peer that matches for certain, else the first that may
 * match; then the first protocol entry that matches (none written: every protocol and port).
 */
export function clusterRuleHit(rule: ClusterRuleView, other: Endpoint, t: Traffic, nsLabels: NamespaceLabels, nodes?: readonly Node[]): RuleHit | undefined {
  let peerIndex = -1
  let maybe: MaybeReason | undefined
  for (let i = 0; i < rule.peers.length; i++) {
    const m = clusterPeerMatches(rule.peers[i]!, other, nsLabels, nodes)
    if (m === 'yes') {
      peerIndex = i
      maybe = undefined
      break
    }
    if (m !== 'no' && peerIndex < 0) {
      peerIndex = i
      maybe = m
    }
  }
  if (peerIndex < 0) return undefined
  let protocolIndex: number | undefined
  if (rule.protocols.length > 0) {
    const destination = t.to.kind === 'pod' ? t.to.pod : undefined
    const i = rule.protocols.findIndex((p) => clusterProtocolMatches(p, t.port, t.protocol, destination))
    if (i < 0) return undefined
    protocolIndex = i
  }
  return { peerIndex, ...(protocolIndex === undefined ? {} : { protocolIndex }), ...(maybe === undefined ? {} : { maybe }) }
}

/**
 * One tier of one side. `hit(policy, ruleIndex)` answers whether a rule matches (the reference
 * matches literally, the fast engine through its index); this function only orders and decides:
 * per priority, each policy's first rule that matches for certain, with the rules before it that
 * may match; the first priority with a certain match decides (different actions: `undefined`).
 */
export function evaluateTier(
  tier: ClusterNetworkPolicyTier,
  policies: readonly { readonly ref: ClusterPolicyRef; readonly rules: readonly ClusterRuleView[] }[],
  direction: PolicyType,
  hit: (policyIndex: number, ruleIndex: number) => RuleHit | undefined,
): TierVerdict {
  const matches: TierRuleMatch[] = []
  let result: TierVerdict['result'] = 'none'
  let i = 0
  while (i < policies.length) {
    const priority = policies[i]!.ref.priority
    const actions = new Set<ClusterNetworkPolicyRuleAction>()
    for (; i < policies.length && policies[i]!.ref.priority === priority; i++) {
      const { ref, rules } = policies[i]!
      for (let r = 0; r < rules.length; r++) {
        const h = hit(i, r)
        if (h === undefined) continue
        const rule = rules[r]!
        matches.push({
          policy: ref,
          direction,
          ruleIndex: r,
          ...(rule.name === undefined ? {} : { ruleName: rule.name }),
          action: rule.action,
          peerIndex: h.peerIndex,
          ...(h.protocolIndex === undefined ? {} : { protocolIndex: h.protocolIndex }),
          ...(h.maybe === undefined ? {} : { maybe: h.maybe }),
          source: rule.source,
        })
        if (h.maybe === undefined) {
          actions.add(rule.action)
          break
        }
      }
    }
    if (actions.size > 1) {
      result = 'undefined'
      break
    }
    if (actions.size === 1) {
      result = [...actions][0]!
      break
    }
  }
  return { tier, policies: policies.map((p) => p.ref), matches, result }
}

/**
 * One side's outcome from its tiers and its NetworkPolicy isolation. `baseline` is called only
 * when the Admin tier passed or did not match and no NetworkPolicy isolates the pod.
 *
 * Possible matches (domainNames, nodes) met before the decision: when every one of them would
 * decide the same as the certain path (Accept on an allowed side, Deny on a denied side) the
 * outcome stands; otherwise it is `unknown`. A possible Baseline Pass would allow (the default);
 * a possible Admin Pass always leaves it `unknown` (where it would lead is not followed). An
 * `undefined` outcome stays `undefined`.
 */
export function sideOutcome(
  admin: TierVerdict,
  isolated: boolean,
  networkPolicyAllows: boolean,
  baseline: () => TierVerdict,
): { admin: TierVerdict; baseline?: TierVerdict; decidedBy: DecidedBy; outcome: Outcome } {
  let decidedBy: DecidedBy
  let certain: Outcome
  let base: TierVerdict | undefined
  if (admin.result === 'Accept' || admin.result === 'Deny' || admin.result === 'undefined') {
    decidedBy = 'Admin'
    certain = admin.result === 'Accept' ? 'allowed' : admin.result === 'Deny' ? 'denied' : 'undefined'
  } else if (isolated) {
    decidedBy = 'NetworkPolicy'
    certain = networkPolicyAllows ? 'allowed' : 'denied'
  } else {
    base = baseline()
    if (base.result === 'Accept' || base.result === 'Deny' || base.result === 'undefined') {
      decidedBy = 'Baseline'
      certain = base.result === 'Accept' ? 'allowed' : base.result === 'Deny' ? 'denied' : 'undefined'
    } else {
      decidedBy = 'default'
      certain = 'allowed'
    }
  }
  let outcome: Outcome = certain
  if (certain !== 'undefined') {
    // What a possible match would decide: Accept allows, Deny denies; a Baseline Pass falls
    // through to the default allow; an Admin Pass leads elsewhere (not followed).
    const would = (m: TierRuleMatch): Outcome | undefined =>
      m.action === 'Accept' ? 'allowed' : m.action === 'Deny' ? 'denied' : m.policy.tier === 'Baseline' ? 'allowed' : undefined
    const maybes = [...admin.matches, ...(base?.matches ?? [])].filter((m) => m.maybe !== undefined)
    if (maybes.some((m) => would(m) !== certain)) outcome = 'unknown'
  }
  return { admin, ...(base === undefined ? {} : { baseline: base }), decidedBy, outcome }
}

/** The connection's outcome from its two sides: a denied side decides, then undefined, then unknown. */
export function combineOutcomes(egress: Outcome, ingress: Outcome): Outcome {
  if (egress === 'denied' || ingress === 'denied') return 'denied'
  if (egress === 'undefined' || ingress === 'undefined') return 'undefined'
  if (egress === 'unknown' || ingress === 'unknown') return 'unknown'
  return 'allowed'
}
