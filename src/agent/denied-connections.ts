/**
 * @module Reads the kernel's deny-log sets every denyPollIntervalMs: each denied new connection is
 * logged once (`denied`, with the local pod and the peer pod when known, and, when a
 * ClusterNetworkPolicy tier dropped it, which tier, policy and rule: the engine's answer for the
 * state the ruleset was compiled from) and counted in netpol_agent_denied_connections_total.
 */
import type { Logger } from 'pino'
import { qualifiedName, type ClusterState, type Pod } from '../model/types.js'
import { denyCause, type DenyCause } from '../dataplane/deny-log.js'
import { createEngine, type Engine } from '../engine/engine.js'
import type { Endpoint } from '../engine/verdict.js'
import type { AgentDataplane, DeniedRecord } from './agent-dataplane.js'
import type { AgentMetrics } from './agent-metrics.js'
import { errorText } from './error-text.js'

export interface DeniedConnectionsOptions {
  readonly nodeName: string
  readonly dataplane: Pick<AgentDataplane, 'readDenied'>
  readonly metrics: AgentMetrics
  readonly log: Logger
  /** Whether a ruleset is in the kernel (nothing to read before the first apply). */
  readonly hasRuleset: () => boolean
  /** The state of the last sync: who owns an address. */
  readonly state: () => ClusterState
}

export class DeniedConnections {
  private polling = false
  /** Records already reported; the kernel's set entries expire, and so do these. */
  private seen = new Set<string>()
  private podIpIndex: { state: ClusterState; map: Map<string, Pod> } | undefined
  /** Built only when a record needs a cause, once per state. */
  private engineOf: { state: ClusterState; engine: Engine } | undefined

  constructor(private readonly options: DeniedConnectionsOptions) {}

  async poll(): Promise<void> {
    const { dataplane, metrics, log, nodeName } = this.options
    if (!dataplane.readDenied || !this.options.hasRuleset() || this.polling) return
    this.polling = true
    let records: readonly DeniedRecord[]
    try {
      records = await dataplane.readDenied()
    } catch (err) {
      log.warn({ event: 'deny-log-error', err: errorText(err) }, 'cannot read denied connections')
      return
    } finally {
      this.polling = false
    }
    const state = this.options.state()
    const localByIp = new Map<string, Pod>()
    for (const p of state.pods) if (p.nodeName === nodeName && !p.hostNetwork) for (const ip of p.ips) localByIp.set(ip, p)
    const current = new Set<string>()
    for (const r of records) {
      const key = `${r.side}|${r.protocol}|${r.sourceIp}|${r.sourcePort}|${r.destinationIp}|${r.destinationPort}`
      current.add(key)
      if (this.seen.has(key)) continue
      const pod = localByIp.get(r.side === 'egress' ? r.sourceIp : r.destinationIp)
      const peer = this.podByIp(state).get(r.side === 'egress' ? r.destinationIp : r.sourceIp)
      metrics.deniedConnections.inc({ direction: r.side, namespace: pod?.namespace ?? '' })
      const src = `${r.sourceIp}:${r.sourcePort}`
      const dst = `${r.destinationIp}:${r.destinationPort}`
      const cause = this.cause(state, r, pod, peer)
      log.info(
        {
          event: 'denied',
          direction: r.side,
          protocol: r.protocol,
          source: src,
          destination: dst,
          ...(pod ? { pod: qualifiedName(pod) } : {}),
          ...(peer ? { peer: qualifiedName(peer) } : {}),
          ...(cause ? { clusterPolicy: { tier: cause.tier, outcome: cause.outcome, rules: cause.rules } } : {}),
        },
        `denied ${r.side} ${r.protocol.toUpperCase()} ${src} -> ${dst}${pod ? ` (${r.side} of ${qualifiedName(pod)})` : ''}${cause ? `: ${cause.text}` : ''}`,
      )
    }
    // Records expire from the kernel's sets; forget them too, so this set stays bounded.
    this.seen = current
  }

  /** Which ClusterNetworkPolicy rules dropped the connection; undefined when NetworkPolicy did, or the state has no ClusterNetworkPolicies. */
  private cause(state: ClusterState, r: DeniedRecord, local: Pod | undefined, peer: Pod | undefined): DenyCause | undefined {
    if ((state.clusterNetworkPolicies ?? []).length === 0) return undefined
    const protocol = r.protocol === 'tcp' ? 'TCP' : r.protocol === 'udp' ? 'UDP' : r.protocol === 'sctp' ? 'SCTP' : undefined
    if (protocol === undefined) return undefined
    try {
      if (this.engineOf?.state !== state) this.engineOf = { state, engine: createEngine(state) }
      const at = (p: Pod | undefined, ip: string): Endpoint => (p ? { kind: 'pod', pod: p } : { kind: 'ip', ip })
      const [from, to] = r.side === 'egress' ? [at(local, r.sourceIp), at(peer, r.destinationIp)] : [at(peer, r.sourceIp), at(local, r.destinationIp)]
      const verdict = this.engineOf.engine.evaluate({ from, to, port: r.destinationPort, protocol })
      return denyCause(r.side === 'egress' ? verdict.egress : verdict.ingress)
    } catch (err) {
      // Only the log line's cause is lost; the record is still logged and counted.
      this.options.log.warn({ event: 'deny-cause-error', err: errorText(err) }, 'cannot tell which ClusterNetworkPolicy rule denied a connection')
      return undefined
    }
  }

  private podByIp(state: ClusterState): Map<string, Pod> {
    if (this.podIpIndex?.state !== state) {
      const m = new Map<string, Pod>()
      for (const p of state.pods) if (!p.hostNetwork) for (const ip of p.ips) m.set(ip, p)
      this.podIpIndex = { state, map: m }
    }
    return this.podIpIndex.map
  }
}
