/**
 * @module Lint rules about isolation: what a default deny cuts off (DNS, the API server), what it
 * leaves open (cloud metadata), rules the policy types make dead, and namespaces left without one.
 */
import { parseIp, rangesContainIp, ipBlockRanges } from '../model/cidr.js'
import type { NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPeer, NetworkPolicyPort, Pod, PolicyType, Protocol } from '../model/types.js'
import { policyRef, type PolicyRef } from '../engine/verdict.js'
import { createEngine, type Engine, type ExternalAccessPorts } from '../engine/engine.js'
import { policySelectsPod } from '../engine/isolation.js'
import { podGroup } from './group.js'
import { denyAllRule } from './tier-default-deny.js'
import type { LintContext } from './lint-context.js'
import { policyFinding, type LintFinding, type LintRule } from './lint-rule.js'

const workloadNames = new WeakMap<Pod, string>()
function workloadName(p: Pod): string {
  let n = workloadNames.get(p)
  if (n === undefined) workloadNames.set(p, (n = podGroup(p, 'workload').name))
  return n
}

/** Workload names of some pods, at most a handful, for messages. */
export function describePods(pods: readonly Pod[], ctx: LintContext): string {
  const real = pods.filter((p) => !ctx.standIns.has(p))
  if (real.length === 0) return 'the pods it selects (no workload in the input matches; checked a pod with its podSelector labels)'
  const names = [...new Set(real.map(workloadName))].sort()
  const shown = names.slice(0, 5).join(', ')
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown
}

function policyByRef(ctx: LintContext, ref: PolicyRef): NetworkPolicy | undefined {
  return ctx.state.policies.find(
    (p) => p.namespace === ref.namespace && p.name === ref.name && p.source.line === ref.source.line && p.source.file === ref.source.file,
  )
}

interface EgressGap {
  readonly policy: NetworkPolicy
  readonly pods: Pod[]
}

/**
 * Per lint run and source identity: the first policy isolating its egress (undefined: not
 * isolated). Several rules ask it of every identity; pods of one identity get the same answer.
 */
const isolatingPolicies = new WeakMap<LintContext, Map<number, NetworkPolicy | undefined>>()
function firstEgressPolicy(ctx: LintContext, pod: Pod, id: number | undefined): NetworkPolicy | undefined {
  let cache = isolatingPolicies.get(ctx)
  if (cache === undefined) isolatingPolicies.set(ctx, (cache = new Map()))
  if (id !== undefined && cache.has(id)) return cache.get(id)
  // The first of the policies a verdict would name as isolating the pod's egress (none for a hostNetwork pod).
  const first = ctx.probeEngine.isolatingPolicies(pod, 'Egress')[0]
  const policy = first === undefined ? undefined : policyByRef(ctx, policyRef(first))
  if (id !== undefined) cache.set(id, policy)
  return policy
}

/** Egress-isolated pods for which `reaches(pod)` is false, grouped by the first policy isolating them. */
function egressGaps(ctx: LintContext, reaches: (pod: Pod) => boolean): EgressGap[] {
  const byPolicy = new Map<NetworkPolicy, Pod[]>()
  const dns = new Set(ctx.dnsPods)
  // Pods of one identity get the same answers: ask once per identity.
  const known = new Map<number, NetworkPolicy | undefined>()
  for (const pod of ctx.probeState.pods) {
    if (pod.hostNetwork || dns.has(pod)) continue
    const id = ctx.probeEngine.identityOf(pod)?.id
    let policy: NetworkPolicy | undefined
    if (id !== undefined && known.has(id)) {
      policy = known.get(id)
    } else {
      policy = firstEgressPolicy(ctx, pod, id)
      if (policy && reaches(pod)) policy = undefined
      if (id !== undefined) known.set(id, policy)
    }
    if (!policy) continue
    const list = byPolicy.get(policy) ?? []
    list.push(pod)
    byPolicy.set(policy, list)
  }
  return [...byPolicy.entries()].map(([policy, pods]) => ({ policy, pods }))
}

/** Ports a DNS pod answers on: OpenShift's DNS pods listen on 5353 behind the 53 Service port. */
const STAND_IN_DNS_PORTS = [53, 5353]

export function dnsPortsOf(ctx: LintContext, pod: Pod, protocol: Protocol): number[] {
  if (ctx.standIns.has(pod)) return STAND_IN_DNS_PORTS
  const declared = pod.containerPorts.filter((c) => c.protocol === protocol)
  const dns = declared.filter((c) => c.name?.startsWith('dns') || c.containerPort === 53 || c.containerPort === 5353)
  if (dns.length > 0) return dns.map((c) => c.containerPort)
  return declared.length > 0 ? declared.map((c) => c.containerPort) : [53]
}

const dnsAnswers = new WeakMap<LintContext, Map<string, boolean>>()

/** The pod's egress lets it reach a DNS pod (real, or the stand-in) on its DNS port over `protocol`. */
export function reachesDns(ctx: LintContext, pod: Pod, protocol: Protocol): boolean {
  // Egress answers depend on the source's identity only: ask once per identity and protocol per lint run.
  const id = ctx.probeEngine.identityOf(pod)?.id
  let cache = dnsAnswers.get(ctx)
  if (cache === undefined) dnsAnswers.set(ctx, (cache = new Map()))
  const key = id === undefined ? undefined : `${id}/${protocol}`
  const known = key === undefined ? undefined : cache.get(key)
  if (known !== undefined) return known
  const answer = ctx.dnsPods.some((d) =>
    dnsPortsOf(ctx, d, protocol).some((port) => ctx.probeEngine.egressAllowed({ from: { kind: 'pod', pod }, to: { kind: 'pod', pod: d }, port, protocol })),
  )
  if (key !== undefined) cache.set(key, answer)
  return answer
}

function dnsTarget(ctx: LintContext): string {
  const d = ctx.dnsPods[0]
  return ctx.standIns.has(d) ? 'kube-dns in kube-system (53, or 5353 as on OpenShift)' : `the DNS pods (${describePods(ctx.dnsPods, ctx)})`
}

const DNS_HINT =
  'Add an egress rule to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: ' +
  'kube-dns}}}] with ports 53/UDP and 53/TCP (or a separate allow-dns policy with podSelector: {}).'

const egressBlocksDns: LintRule = {
  id: 'egress-blocks-dns',
  severity: 'error',
  title: 'Egress isolation without DNS',
  help: DNS_HINT,
  check(ctx) {
    return egressGaps(ctx, (pod) => reachesDns(ctx, pod, 'UDP')).map(({ policy, pods }) => {
      const tcp = pods.every((pod) => !reachesDns(ctx, pod, 'TCP'))
      // The stand-in DNS pod has no address, so no ipBlock reaches it; a real one might be inside the block.
      const standIn = ctx.dnsPods[0]
      const block = ctx.standIns.has(standIn)
        ? policy.egress.flatMap((r) => (allowsDnsPort(r.ports, standIn, 53) ? r.to.flatMap((peer) => peer.ipBlock ?? []) : []))[0]
        : undefined
      const note = block
        ? ` (unless the DNS pods' addresses lie inside ipBlock ${block.cidr} and the network plugin matches pod addresses against ipBlocks, ` +
          `which Cilium does not; give lint the DNS pods to judge it)`
        : ''
      return policyFinding(
        this,
        policy,
        policy.source,
        'spec.egress',
        `egress of ${describePods(pods, ctx)} is isolated and does not allow DNS to ${dnsTarget(ctx)} over UDP${tcp ? ' or TCP' : ''}: name lookups will fail${note}`,
      )
    })
  },
}

/**
 * The probe cluster with no pod addresses: ipBlock peers then match no pod, as with network
 * plugins that apply ipBlock only to traffic leaving the cluster (Cilium). Built on first use.
 */
const addresslessEngines = new WeakMap<LintContext, { engine: Engine; pods: Map<Pod, Pod> }>()
function addressless(ctx: LintContext): { engine: Engine; pods: Map<Pod, Pod> } {
  let e = addresslessEngines.get(ctx)
  if (e === undefined) {
    const pods = new Map(ctx.probeState.pods.map((p) => [p, p.hostNetwork ? p : { ...p, ips: [] }]))
    e = { engine: createEngine({ ...ctx.probeState, pods: [...pods.values()] }), pods }
    addresslessEngines.set(ctx, e)
  }
  return e
}

/** A DNS pod and port the pod reaches over UDP, with the probe cluster's addresses. */
function dnsReached(ctx: LintContext, pod: Pod): { dns: Pod; port: number } | undefined {
  for (const dns of ctx.dnsPods) {
    for (const port of dnsPortsOf(ctx, dns, 'UDP')) {
      if (ctx.probeEngine.egressAllowed({ from: { kind: 'pod', pod }, to: { kind: 'pod', pod: dns }, port, protocol: 'UDP' })) return { dns, port }
    }
  }
  return undefined
}

/** Would the pod still reach DNS over UDP if ipBlocks matched no pod address? */
function reachesDnsWithoutPodAddresses(ctx: LintContext, pod: Pod): boolean {
  const { engine, pods } = addressless(ctx)
  const from = pods.get(pod) ?? pod
  return ctx.dnsPods.some((d) =>
    dnsPortsOf(ctx, d, 'UDP').some((port) =>
      engine.egressAllowed({ from: { kind: 'pod', pod: from }, to: { kind: 'pod', pod: pods.get(d) ?? d }, port, protocol: 'UDP' }),
    ),
  )
}

/** Does a port entry of an egress rule allow `port`/UDP on `dns` (numbers, ranges, or the name of its container port)? */
function allowsDnsPort(ports: readonly NetworkPolicyPort[], dns: Pod, port: number): boolean {
  if (ports.length === 0) return true
  return ports.some((p) => {
    if (p.protocol !== 'UDP') return false
    if (p.port === undefined) return true
    if (typeof p.port === 'string') return dns.containerPorts.some((c) => c.name === p.port && c.protocol === 'UDP' && c.containerPort === port)
    return port >= p.port && port <= (p.endPort ?? p.port)
  })
}

/** The first egress ipBlock peer (of a policy isolating `pod`) that lets it reach `dns` on `port`/UDP by address. */
function dnsIpBlock(ctx: LintContext, pod: Pod, dns: Pod, port: number, policies: readonly NetworkPolicy[]) {
  const ips = dns.ips.flatMap((t) => parseIp(t) ?? [])
  for (const policy of policies) {
    if (!policySelectsPod(policy, pod, 'Egress')) continue
    for (const [ri, rule] of policy.egress.entries()) {
      if (!allowsDnsPort(rule.ports, dns, port)) continue
      for (const [pi, peer] of rule.to.entries()) {
        if (!peer.ipBlock) continue
        const ranges = ipBlockRanges(peer.ipBlock)
        const ip = ips.find((a) => rangesContainIp(ranges, a))
        if (ip) return { policy, peer, ipBlock: peer.ipBlock, field: `spec.egress[${ri}].to[${pi}].ipBlock` }
      }
    }
  }
  return undefined
}

const dnsOnlyViaIpBlock: LintRule = {
  id: 'dns-only-via-ipblock',
  severity: 'warning',
  title: 'DNS reached only through an ipBlock that covers the DNS pods',
  help:
    'Allow DNS by selecting the DNS pods: an egress rule to [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, ' +
    'podSelector: {matchLabels: {k8s-app: kube-dns}}}] with ports 53/UDP and 53/TCP. Keep the ipBlock for addresses outside the cluster.',
  check(ctx) {
    const out: LintFinding[] = []
    const groups = new Map<NetworkPolicyPeer, { at: NonNullable<ReturnType<typeof dnsIpBlock>>; dns: Pod; pods: Pod[] }>()
    const dnsPods = new Set(ctx.dnsPods)
    // Pods of one identity get the same answers: ask once per identity.
    const known = new Map<number, { at: NonNullable<ReturnType<typeof dnsIpBlock>>; dns: Pod } | undefined>()
    // Only a policy with an egress ipBlock covering some DNS pod's address can be the answer: none, no finding.
    const dnsIps = ctx.dnsPods.flatMap((d) => d.ips.flatMap((t) => parseIp(t) ?? []))
    const candidates = ctx.state.policies.filter((p) =>
      p.egress.some((r) => r.to.some((peer) => peer.ipBlock !== undefined && dnsIps.some((ip) => rangesContainIp(ipBlockRanges(peer.ipBlock!), ip)))),
    )
    if (candidates.length === 0) return out
    for (const pod of ctx.probeState.pods) {
      if (pod.hostNetwork || dnsPods.has(pod)) continue
      const id = ctx.probeEngine.identityOf(pod)?.id
      let hit = id !== undefined ? known.get(id) : undefined
      if (id === undefined || !known.has(id)) {
        hit = undefined
        const reached = dnsReached(ctx, pod)
        // The ipBlock first: the engine without pod addresses is built only when one is found.
        const at = reached && dnsIpBlock(ctx, pod, reached.dns, reached.port, candidates)
        if (reached && at && !reachesDnsWithoutPodAddresses(ctx, pod)) hit = { at, dns: reached.dns }
        if (id !== undefined) known.set(id, hit)
      }
      if (!hit) continue
      const g = groups.get(hit.at.peer) ?? { ...hit, pods: [] }
      g.pods.push(pod)
      groups.set(hit.at.peer, g)
    }
    for (const { at, dns, pods } of groups.values()) {
      const cidr = at.ipBlock.cidr
      const address = dns.ips[0] ?? ''
      const whose = dns.ipsAssumed ? `, an address netpol assumed from --pod-cidr` : ''
      out.push(
        policyFinding(
          this,
          at.policy,
          at.peer.source,
          at.field,
          `egress of ${describePods(pods, ctx)} reaches DNS (${describePods([dns], ctx)} at ${address}${whose}) only through ipBlock ${cidr}: ` +
            `that works only where the network plugin matches pod addresses against ipBlocks (Cilium does not: there ipBlock is for ` +
            `traffic leaving the cluster) and the cluster's real pod range lies inside ${cidr}`,
        ),
      )
    }
    return out
  },
}

const egressBlocksDnsTcp: LintRule = {
  id: 'egress-blocks-dns-tcp',
  severity: 'warning',
  title: 'DNS allowed over UDP only',
  help: 'Allow 53/TCP next to 53/UDP: resolvers retry over TCP when an answer is truncated (large records, DNSSEC, many A records).',
  check(ctx) {
    return egressGaps(ctx, (pod) => !reachesDns(ctx, pod, 'UDP') || reachesDns(ctx, pod, 'TCP')).map(({ policy, pods }) =>
      policyFinding(
        this,
        policy,
        policy.source,
        'spec.egress',
        `egress of ${describePods(pods, ctx)} allows DNS over UDP but not over TCP to ${dnsTarget(ctx)}`,
      ),
    )
  },
}

const API_PORTS = [443, 6443]

const egressBlocksApiServer: LintRule = {
  id: 'egress-blocks-api-server',
  severity: 'warning',
  title: 'Egress isolation that blocks the API server',
  help:
    'If these pods talk to the Kubernetes API (operators, controllers, anything using a service account token), allow egress on 443/TCP and ' +
    '6443/TCP to the API server addresses with an ipBlock (e.g. the control-plane subnet, or the `kubernetes` Service endpoints).',
  check(ctx) {
    // Per outside range, every identity's egress on both ports at once (the engine's bulk answer),
    // asked only when an identity gets that far: most reach one of the first ranges.
    const ports = API_PORTS.map((port) => ({ port, protocol: 'TCP' as const }))
    const open: ExternalAccessPorts[] = []
    const openTo = (i: number): ExternalAccessPorts => (open[i] ??= ctx.probeEngine.externalAccessPorts(ctx.external[i].probe, ports))
    const reaches = (pod: Pod) => {
      const id = ctx.probeEngine.identityOf(pod)?.id
      if (id !== undefined) return ctx.external.some((_, i) => (openTo(i).egress[id * openTo(i).words] & 3) !== 0)
      return ctx.external.some((r) =>
        API_PORTS.some((port) => ctx.probeEngine.egressAllowed({ from: { kind: 'pod', pod }, to: { kind: 'ip', ip: r.probe }, port, protocol: 'TCP' })),
      )
    }
    return egressGaps(ctx, reaches).map(({ policy, pods }) =>
      policyFinding(
        this,
        policy,
        policy.source,
        'spec.egress',
        `egress of ${describePods(pods, ctx)} is isolated and allows no address outside the pod network on 443/TCP or 6443/TCP: the Kubernetes ` +
          `API server is unreachable`,
      ),
    )
  },
}

/** Cloud instance metadata: AWS, GCP, Azure, OpenStack (IPv4) and AWS (IPv6). */
const METADATA_IPS = ['169.254.169.254', 'fd00:ec2::254']

function portAllows(ports: readonly NetworkPolicyPort[], port: number, protocol: Protocol): boolean {
  if (ports.length === 0) return true
  return ports.some((p) => {
    if (p.protocol !== protocol) return false
    if (p.port === undefined) return true
    if (typeof p.port === 'string') return p.port === 'http'
    return port >= p.port && port <= (p.endPort ?? p.port)
  })
}

const egressAllowsMetadata: LintRule = {
  id: 'egress-allows-metadata',
  severity: 'warning',
  title: 'Egress ipBlock that leaves the cloud metadata address open',
  help: "Add `except: [169.254.169.254/32]` to the ipBlock: the instance metadata service hands out the node's cloud credentials to any pod that can reach it.",
  check(ctx) {
    const out: LintFinding[] = []
    for (const policy of ctx.state.policies) {
      if (!policy.policyTypes.includes('Egress')) continue
      policy.egress.forEach((rule: NetworkPolicyEgressRule, ri) => {
        if (!portAllows(rule.ports, 80, 'TCP')) return
        rule.to.forEach((peer, pi) => {
          if (!peer.ipBlock) return
          const ranges = ipBlockRanges(peer.ipBlock)
          const open = METADATA_IPS.filter((text) => {
            const ip = parseIp(text)
            return ip !== undefined && rangesContainIp(ranges, ip)
          })
          if (open.length === 0) return
          out.push(
            policyFinding(
              this,
              policy,
              peer.source,
              `spec.egress[${ri}].to[${pi}].ipBlock`,
              `ipBlock ${peer.ipBlock.cidr}${peer.ipBlock.except.length ? ` (except ${peer.ipBlock.except.join(', ')})` : ''} allows the cloud ` +
                `metadata address ${open.join(', ')}`,
              `Add \`except: [${open.map((ip) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`)).join(', ')}]\` to this ipBlock: the instance ` +
                `metadata service hands out the node's cloud credentials to any pod that can reach it.`,
            ),
          )
        })
      })
    }
    return out
  },
}

/** Rules of one direction that have no effect because spec.policyTypes leaves that direction out. */
function rulesIgnored(type: PolicyType): LintRule {
  const direction = type === 'Ingress' ? 'ingress' : 'egress'
  return {
    id: `${direction}-rules-ignored`,
    severity: 'error',
    title: `${type} rules ignored because policyTypes lacks ${type}`,
    help: `Add \`${type}\` to spec.policyTypes (or remove policyTypes to let Kubernetes derive it), or delete the ${direction} rules.`,
    check(ctx) {
      return ctx.state.policies
        .filter((p) => p[direction].length > 0 && !p.policyTypes.includes(type))
        .map((p) =>
          policyFinding(
            this,
            p,
            p[direction][0].source,
            `spec.${direction}`,
            `policyTypes is [${p.policyTypes.join(', ')}], so its ${p[direction].length} ${direction} rule(s) have no effect and ` +
              `${direction} stays unrestricted by this policy`,
          ),
        )
    },
  }
}

const egressRulesIgnored = rulesIgnored('Egress')
const ingressRulesIgnored = rulesIgnored('Ingress')

function selectsAll(p: NetworkPolicy): boolean {
  return Object.keys(p.podSelector.matchLabels).length === 0 && p.podSelector.matchExpressions.length === 0
}

/** Does a ClusterNetworkPolicy (either tier) selecting the pod deny all of `direction` (after its earlier rules)? */
function tierDeniesAll(ctx: LintContext, pod: Pod, direction: PolicyType): boolean {
  return (ctx.state.clusterNetworkPolicies ?? []).some((p) => denyAllRule(p, direction) !== undefined && ctx.engine.clusterSelectedPods(p).includes(pod))
}

/** Namespaces the platform owns; their policies are the platform's business. */
function isSystemNamespace(name: string): boolean {
  return name.startsWith('kube-') || name.startsWith('openshift')
}

const namespaceWithoutDefaultDeny: LintRule = {
  id: 'namespace-without-default-deny',
  severity: 'warning',
  title: 'Namespace with workloads but no default deny',
  help:
    'Add a policy with `podSelector: {}` and `policyTypes: [Ingress, Egress]` (and no rules) to the namespace, then allow what each ' +
    'workload needs: new workloads start closed instead of open.',
  check(ctx) {
    const out: LintFinding[] = []
    const namespaces = [...new Set(ctx.state.pods.filter((p) => !p.hostNetwork).map((p) => p.namespace))].sort()
    for (const name of namespaces) {
      if (isSystemNamespace(name)) continue
      const catchAll = ctx.state.policies.filter((p) => p.namespace === name && selectsAll(p))
      const pods = ctx.podsIn(name)
      // A ClusterNetworkPolicy tier that denies every pod of the namespace by default closes it too.
      const tierCloses = (direction: PolicyType) => pods.every((pod) => tierDeniesAll(ctx, pod, direction))
      const ingress = catchAll.some((p) => p.policyTypes.includes('Ingress')) || tierCloses('Ingress')
      const egress = catchAll.some((p) => p.policyTypes.includes('Egress')) || tierCloses('Egress')
      if (ingress) continue
      const ns = ctx.namespace(name)
      const where = ns?.source ?? pods[0].source
      out.push({
        ruleId: this.id,
        severity: this.severity,
        file: where.file,
        line: where.line,
        object: `Namespace "${name}"`,
        message:
          `namespace ${name} runs ${describePods(pods, ctx)} but has no default-deny ingress policy (podSelector: ` +
          `{})${egress ? '' : ' nor egress'}: any pod not selected by a policy accepts every connection`,
        hint: this.help,
      })
    }
    return out
  },
}

export const ISOLATION_RULES: readonly LintRule[] = [
  egressBlocksDns,
  egressBlocksDnsTcp,
  dnsOnlyViaIpBlock,
  egressBlocksApiServer,
  egressAllowsMetadata,
  egressRulesIgnored,
  ingressRulesIgnored,
  namespaceWithoutDefaultDeny,
]
