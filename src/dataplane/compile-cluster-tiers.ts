/**
 * @module The ClusterNetworkPolicy tiers of a node's ruleset (pure): per local pod and side, the
 * Admin tier's chains (run before the NetworkPolicy part of the pod chain) and the Baseline tier's
 * chains (run after it, for pods no NetworkPolicy isolates), with their sets, deny chains and
 * counters. compile-ruleset.ts places them in the pod chains and renders them.
 *
 * What matches comes from the engine (src/engine/cluster-policy.ts): which pods a subject selects
 * (`clusterPolicySelectsPod`) and in which order the policies of a tier run (`compareClusterPolicies`,
 * as `tierPolicies` orders them), which pods a peer matches
 * (`clusterPeerMatches`), what a protocol entry means (`protocolEntry`) and a named port on a
 * destination pod (`resolveNamedPort`, through NamedPorts).
 *
 * Decisions (docs/dataplane.md, "ClusterNetworkPolicy tiers"). The ruleset accepts exactly what
 * the engine proves `allowed` and drops everything else (fail closed):
 * - A priority shared by several policies of a pod's tier is one group: each policy's first
 *   matching rule gives its action, and when they differ (the API leaves the result to the
 *   implementation; the engine says `undefined`) the connection is dropped. A Deny anywhere in
 *   the group drops (alone it is a Deny, with another action a conflict).
 * - Peers the engine can only say *may* match (`domainNames`: any address; `nodes`: any address
 *   that is not an ordinary pod's) never accept; where such a rule would drop or, in the Admin
 *   tier, Pass (whose consequence the engine does not follow), a possible match drops.
 */
import { familyBits, formatIp, ipBlockRanges, parseCidr, parseIp, type IpFamily, type IpRange } from '../model/cidr.js'
import type { ClusterNetworkPolicy, ClusterNetworkPolicyRuleAction, ClusterNetworkPolicyTier } from '../model/cluster-network-policy-types.js'
import { describeClusterNetworkPolicy } from '../model/cluster-network-policy-types.js'
import type { ClusterState, NetworkPolicyPort, Pod, PolicyType } from '../model/types.js'
import { clusterRuleLabel, formatClusterRule, type Side } from '../model/describe.js'
import { InputError, type Diagnostic } from '../model/diagnostic.js'
import {
  clusterPeerMatches,
  clusterPolicySelectsPod,
  clusterRules,
  compareClusterPolicies,
  protocolEntry,
  type ClusterPeer,
  type ClusterRuleView,
  type PeerMatch,
} from '../engine/cluster-policy.js'
import type { Endpoint } from '../engine/verdict.js'
import { namespaceLabelsOf, type NamespaceLabels } from '../engine/peer.js'
import { nftString, type NftNameAllocator } from './nft-names.js'
import {
  addrType,
  crossMatches,
  denyChainName,
  FAMILIES,
  ipKeyword,
  LOG_PREFIX_MAX,
  MAX_PORT,
  mergeRanges,
  NamedPorts,
  numericPortElements,
  passChainName,
  podAddresses,
  renderRange,
  SIDE_PREFIX,
  SIDES,
  type SetRegistry,
  setMatch,
} from './nft-match.js'

/** A counter of one ClusterNetworkPolicy rule on one side: the new connections it decided (or dropped as a possible match). */
export interface ClusterRuleCounter {
  readonly name: string
  readonly side: Side
  readonly tier: ClusterNetworkPolicyTier
  readonly policy: string
  readonly priority: number
  readonly ruleIndex: number
  readonly ruleName?: string
  readonly action: ClusterNetworkPolicyRuleAction
}

/** A counter of the connections dropped because policies of one tier and priority matched with different actions. */
export interface ClusterConflictCounter {
  readonly name: string
  readonly side: Side
  readonly tier: ClusterNetworkPolicyTier
  readonly priority: number
  /** The group's policies, in evaluation order. */
  readonly policies: readonly string[]
}

/** A regular chain to render: name, comment, rule texts. */
export interface TierChain {
  readonly name: string
  readonly comment: string
  readonly rules: readonly string[]
  readonly owner: () => string
}

/** What the tiers add to one local pod's chain on one side. */
export interface PodTiers {
  /** Chains to `jump` to, in order, before the NetworkPolicy part (one per priority group). */
  readonly admin: readonly string[]
  /** Chains to `jump` to, in order, when no NetworkPolicy isolates the pod (then accept). */
  readonly baseline: readonly string[]
  /** An Admin Pass can leave the Admin tier: the rest of the pod chain must be its own chain (the Pass target). */
  readonly adminPasses: boolean
}

export interface ClusterTiers {
  readonly chains: readonly TierChain[]
  readonly counters: readonly { name: string; comment: string; owner: () => string }[]
  readonly ruleCounters: readonly ClusterRuleCounter[]
  readonly conflictCounters: readonly ClusterConflictCounter[]
  /** undefined: no tier policy selects the pod on this side. */
  podTiers(pod: Pod, side: Side): PodTiers | undefined
}

const DIRECTION: Record<Side, PolicyType> = { ingress: 'Ingress', egress: 'Egress' }
const TIER_WORD: Record<ClusterNetworkPolicyTier, string> = { Admin: 'admin', Baseline: 'baseline' }

/** A possible match drops where matching would deny or, in the Admin tier, Pass (not followed by the engine). */
function possibleMatchDrops(tier: ClusterNetworkPolicyTier, action: ClusterNetworkPolicyRuleAction): boolean {
  return action === 'Deny' || (tier === 'Admin' && action === 'Pass')
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_PORT
}

/**
 * The values of a ClusterNetworkPolicy that become nft text or decide a verdict, checked before
 * anything is compiled (the loader and the agent validate first; the compiler does not rely on
 * it): tier, priority, actions, ports and networks. Every problem, as diagnostics.
 */
export function checkClusterPolicy(policy: ClusterNetworkPolicy): Diagnostic[] {
  const out: Diagnostic[] = []
  const problem = (field: string, message: string): void => {
    out.push({
      severity: 'error',
      file: policy.source?.file ?? '<unknown>',
      line: policy.source?.line ?? 0,
      object: describeClusterNetworkPolicy(policy),
      field,
      message: `${message} (refusing to compile a ruleset from it)`,
    })
  }
  const spec = policy.spec
  if (spec.tier !== 'Admin' && spec.tier !== 'Baseline')
    problem('spec.tier', `Unsupported value: ${JSON.stringify(String(spec.tier))}: supported values: "Admin", "Baseline"`)
  if (typeof spec.priority !== 'number' || !Number.isInteger(spec.priority) || spec.priority < 0 || spec.priority > 1000)
    problem('spec.priority', `Invalid value: ${JSON.stringify(String(spec.priority))}: must be an integer between 0 and 1000`)
  for (const side of SIDES) {
    for (const [i, rule] of clusterRules(policy, DIRECTION[side]).entries()) {
      const at = `spec.${side}[${i}]`
      if (rule.action !== 'Accept' && rule.action !== 'Deny' && rule.action !== 'Pass')
        problem(`${at}.action`, `Unsupported value: ${JSON.stringify(String(rule.action))}: supported values: "Accept", "Deny", "Pass"`)
      for (const [j, peer] of rule.peers.entries()) {
        const networks = 'networks' in peer ? peer.networks : undefined
        if (networks === undefined) continue
        for (const [k, cidr] of networks.entries()) {
          if (typeof cidr !== 'string' || !parseCidr(cidr).ok)
            problem(`${at}.to[${j}].networks[${k}]`, `Invalid value: ${JSON.stringify(String(cidr))}: must be a valid CIDR`)
        }
      }
      for (const [k, p] of rule.protocols.entries()) {
        const e = protocolEntry(p)
        if (e === undefined || 'named' in e) continue
        const port = p.tcp ?? p.udp ?? p.sctp
        const field = `${at}.protocols[${k}].${p.tcp ? 'tcp' : p.udp ? 'udp' : 'sctp'}.destinationPort`
        const d = port?.destinationPort
        if (d?.number !== undefined && !isPort(d.number))
          problem(`${field}.number`, `Invalid value: ${JSON.stringify(String(d.number))}: must be between 1 and 65535`)
        if (d?.range !== undefined && (!isPort(d.range.start) || !isPort(d.range.end) || d.range.start > d.range.end))
          problem(`${field}.range`, 'Invalid value: start and end must be between 1 and 65535, start not above end')
        if (d?.number === undefined && d?.range === undefined) problem(field, 'Required value: one of number or range')
      }
    }
  }
  return out
}

/** One rule's nft match texts on one side, and the objects its lines use. */
interface RuleLines {
  readonly view: ClusterRuleView
  readonly index: number
  /** Matches of the peers the engine matches for certain; each line ends in the rule's verdict. */
  readonly certain: readonly string[]
  /** Matches of the peers that may match (only where a possible match drops); each line drops. */
  readonly maybe: readonly string[]
  /** Named counter; '' when the rule has no line. */
  readonly counter: string
  /** The rule's drop chain (log, then the side's deny tail); '' when the rule never drops. */
  readonly deny: string
}

interface PolicySide {
  readonly policy: ClusterNetworkPolicy
  readonly side: Side
  readonly rules: readonly RuleLines[]
}

/** Every address of the family outside the given merged, sorted ranges. */
function complementRanges(family: IpFamily, known: readonly IpRange[]): IpRange[] {
  const max = (1n << BigInt(familyBits(family))) - 1n
  const out: IpRange[] = []
  let next = 0n
  for (const r of known) {
    if (r.start > next) out.push({ family, start: next, end: r.start - 1n })
    next = r.end + 1n
  }
  if (next <= max) out.push({ family, start: next, end: max })
  return out
}

export function planClusterTiers(input: {
  readonly state: ClusterState
  /** Every pod, sorted (namespace, name). */
  readonly pods: readonly Pod[]
  /** The pods this node enforces (with addresses). */
  readonly localPods: readonly Pod[]
  readonly names: NftNameAllocator
  readonly sets: SetRegistry
  /** Named ports over every pod of the cluster (egress destinations). */
  readonly clusterNamedPorts: NamedPorts
  readonly logGroup: number
}): ClusterTiers {
  const { state, pods, localPods, names, sets, clusterNamedPorts, logGroup } = input
  const cnps = state.clusterNetworkPolicies ?? []
  const problems = cnps.flatMap(checkClusterPolicy)
  if (problems.length > 0) throw new InputError(problems)
  const nsLabels: NamespaceLabels = namespaceLabelsOf(state.namespaces)

  const chains: TierChain[] = []
  const counters: { name: string; comment: string; owner: () => string }[] = []
  const ruleCounters: ClusterRuleCounter[] = []
  const conflictCounters: ClusterConflictCounter[] = []

  // Per (side, pod): the tier policy lists, as the engine's `tierPolicies` makes them (the policies
  // of the tier selecting the pod with rules of the side, by priority then name), built per policy
  // once instead of per pod (200 policies x 5,000 pods would build 4 million rule views).
  type Lists = Record<Side, { admin: ClusterNetworkPolicy[]; baseline: ClusterNetworkPolicy[] }>
  const lists = new Map<Pod, Lists>(localPods.map((pod) => [pod, { ingress: { admin: [], baseline: [] }, egress: { admin: [], baseline: [] } }]))
  for (const policy of [...cnps].sort(compareClusterPolicies)) {
    const key = policy.spec.tier === 'Admin' ? 'admin' : 'baseline'
    const sides = SIDES.filter((side) => clusterRules(policy, DIRECTION[side]).length > 0)
    if (sides.length === 0) continue
    for (const pod of localPods) {
      if (!clusterPolicySelectsPod(policy, pod, nsLabels)) continue
      const entry = lists.get(pod)!
      for (const side of sides) entry[side][key].push(policy)
    }
  }

  const peerAnswer = (peer: ClusterPeer, e: Endpoint): PeerMatch => clusterPeerMatches(peer, e, nsLabels, state.nodes)
  // Peer -> the pods it matches for certain (selector peers are shared by many rules).
  const peerPodsCache = new Map<string, Pod[]>()
  const peerPods = (peer: ClusterPeer): Pod[] => {
    const key = JSON.stringify([peer.namespaces, peer.pods, 'networks' in peer ? peer.networks : undefined])
    let hit = peerPodsCache.get(key)
    if (!hit) {
      hit = pods.filter((pod) => peerAnswer(peer, { kind: 'pod', pod }) === 'yes')
      peerPodsCache.set(key, hit)
    }
    return hit
  }
  // `nodes` peers: the engine answers per endpoint; the data plane sees addresses. An address is
  // matched for certain when every endpoint with it (its pods, the address itself) answers yes,
  // possibly when any answers yes or may; addresses of no pod and no Node answer like any of them.
  const nodeAddresses = (state.nodes ?? []).flatMap((n) => n.addresses.flatMap((a) => parseIp(a) ?? []))
  const knownRanges = (family: IpFamily): IpRange[] =>
    mergeRanges([...pods.flatMap(podAddresses), ...nodeAddresses].filter((a) => a.family === family).map((a) => ({ family, start: a.value, end: a.value })))
  const nodesRegionCache = new Map<string, { certain: IpRange[]; maybe: IpRange[] }>()
  const nodesRegion = (peer: ClusterPeer): { certain: IpRange[]; maybe: IpRange[] } => {
    const key = JSON.stringify('nodes' in peer ? peer.nodes : null)
    const hit = nodesRegionCache.get(key)
    if (hit) return hit
    const answers = new Map<bigint, { family: IpFamily; all: boolean; any: boolean }>()
    const note = (a: { family: IpFamily; value: bigint }, m: PeerMatch): void => {
      const k = (BigInt(a.family) << 200n) | a.value
      const cur = answers.get(k) ?? { family: a.family, all: true, any: false }
      answers.set(k, { family: a.family, all: cur.all && m === 'yes', any: cur.any || m !== 'no' })
    }
    for (const pod of pods) for (const a of podAddresses(pod)) note(a, peerAnswer(peer, { kind: 'pod', pod }))
    for (const a of nodeAddresses) note(a, peerAnswer(peer, { kind: 'ip', ip: formatIp(a) }))
    const certain: IpRange[] = []
    const maybe: IpRange[] = []
    for (const [k, v] of answers) {
      const value = k & ((1n << 200n) - 1n)
      if (v.all) certain.push({ family: v.family, start: value, end: value })
      else if (v.any) maybe.push({ family: v.family, start: value, end: value })
    }
    for (const family of FAMILIES) {
      // Any other address: 0.0.0.0 and :: are no pod's or node's.
      const other = peerAnswer(peer, { kind: 'ip', ip: family === 4 ? '0.0.0.0' : '::' })
      if (other === 'no') continue
      const rest = complementRanges(family, knownRanges(family))
      ;(other === 'yes' ? certain : maybe).push(...rest)
    }
    const region = { certain, maybe }
    nodesRegionCache.set(key, region)
    return region
  }

  // A rule's peers as address matches, shared by every rule with the same peers (an
  // everything-selecting peer stands for every pod address: merged once, not once per rule).
  type PeerTexts = { certainPeers: { family?: IpFamily; text: string }[]; maybePeers: { family?: IpFamily; text: string }[] }
  const peerTextCache = new Map<string, PeerTexts>()
  const peerMatches = (peers: readonly ClusterPeer[], field: 'saddr' | 'daddr', drops: boolean): PeerTexts => {
    const key = `${field}|${drops}|${JSON.stringify(peers.map(({ source: _source, ...rest }) => rest))}`
    const hit = peerTextCache.get(key)
    if (hit) return hit
    // Peers the engine matches for certain: pods (every address of a matched pod: the engine
    // matches a pod when any of its addresses is inside a network) and networks.
    const ranges: IpRange[] = []
    const maybeRanges: IpRange[] = []
    let maybeAll = false
    for (const peer of peers) {
      if ('domainNames' in peer && peer.domainNames !== undefined) {
        maybeAll = true
        continue
      }
      if ('nodes' in peer && peer.nodes !== undefined) {
        const region = nodesRegion(peer)
        ranges.push(...region.certain)
        maybeRanges.push(...region.maybe)
        continue
      }
      for (const pod of peerPods(peer)) for (const a of podAddresses(pod)) ranges.push({ family: a.family, start: a.value, end: a.value })
      const networks = 'networks' in peer ? peer.networks : undefined
      for (const cidr of networks ?? []) ranges.push(...ipBlockRanges({ cidr, except: [] }))
    }
    const certainPeers: { family?: IpFamily; text: string }[] = []
    for (const family of FAMILIES) {
      const merged = mergeRanges(ranges.filter((r) => r.family === family))
      if (merged.length === 0) continue
      certainPeers.push({ family, text: setMatch(sets, [`${ipKeyword(family)} ${field}`], `peer${family}`, addrType(family), true, merged.map(renderRange)) })
    }
    // Peers that may match (domainNames: any address; nodes: see nodesRegion), only where a possible match drops.
    const maybePeers: { family?: IpFamily; text: string }[] = []
    if (drops) {
      if (maybeAll) maybePeers.push({ text: '' })
      else {
        for (const family of FAMILIES) {
          const merged = mergeRanges(maybeRanges.filter((r) => r.family === family))
          if (merged.length === 0) continue
          maybePeers.push({
            family,
            text: setMatch(sets, [`${ipKeyword(family)} ${field}`], `peer${family}`, addrType(family), true, merged.map(renderRange)),
          })
        }
      }
    }
    const texts = { certainPeers, maybePeers }
    peerTextCache.set(key, texts)
    return texts
  }

  const policySides = new Map<ClusterNetworkPolicy, Partial<Record<Side, PolicySide>>>()
  const policySide = (policy: ClusterNetworkPolicy, side: Side): PolicySide => {
    const bySide = policySides.get(policy) ?? {}
    policySides.set(policy, bySide)
    const cached = bySide[side]
    if (cached) return cached
    const field: 'saddr' | 'daddr' = side === 'ingress' ? 'saddr' : 'daddr'
    const tier = policy.spec.tier
    const views = clusterRules(policy, DIRECTION[side])
    // Ingress named ports resolve on the destination: one of this policy's pods on this node.
    const namedPorts =
      side === 'ingress'
        ? new NamedPorts(localPods.filter((p) => lists.get(p)!.ingress[tier === 'Admin' ? 'admin' : 'baseline'].includes(policy)))
        : clusterNamedPorts
    const rules = views.map((view, index): RuleLines => {
      // Ports: none written matches everything; entries of no known kind match nothing.
      let portMatches: { family?: IpFamily; text: string }[] = []
      if (view.protocols.length === 0) portMatches = [{ text: '' }]
      else {
        const numeric: NetworkPolicyPort[] = []
        const named: NetworkPolicyPort[] = []
        for (const p of view.protocols) {
          const e = protocolEntry(p)
          if (e === undefined) continue
          if ('named' in e) {
            for (const protocol of ['TCP', 'UDP', 'SCTP'] as const) named.push({ protocol, port: e.named, source: p.source })
          } else {
            const hi = Math.min(e.hi, MAX_PORT)
            numeric.push({ protocol: e.protocol, port: e.lo, ...(hi === e.lo ? {} : { endPort: hi }), source: p.source })
          }
        }
        const elements = numericPortElements(numeric)
        if (elements.length > 0) portMatches.push({ text: setMatch(sets, ['meta l4proto', 'th dport'], 'port', 'inet_proto . inet_service', true, elements) })
        if (named.length > 0) {
          for (const family of FAMILIES) {
            const text = namedPorts.match(named, family, sets)
            if (text !== '') portMatches.push({ family, text })
          }
        }
      }
      const { certainPeers, maybePeers } = peerMatches(view.peers, field, possibleMatchDrops(tier, view.action))
      const certain = crossMatches(certainPeers, portMatches)
      const maybe = crossMatches(maybePeers, portMatches)
      const ref = {
        tier,
        policy: policy.name,
        priority: policy.spec.priority,
        side,
        ruleIndex: index,
        ...(view.name === undefined ? {} : { ruleName: view.name }),
      }
      const readable = `${policy.name}_${clusterRuleLabel(ref)}`
      const exact = `${tier}|${policy.name}|${side}|${index}`
      let counter = ''
      let deny = ''
      if (certain.length > 0 || maybe.length > 0) {
        counter = names.allocate(`cnp_${SIDE_PREFIX[side]}`, readable, exact)
        const what = formatClusterRule(ref)
        counters.push({ name: counter, comment: `${view.action} ${side} by ${what}`, owner: () => `${side} ${what}` })
        ruleCounters.push({ name: counter, ...ref, action: view.action })
      }
      if (maybe.length > 0 || (view.action === 'Deny' && certain.length > 0)) {
        deny = names.allocate(`cdeny_${SIDE_PREFIX[side]}`, readable, exact)
        const what = formatClusterRule(ref)
        chains.push({
          name: deny,
          comment: `${side} drops of ${what}`,
          owner: () => `the drops of ${side} ${what}`,
          rules: [
            `ct state new limit rate 10/second burst 20 packets log prefix ${nftString(`netpol deny ${side} ${TIER_WORD[tier]} ${policy.name} rule ${clusterRuleLabel(ref)}: `, LOG_PREFIX_MAX)} group ${logGroup}`,
            `goto ${denyChainName(side)}`,
          ],
        })
      }
      return { view, index, certain, maybe, counter, deny }
    })
    const ps = { policy, side, rules }
    bySide[side] = ps
    return ps
  }

  /**
   * A policy's rules as chain lines, each ending in its verdict (`verdict(action)` for a certain
   * match, else the rule's drop chain); `counted(action)` false leaves that line's counter to the
   * chain that counts the match (see the group).
   */
  const ruleTexts = (
    ps: PolicySide,
    verdict: (action: ClusterNetworkPolicyRuleAction) => string | undefined,
    counted: (action: ClusterNetworkPolicyRuleAction) => boolean = () => true,
  ): string[] => {
    const out: string[] = []
    for (const r of ps.rules) {
      const v = verdict(r.view.action) ?? `goto ${r.deny}`
      const counter = counted(r.view.action) ? `counter name "${r.counter}" ` : ''
      for (const m of r.certain) out.push(`${m === '' ? '' : `${m} `}${counter}${v}`)
      for (const m of r.maybe) out.push(`${m === '' ? '' : `${m} `}counter name "${r.counter}" goto ${r.deny}`)
    }
    return out
  }

  /** What an Accept or a Pass that decides does: Accept accepts the side; Pass leaves the Admin tier, or in the Baseline tier allows. */
  const apply = (tier: ClusterNetworkPolicyTier, side: Side, action: 'Accept' | 'Pass'): string =>
    action === 'Accept' || tier === 'Baseline' ? 'accept' : `goto ${passChainName(side)}`

  // One entry chain per (tier, side, priority group), shared by every pod with the same group.
  const groupChains = new Map<string, string>()
  const groupEntry = (tier: ClusterNetworkPolicyTier, side: Side, group: readonly ClusterNetworkPolicy[]): string | undefined => {
    const sides = group.map((p) => policySide(p, side))
    const hasLines = (ps: PolicySide): boolean => ps.rules.some((r) => r.certain.length > 0 || r.maybe.length > 0)
    if (!sides.some(hasLines)) return undefined
    const key = `${tier}|${side}|${group.map((p) => p.name).join('\n')}`
    const hit = groupChains.get(key)
    if (hit) return hit
    const priority = group[0]!.spec.priority
    let entry: string
    if (group.length === 1) {
      const policy = group[0]!
      entry = names.allocate(`cnp_${SIDE_PREFIX[side]}`, policy.name, key)
      chains.push({
        name: entry,
        comment: `${side} rules of ${TIER_WORD[tier]} ClusterNetworkPolicy ${policy.name} (priority ${priority})`,
        owner: () => `${side} rules of ${describeClusterNetworkPolicy(policy)}`,
        rules: ruleTexts(sides[0]!, (a) => (a === 'Deny' ? undefined : apply(tier, side, a))),
      })
    } else {
      // Several policies at one priority: each policy's first matching rule gives its action; a
      // Deny met first drops (its rule's chain), Accept with Pass or a Deny after either is a
      // conflict and drops, one action alone is that action, no match moves on.
      const undef = names.allocate(`cundef_${SIDE_PREFIX[side]}`, `${TIER_WORD[tier]}_${priority}`, key)
      const listed = group.map((p) => p.name).join(', ')
      counters.push({
        name: undef,
        comment: `${side} conflicts of ${TIER_WORD[tier]} priority ${priority}: ${listed}`,
        owner: () => `${side} conflicts at ${TIER_WORD[tier]} priority ${priority}`,
      })
      conflictCounters.push({ name: undef, side, tier, priority, policies: group.map((p) => p.name) })
      const undefChain = names.allocate(`cundef_${SIDE_PREFIX[side]}`, `${TIER_WORD[tier]}_${priority}`, `${key}|chain`)
      chains.push({
        name: undefChain,
        comment: `${side}: ${TIER_WORD[tier]} policies of priority ${priority} decide differently (undefined): dropped`,
        owner: () => `the ${side} conflicts at ${TIER_WORD[tier]} priority ${priority}`,
        rules: [
          `ct state new limit rate 10/second burst 20 packets log prefix ${nftString(`netpol deny ${side} ${TIER_WORD[tier]} priority ${priority} conflict: `, LOG_PREFIX_MAX)} group ${logGroup}`,
          `counter name "${undef}" goto ${denyChainName(side)}`,
        ],
      })
      // Flat, so the jumps stay as deep at any group size (the kernel refuses a chain 16 jumps or
      // gotos from a base chain): `first_i` finds policy i's first matching rule. Nothing yet:
      // return, and the entry chain asks the next policy. A Deny (or a possible match that drops):
      // that rule's drop chain. An Accept or a Pass: to the chain of that action, which asks every
      // policy again and counts each one's first match there (so every match is counted once; the
      // policies before i match nothing, as before): another action is the conflict, the same one
      // returns; all asked, the action applies.
      const members = group.map((policy, i) => ({ policy, side: sides[i]!, i })).filter((m) => hasLines(m.side))
      const k = group.length
      const chainOf = (role: string, i?: number): string =>
        names.allocate(
          `cgrp_${SIDE_PREFIX[side]}`,
          `${TIER_WORD[tier]}_${priority}_${i === undefined ? role : group[i]!.name}`,
          `${key}|${role}${i === undefined ? '' : `|${i}`}`,
        )
      const actions = new Set(members.flatMap((m) => m.side.rules.filter((r) => r.certain.length > 0).map((r) => r.view.action)))
      const decided = new Map<'Accept' | 'Pass', string>()
      for (const action of ['Accept', 'Pass'] as const) {
        if (!actions.has(action)) continue
        const asks: string[] = []
        for (const { policy, side: ps, i } of members) {
          const ask = chainOf(action.toLowerCase(), i)
          chains.push({
            name: ask,
            comment: `${side} rules of ${TIER_WORD[tier]} ClusterNetworkPolicy ${policy.name} (priority ${priority}, ${i + 1} of ${k}; after: ${action})`,
            owner: () => `${side} rules of ${describeClusterNetworkPolicy(policy)} in its priority group`,
            rules: ruleTexts(ps, (a) => (a === action ? 'return' : `goto ${undefChain}`)),
          })
          asks.push(`jump ${ask}`)
        }
        const name = chainOf(`decide_${action.toLowerCase()}`)
        chains.push({
          name,
          comment: `${side}: ${TIER_WORD[tier]} priority ${priority}: a policy's first match is ${action}; every other's must be too`,
          owner: () => `the ${side} ${action} of ${TIER_WORD[tier]} priority ${priority}`,
          rules: [...asks, apply(tier, side, action)],
        })
        decided.set(action, name)
      }
      const firsts: string[] = []
      for (const { policy, side: ps, i } of members) {
        const first = chainOf('first', i)
        chains.push({
          name: first,
          comment: `${side} rules of ${TIER_WORD[tier]} ClusterNetworkPolicy ${policy.name} (priority ${priority}, ${i + 1} of ${k}; first match)`,
          owner: () => `${side} rules of ${describeClusterNetworkPolicy(policy)} in its priority group`,
          rules: ruleTexts(
            ps,
            (a) => (a === 'Deny' ? undefined : `goto ${decided.get(a)!}`),
            (a) => a === 'Deny',
          ),
        })
        firsts.push(`jump ${first}`)
      }
      entry = chainOf('entry')
      chains.push({
        name: entry,
        comment: `${side}: ${TIER_WORD[tier]} ClusterNetworkPolicies of priority ${priority}: ${listed}`,
        owner: () => `the ${side} group at ${TIER_WORD[tier]} priority ${priority}`,
        rules: firsts,
      })
    }
    groupChains.set(key, entry)
    return entry
  }

  const groupsOf = (list: readonly ClusterNetworkPolicy[]): ClusterNetworkPolicy[][] => {
    const out: ClusterNetworkPolicy[][] = []
    for (const p of list) {
      const last = out[out.length - 1]
      if (last && last[0]!.spec.priority === p.spec.priority) last.push(p)
      else out.push([p])
    }
    return out
  }

  const podTiers = new Map<Pod, Partial<Record<Side, PodTiers>>>()
  for (const pod of localPods) {
    const entry: Partial<Record<Side, PodTiers>> = {}
    for (const side of SIDES) {
      const l = lists.get(pod)![side]
      if (l.admin.length === 0 && l.baseline.length === 0) continue
      const admin = groupsOf(l.admin)
        .map((g) => groupEntry('Admin', side, g))
        .filter((n): n is string => n !== undefined)
      const baseline = groupsOf(l.baseline)
        .map((g) => groupEntry('Baseline', side, g))
        .filter((n): n is string => n !== undefined)
      const adminPasses = l.admin.some((p) => policySide(p, side).rules.some((r) => r.view.action === 'Pass' && r.certain.length > 0))
      entry[side] = { admin, baseline, adminPasses }
    }
    podTiers.set(pod, entry)
  }

  return {
    chains,
    counters,
    ruleCounters,
    conflictCounters,
    podTiers: (pod, side) => podTiers.get(pod)?.[side],
  }
}
