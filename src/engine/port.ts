/**
 * @module Matching one NetworkPolicyPort against a connection's destination port and protocol.
 *
 * API reference (NetworkPolicyPort): "protocol ... If not specified, this field defaults to TCP"
 * (the model is already defaulted); "port ... If this field is not provided, this matches all port
 * names and numbers"; "If present, only traffic on the specified protocol AND port will be
 * matched"; "endPort indicates that the range of ports from port to endPort if set, inclusive,
 * should be allowed by the policy". A named port is resolved on the destination pod, against its
 * own container ports of that name and protocol (the destination is the pod that serves the port).
 */
import type { NetworkPolicyPort, Pod, Protocol } from '../model/types.js'
import { formatPolicyPort, formatPort } from '../model/describe.js'

/** The container ports of `pod` that a port name means for `protocol` (usually zero or one). */
export function resolveNamedPort(pod: Pod, name: string, protocol: Protocol): number[] {
  const out: number[] = []
  for (const cp of pod.containerPorts) {
    if (cp.name === name && cp.protocol === protocol) out.push(cp.containerPort)
  }
  return out
}

/**
 * True when the policy port lets `port/protocol` through to `destination` (a pod of the cluster,
 * or undefined for an address outside it, on which no named port can be resolved).
 */
export function policyPortMatches(pp: NetworkPolicyPort, port: number, protocol: Protocol, destination: Pod | undefined): boolean {
  if (pp.protocol !== protocol) return false
  if (pp.port === undefined) return true
  if (typeof pp.port === 'number') {
    return pp.endPort === undefined ? port === pp.port : port >= pp.port && port <= pp.endPort
  }
  return destination !== undefined && resolveNamedPort(destination, pp.port, protocol).includes(port)
}

/**
 * Why none of a rule's ports matched: `protocol` when no port entry is of the traffic's protocol,
 * otherwise `port`. The detail lists the entries, with named ports resolved on the destination.
 */
export function describePortMiss(
  ports: readonly NetworkPolicyPort[],
  port: number,
  protocol: Protocol,
  destination: Pod | undefined,
  destinationName: string,
): { reason: 'port' | 'protocol'; detail: string } {
  const entries = ports.map((pp) => {
    const text = formatPolicyPort(pp)
    if (typeof pp.port !== 'string') return text
    if (destination === undefined) return `${text} (not resolvable on ${destinationName})`
    const resolved = resolveNamedPort(destination, pp.port, pp.protocol)
    return resolved.length === 0 ? `${text} (not declared by ${destinationName})` : `${text} (${resolved.join(',')} on ${destinationName})`
  })
  const list = `[${entries.join(', ')}]`
  if (!ports.some((pp) => pp.protocol === protocol)) {
    return { reason: 'protocol', detail: `protocol ${protocol} of port ${formatPort({ port, protocol })} is not in ${list}` }
  }
  return { reason: 'port', detail: `port ${formatPort({ port, protocol })} is not in ${list}` }
}
