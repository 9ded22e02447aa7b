/**
 * @module The reference evaluator: the NetworkPolicy API reference read literally, as an oracle.
 *
 * For every question it walks every policy, every rule, every peer and every port; nothing is
 * cached or indexed. The fast engine (engine.ts) must produce deep-equal verdicts; property tests
 * hold them to it.
 *
 * Semantics (API reference, NetworkPolicySpec): "ingress ... Traffic is allowed to a pod if there
 * are no NetworkPolicies selecting the pod (and cluster policy otherwise allows the traffic), OR
 * if the traffic source is the pod's local node, OR if the traffic matches at least one ingress
 * rule across all of the NetworkPolicy objects whose podSelector matches the pod. If this field is
 * empty then this NetworkPolicy does not allow any traffic". Egress alike. Rules: "from ... If
 * this field is empty or missing, this rule matches all sources (traffic not restricted by
 * source). If this field is present and contains at least one item, this rule allows traffic only
 * if the traffic matches at least one item in the from list." "ports ... If this field is empty or
 * missing, this rule matches all ports ... If this field is present and contains at least one
 * item, then this rule allows traffic only if the traffic matches at least one port in the list."
 * Concepts: "For a connection from a source pod to a destination pod to be allowed, both the egress
 * policy on the source pod and the ingress policy on the destination pod need to allow the
 * connection."
 *
 * ClusterNetworkPolicies (cluster-policy.ts): per side, the Admin tier, then the NetworkPolicy
 * side above (isolation exists only there), then the Baseline tier, then allow.
 *
 * Project decisions (see also peer.ts): a pod connecting to itself is always allowed (loopback);
 * an external IP or a hostNetwork pod is not enforced on its own side.
 */
import type { ClusterState, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod, PolicyType } from '../model/types.js'
import { policyRef } from './verdict.js'
import type { DirectionVerdict, Endpoint, Evaluator, PolicyEvaluation, RuleMatch, RuleMiss, Traffic, Verdict } from './verdict.js'
import { comparePolicies, policySelectsPod } from './isolation.js'
import { describePeerMiss, namespaceLabelsOf, peerMatches, type NamespaceLabels } from './peer.js'
import { endpointName } from '../model/describe.js'
import { describePortMiss, policyPortMatches } from './port.js'
import { clusterPolicyRef, clusterRuleHit, clusterRules, combineOutcomes, evaluateTier, sideOutcome, tierPolicies } from './cluster-policy.js'
import type { ClusterNetworkPolicyTier } from '../model/cluster-network-policy-types.js'

/**
 * The source is the destination pod's own node: a hostNetwork pod (it uses the node's network
 * namespace and address) on the node the destination runs on. The API reference: ingress traffic
 * "is allowed to a pod ... if the traffic source is the pod's local node". Both nodes must be known
 * (`spec.nodeName`); when either is not, netpol assumes different nodes (docs/semantics.md).
 */
export function isFromLocalNode(t: Traffic): boolean {
  return (
    t.from.kind === 'pod' &&
    t.to.kind === 'pod' &&
    t.from.pod.hostNetwork &&
    !t.to.pod.hostNetwork &&
    t.from.pod.nodeName !== undefined &&
    t.from.pod.nodeName === t.to.pod.nodeName
  )
}

export function isLoopback(t: Traffic): boolean {
  return t.from.kind === 'pod' && t.to.kind === 'pod' && t.from.pod.namespace === t.to.pod.namespace && t.from.pod.name === t.to.pod.name
}

/** RuleMiss.detail for a policy that isolates without rules of the direction. */
export function noRulesDetail(direction: PolicyType): string {
  return direction === 'Ingress'
    ? 'policy has no ingress rules: it denies all ingress to the pods it selects'
    : 'policy has no egress rules: it denies all egress from the pods it selects'
}

export function unenforced(direction: PolicyType): DirectionVerdict {
  return { direction, enforced: false, isolated: false, policies: [], allowed: true }
}

/** Evaluates one policy's rules of one direction against the other end and the port. */
function evaluatePolicy(policy: NetworkPolicy, direction: PolicyType, other: Endpoint, t: Traffic, nsLabels: NamespaceLabels): PolicyEvaluation {
  const ref = policyRef(policy)
  const allowedBy: RuleMatch[] = []
  const misses: RuleMiss[] = []
  const rules: readonly { peers: readonly NetworkPolicyPeer[]; ports: readonly NetworkPolicyPort[]; source: NetworkPolicy['source'] }[] =
    direction === 'Ingress'
      ? policy.ingress.map((r) => ({ peers: r.from, ports: r.ports, source: r.source }))
      : policy.egress.map((r) => ({ peers: r.to, ports: r.ports, source: r.source }))
  if (rules.length === 0) {
    misses.push({ policy: ref, direction, ruleIndex: -1, reason: 'no-rules', detail: noRulesDetail(direction), source: policy.source })
  }
  const destination = t.to.kind === 'pod' ? t.to.pod : undefined
  rules.forEach((rule, ruleIndex) => {
    let peerIndex: number | undefined
    if (rule.peers.length > 0) {
      const i = rule.peers.findIndex((p) => peerMatches(policy, p, other, nsLabels))
      if (i < 0) {
        misses.push({ policy: ref, direction, ruleIndex, reason: 'peer', detail: describePeerMiss(policy, rule.peers, other, nsLabels), source: rule.source })
        return
      }
      peerIndex = i
    }
    let portIndex: number | undefined
    if (rule.ports.length > 0) {
      const i = rule.ports.findIndex((pp) => policyPortMatches(pp, t.port, t.protocol, destination))
      if (i < 0) {
        const why = describePortMiss(rule.ports, t.port, t.protocol, destination, endpointName(t.to))
        misses.push({ policy: ref, direction, ruleIndex, reason: why.reason, detail: why.detail, source: rule.source })
        return
      }
      portIndex = i
    }
    allowedBy.push({
      policy: ref,
      direction,
      ruleIndex,
      ...(peerIndex === undefined ? {} : { peerIndex }),
      ...(portIndex === undefined ? {} : { portIndex }),
      source: rule.source,
    })
  })
  return { policy: ref, allowedBy, misses }
}

/** A side nothing enforces (external address, hostNetwork pod), in a state with ClusterNetworkPolicies. */
export function unenforcedWithTiers(direction: PolicyType): DirectionVerdict {
  return { ...unenforced(direction), tiers: { admin: { tier: 'Admin', policies: [], matches: [], result: 'none' }, decidedBy: 'default', outcome: 'allowed' } }
}

/** The connection verdict from its sides; `outcome` only when the state has ClusterNetworkPolicies. */
export function joinSides(t: Traffic, egress: DirectionVerdict, ingress: DirectionVerdict): Verdict {
  const loopback = isLoopback(t)
  // Like loopback, traffic from the destination's own node is never filtered (the data plane leaves it unfiltered too).
  const fromNode = isFromLocalNode(t)
  if (egress.tiers === undefined || ingress.tiers === undefined) {
    return { traffic: t, allowed: loopback || fromNode || (egress.allowed && ingress.allowed), loopback, fromNode, egress, ingress }
  }
  const outcome = loopback || fromNode ? 'allowed' : combineOutcomes(egress.tiers.outcome, ingress.tiers.outcome)
  return { traffic: t, allowed: outcome === 'allowed', outcome, loopback, fromNode, egress, ingress }
}

export function referenceEvaluator(state: ClusterState): Evaluator {
  const nsLabels = namespaceLabelsOf(state.namespaces)
  const cnps = state.clusterNetworkPolicies ?? []
  const withTiers = cnps.length > 0

  function tier(tierName: ClusterNetworkPolicyTier, direction: PolicyType, pod: Pod, other: Endpoint, t: Traffic) {
    const policies = tierPolicies(cnps, tierName, pod, direction, nsLabels).map((p) => ({ ref: clusterPolicyRef(p), rules: clusterRules(p, direction) }))
    return evaluateTier(tierName, policies, direction, (pi, ri) => clusterRuleHit(policies[pi]!.rules[ri]!, other, t, nsLabels, state.nodes))
  }

  function side(direction: PolicyType, subject: Endpoint, other: Endpoint, t: Traffic): DirectionVerdict {
    if (subject.kind !== 'pod' || subject.pod.hostNetwork) return withTiers ? unenforcedWithTiers(direction) : unenforced(direction)
    const pod = subject.pod
    const selecting = state.policies.filter((p) => policySelectsPod(p, pod, direction)).sort(comparePolicies)
    const policies = selecting.map((p) => evaluatePolicy(p, direction, other, t, nsLabels))
    const isolated = policies.length > 0
    const npAllowed = !isolated || policies.some((e) => e.allowedBy.length > 0)
    if (!withTiers) return { direction, enforced: true, isolated, policies, allowed: npAllowed }
    const tiers = sideOutcome(tier('Admin', direction, pod, other, t), isolated, npAllowed, () => tier('Baseline', direction, pod, other, t))
    return { direction, enforced: true, isolated, policies, allowed: tiers.outcome === 'allowed', tiers }
  }

  function evaluate(t: Traffic): Verdict {
    return joinSides(t, side('Egress', t.from, t.to, t), side('Ingress', t.to, t.from, t))
  }

  return { evaluate, isAllowed: (t) => evaluate(t).allowed }
}
