/**
 * @module Lint rules about overlap: rules that add nothing because a broader rule already allows
 * it, policies written twice, and ipBlocks that reach into the pod network.
 *
 * Containment here is decided on the written selectors (a selector with more requirements selects
 * less), so it holds for any pods the cluster may run, not just those in the input.
 */
import { ipBlockRanges, parseIp, type IpAddress, type IpRange } from '../model/cidr.js'
import {
  NAMESPACE_NAME_LABEL,
  qualifiedName,
  type IPBlock,
  type LabelSelector,
  type LabelSelectorRequirement,
  type Labels,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
  type PolicyType,
  type Pod,
} from '../model/types.js'
import { matchesSelector } from '../model/label-selector.js'
import { sideOf } from '../model/describe.js'
import { namespaceLabelsOf, peerMatches } from '../engine/peer.js'
import { policySelectsPod } from '../engine/isolation.js'
import type { Endpoint } from '../engine/verdict.js'
import type { LintContext } from './lint-context.js'
import { policyFinding, type LintFinding, type LintRule, policyPeers } from './lint-rule.js'
import { describePods } from './lint-rules-isolation.js'

/** Pod IPs parsed once per pod (every ipBlock peer is checked against every pod). */
const parsed = new WeakMap<object, IpAddress[]>()
function parsedIps(pod: { readonly ips: readonly string[] }): IpAddress[] {
  let list = parsed.get(pod)
  if (list === undefined) parsed.set(pod, (list = pod.ips.flatMap((t) => parseIp(t) ?? [])))
  return list
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000')
}

/** True when every label set that satisfies `a` also satisfies requirement `r`. */
function impliesRequirement(a: LabelSelector, r: LabelSelectorRequirement): boolean {
  // A requirement `a` states itself holds whatever else `a` says (even when `a` contradicts itself).
  if (a.matchExpressions.some((e) => e.key === r.key && e.operator === r.operator && sameValues(e.values, r.values))) return true
  if (r.operator === 'In' && r.values.length === 1 && a.matchLabels[r.key] === r.values[0]) return true
  const fixed = a.matchLabels[r.key]
  const exprs = a.matchExpressions.filter((e) => e.key === r.key)
  // Several `In` on one key: the key's value must be in all of them.
  const inLists = exprs.filter((e) => e.operator === 'In').map((e) => e.values)
  const inValues = inLists.length === 0 ? undefined : inLists.reduce((acc, list) => acc.filter((v) => list.includes(v)))
  const has = fixed !== undefined || inValues !== undefined || exprs.some((e) => e.operator === 'Exists')
  switch (r.operator) {
    case 'Exists':
      return has
    case 'DoesNotExist':
      return exprs.some((e) => e.operator === 'DoesNotExist')
    case 'In':
      if (fixed !== undefined) return r.values.includes(fixed)
      return inValues !== undefined && inValues.every((v) => r.values.includes(v))
    case 'NotIn':
      if (fixed !== undefined) return !r.values.includes(fixed)
      if (exprs.some((e) => e.operator === 'DoesNotExist')) return true
      if (inValues !== undefined && inValues.every((v) => !r.values.includes(v))) return true
      return exprs.some((e) => e.operator === 'NotIn' && r.values.every((v) => e.values.includes(v)))
  }
}

/** The entries of `sorted` (by family, then address) whose address lies in `range`, by binary search. */
function inRange<T extends { readonly ip: IpAddress }>(sorted: readonly T[], range: IpRange): T[] {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    const ip = sorted[mid].ip
    if (ip.family < range.family || (ip.family === range.family && ip.value < range.start)) lo = mid + 1
    else hi = mid
  }
  const out: T[] = []
  for (let i = lo; i < sorted.length && sorted[i].ip.family === range.family && sorted[i].ip.value <= range.end; i++) out.push(sorted[i])
  return out
}

/** True when everything `a` selects, `b` selects too (b has no requirement a does not imply). */
export function selectorImplies(a: LabelSelector, b: LabelSelector): boolean {
  for (const [k, v] of Object.entries(b.matchLabels)) {
    if (!impliesRequirement(a, { key: k, operator: 'In', values: [v] })) return false
  }
  return b.matchExpressions.every((r) => impliesRequirement(a, r))
}

function rangesWithin(inner: readonly IpRange[], outer: readonly IpRange[]): boolean {
  return inner.every((r) => outer.some((o) => o.family === r.family && o.start <= r.start && r.end <= o.end))
}

function ipBlockWithin(a: IPBlock, b: IPBlock): boolean {
  return rangesWithin(ipBlockRanges(a), ipBlockRanges(b))
}

function namespaceLabels(ctx: LintContext, name: string): Labels {
  return ctx.namespace(name)?.labels ?? { [NAMESPACE_NAME_LABEL]: name }
}

/** Peer `p` of a policy in namespace `ns` matches nothing that peer `q` (same namespace) does not. */
function peerWithin(ctx: LintContext, ns: string, p: NetworkPolicyPeer, q: NetworkPolicyPeer): boolean {
  if (p.ipBlock || q.ipBlock) return p.ipBlock !== undefined && q.ipBlock !== undefined && ipBlockWithin(p.ipBlock, q.ipBlock)
  if (q.namespaceSelector) {
    if (p.namespaceSelector) {
      if (!selectorImplies(p.namespaceSelector, q.namespaceSelector)) return false
    } else if (!matchesSelector(q.namespaceSelector, namespaceLabels(ctx, ns))) {
      return false
    }
  } else if (p.namespaceSelector) {
    return false
  }
  if (!q.podSelector) return true
  if (!p.podSelector) return Object.keys(q.podSelector.matchLabels).length === 0 && q.podSelector.matchExpressions.length === 0
  return selectorImplies(p.podSelector, q.podSelector)
}

function portWithin(p: NetworkPolicyPort, q: NetworkPolicyPort): boolean {
  if (p.protocol !== q.protocol) return false
  if (q.port === undefined) return true
  if (p.port === undefined) return false
  if (typeof p.port === 'string' || typeof q.port === 'string') return p.port === q.port
  return q.port <= p.port && (p.endPort ?? p.port) <= (q.endPort ?? q.port)
}

interface RuleAt {
  readonly policy: NetworkPolicy
  readonly direction: PolicyType
  readonly index: number
  readonly peers: readonly NetworkPolicyPeer[]
  readonly ports: readonly NetworkPolicyPort[]
  readonly source: { readonly file: string; readonly line: number }
}

function rulesOf(p: NetworkPolicy): RuleAt[] {
  const out: RuleAt[] = []
  if (p.policyTypes.includes('Ingress'))
    p.ingress.forEach((r, i) => out.push({ policy: p, direction: 'Ingress', index: i, peers: r.from, ports: r.ports, source: r.source }))
  if (p.policyTypes.includes('Egress'))
    p.egress.forEach((r, i) => out.push({ policy: p, direction: 'Egress', index: i, peers: r.to, ports: r.ports, source: r.source }))
  return out
}

/** Everything rule `a` allows, rule `b` allows too (for every pod a's policy selects). */
function ruleWithin(ctx: LintContext, a: RuleAt, b: RuleAt): boolean {
  if (a.direction !== b.direction || a.policy.namespace !== b.policy.namespace) return false
  if (a.policy !== b.policy && !selectorImplies(a.policy.podSelector, b.policy.podSelector)) return false
  const ns = a.policy.namespace
  const peersOk = b.peers.length === 0 || (a.peers.length > 0 && a.peers.every((p) => b.peers.some((q) => peerWithin(ctx, ns, p, q))))
  const portsOk = b.ports.length === 0 || (a.ports.length > 0 && a.ports.every((p) => b.ports.some((q) => portWithin(p, q))))
  return peersOk && portsOk
}

function before(a: { source: { file: string; line: number } }, b: { source: { file: string; line: number } }): boolean {
  return a.source.file < b.source.file || (a.source.file === b.source.file && a.source.line < b.source.line)
}

/** The spec without source positions, for equality. */
function specKey(p: NetworkPolicy): string {
  return JSON.stringify({ podSelector: p.podSelector, policyTypes: [...p.policyTypes].sort(), ingress: p.ingress, egress: p.egress }, (k, v: unknown) =>
    k === 'source' ? undefined : v,
  )
}

/** Peers without source positions, as a key: equal peers match the same ends. */
function withoutSource(peers: readonly NetworkPolicyPeer[]): string {
  return JSON.stringify(peers, (k, v: unknown) => (k === 'source' ? undefined : v))
}

function sharesAny<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a]
  for (const x of small) if (large.has(x)) return true
  return false
}

function ruleName(r: RuleAt): string {
  return `${sideOf(r.direction)} rule ${r.index}`
}

const ruleShadowed: LintRule = {
  id: 'rule-shadowed',
  severity: 'warning',
  title: 'Rule shadowed by a broader one',
  help:
    'Delete the narrower rule, or narrow the broader one if the narrow rule was meant to restrict: rules only ever add to each other, so a ' +
    'narrower rule never takes away what a broader one allows.',
  check(ctx) {
    const out: LintFinding[] = []
    const byNamespace = new Map<string, RuleAt[]>()
    for (const p of ctx.state.policies) {
      const list = byNamespace.get(p.namespace) ?? []
      list.push(...rulesOf(p))
      byNamespace.set(p.namespace, list)
    }
    const specs = new Map(ctx.state.policies.map((p) => [p, specKey(p)]))
    for (const rules of byNamespace.values()) {
      for (const a of rules) {
        const broader = rules.find(
          (b) =>
            b !== a &&
            !(b.policy !== a.policy && specs.get(b.policy) === specs.get(a.policy)) &&
            ruleWithin(ctx, a, b) &&
            // Two equal rules: report only the later one.
            (!ruleWithin(ctx, b, a) || before(b, a)),
        )
        if (!broader) continue
        const same = broader.policy === a.policy
        const where = `${broader.source.file}:${broader.source.line}`
        const whose = same ? '' : ` of policy ${qualifiedName(broader.policy)}`
        const equal = ruleWithin(ctx, broader, a)
        out.push(
          policyFinding(
            this,
            a.policy,
            a.source,
            `spec.${a.direction.toLowerCase()}[${a.index}]`,
            equal
              ? `${ruleName(a)} duplicates ${ruleName(broader)}${whose} (${where})`
              : `${ruleName(a)} allows nothing that ${ruleName(broader)}${whose} (${where}) does not already allow${same ? '' : ' for the same pods'}`,
          ),
        )
      }
    }
    return out
  },
}

/** Rule `b` allows every port of each protocol rule `a` names (no ports at all, or a protocol without a port). */
function opensEveryPortOf(b: RuleAt, a: RuleAt): boolean {
  if (b.ports.length === 0) return true
  return a.ports.every((p) => b.ports.some((q) => q.protocol === p.protocol && q.port === undefined))
}

function describePortList(ports: readonly NetworkPolicyPort[]): string {
  return ports
    .map((p) => (p.port === undefined ? `every ${p.protocol} port` : `${p.port}${p.endPort !== undefined ? `-${p.endPort}` : ''}/${p.protocol}`))
    .join(', ')
}

function endpointText(e: Endpoint): string {
  return e.kind === 'pod' ? `${e.pod.namespace}/${e.pod.name}` : e.ip
}

const portRestrictionBypassed: LintRule = {
  id: 'port-restriction-bypassed',
  severity: 'warning',
  title: 'Port restriction undone by another rule that allows every port',
  help:
    'Rules only ever add to each other: a rule that allows every port lets through what a rule restricted to some ports was meant to ' +
    'keep out. Give the broader rule the ports it needs, or narrow its peers or podSelector so that it no longer covers these pods.',
  check(ctx) {
    const out: LintFinding[] = []
    const nsLabels = namespaceLabelsOf(ctx.probeState.namespaces)
    const podsByNamespace = new Map<string, Pod[]>()
    for (const pod of ctx.probeState.pods) {
      const list = podsByNamespace.get(pod.namespace)
      if (list) list.push(pod)
      else podsByNamespace.set(pod.namespace, [pod])
    }
    const podEnds = new Map(ctx.probeState.pods.map((pod) => [pod, { kind: 'pod', pod } as Endpoint]))
    // Every address end (pod IPs and one probe per outside range), sorted, so an ipBlock finds its ends by binary search.
    const byAddress: { ip: IpAddress; end: Endpoint }[] = [
      ...ctx.probeState.pods.flatMap((pod) => parsedIps(pod).map((ip) => ({ ip, end: podEnds.get(pod)! }))),
      ...ctx.external.flatMap((r) => {
        const ip = parseIp(r.probe)
        return ip ? [{ ip, end: { kind: 'ip', ip: r.probe } as Endpoint }] : []
      }),
    ].sort((a, b) => a.ip.family - b.ip.family || (a.ip.value < b.ip.value ? -1 : a.ip.value > b.ip.value ? 1 : 0))
    const endsIn = (range: IpRange): Endpoint[] => inRange(byAddress, range).map((a) => a.end)
    /** The ends one peer matches; selectors only look at the namespaces they can match. */
    const peerEnds = (policy: NetworkPolicy, peer: NetworkPolicyPeer): Endpoint[] => {
      if (peer.ipBlock) return ipBlockRanges(peer.ipBlock).flatMap(endsIn)
      const selector = peer.namespaceSelector
      const namespaces = selector ? [...podsByNamespace.keys()].filter((ns) => matchesSelector(selector, nsLabels(ns))) : [policy.namespace]
      return namespaces.flatMap((ns) =>
        (podsByNamespace.get(ns) ?? []).filter((pod) => peerMatches(policy, peer, podEnds.get(pod)!, nsLabels)).map((pod) => podEnds.get(pod)!),
      )
    }
    // Per rule, once: the pods it applies to and (only when those meet another rule's, which is
    // rare) the ends its peers match (undefined: every end). Rules of one policy and direction
    // select the same pods, and rules with the same peers in one namespace match the same ends:
    // both are computed once and shared.
    const selectedOfRule = new Map<RuleAt, Set<Pod>>()
    const peersOfRule = new Map<RuleAt, Set<Endpoint> | undefined>()
    const selectedOf = new Map<string, Set<Pod>>()
    const peersOf = new Map<string, Set<Endpoint>>()
    const selectedBy = (r: RuleAt): Set<Pod> => {
      let selected = selectedOfRule.get(r)
      if (selected === undefined) {
        const selectedKey = `${r.direction}\u0000${r.policy.namespace}\u0000${[...r.policy.policyTypes].sort().join()}\u0000${JSON.stringify(r.policy.podSelector, (k, v: unknown) => (k === 'source' ? undefined : v))}`
        selected = selectedOf.get(selectedKey)
        if (selected === undefined) {
          selected = new Set((podsByNamespace.get(r.policy.namespace) ?? []).filter((pod) => policySelectsPod(r.policy, pod, r.direction)))
          selectedOf.set(selectedKey, selected)
        }
        selectedOfRule.set(r, selected)
      }
      return selected
    }
    const peersBy = (r: RuleAt): Set<Endpoint> | undefined => {
      if (peersOfRule.has(r)) return peersOfRule.get(r)
      let peers: Set<Endpoint> | undefined
      if (r.peers.length > 0) {
        const peersKey = `${r.policy.namespace}\u0000${withoutSource(r.peers)}`
        peers = peersOf.get(peersKey)
        if (peers === undefined) peersOf.set(peersKey, (peers = new Set(r.peers.flatMap((peer) => peerEnds(r.policy, peer)))))
      }
      peersOfRule.set(r, peers)
      return peers
    }
    const anyEnd = ctx.probeState.pods.length > 0 ? podEnds.get(ctx.probeState.pods[0]) : byAddress[0]?.end
    const byNamespace = new Map<string, RuleAt[]>()
    for (const p of ctx.state.policies) byNamespace.set(p.namespace, [...(byNamespace.get(p.namespace) ?? []), ...rulesOf(p)])
    for (const rules of byNamespace.values()) {
      // Only a rule that names ports restricts them (a protocol without a port restricts nothing but the protocol).
      const restricted = rules.filter((a) => a.ports.length > 0 && a.ports.some((p) => p.port !== undefined))
      if (restricted.length === 0) continue
      for (const a of restricted) {
        const sa = selectedBy(a)
        if (sa.size === 0) continue
        for (const b of rules) {
          // rule-shadowed reports a rule that the other one contains whole.
          if (b === a || b.direction !== a.direction || !opensEveryPortOf(b, a) || ruleWithin(ctx, a, b)) continue
          if (!sharesAny(sa, selectedBy(b))) continue
          const pa = peersBy(a)
          const pb = peersBy(b)
          const peer = pa === undefined ? (pb === undefined ? anyEnd : pb.values().next().value) : [...pa].find((e) => pb?.has(e) ?? true)
          if (peer === undefined) continue
          const sb = selectedBy(b)
          const both = [...sa].filter((pod) => sb.has(pod))
          const dir = a.direction.toLowerCase()
          const whose = b.policy === a.policy ? 'of this policy' : `of policy ${qualifiedName(b.policy)}`
          const example =
            a.direction === 'Ingress'
              ? `from ${endpointText(peer)} to ${both[0].namespace}/${both[0].name}`
              : `from ${both[0].namespace}/${both[0].name} to ${endpointText(peer)}`
          out.push(
            policyFinding(
              this,
              a.policy,
              a.ports[0].source,
              `spec.${dir}[${a.index}].ports`,
              `${ruleName(a)} allows only ${describePortList(a.ports)}, but ${ruleName(b)} ${whose} (${b.source.file}:${b.source.line}) allows ` +
                `every port for ${describePods(both, ctx)} and some of the same ${a.direction === 'Ingress' ? 'sources' : 'destinations'} ` +
                `(e.g. ${example}): the port restriction does nothing there`,
            ),
          )
          break
        }
      }
    }
    return out
  },
}

const duplicatePolicy: LintRule = {
  id: 'duplicate-policy',
  severity: 'warning',
  title: 'Duplicate policy',
  help: 'Delete one of the two: identical policies under different names drift apart when only one gets edited.',
  check(ctx) {
    const out: LintFinding[] = []
    const seen = new Map<string, NetworkPolicy>()
    const sorted = [...ctx.state.policies].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))
    for (const p of sorted) {
      const key = `${p.namespace}\u0000${specKey(p)}`
      const first = seen.get(key)
      if (!first) {
        seen.set(key, p)
        continue
      }
      out.push(
        policyFinding(
          this,
          p,
          p.source,
          'spec',
          `policy ${qualifiedName(p)} has the same spec as ${qualifiedName(first)} (${first.source.file}:${first.source.line})`,
        ),
      )
    }
    return out
  },
}

const ipBlockCoversPods: LintRule = {
  id: 'ipblock-covers-pods',
  severity: 'warning',
  title: 'ipBlock that covers pod addresses',
  help:
    'ipBlock is meant for addresses outside the cluster; whether it also matches pod traffic depends on the network plugin. Select pods ' +
    'with podSelector/namespaceSelector, and add the pod CIDR to `except`.',
  check(ctx) {
    const out: LintFinding[] = []
    // Only addresses the user knows (from the manifests or the cluster): an address netpol assumed
    // for a pod without one would make every 0.0.0.0/0 a finding about addresses nobody wrote.
    const pods = ctx.state.pods.filter((p) => !p.hostNetwork && p.ips.length > 0 && !p.ipsAssumed)
    if (pods.length === 0) return out
    // Many policies write the same ipBlock: the pods it covers are found once per distinct block,
    // by binary search over the pod addresses sorted once, then back in input order.
    const coveredBy = new Map<string, { pods: Pod[]; text: string }>()
    const byAddress = pods
      .flatMap((pod, i) => parsedIps(pod).map((ip) => ({ ip, i })))
      .sort((a, b) => a.ip.family - b.ip.family || (a.ip.value < b.ip.value ? -1 : a.ip.value > b.ip.value ? 1 : 0))
    const hit = new Uint8Array(pods.length)
    const podsIn = (ranges: readonly IpRange[]): Pod[] => {
      hit.fill(0)
      for (const range of ranges) for (const a of inRange(byAddress, range)) hit[a.i] = 1
      const out: Pod[] = []
      for (let i = 0; i < pods.length; i++) if (hit[i] === 1) out.push(pods[i])
      return out
    }
    for (const policy of ctx.state.policies) {
      for (const { peer, field } of policyPeers(policy)) {
        if (!peer.ipBlock) continue
        const key = `${peer.ipBlock.cidr}\u0000${peer.ipBlock.except.join('\u0000')}`
        let found = coveredBy.get(key)
        if (found === undefined) {
          const covered = podsIn(ipBlockRanges(peer.ipBlock))
          found = { pods: covered, text: covered.length === 0 ? '' : `${covered.length} pod(s) (${describePods(covered, ctx)}, e.g. ${covered[0].ips[0]})` }
          coveredBy.set(key, found)
        }
        if (found.pods.length === 0) continue
        out.push(policyFinding(this, policy, peer.source, `${field}.ipBlock`, `ipBlock ${peer.ipBlock.cidr} also covers the addresses of ${found.text}`))
      }
    }
    return out
  },
}

export const OVERLAP_RULES: readonly LintRule[] = [ruleShadowed, portRestrictionBypassed, duplicatePolicy, ipBlockCoversPods]
