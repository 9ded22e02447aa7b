/**
 * @module Lint rules for ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2): the mistakes
 * the tiers invite (docs/lint.md, docs/semantics.md "ClusterNetworkPolicy").
 */
import type { ClusterNetworkPolicyEgressPeer, ClusterNetworkPolicyProtocol } from '../model/cluster-network-policy-types.js'
import type { PolicyType, Pod } from '../model/types.js'
import { clusterPeerMatches, clusterRules, protocolEntry } from '../engine/cluster-policy.js'
import { namespaceLabelsOf } from '../engine/peer.js'
import { clusterPolicyFinding, type LintFinding, type LintRule } from './lint-rule.js'

const cnpPassInBaseline: LintRule = {
  id: 'cnp-pass-in-baseline',
  severity: 'warning',
  title: 'Pass rule in the Baseline tier',
  help:
    'In the Baseline tier Pass only skips the remaining Baseline rules, which is what the default allow does anyway: use Accept to allow, ' +
    'Deny to deny, or remove the rule.',
  check(ctx) {
    const out: LintFinding[] = []
    for (const p of ctx.state.clusterNetworkPolicies ?? []) {
      if (p.spec.tier !== 'Baseline') continue
      for (const direction of ['Ingress', 'Egress'] as const) {
        clusterRules(p, direction).forEach((r, i) => {
          if (r.action !== 'Pass') return
          const field = `spec.${direction.toLowerCase()}[${i}].action`
          out.push(
            clusterPolicyFinding(
              this,
              p,
              r.source,
              field,
              `${field} is Pass in the Baseline tier: matching traffic falls through to the default, which allows it; the rule has the effect ` +
                `of an Accept that later Baseline rules cannot override`,
            ),
          )
        })
      }
    }
    return out
  },
}

const cnpSubjectSelectsNothing: LintRule = {
  id: 'cnp-subject-selects-nothing',
  severity: 'warning',
  title: 'ClusterNetworkPolicy whose subject selects no pod',
  help: 'Fix spec.subject to match the namespaces and pods it is meant for (hostNetwork pods are never selected), or delete the policy.',
  check(ctx) {
    const out: LintFinding[] = []
    if (ctx.state.pods.length === 0) return out
    for (const p of ctx.state.clusterNetworkPolicies ?? []) {
      if (ctx.engine.clusterSelectedPods(p).length > 0) continue
      out.push(
        clusterPolicyFinding(
          this,
          p,
          p.spec.subject.source,
          'spec.subject',
          `spec.subject selects none of the ${ctx.state.pods.length} pod(s) of the input: the policy has no effect`,
        ),
      )
    }
    return out
  },
}

/** Could two protocol lists match one connection? (No list: every protocol and port.) */
function protocolsOverlap(a: readonly ClusterNetworkPolicyProtocol[], b: readonly ClusterNetworkPolicyProtocol[]): boolean {
  if (a.length === 0 || b.length === 0) return true
  for (const x of a.map(protocolEntry)) {
    for (const y of b.map(protocolEntry)) {
      if (x === undefined || y === undefined) continue
      // A named port may resolve to any number: assume it can meet the other entry.
      if ('named' in x || 'named' in y) return true
      if (x.protocol === y.protocol && x.lo <= y.hi && y.lo <= x.hi) return true
    }
  }
  return false
}

/** Pods a rule's peers match (selectors only; networks and other address peers by pod IP). */
function peerPods(peers: readonly ClusterNetworkPolicyEgressPeer[], pods: readonly Pod[], nsLabels: ReturnType<typeof namespaceLabelsOf>): Set<Pod> {
  const out = new Set<Pod>()
  for (const pod of pods) if (peers.some((peer) => clusterPeerMatches(peer, { kind: 'pod', pod }, nsLabels) !== 'no')) out.add(pod)
  return out
}

const cnpSamePriorityConflict: LintRule = {
  id: 'cnp-same-priority-conflict',
  severity: 'warning',
  title: 'Two ClusterNetworkPolicies of one tier and priority with conflicting rules for the same traffic',
  help:
    'Give the policies different priorities (the lower number is evaluated first), or make their rules agree: for traffic both match, the ' +
    'API lets an implementation apply either action.',
  check(ctx) {
    const out: LintFinding[] = []
    const cnps = ctx.state.clusterNetworkPolicies ?? []
    const nsLabels = namespaceLabelsOf(ctx.state.namespaces)
    const subjects = new Map(cnps.map((p) => [p, new Set(ctx.engine.clusterSelectedPods(p))]))
    for (let i = 0; i < cnps.length; i++) {
      for (let j = i + 1; j < cnps.length; j++) {
        const a = cnps[i]!
        const b = cnps[j]!
        if (a.spec.tier !== b.spec.tier || a.spec.priority !== b.spec.priority) continue
        const both = [...subjects.get(a)!].filter((pod) => subjects.get(b)!.has(pod))
        if (both.length === 0) continue
        const report = (direction: PolicyType): boolean => {
          const ra = clusterRules(a, direction)
          const rb = clusterRules(b, direction)
          for (let x = 0; x < ra.length; x++) {
            for (let y = 0; y < rb.length; y++) {
              const r = ra[x]!
              const s = rb[y]!
              if (r.action === s.action || !protocolsOverlap(r.protocols, s.protocols)) continue
              const common = [...peerPods(r.peers, ctx.state.pods, nsLabels)].filter((pod) => peerPods(s.peers, [pod], nsLabels).size > 0)
              const addresses = (peers: readonly ClusterNetworkPolicyEgressPeer[]) =>
                peers.some((p) => p.networks !== undefined || p.domainNames !== undefined || p.nodes !== undefined)
              const external = direction === 'Egress' && addresses(r.peers) && addresses(s.peers)
              if (common.length === 0 && !external) continue
              const dir = direction.toLowerCase()
              const example = common[0] ? ` (e.g. ${dir === 'ingress' ? 'from' : 'to'} ${common[0].namespace}/${common[0].name})` : ''
              out.push(
                clusterPolicyFinding(
                  this,
                  b,
                  s.source,
                  `spec.${dir}[${y}]`,
                  `${a.spec.tier} priority ${a.spec.priority}: ClusterNetworkPolicy "${a.name}" ${dir}[${x}] ` +
                    `(${r.source.file}:${r.source.line}) says ${r.action} and "${b.name}" ${dir}[${y}] says ${s.action} for traffic both ` +
                    `match${example}, for ${both.length} pod(s) both select: the outcome is undefined`,
                ),
              )
              return true
            }
          }
          return false
        }
        report('Ingress')
        report('Egress')
      }
    }
    return out
  },
}

export const CLUSTER_POLICY_RULES: readonly LintRule[] = [cnpPassInBaseline, cnpSubjectSelectsNothing, cnpSamePriorityConflict]
