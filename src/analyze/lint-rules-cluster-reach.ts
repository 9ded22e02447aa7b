/**
 * @module Lint rules about what ClusterNetworkPolicy rules leave unreachable or cut off: rules an
 * earlier rule of the tier always answers first, NetworkPolicy allows an Admin Deny makes moot,
 * a Baseline deny without DNS, deprecated v1alpha1 objects and crowded priorities
 * (docs/lint.md, docs/semantics.md "ClusterNetworkPolicy").
 */
import type {
  ClusterNetworkPolicy,
  ClusterNetworkPolicyEgressPeer,
  ClusterNetworkPolicyProtocol,
  ClusterNetworkPolicySubject,
} from '../model/cluster-network-policy-types.js'
import type { LabelSelector, Pod, PolicyType, Protocol } from '../model/types.js'
import { cidrContains, parseCidr } from '../model/cidr.js'
import { isEmptySelector } from '../model/label-selector.js'
import { clusterRules, compareClusterPolicies, protocolEntry } from '../engine/cluster-policy.js'
import type { Endpoint } from '../engine/verdict.js'
import { portClasses } from './port-classes.js'
import { describePods, dnsPortsOf } from './lint-rules-isolation.js'
import { clusterPolicyFinding, policyFinding, type LintFinding, type LintRule } from './lint-rule.js'

/** Same selector (same requirements; order of matchExpressions as written). */
function sameSelector(a: LabelSelector, b: LabelSelector): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** Does subject `a` select every pod subject `b` selects, whatever the cluster holds? */
function subjectCovers(a: ClusterNetworkPolicySubject, b: ClusterNetworkPolicySubject): boolean {
  if (a.namespaces !== undefined) {
    if (isEmptySelector(a.namespaces)) return true
    if (b.namespaces !== undefined) return sameSelector(a.namespaces, b.namespaces)
    return b.pods !== undefined && sameSelector(a.namespaces, b.pods.namespaceSelector)
  }
  if (a.pods !== undefined) {
    const everyPod = isEmptySelector(a.pods.podSelector)
    if (everyPod && isEmptySelector(a.pods.namespaceSelector)) return true
    if (b.pods !== undefined)
      return sameSelector(a.pods.namespaceSelector, b.pods.namespaceSelector) && (everyPod || sameSelector(a.pods.podSelector, b.pods.podSelector))
    return b.namespaces !== undefined && everyPod && sameSelector(a.pods.namespaceSelector, b.namespaces)
  }
  return false
}

function networksCover(outer: readonly string[], inner: readonly string[]): boolean {
  return inner.every((i) => {
    const ci = parseCidr(i)
    return (
      ci.ok &&
      outer.some((o) => {
        const co = parseCidr(o)
        return co.ok && cidrContains(co.cidr, ci.cidr)
      })
    )
  })
}

/** Does peer `q` match everything peer `p` matches, whatever the cluster holds? */
function peerCovers(q: ClusterNetworkPolicyEgressPeer, p: ClusterNetworkPolicyEgressPeer): boolean {
  if (q.namespaces !== undefined || q.pods !== undefined) {
    if (p.namespaces === undefined && p.pods === undefined) return false
    return subjectCovers({ ...q, source: q.source }, { ...p, source: p.source })
  }
  if (q.networks !== undefined) return p.networks !== undefined && networksCover(q.networks, p.networks)
  if (q.nodes !== undefined) return p.nodes !== undefined && (isEmptySelector(q.nodes) || sameSelector(q.nodes, p.nodes))
  if (q.domainNames !== undefined) return p.domainNames !== undefined && p.domainNames.every((d) => q.domainNames!.includes(d))
  return false
}

/** Does protocol list `q` match every connection list `p` matches? (Empty: every protocol and port.) */
function protocolsCover(q: readonly ClusterNetworkPolicyProtocol[], p: readonly ClusterNetworkPolicyProtocol[]): boolean {
  if (q.length === 0) return true
  if (p.length === 0) return false
  return p.every((pp) => {
    const e = protocolEntry(pp)
    if (e === undefined) return false
    return q.some((qq) => {
      const f = protocolEntry(qq)
      if (f === undefined) return false
      if ('named' in e || 'named' in f) return 'named' in e && 'named' in f && e.named === f.named
      return e.protocol === f.protocol && f.lo <= e.lo && e.hi <= f.hi
    })
  })
}

function ruleName(policy: ClusterNetworkPolicy, direction: PolicyType, i: number): string {
  const r = clusterRules(policy, direction)[i]!
  return `ClusterNetworkPolicy "${policy.name}" ${direction.toLowerCase()}[${i}]${r.name === undefined ? '' : ` "${r.name}"`} (${r.source.file}:${r.source.line})`
}

const cnpRuleShadowed: LintRule = {
  id: 'cnp-rule-shadowed',
  severity: 'warning',
  title: 'ClusterNetworkPolicy rule that an earlier rule of its tier always matches first',
  help:
    'Remove the rule, or move it before the rule that shadows it (or give its policy a lower priority number): in a tier the first rule ' +
    'that matches decides, so a rule whose traffic an earlier rule always matches never takes effect.',
  check(ctx) {
    const out: LintFinding[] = []
    const cnps = [...(ctx.state.clusterNetworkPolicies ?? [])].sort(compareClusterPolicies)
    for (const p of cnps) {
      for (const direction of ['Ingress', 'Egress'] as const) {
        const rules = clusterRules(p, direction)
        rules.forEach((r, i) => {
          const peers = r.peers as readonly ClusterNetworkPolicyEgressPeer[]
          const covers = (q: ClusterNetworkPolicy, j: number): boolean => {
            const e = clusterRules(q, direction)[j]!
            return (
              protocolsCover(e.protocols, r.protocols) &&
              peers.every((pp) => (e.peers as readonly ClusterNetworkPolicyEgressPeer[]).some((qq) => peerCovers(qq, pp)))
            )
          }
          // An earlier rule of the same policy, else a rule of a policy evaluated earlier (lower priority number) that selects every pod this one does.
          let by: { policy: ClusterNetworkPolicy; index: number } | undefined
          for (let j = 0; j < i && by === undefined; j++) if (covers(p, j)) by = { policy: p, index: j }
          for (const q of cnps) {
            if (by !== undefined) break
            if (q.spec.tier !== p.spec.tier || q.spec.priority >= p.spec.priority || !subjectCovers(q.spec.subject, p.spec.subject)) continue
            const n = clusterRules(q, direction).length
            for (let j = 0; j < n && by === undefined; j++) if (covers(q, j)) by = { policy: q, index: j }
          }
          if (by === undefined) return
          const earlier = clusterRules(by.policy, direction)[by.index]!
          const where =
            by.policy === p
              ? `the earlier ${ruleName(by.policy, direction, by.index)}`
              : `${ruleName(by.policy, direction, by.index)} at ${by.policy.spec.tier} priority ${by.policy.spec.priority}, whose subject selects every pod this policy's does,`
          out.push(
            clusterPolicyFinding(
              this,
              p,
              r.source,
              `spec.${direction.toLowerCase()}[${i}]`,
              `${direction.toLowerCase()}[${i}] (${r.action}) is never reached: ${where} matches all of its peers and protocols first and ` +
                `${earlier.action === 'Pass' ? 'passes it to the next tier' : `${earlier.action === 'Accept' ? 'accepts' : 'denies'} it`}`,
            ),
          )
        })
      }
    }
    return out
  },
}

/**
 * The most verdicts asked per NetworkPolicy and direction (subject identities x other endpoints x
 * port classes); a policy over it is not checked (the rule stays quiet rather than slow).
 */
const MOOT_BUDGET = 200_000

const cnpAdminDenyMootsNetworkPolicy: LintRule = {
  id: 'cnp-admin-deny-moots-networkpolicy',
  severity: 'info',
  title: 'NetworkPolicy rule that an Admin-tier Deny always overrides',
  help:
    'Nothing is wrong with the cluster: the Admin tier is evaluated before NetworkPolicy and denies all traffic this rule allows. Remove the ' +
    'rule, or ask the cluster administrators for an Admin Pass (or Accept) if the traffic is meant to flow.',
  check(ctx) {
    const out: LintFinding[] = []
    const adminDeny = (ctx.state.clusterNetworkPolicies ?? []).some(
      (p) => p.spec.tier === 'Admin' && [...p.spec.ingress, ...p.spec.egress].some((r) => r.action === 'Deny'),
    )
    if (!adminDeny) return out
    const classes = portClasses([ctx.state])
    const byIdentity = (pods: readonly Pod[]) => {
      const seen = new Map<number, Pod>()
      for (const pod of pods) {
        if (pod.hostNetwork) continue
        const id = ctx.engine.identityOf(pod)?.id
        if (id !== undefined && !seen.has(id)) seen.set(id, pod)
      }
      return [...seen.values()]
    }
    const others: Endpoint[] = [
      ...byIdentity(ctx.state.pods).map((pod): Endpoint => ({ kind: 'pod', pod })),
      ...ctx.external.map((r): Endpoint => ({ kind: 'ip', ip: r.probe })),
    ]
    for (const np of ctx.state.policies) {
      const subjects = byIdentity(ctx.engine.selectedPods(np))
      for (const direction of ['Ingress', 'Egress'] as const) {
        if (!np.policyTypes.includes(direction)) continue
        const rules = direction === 'Ingress' ? np.ingress : np.egress
        if (rules.length === 0 || subjects.length * others.length * classes.length > MOOT_BUDGET) continue
        const allowed = rules.map(() => 0)
        const overridden = rules.map(() => 0)
        const example: (string | undefined)[] = rules.map(() => undefined)
        for (const pod of subjects) {
          for (const other of others) {
            for (const c of classes) {
              const t =
                direction === 'Ingress'
                  ? { from: other, to: { kind: 'pod' as const, pod }, port: c.start, protocol: c.protocol as Protocol }
                  : { from: { kind: 'pod' as const, pod }, to: other, port: c.start, protocol: c.protocol as Protocol }
              const v = ctx.engine.evaluate(t)
              const side = direction === 'Ingress' ? v.ingress : v.egress
              const mine = side.policies.find((e) => e.policy.namespace === np.namespace && e.policy.name === np.name)
              if (mine === undefined) continue
              const denied = side.tiers?.decidedBy === 'Admin' && side.tiers.outcome === 'denied'
              for (const m of mine.allowedBy) {
                allowed[m.ruleIndex]!++
                if (denied) {
                  overridden[m.ruleIndex]!++
                  if (example[m.ruleIndex] === undefined) {
                    const deny = side.tiers!.admin.matches.find((x) => x.maybe === undefined && x.action === 'Deny')
                    if (deny !== undefined)
                      example[m.ruleIndex] = ruleName(
                        ctx.state.clusterNetworkPolicies!.find((p) => p.name === deny.policy.name)!,
                        direction,
                        deny.ruleIndex,
                      )
                  }
                }
              }
            }
          }
        }
        rules.forEach((rule, i) => {
          if (allowed[i] === 0 || overridden[i] !== allowed[i]) return
          const dir = direction.toLowerCase()
          out.push(
            policyFinding(
              this,
              np,
              rule.source,
              `spec.${dir}[${i}]`,
              `${dir}[${i}] never takes effect: everything it allows to ${describePods(ctx.engine.selectedPods(np), ctx)} is denied by the Admin ` +
                `tier first (e.g. ${example[i] ?? 'an Admin Deny'})`,
            ),
          )
        })
      }
    }
    return out
  },
}

const cnpBaselineDenyWithoutDns: LintRule = {
  id: 'cnp-baseline-deny-without-dns',
  severity: 'warning',
  title: 'Baseline deny that cuts pods off from DNS',
  help:
    'Put an egress rule that accepts DNS (to the kube-dns pods in kube-system, 53/UDP and 53/TCP) before the deny, in the same policy or in ' +
    'a Baseline policy with a lower priority number (or an Admin Accept): pods no NetworkPolicy isolates cannot resolve names otherwise.',
  check(ctx) {
    const out: LintFinding[] = []
    const dns = new Set(ctx.dnsPods)
    // Per Baseline policy and rule: the pods whose DNS it denies.
    const gaps = new Map<ClusterNetworkPolicy, Map<number, Pod[]>>()
    for (const p of ctx.state.clusterNetworkPolicies ?? []) {
      if (p.spec.tier !== 'Baseline' || !p.spec.egress.some((r) => r.action === 'Deny')) continue
      const seen = new Set<number>()
      for (const pod of ctx.probeEngine.clusterSelectedPods(p)) {
        if (pod.hostNetwork || dns.has(pod)) continue
        const id = ctx.probeEngine.identityOf(pod)?.id
        if (id !== undefined && seen.has(id)) continue
        if (id !== undefined) seen.add(id)
        let deniedBy: number | undefined
        let reaches = false
        for (const d of ctx.dnsPods) {
          for (const port of dnsPortsOf(ctx, d, 'UDP')) {
            const v = ctx.probeEngine.evaluate({ from: { kind: 'pod', pod }, to: { kind: 'pod', pod: d }, port, protocol: 'UDP' })
            if (v.egress.allowed) reaches = true
            const t = v.egress.tiers
            const decisive = t?.baseline?.matches.find((m) => m.maybe === undefined)
            if (t?.decidedBy === 'Baseline' && t.outcome === 'denied' && decisive?.policy.name === p.name) deniedBy ??= decisive.ruleIndex
          }
        }
        if (reaches || deniedBy === undefined) continue
        const byRule = gaps.get(p) ?? new Map<number, Pod[]>()
        byRule.set(deniedBy, [...(byRule.get(deniedBy) ?? []), pod])
        gaps.set(p, byRule)
      }
    }
    for (const [p, byRule] of gaps) {
      for (const [i, pods] of byRule) {
        const r = p.spec.egress[i]!
        const target = ctx.standIns.has(ctx.dnsPods[0]!) ? 'kube-dns in kube-system' : `the DNS pods (${describePods(ctx.dnsPods, ctx)})`
        out.push(
          clusterPolicyFinding(
            this,
            p,
            r.source,
            `spec.egress[${i}]`,
            `egress[${i}] denies DNS to ${target} for ${describePods(pods, ctx)} (not isolated by a NetworkPolicy, so the Baseline tier ` +
              `decides), and no earlier rule accepts it: name lookups will fail`,
          ),
        )
      }
    }
    return out
  },
}

const cnpV1alpha1Deprecated: LintRule = {
  id: 'cnp-v1alpha1-deprecated',
  severity: 'warning',
  title: 'Deprecated v1alpha1 AdminNetworkPolicy or BaselineAdminNetworkPolicy',
  help:
    'Run `netpol convert FILE` to print the equivalent policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicies, review them, and replace ' +
    'the v1alpha1 objects: their CRDs no longer ship, and netpol does not analyse them.',
  check(ctx) {
    return (ctx.state.deprecatedPolicies ?? []).map((d) => ({
      ruleId: this.id,
      severity: this.severity,
      file: d.source.file,
      line: d.source.line,
      object: `${d.kind} "${d.name}"`,
      message:
        `${d.kind} (policy.networking.k8s.io/v1alpha1) is deprecated and replaced by ClusterNetworkPolicy (tier ` +
        `${d.kind === 'AdminNetworkPolicy' ? 'Admin' : 'Baseline'}); netpol leaves it out of every answer`,
      hint: this.help,
    }))
  },
}

/** A priority this many policies of one tier share is reported. */
const CROWDED = 3

const cnpPriorityShared: LintRule = {
  id: 'cnp-priority-shared',
  severity: 'warning',
  title: 'Many ClusterNetworkPolicies of one tier sharing a priority',
  help:
    'Give each policy its own priority (lower numbers are evaluated first): where policies of one priority match the same traffic, the API ' +
    'lets an implementation apply any of them, so the order between them is whatever the implementation picks.',
  check(ctx) {
    const out: LintFinding[] = []
    const groups = new Map<string, ClusterNetworkPolicy[]>()
    for (const p of ctx.state.clusterNetworkPolicies ?? []) {
      const key = `${p.spec.tier}/${p.spec.priority}`
      groups.set(key, [...(groups.get(key) ?? []), p])
    }
    for (const list of groups.values()) {
      if (list.length < CROWDED) continue
      const first = list[0]!
      const others = list.slice(1).map((p) => `"${p.name}" (${p.source.file}:${p.source.line})`)
      out.push(
        clusterPolicyFinding(
          this,
          first,
          first.source,
          'spec.priority',
          `${list.length} ${first.spec.tier} policies share priority ${first.spec.priority}: this one and ${others.join(', ')}; their relative ` +
            `order is not defined`,
        ),
      )
    }
    return out
  },
}

export const CLUSTER_REACH_RULES: readonly LintRule[] = [
  cnpRuleShadowed,
  cnpAdminDenyMootsNetworkPolicy,
  cnpBaselineDenyWithoutDns,
  cnpV1alpha1Deprecated,
  cnpPriorityShared,
]
