/**
 * @module Destination ports cut into classes on which every policy agrees, and port sets printed
 * the way people read them (`TCP 80,443,8000-8080`).
 *
 * Policies only tell ports apart at `port`/`endPort` boundaries (ClusterNetworkPolicies at their
 * `destinationPort` numbers and ranges) and at the numbers named ports
 * resolve to (containerPorts), so cutting 1-65535 of each protocol there gives the fewest
 * classes that keep every answer exact; one port per class stands for all of it.
 */
import { PROTOCOLS, type ClusterState, type Protocol } from '../model/types.js'
import { protocolEntry } from '../engine/cluster-policy.js'

export interface PortClass {
  readonly protocol: Protocol
  readonly start: number
  readonly end: number
}

const MAX_PORT = 65535

/** Classes for one or more states (both sides of a diff share one cut), by protocol then port. */
export function portClasses(states: readonly ClusterState[]): PortClass[] {
  const cuts = new Map<Protocol, Set<number>>(PROTOCOLS.map((p) => [p, new Set([1])]))
  const cut = (protocol: Protocol, start: number, end: number) => {
    const set = cuts.get(protocol)!
    set.add(start)
    if (end < MAX_PORT) set.add(end + 1)
  }
  for (const s of states) {
    for (const pod of s.pods) for (const c of pod.containerPorts) cut(c.protocol, c.containerPort, c.containerPort)
    for (const policy of s.policies) {
      for (const rule of [...policy.ingress, ...policy.egress]) {
        for (const p of rule.ports) if (typeof p.port === 'number') cut(p.protocol, p.port, p.endPort ?? p.port)
      }
    }
    // ClusterNetworkPolicy protocols draw boundaries too (named ports resolve to containerPorts, cut above).
    for (const cnp of s.clusterNetworkPolicies ?? []) {
      for (const rule of [...cnp.spec.ingress, ...cnp.spec.egress]) {
        for (const p of rule.protocols) {
          const e = protocolEntry(p)
          if (e !== undefined && !('named' in e)) cut(e.protocol, e.lo, Math.min(e.hi, MAX_PORT))
        }
      }
    }
  }
  const out: PortClass[] = []
  for (const protocol of PROTOCOLS) {
    const starts = [...cuts.get(protocol)!].sort((a, b) => a - b)
    starts.forEach((start, i) => out.push({ protocol, start, end: i + 1 < starts.length ? starts[i + 1] - 1 : MAX_PORT }))
  }
  return out
}

/** `TCP 80,443,8000-8080; UDP 53`, `all TCP`, or `all ports`; `none` for the empty set. */
export function formatPortSet(classes: readonly PortClass[]): string {
  if (classes.length === 0) return 'none'
  const parts: string[] = []
  let full = 0
  for (const protocol of PROTOCOLS) {
    const mine = classes.filter((c) => c.protocol === protocol).sort((a, b) => a.start - b.start)
    if (mine.length === 0) continue
    const merged: { start: number; end: number }[] = []
    for (const c of mine) {
      const last = merged[merged.length - 1]
      if (last && last.end + 1 >= c.start) last.end = Math.max(last.end, c.end)
      else merged.push({ start: c.start, end: c.end })
    }
    if (merged.length === 1 && merged[0].start === 1 && merged[0].end === MAX_PORT) {
      full++
      parts.push(`all ${protocol}`)
    } else {
      parts.push(`${protocol} ${merged.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',')}`)
    }
  }
  return full === PROTOCOLS.length ? 'all ports' : parts.join('; ')
}
