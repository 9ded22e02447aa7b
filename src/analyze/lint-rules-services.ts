/**
 * @module Lint rules about Services (issue 14): NetworkPolicy is enforced after the node translated
 * the Service address and port to a backend pod and its targetPort, and that is where people trip.
 * A policy port equal to the Service `port` but not the pods' targetPort; an ipBlock aimed at
 * ClusterIPs or the service range; a Service whose clients (by the policies) reach none of its
 * backends; an egress rule that allows a Service but leaves DNS (its name) unreachable.
 */
import { cidrContains, formatCidr, ipBlockRanges, parseCidr, parseIp, rangesContainIp } from '../model/cidr.js'
import { formatPort } from '../model/describe.js'
import { isEmptySelector } from '../model/label-selector.js'
import { qualifiedName, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, type Pod, type Service } from '../model/types.js'
import { policyPortMatches } from '../engine/port.js'
import { serviceBackends } from '../engine/service-backends.js'
import type { LintContext } from './lint-context.js'
import { policyFinding, type LintFinding, type LintRule, policyPeers } from './lint-rule.js'
import { describePods, reachesDns } from './lint-rules-isolation.js'
import { describeServicePort, serviceName } from './service-endpoint.js'

/** Services that have backends in the cluster (not ExternalName). */
function clusterServices(ctx: LintContext): readonly Service[] {
  return (ctx.state.services ?? []).filter((s) => s.type !== 'ExternalName')
}

/**
 * A peer that names particular pods: not an ipBlock, and not every pod of every namespace
 * (`namespaceSelector: {}` with no or an empty podSelector), which names no client in particular.
 */
function namesPods(peer: NetworkPolicyPeer): boolean {
  if (peer.ipBlock) return false
  const everyNamespace = peer.namespaceSelector !== undefined && isEmptySelector(peer.namespaceSelector)
  return !(everyNamespace && (peer.podSelector === undefined || isEmptySelector(peer.podSelector)))
}

/** Every backend pod of a Service, over all its ports. */
function backendPods(ctx: LintContext, service: Service): Set<Pod> {
  const out = new Set<Pod>()
  for (const port of service.ports) for (const b of serviceBackends(ctx.state, service, port).backends) if (b.pod) out.add(b.pod)
  return out
}

const policyPortIsServicePort: LintRule = {
  id: 'policy-port-is-service-port',
  severity: 'warning',
  title: "Policy port that is a Service's port, not its pods' targetPort",
  help:
    "Write the port the pods receive: the Service's targetPort (or its container port name). NetworkPolicy sees the connection after the Service " +
    'translated it to a backend pod and its targetPort, never the Service port.',
  check(ctx) {
    const out: LintFinding[] = []
    const services = clusterServices(ctx)
    if (services.length === 0) return out
    const checkRule = (policy: NetworkPolicy, ports: readonly NetworkPolicyPort[], field: string, targets: readonly Pod[]): void => {
      if (targets.length === 0) return
      const targetSet = new Set(targets)
      ports.forEach((pp, pi) => {
        if (typeof pp.port !== 'number' || pp.endPort !== undefined) return
        for (const service of services) {
          for (const sp of service.ports) {
            if (sp.port !== pp.port || sp.protocol !== pp.protocol) continue
            const backends = serviceBackends(ctx.state, service, sp).backends.filter((b) => b.pod !== undefined && targetSet.has(b.pod))
            const missed = backends.filter((b) => b.port !== pp.port)
            if (missed.length === 0) continue
            // The pods also serve the Service port itself: the policy may well mean it.
            if (missed.some((b) => b.pod!.containerPorts.some((c) => c.containerPort === pp.port && c.protocol === pp.protocol))) continue
            // Another entry of the rule lets the targetPort through: nothing is lost.
            if (missed.every((b) => ports.some((q) => policyPortMatches(q, b.port, b.protocol, b.pod)))) continue
            const arrives = [...new Set(missed.map((b) => `${qualifiedName(b.pod!)}:${b.port}`))].slice(0, 3).join(', ')
            const targetPorts = [...new Set(missed.map((b) => b.port))].join(', ')
            out.push(
              policyFinding(
                this,
                policy,
                pp.source,
                `${field}.ports[${pi}]`,
                `port ${formatPort({ port: pp.port, protocol: pp.protocol })} is the port of Service ${serviceName(service)} (${describeServicePort(sp)}), ` +
                  `not the port its pods receive: after the translation the connection arrives at ${arrives}, so this port does not match it`,
                `Use the targetPort: ${targetPorts}${typeof sp.targetPort === 'string' ? ` (or the port name ${sp.targetPort})` : ''}; NetworkPolicy sees the ` +
                  'connection after the Service translated it to a backend pod and its targetPort.',
              ),
            )
          }
        }
      })
    }
    for (const policy of ctx.state.policies) {
      const selected = ctx.engine.selectedPods(policy)
      policy.ingress.forEach((rule, ri) => checkRule(policy, rule.ports, `spec.ingress[${ri}]`, selected))
      policy.egress.forEach((rule, ri) => {
        // A rule to every destination names no Service in particular.
        if (rule.to.length === 0) return
        const targets = [...new Set(rule.to.flatMap((peer) => (peer.ipBlock ? [] : ctx.engine.peerPods(policy, peer))))]
        checkRule(policy, rule.ports, `spec.egress[${ri}]`, targets)
      })
    }
    return out
  },
}

const ipBlockTargetsService: LintRule = {
  id: 'ipblock-targets-service',
  severity: 'warning',
  title: 'ipBlock aimed at Service addresses (a ClusterIP or the service range)',
  help:
    "Select the Service's pods with podSelector (and namespaceSelector) instead: the node translates a ClusterIP to a backend pod before " +
    'NetworkPolicy sees the packet, so an ipBlock of Service addresses matches no connection.',
  check(ctx) {
    const out: LintFinding[] = []
    const clusterIPs = (ctx.state.services ?? []).flatMap((s) => s.clusterIPs.map((ip) => ({ ip, address: parseIp(ip)!, service: s })))
    for (const policy of ctx.state.policies) {
      for (const { peer, field } of policyPeers(policy)) {
        if (!peer.ipBlock) continue
        const parsed = parseCidr(peer.ipBlock.cidr)
        if (!parsed.ok) continue
        const block = parsed.cidr
        const ranges = ipBlockRanges(peer.ipBlock)
        const hits = clusterIPs.filter((c) => rangesContainIp(ranges, c.address))
        const hitText = hits
          .slice(0, 3)
          .map((h) => `${h.ip} of Service ${serviceName(h.service)}`)
          .join(', ')
        const inRange = ctx.serviceCidrs.find((r) => cidrContains(r, block))
        const sameFamilyRange = ctx.serviceCidrs.find((r) => r.family === block.family)
        // A block no wider than the service range that holds a ClusterIP is aimed at it; a wider one (10.0.0.0/8, 0.0.0.0/0) is about other addresses too.
        const narrow = hits.length > 0 && block.prefix >= (sameFamilyRange?.prefix ?? (block.family === 4 ? 12 : 108))
        if (!inRange && !narrow) continue
        const what = inRange
          ? `lies in the service range ${formatCidr(inRange)} (--service-cidr)${hits.length > 0 ? `, with the ClusterIP ${hitText}` : ''}`
          : `holds the ClusterIP ${hitText}`
        out.push(
          policyFinding(
            this,
            policy,
            peer.source,
            `${field}.ipBlock`,
            `ipBlock ${peer.ipBlock.cidr} ${what}: the node translates Service addresses to a backend pod before NetworkPolicy sees the packet, ` +
              'so this ipBlock matches no connection to a Service',
          ),
        )
      }
    }
    return out
  },
}

const serviceUnreachable: LintRule = {
  id: 'service-unreachable',
  severity: 'warning',
  title: 'Service whose clients (by the policies) reach none of its backends',
  help:
    'Allow the clients on the egress of their pods and on the ingress of the backend pods, on the targetPort of the Service (the port the pods ' +
    'receive), or remove the rules that name the backends if the Service is not meant to be used.',
  check(ctx) {
    const out: LintFinding[] = []
    for (const service of clusterServices(ctx)) {
      const backends = backendPods(ctx, service)
      if (backends.size === 0 || service.ports.length === 0) continue
      // Clients: the pods the policies write rules for toward (or from) the backends; see docs/lint.md for "used".
      const clients = new Set<Pod>()
      for (const policy of ctx.state.policies) {
        const selected = ctx.engine.selectedPods(policy)
        for (const rule of policy.egress)
          if (rule.to.some((peer) => namesPods(peer) && ctx.engine.peerPods(policy, peer).some((p) => backends.has(p))))
            for (const p of selected) clients.add(p)
        if (selected.some((p) => backends.has(p)))
          for (const rule of policy.ingress)
            for (const peer of rule.from) if (namesPods(peer)) for (const p of ctx.engine.peerPods(policy, peer)) clients.add(p)
      }
      const others = [...clients].filter((c) => !c.hostNetwork)
      if (others.length === 0) continue
      let reached = false
      let tried = 0
      search: for (const client of others) {
        for (const sp of service.ports) {
          for (const b of serviceBackends(ctx.state, service, sp).backends) {
            if (!b.pod || b.pod === client) continue
            tried++
            if (ctx.engine.evaluate({ from: { kind: 'pod', pod: client }, to: { kind: 'pod', pod: b.pod }, port: b.port, protocol: b.protocol }).allowed) {
              reached = true
              break search
            }
          }
        }
      }
      if (reached || tried === 0) continue
      out.push({
        ruleId: this.id,
        severity: this.severity,
        file: service.source.file,
        line: service.source.line,
        object: `Service "${qualifiedName(service)}"`,
        field: 'spec.ports',
        message:
          `Service ${serviceName(service)} is used (policies name its pods as peers of ${describePods(others, ctx)}), but none of those clients ` +
          `reaches any of its backends on any port (${service.ports.map(describeServicePort).join(', ')})`,
        hint: this.help,
      })
    }
    return out
  },
}

const egressAllowsServiceNotDns: LintRule = {
  id: 'egress-allows-service-not-dns',
  severity: 'warning',
  title: "Egress rule that allows a Service's pods but not DNS",
  help:
    'Clients reach a Service by its name, looked up in the cluster DNS first: allow DNS as well (UDP and TCP 53 to kube-dns in kube-system), ' +
    'or the connection fails at the lookup.',
  check(ctx) {
    const out: LintFinding[] = []
    const services = clusterServices(ctx)
    if (services.length === 0) return out
    const backendsOf = new Map(services.map((s) => [s, backendPods(ctx, s)]))
    for (const policy of ctx.state.policies) {
      if (!policy.policyTypes.includes('Egress')) continue
      const selected = ctx.probeEngine.selectedPods(policy)
      const blind = selected.filter((pod) => !pod.hostNetwork && !reachesDns(ctx, pod, 'UDP'))
      if (blind.length === 0) continue
      policy.egress.forEach((rule, ri) => {
        if (rule.to.length === 0) return
        const peerPods = new Set(rule.to.flatMap((peer) => (peer.ipBlock ? [] : ctx.engine.peerPods(policy, peer))))
        const named = services.filter((s) => [...backendsOf.get(s)!].some((p) => peerPods.has(p) && !selected.includes(p)))
        if (named.length === 0) return
        const first = named[0]
        const list = named
          .slice(0, 3)
          .map((s) => serviceName(s))
          .join(', ')
        out.push(
          policyFinding(
            this,
            policy,
            rule.source,
            `spec.egress[${ri}]`,
            `egress[${ri}] allows the pods of ${named.length === 1 ? 'Service' : 'Services'} ${list}${named.length > 3 ? ', ...' : ''}, but ` +
              `${describePods(blind, ctx)} cannot reach DNS: a client looks ${first.name}.${first.namespace}.svc.cluster.local up first, so the ` +
              'connection fails at the lookup',
          ),
        )
      })
    }
    return out
  },
}

export const SERVICE_RULES: readonly LintRule[] = [policyPortIsServicePort, ipBlockTargetsService, serviceUnreachable, egressAllowsServiceNotDns]
