/**
 * @module The ClusterNetworkPolicy part of `netpol report`: one section per tier (Admin, then
 * Baseline), each policy in evaluation order with its subject, its rules, and what each rule
 * decides in the input: the pairs of groups (and address ranges) for which it is the rule that
 * decides the side, found with the engine's verdicts.
 */
import type { ClusterNetworkPolicy, ClusterNetworkPolicyEgressPeer, ClusterNetworkPolicyTier } from '../model/cluster-network-policy-types.js'
import type { ClusterState, Pod, PolicyType } from '../model/types.js'
import type { Engine } from '../engine/engine.js'
import type { Endpoint, Traffic } from '../engine/verdict.js'
import { clusterPeerMatches, clusterRules, compareClusterPolicies, formatClusterProtocol } from '../engine/cluster-policy.js'
import { describeClusterPeer, describeClusterSubject } from './explain.js'
import { externalRanges } from './external-ranges.js'
import { groupLabel, podGroup, type GroupBy } from './group.js'
import type { LintFinding } from './lint-rule.js'
import { portClasses } from './port-classes.js'

export interface ClusterRuleSection {
  readonly direction: 'ingress' | 'egress'
  readonly index: number
  readonly name?: string
  readonly action: 'Accept' | 'Deny' | 'Pass'
  readonly line: number
  readonly peers: readonly { readonly text: string; readonly line: number; readonly matches: readonly string[] }[]
  /** Empty: every protocol and port. */
  readonly protocols: readonly string[]
  /** `from => to` of groups (and address ranges) for which this rule decides the side, on some port; sorted. */
  readonly decides: readonly string[]
  /** True when `decides` was not computed (the input is too large for the report's budget). */
  readonly decidesOmitted?: boolean
}

export interface ClusterPolicySection {
  readonly anchor: string
  readonly name: string
  readonly tier: ClusterNetworkPolicyTier
  readonly priority: number
  readonly file: string
  readonly line: number
  readonly subject: string
  readonly selects: readonly string[]
  readonly selectedPods: number
  readonly rules: readonly ClusterRuleSection[]
  readonly findings: readonly LintFinding[]
}

export interface TierSection {
  readonly tier: ClusterNetworkPolicyTier
  /** In evaluation order: priority, then name. */
  readonly policies: readonly ClusterPolicySection[]
}

/** Verdicts asked per rule at most; beyond, `decides` is left out for that rule. */
const DECIDES_BUDGET = 20_000

export function buildTierSections(state: ClusterState, engine: Engine, groupBy: GroupBy, findings: readonly LintFinding[]): TierSection[] {
  const cnps = [...(state.clusterNetworkPolicies ?? [])].sort(compareClusterPolicies)
  if (cnps.length === 0) return []
  const label = (p: Pod) => groupLabel(podGroup(p, groupBy))
  const nsLabels = (name: string) => state.namespaces.find((n) => n.name === name)?.labels ?? {}
  // One pod per identity stands for all of them (same answers).
  const representatives = (pods: readonly Pod[]): Pod[] => {
    const seen = new Map<string, Pod>()
    for (const pod of pods) {
      const key = `${engine.identityOf(pod)?.id ?? `${pod.namespace}/${pod.name}`}|${label(pod)}`
      if (!seen.has(key)) seen.set(key, pod)
    }
    return [...seen.values()]
  }
  const classes = portClasses([state])
  const ranges = externalRanges([state])
  const section = (p: ClusterNetworkPolicy): ClusterPolicySection => {
    const selected = engine.clusterSelectedPods(p)
    const subjects = representatives(selected)
    const rules: ClusterRuleSection[] = []
    for (const direction of ['Ingress', 'Egress'] as PolicyType[]) {
      clusterRules(p, direction).forEach((r, index) => {
        const peers = r.peers as readonly ClusterNetworkPolicyEgressPeer[]
        const peerPods = (peer: ClusterNetworkPolicyEgressPeer) =>
          state.pods.filter((pod) => clusterPeerMatches(peer, { kind: 'pod', pod }, nsLabels, state.nodes) !== 'no')
        const others: Endpoint[] = representatives(state.pods).map((pod): Endpoint => ({ kind: 'pod', pod }))
        if (direction === 'Egress' && peers.some((q) => q.networks !== undefined || q.nodes !== undefined || q.domainNames !== undefined)) {
          others.push(...ranges.map((x): Endpoint => ({ kind: 'ip', ip: x.probe })))
        }
        const decides = new Set<string>()
        const work = subjects.length * others.length * classes.length
        if (work <= DECIDES_BUDGET) {
          for (const s of subjects) {
            for (const o of others) {
              if (o.kind === 'pod' && o.pod === s) continue // a pod to itself is never subject to policy
              for (const c of classes) {
                const subject: Endpoint = { kind: 'pod', pod: s }
                const t: Traffic =
                  direction === 'Ingress'
                    ? { from: o, to: subject, port: c.start, protocol: c.protocol }
                    : { from: subject, to: o, port: c.start, protocol: c.protocol }
                const v = engine.evaluate(t)
                const tiers = (direction === 'Ingress' ? v.ingress : v.egress).tiers
                const tier = p.spec.tier === 'Admin' ? tiers?.admin : tiers?.baseline
                if (tier === undefined || tiers?.decidedBy !== p.spec.tier) continue
                const deciding = tier.matches.filter((m) => m.maybe === undefined).pop()
                if (deciding?.policy.name !== p.name || deciding.ruleIndex !== index) continue
                const end = (e: Endpoint) => (e.kind === 'pod' ? label(e.pod) : (ranges.find((x) => x.probe === e.ip)?.label ?? e.ip))
                decides.add(`${end(t.from)} => ${end(t.to)}`)
                break
              }
            }
          }
        }
        rules.push({
          direction: direction === 'Ingress' ? 'ingress' : 'egress',
          index,
          ...(r.name === undefined ? {} : { name: r.name }),
          action: r.action,
          line: r.source.line,
          peers: peers.map((q) => ({ text: describeClusterPeer(q), line: q.source.line, matches: [...new Set(peerPods(q).map(label))].sort() })),
          protocols: r.protocols.map(formatClusterProtocol),
          decides: [...decides].sort(),
          ...(work > DECIDES_BUDGET ? { decidesOmitted: true } : {}),
        })
      })
    }
    return {
      anchor: `cnp-${p.name}`.replace(/[^A-Za-z0-9_-]/g, '-'),
      name: p.name,
      tier: p.spec.tier,
      priority: p.spec.priority,
      file: p.source.file,
      line: p.source.line,
      subject: describeClusterSubject(p),
      selects: [...new Set(selected.map(label))].sort(),
      selectedPods: selected.length,
      rules,
      findings: findings.filter((f) => f.object === `ClusterNetworkPolicy "${p.name}"`),
    }
  }
  return (['Admin', 'Baseline'] as const).map((tier) => ({ tier, policies: cnps.filter((p) => p.spec.tier === tier).map(section) }))
}
