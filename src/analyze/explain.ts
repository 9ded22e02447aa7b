/**
 * @module `netpol explain`: resolve the two ends of a connection the way people name them (a pod,
 * a workload, an IP address) and turn the engine's Verdict into a structured explanation: per side,
 * whether it is enforced and isolated, which policy/rule/peer/port allowed the traffic, or why each
 * selecting policy did not. Pure: cluster state and verdict in, plain data out (the JSON of
 * `explain -o json`; the text renderer reads the same data).
 */
import {
  PROTOCOLS,
  qualifiedName,
  type ClusterState,
  type LabelSelector,
  type NetworkPolicy,
  type OwnerRef,
  type Pod,
  type PolicyType,
  type Protocol,
} from '../model/types.js'
import { formatIp, parseIp } from '../model/cidr.js'
import { formatSource } from '../model/diagnostic.js'
import { editDistance } from '../model/edit-distance.js'
import { describePeer, endpointName, formatContainerPort, formatPolicyPort, formatPort, sideOf } from '../model/describe.js'
import { formatSelector, isEmptySelector } from '../model/label-selector.js'
import type { DecidedBy, DirectionVerdict, Endpoint, MissReason, Outcome, RuleMatch, TierRuleMatch, TierVerdict, Verdict } from '../engine/verdict.js'
import type { ClusterNetworkPolicy, ClusterNetworkPolicyEgressPeer } from '../model/cluster-network-policy-types.js'
import { formatClusterProtocol } from '../engine/cluster-policy.js'
import { UsageError } from '../model/errors.js'
import { parsePortSpec, type PortSpec } from './matrix.js'
import { portNameErrors } from '../model/name-validation.js'

/** Lowercase kinds accepted in `ns/kind/name`, with kubectl's short names. */
const WORKLOAD_KINDS: Readonly<Record<string, OwnerRef['kind']>> = {
  deployment: 'Deployment',
  deploy: 'Deployment',
  statefulset: 'StatefulSet',
  sts: 'StatefulSet',
  daemonset: 'DaemonSet',
  ds: 'DaemonSet',
  replicaset: 'ReplicaSet',
  rs: 'ReplicaSet',
  replicationcontroller: 'ReplicationController',
  rc: 'ReplicationController',
  job: 'Job',
  cronjob: 'CronJob',
  cj: 'CronJob',
}

export interface ResolveOptions {
  /** Namespace for a bare pod name (like kubectl's -n); `default` when absent. */
  readonly namespace?: string
}

/**
 * Resolves `ns/pod`, `pod` (in the -n namespace), `ns/<kind>/name` (the workload's first pod;
 * `ns/pod/name` works too; `ns/name` also names a workload when no pod has that name) or an IP address (a pod's own IP names that pod; any other address is an
 * external endpoint). Unknown names throw a UsageError listing the closest names.
 */
export function resolveEndpoint(state: ClusterState, text: string, options: ResolveOptions = {}): Endpoint {
  const trimmed = text.trim()
  const ip = parseIp(trimmed)
  if (ip) {
    const canonical = formatIp(ip)
    const pod =
      state.pods.find((p) => !p.hostNetwork && p.ips.some((a) => sameIp(a, canonical))) ?? state.pods.find((p) => p.ips.some((a) => sameIp(a, canonical)))
    return pod ? { kind: 'pod', pod } : { kind: 'ip', ip: canonical }
  }
  // Four dotted numbers, or anything with a colon (no Kubernetes name has one), is meant as an address.
  if (/^\d+(\.\d+){3}$/.test(trimmed) || trimmed.includes(':')) {
    throw new UsageError(`invalid IP address "${text}"`)
  }
  const parts = trimmed.split('/')
  if (parts.some((p) => p === '') || parts.length > 3) {
    throw new UsageError(`cannot read endpoint "${text}": expected ns/pod, ns/<kind>/name (e.g. prod/deployment/frontend) or an IP address`)
  }
  if (parts.length === 3) {
    const [namespace, kindText, name] = parts
    const kindKey = kindText.toLowerCase()
    if (kindKey === 'pod' || kindKey === 'po' || kindKey === 'pods') return podByName(state, namespace, name)
    const kind = workloadKindOf(kindText, text)
    const pod = podsInNamespace(state, namespace).find((p) => p.owner?.kind === kind && p.owner.name === name)
    if (!pod) throw new UsageError(`${kind} "${namespace}/${name}" not found or has no pods${suggestEndpointNames(state, `${namespace}/${kindKey}/${name}`)}`)
    return { kind: 'pod', pod }
  }
  const [namespace, name] = parts.length === 2 ? parts : [options.namespace ?? 'default', parts[0]]
  return podByName(state, namespace, name)
}

/** The workload kind of `ns/<kind>/name` (lowercase or kubectl's short name); a UsageError otherwise. */
export function workloadKindOf(kindText: string, text: string): OwnerRef['kind'] {
  const kind = WORKLOAD_KINDS[kindText.toLowerCase()]
  if (!kind) {
    throw new UsageError(
      `unknown kind "${kindText}" in "${text}": use one of pod, service, ${[...new Set(Object.values(WORKLOAD_KINDS))].map((k) => k.toLowerCase()).join(', ')}`,
    )
  }
  return kind
}

function sameIp(podIp: string, canonical: string): boolean {
  const parsed = parseIp(podIp)
  return parsed !== undefined && formatIp(parsed) === canonical
}

/** Pods by namespace, in the state's order, built once per list of pods (`test` resolves thousands of names). */
const podsByNamespace = new WeakMap<readonly Pod[], Map<string, Pod[]>>()

/** The pods of one namespace, in the state's order. */
export function podsInNamespace(state: ClusterState, namespace: string): readonly Pod[] {
  let index = podsByNamespace.get(state.pods)
  if (index === undefined) {
    index = new Map()
    for (const p of state.pods) {
      let list = index.get(p.namespace)
      if (list === undefined) index.set(p.namespace, (list = []))
      list.push(p)
    }
    podsByNamespace.set(state.pods, index)
  }
  return index.get(namespace) ?? []
}

function podByName(state: ClusterState, namespace: string, name: string): Endpoint {
  const pod =
    podsInNamespace(state, namespace).find((p) => p.name === name) ??
    // `ns/frontend` with no pod of that name: the first pod of the one workload of that name.
    soleWorkloadPod(state, namespace, name)
  if (!pod) throw new UsageError(`pod "${namespace}/${name}" not found${suggestEndpointNames(state, `${namespace}/${name}`)}`)
  return { kind: 'pod', pod }
}

function soleWorkloadPod(state: ClusterState, namespace: string, name: string): Pod | undefined {
  const pods = podsInNamespace(state, namespace).filter((p) => p.owner?.name === name)
  const kinds = new Set(pods.map((p) => p.owner!.kind))
  return kinds.size === 1 ? pods[0] : undefined
}

/** Every name an endpoint can be given by: pods and workloads. */
function knownNames(state: ClusterState): string[] {
  const names = new Set<string>()
  for (const p of state.pods) {
    names.add(qualifiedName(p))
    if (p.owner) names.add(`${p.namespace}/${p.owner.kind.toLowerCase()}/${p.owner.name}`)
  }
  return [...names]
}

/** `; did you mean a, b?` with the closest known names, or a few known pods. */
export function suggestEndpointNames(state: ClusterState, wanted: string): string {
  const names = knownNames(state)
  if (names.length === 0) return ' (the input has no pods)'
  const scored = names.map((n) => ({ n, d: editDistance(wanted.toLowerCase(), n.toLowerCase()) })).sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : 1))
  const limit = Math.max(2, Math.floor(wanted.length / 3))
  const close = scored
    .filter((s) => s.d <= limit)
    .slice(0, 5)
    .map((s) => s.n)
  if (close.length > 0) return `; did you mean ${close.join(', ')}?`
  const ns = wanted.split('/')[0]
  const sameNs = names
    .filter((n) => n.startsWith(`${ns}/`))
    .sort()
    .slice(0, 8)
  const pool = sameNs.length > 0 ? sameNs : [...names].sort().slice(0, 8)
  return `; known names include ${pool.join(', ')}${names.length > pool.length ? ', ...' : ''}`
}

/**
 * `80`, `80/TCP`, or a named port (`http`, `dns/UDP`) looked up in the destination pod's container
 * ports, the way a policy's named port is resolved.
 */
export function resolveExplainPort(text: string, to: Endpoint): PortSpec {
  if (/^\d/.test(text.trim())) return parsePortSpec(text)
  const [name = '', protoText] = text.trim().split('/')
  const protocol = protoText?.toUpperCase()
  if (portNameErrors(name).length > 0 || (protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(protocol))) {
    throw new UsageError(`invalid port "${text}": expected PORT or PORT/PROTOCOL (e.g. 80, 53/UDP) or a container port name (e.g. http, dns/UDP)`)
  }
  if (to.kind !== 'pod') throw new UsageError(`named port "${text}" needs a destination pod to look it up in; ${to.ip} is not a pod`)
  const found = to.pod.containerPorts.find((c) => c.name === name && (protocol === undefined || c.protocol === protocol))
  if (!found) {
    const named = to.pod.containerPorts.filter((c) => c.name).map(formatContainerPort)
    const otherProtocol = to.pod.containerPorts.find((c) => c.name === name)
    if (otherProtocol) {
      throw new UsageError(
        `pod ${qualifiedName(to.pod)} has container port "${name}" only as ` +
          `${formatPort({ port: otherProtocol.containerPort, protocol: otherProtocol.protocol })}, not ${protocol}; it has ${named.join(', ')}`,
      )
    }
    throw new UsageError(`pod ${qualifiedName(to.pod)} has no container port named "${name}"${named.length ? `; it has ${named.join(', ')}` : ''}`)
  }
  return { port: found.containerPort, protocol: found.protocol }
}

/** One rule (and its peer and port) that allowed the connection. */
export interface RuleExplanation {
  /** `ingress[0]` or `egress[2]`. */
  readonly rule: string
  readonly source: string
  /** `from[1]: pods app=web in namespace prod`, or `every peer` when the rule has none. */
  readonly peer: string
  /** `ports[0]: 8080/TCP`, or `every port` when the rule has none. */
  readonly port: string
  /**
   * Set when an ipBlock peer matched the other pod only through an address netpol assumed (the
   * manifest has none; `--pod-cidr`, docs/semantics.md "Pods without addresses").
   */
  readonly assumedIp?: string
}

/** Why one rule of a selecting policy did not allow the connection. */
export interface MissExplanation {
  /** `ingress[0]`; null when the policy has no rules of this direction. */
  readonly rule: string | null
  readonly reason: MissReason
  readonly detail: string
  readonly source: string
}

export interface PolicyExplanation {
  /** `ns/name`. */
  readonly policy: string
  readonly source: string
  readonly allowed: boolean
  readonly allowedBy: readonly RuleExplanation[]
  readonly misses: readonly MissExplanation[]
}

/** One ClusterNetworkPolicy rule that matched (or may match) the connection. */
export interface TierMatchExplanation {
  /** ClusterNetworkPolicy name. */
  readonly policy: string
  readonly priority: number
  /** `ingress[0]`. */
  readonly rule: string
  readonly ruleName?: string
  readonly action: 'Accept' | 'Deny' | 'Pass'
  /** `to[1]: pods app=db in namespaces team=a`. */
  readonly peer: string
  /** `protocols[0]: 80/TCP`, or `every protocol and port`. */
  readonly protocol: string
  readonly source: string
  /** Set when the match cannot be proven offline: `domainNames` or `nodes`. */
  readonly maybe?: 'domainNames' | 'nodes'
}

export interface TierExplanation {
  readonly tier: 'Admin' | 'Baseline'
  /** The tier's policies selecting the pod, in evaluation order: `name (priority N, file:line)`. */
  readonly policies: readonly { readonly policy: string; readonly priority: number; readonly source: string }[]
  readonly matches: readonly TierMatchExplanation[]
  /** The action that decided, `undefined` for a same-priority conflict, `none` when no rule matched. */
  readonly result: 'Accept' | 'Deny' | 'Pass' | 'none' | 'undefined'
  /** One sentence. */
  readonly summary: string
}

/** Present only when the state has ClusterNetworkPolicies. */
export interface TiersExplanation {
  readonly outcome: Outcome
  readonly decidedBy: DecidedBy
  readonly admin: TierExplanation
  /** Absent when the Admin tier or NetworkPolicy decided (the Baseline tier was not consulted). */
  readonly baseline?: TierExplanation
  /** What NetworkPolicy did on this side, in one sentence. */
  readonly networkPolicy: string
}

export interface SideExplanation {
  readonly direction: PolicyType
  /** The endpoint whose side this is: the source for Egress, the destination for Ingress. */
  readonly endpoint: string
  readonly enforced: boolean
  readonly isolated: boolean
  readonly allowed: boolean
  /** One sentence. */
  readonly summary: string
  readonly policies: readonly PolicyExplanation[]
  readonly tiers?: TiersExplanation
}

export interface Explanation {
  readonly from: string
  readonly to: string
  readonly port: number
  readonly protocol: Protocol
  readonly allowed: boolean
  /** Only with ClusterNetworkPolicies: allowed, denied, undefined or unknown (see docs/semantics.md). */
  readonly outcome?: Outcome
  readonly loopback: boolean
  /** The source is the destination's own node (a hostNetwork pod on its node): allowed whatever the policies say. */
  readonly fromNode: boolean
  readonly summary: string
  readonly egress: SideExplanation
  readonly ingress: SideExplanation
}

export function explainVerdict(state: ClusterState, verdict: Verdict): Explanation {
  const { traffic } = verdict
  const from = endpointName(traffic.from)
  const to = endpointName(traffic.to)
  const egress = explainSide(state, verdict.egress, traffic.from, traffic.to)
  const ingress = explainSide(state, verdict.ingress, traffic.to, traffic.from)
  const portText = formatPort(traffic)
  let summary: string
  const node = traffic.from.kind === 'pod' ? traffic.from.pod.nodeName : undefined
  if (verdict.loopback) summary = `${from} connecting to itself on ${portText} is allowed: traffic to itself never leaves the pod, so policies do not filter it`
  else if (verdict.fromNode) {
    summary =
      `${from} -> ${to} on ${portText} is allowed: ${from} uses hostNetwork on node ${node}, where ${to} runs, and traffic from a pod's ` +
      `own node is always allowed`
  } else if (verdict.allowed) summary = `${from} -> ${to} on ${portText} is allowed: the egress of the source and the ingress of the destination both allow it`
  else if (verdict.outcome === 'undefined' || verdict.outcome === 'unknown') {
    const sides = [egress, ingress].filter((s) => s.tiers?.outcome === verdict.outcome).map((s) => `the ${sideOf(s.direction)} of ${s.endpoint}`)
    summary =
      verdict.outcome === 'undefined'
        ? `${from} -> ${to} on ${portText} is undefined: at ${sides.join(' and ')}, ClusterNetworkPolicies of one tier and priority match with ` +
          `different actions, and the API lets an implementation apply either; netpol does not count it as allowed`
        : `${from} -> ${to} on ${portText} is unknown: at ${sides.join(' and ')}, the answer depends on a domainNames or nodes peer netpol ` +
          `cannot resolve offline; netpol does not count it as allowed`
  } else {
    const blocked = [!egress.allowed ? `the egress of ${from}` : '', !ingress.allowed ? `the ingress of ${to}` : ''].filter(Boolean).join(' and ')
    summary = `${from} -> ${to} on ${portText} is denied by ${blocked}`
    if (traffic.from.kind === 'pod' && traffic.from.pod.hostNetwork && traffic.to.kind === 'pod' && !ingress.allowed) {
      const toNode = traffic.to.pod.nodeName
      summary +=
        node === undefined || toNode === undefined
          ? ` (unless both run on one node: traffic from a pod's own node is always allowed; netpol does not know ` +
            `${node === undefined ? `the node of ${from}` : `the node of ${to}`} (spec.nodeName) and assumes different nodes)`
          : ` (${from} uses hostNetwork on node ${node}, ${to} runs on ${toNode})`
    }
  }
  return {
    from,
    to,
    port: traffic.port,
    protocol: traffic.protocol,
    allowed: verdict.allowed,
    ...(verdict.outcome === undefined ? {} : { outcome: verdict.outcome }),
    loopback: verdict.loopback,
    fromNode: verdict.fromNode,
    summary,
    egress,
    ingress,
  }
}

/** `other` is the far end of the connection: the one a matching rule's peer must match. */
function explainSide(state: ClusterState, side: DirectionVerdict, endpoint: Endpoint, other: Endpoint): SideExplanation {
  const name = endpointName(endpoint)
  const dir = sideOf(side.direction)
  const policies = side.policies.map((pe): PolicyExplanation => {
    const policy = findPolicy(state, pe.policy.namespace, pe.policy.name)
    return {
      policy: qualifiedName(pe.policy),
      source: formatSource(pe.policy.source),
      allowed: pe.allowedBy.length > 0,
      allowedBy: pe.allowedBy.map((m) => explainMatch(policy, m, other)),
      misses: pe.misses.map((miss) => ({
        rule: miss.ruleIndex < 0 ? null : `${sideOf(miss.direction)}[${miss.ruleIndex}]`,
        reason: miss.reason,
        detail: miss.detail,
        source: formatSource(miss.source),
      })),
    }
  })
  let summary: string
  if (!side.enforced) {
    summary =
      endpoint.kind === 'ip'
        ? `${name} is not a pod of the cluster: nothing enforces its ${dir}, so this side allows`
        : `${name} uses the host network: policies neither select nor isolate it, so this side allows`
  } else if (!side.isolated) {
    summary = `${name} is not isolated for ${dir} (no policy with policyTypes ${side.direction} selects it), so all ${dir} is allowed`
  } else {
    const n = policies.length
    const allowing = policies.filter((p) => p.allowed).length
    const allowingText = allowing === n ? 'all of them allow' : allowing === 1 ? 'one of them allows' : `${allowing} of them allow`
    summary = side.allowed
      ? `${name} is isolated for ${dir} by ${n === 1 ? 'one policy, which allows' : `${n} policies; ${allowingText}`} this connection`
      : `${name} is isolated for ${dir} by ${n === 1 ? 'one policy, which does not allow' : `${n} policies and none of them allows`} this connection`
  }
  const tiers = side.tiers === undefined ? undefined : explainTiers(state, side, name)
  return {
    direction: side.direction,
    endpoint: name,
    enforced: side.enforced,
    isolated: side.isolated,
    allowed: side.allowed,
    summary,
    policies,
    ...(tiers ? { tiers } : {}),
  }
}

function explainTiers(state: ClusterState, side: DirectionVerdict, name: string): TiersExplanation {
  const t = side.tiers!
  const dir = sideOf(side.direction)
  let networkPolicy: string
  if (!side.enforced) networkPolicy = 'not enforced on this side'
  else if (t.decidedBy === 'Admin') networkPolicy = 'not consulted: the Admin tier decided'
  else if (!side.isolated) networkPolicy = `no NetworkPolicy isolates ${name} for ${dir}: it does not decide`
  else networkPolicy = `${name} is isolated for ${dir}: NetworkPolicy decides (${side.policies.some((p) => p.allowedBy.length > 0) ? 'allowed' : 'denied'})`
  return {
    outcome: t.outcome,
    decidedBy: t.decidedBy,
    admin: explainTier(state, t.admin),
    ...(t.baseline === undefined ? {} : { baseline: explainTier(state, t.baseline) }),
    networkPolicy,
  }
}

function explainTier(state: ClusterState, tier: TierVerdict): TierExplanation {
  const matches = tier.matches.map((m) => explainTierMatch(state, m))
  const policies = tier.policies.map((p) => ({ policy: p.name, priority: p.priority, source: formatSource(p.source) }))
  let summary: string
  const decisive = tier.matches.filter((m) => m.maybe === undefined)
  const ruleText = (m: TierRuleMatch) =>
    `ClusterNetworkPolicy "${m.policy.name}" (priority ${m.policy.priority}) ${sideOf(m.direction)}[${m.ruleIndex}]${m.ruleName ? ` "${m.ruleName}"` : ''}`
  if (policies.length === 0) summary = `no ${tier.tier} ClusterNetworkPolicy with rules of this direction selects the pod`
  else if (tier.result === 'undefined') {
    summary = `undefined: ${decisive.map((m) => `${ruleText(m)} says ${m.action}`).join(', ')}; the API lets an implementation apply any of them`
  } else if (tier.result === 'none')
    summary = `none of the ${policies.length} selecting polic${policies.length === 1 ? 'y' : 'ies'} has a rule matching this connection`
  else {
    const m = decisive[decisive.length - 1]!
    const what =
      tier.result === 'Pass'
        ? tier.tier === 'Admin'
          ? 'passes to NetworkPolicy and the Baseline tier'
          : 'passes (no effect in the Baseline tier: the default allows)'
        : tier.result === 'Accept'
          ? 'accepts'
          : 'denies'
    summary = `${ruleText(m)} ${what}`
  }
  const maybes = tier.matches.filter((m) => m.maybe !== undefined)
  if (maybes.length > 0) {
    const why = (m: (typeof maybes)[number]): string =>
      m.maybe === 'domainNames'
        ? 'a domainNames peer: depends on DNS'
        : state.nodes === undefined
          ? 'a nodes peer: the input has no Node objects, so node addresses are not known'
          : "a nodes peer: the hostNetwork pod's node is not known (no spec.nodeName of a Node in the input, no address of one)"
    summary += `; ${maybes.map((m) => `${ruleText(m)} may match (${why(m)}) and would ${m.action.toLowerCase()}`).join('; ')}`
  }
  return { tier: tier.tier, policies, matches, result: tier.result, summary }
}

function explainTierMatch(state: ClusterState, m: TierRuleMatch): TierMatchExplanation {
  const policy = state.clusterNetworkPolicies?.find((p) => p.name === m.policy.name)
  const dir = sideOf(m.direction)
  const rule = policy ? (m.direction === 'Ingress' ? policy.spec.ingress[m.ruleIndex] : policy.spec.egress[m.ruleIndex]) : undefined
  const peers = rule ? ('from' in rule ? rule.from : rule.to) : undefined
  const peer = peers?.[m.peerIndex]
  const protocol =
    m.protocolIndex === undefined
      ? 'every protocol and port'
      : `protocols[${m.protocolIndex}]${rule?.protocols[m.protocolIndex] ? `: ${formatClusterProtocol(rule.protocols[m.protocolIndex])}` : ''}`
  return {
    policy: m.policy.name,
    priority: m.policy.priority,
    rule: `${dir}[${m.ruleIndex}]`,
    ...(m.ruleName === undefined ? {} : { ruleName: m.ruleName }),
    action: m.action,
    peer: `${m.direction === 'Ingress' ? 'from' : 'to'}[${m.peerIndex}]${peer ? `: ${describeClusterPeer(peer)}` : ''}`,
    protocol,
    source: formatSource(m.source),
    ...(m.maybe === undefined ? {} : { maybe: m.maybe }),
  }
}

/** A ClusterNetworkPolicy peer (or subject) in words. */
export function describeClusterPeer(peer: ClusterNetworkPolicyEgressPeer): string {
  const nsWords = (s: LabelSelector) => (isEmptySelector(s) ? 'every namespace' : `namespaces ${formatSelector(s)}`)
  if (peer.namespaces) return `all pods in ${nsWords(peer.namespaces)}`
  if (peer.pods)
    return `${isEmptySelector(peer.pods.podSelector) ? 'all pods' : `pods ${formatSelector(peer.pods.podSelector)}`} in ${nsWords(peer.pods.namespaceSelector)}`
  if (peer.networks) return `networks ${peer.networks.join(', ')}`
  if (peer.domainNames) return `domainNames ${peer.domainNames.join(', ')}`
  if (peer.nodes) return `nodes ${formatSelector(peer.nodes)}`
  return 'an unknown peer'
}

/** The pods a ClusterNetworkPolicy's subject means, in words. */
export function describeClusterSubject(policy: ClusterNetworkPolicy): string {
  return describeClusterPeer(policy.spec.subject)
}

function findPolicy(state: ClusterState, namespace: string, name: string): NetworkPolicy | undefined {
  return state.policies.find((p) => p.namespace === namespace && p.name === name)
}

function explainMatch(policy: NetworkPolicy | undefined, m: RuleMatch, other: Endpoint): RuleExplanation {
  const dir = sideOf(m.direction)
  const peersField = m.direction === 'Ingress' ? 'from' : 'to'
  const rule = policy ? (m.direction === 'Ingress' ? policy.ingress[m.ruleIndex] : policy.egress[m.ruleIndex]) : undefined
  const peers = rule ? (m.direction === 'Ingress' ? (rule as NetworkPolicy['ingress'][number]).from : (rule as NetworkPolicy['egress'][number]).to) : undefined
  let peer =
    m.peerIndex === undefined
      ? 'every peer'
      : `${peersField}[${m.peerIndex}]${peers?.[m.peerIndex] && policy ? `: ${describePeer(peers[m.peerIndex], policy.namespace)}` : ''}`
  const port =
    m.portIndex === undefined ? 'every port' : `ports[${m.portIndex}]${rule?.ports[m.portIndex] ? `: ${formatPolicyPort(rule.ports[m.portIndex])}` : ''}`
  // An ipBlock saw the other pod only through an address netpol chose for it: say so, the user never wrote it.
  const assumedIp = m.peerIndex !== undefined && peers?.[m.peerIndex]?.ipBlock && other.kind === 'pod' && other.pod.ipsAssumed ? other.pod.ips[0] : undefined
  if (assumedIp !== undefined) peer += `, which matches ${assumedIp} (assumed: the manifest has no pod IP; --pod-cidr)`
  return { rule: `${dir}[${m.ruleIndex}]`, source: formatSource(m.source), peer, port, ...(assumedIp !== undefined ? { assumedIp } : {}) }
}
