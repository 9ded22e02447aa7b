/**
 * @module Matching one NetworkPolicyPeer against a connection's other end, spec-literally.
 *
 * API reference (NetworkPolicyPeer): "podSelector is a label selector which selects pods. ... If
 * namespaceSelector is also set, then the NetworkPolicyPeer as a whole selects the pods matching
 * podSelector in the Namespaces selected by NamespaceSelector. Otherwise it selects the pods
 * matching podSelector in the policy's own namespace." "namespaceSelector ... If podSelector is
 * also set, then ... Otherwise it selects all pods in the namespaces selected by
 * namespaceSelector." "ipBlock defines policy on a particular IPBlock. If this field is set then
 * neither of the other fields can be." IPBlock: "IPBlock describes a particular CIDR ... that is
 * allowed to the pods matched by a NetworkPolicySpec's podSelector. The except entry describes
 * CIDRs that should not be included within this rule."
 *
 * Decisions where the reference leaves room (shared with the fast engine and the data plane):
 * - ipBlock also matches pods by their IPs (the concepts page calls ipBlock meant for
 *   cluster-external IPs, but the upstream e2e tests "should allow egress access to server in CIDR
 *   block" and "should enforce except clause ..." expect pod IPs to match); a pod matches when any
 *   of its IPs is in cidr minus except, and a pod without known IPs matches no ipBlock.
 * - hostNetwork pods are never matched by pod/namespace selectors (their traffic carries the
 *   node's address), only by ipBlock on their IPs.
 * - An `ip` endpoint is outside the cluster: only ipBlock can match it.
 */
import { cidrContainsIp, ipBlockRanges, parseCidr, parseIp, rangesContainIp, type IpRange } from '../model/cidr.js'
import type { IPBlock, Labels, NetworkPolicy, NetworkPolicyPeer } from '../model/types.js'
import { NAMESPACE_NAME_LABEL, qualifiedName } from '../model/types.js'
import type { Endpoint } from './verdict.js'
import { formatLabels, matchesSelector } from '../model/label-selector.js'
import { describePeer, endpointName } from '../model/describe.js'

/** Namespace labels by name; a namespace the state does not list still has its name label. */
export type NamespaceLabels = (namespace: string) => Labels

export function namespaceLabelsOf(namespaces: readonly { readonly name: string; readonly labels: Labels }[]): NamespaceLabels {
  const byName = new Map(namespaces.map((n) => [n.name, n.labels]))
  return (ns) => byName.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns }
}

/** The addresses of an endpoint: a pod's IPs or the single external IP. */
export function endpointIps(e: Endpoint): readonly string[] {
  return e.kind === 'pod' ? e.pod.ips : [e.ip]
}

export function ipBlockMatches(block: IPBlock, ips: readonly string[], ranges: readonly IpRange[] = ipBlockRanges(block)): boolean {
  for (const text of ips) {
    const ip = parseIp(text)
    if (ip !== undefined && rangesContainIp(ranges, ip)) return true
  }
  return false
}

/** Does `peer` of `policy` match the endpoint? */
export function peerMatches(policy: NetworkPolicy, peer: NetworkPolicyPeer, e: Endpoint, nsLabels: NamespaceLabels): boolean {
  if (peer.ipBlock !== undefined) return ipBlockMatches(peer.ipBlock, endpointIps(e))
  if (e.kind !== 'pod' || e.pod.hostNetwork) return false
  const pod = e.pod
  if (peer.namespaceSelector !== undefined) {
    if (!matchesSelector(peer.namespaceSelector, nsLabels(pod.namespace))) return false
  } else if (pod.namespace !== policy.namespace) {
    return false
  }
  return peer.podSelector === undefined || matchesSelector(peer.podSelector, pod.labels)
}

/**
 * Why the other end matched none of a rule's peers, for RuleMiss.detail: the end with the labels
 * selectors look at (and its namespace's labels when a peer selects namespaces), then the peers.
 * E.g. `peer x/b {pod=b} does not match pods pod=a in namespace x`.
 */
export function describePeerMiss(policy: NetworkPolicy, peers: readonly NetworkPolicyPeer[], e: Endpoint, nsLabels: NamespaceLabels): string {
  let who = `peer ${endpointName(e)}`
  if (e.kind === 'pod') {
    who += ` ${formatLabels(e.pod.labels)}`
    if (peers.some((p) => p.namespaceSelector !== undefined)) who += ` in namespace ${e.pod.namespace} ${formatLabels(nsLabels(e.pod.namespace))}`
  }
  const base =
    peers.length === 1
      ? `${who} does not match ${describePeer(peers[0]!, policy.namespace)}`
      : `${who} does not match any of ${peers.length} peers: ${peers.map((p, i) => `[${i}] ${describePeer(p, policy.namespace)}`).join('; ')}`
  const hasSelectorPeer = peers.some((p) => p.ipBlock === undefined)
  const hasIpBlock = peers.some((p) => p.ipBlock !== undefined)
  if (e.kind === 'pod' && e.pod.hostNetwork && hasSelectorPeer) return `${base} (a hostNetwork pod is matched only by ipBlock)`
  if (e.kind === 'pod' && e.pod.ips.length === 0 && hasIpBlock) return `${base} (${qualifiedName(e.pod)} has no known IP for ipBlock)`
  if (e.kind === 'pod' && e.pod.ipsAssumed && hasIpBlock) return `${base} (${e.pod.ips.join(', ')} is assumed: the manifest has no pod IP; --pod-cidr)`
  if (e.kind === 'ip' && hasSelectorPeer && !hasIpBlock) return `${base} (an address outside the cluster is matched only by ipBlock)`
  const excepted = exceptHits(peers, e.kind === 'pod' ? e.pod.ips : [e.ip])
  if (excepted.length > 0) return `${base} (${excepted.join('; ')})`
  return base
}

/** For ipBlock peers whose cidr holds an address of the end but an `except` takes it out: `10.1.2.3 is in except 10.1.0.0/16 of 10.0.0.0/8`. */
function exceptHits(peers: readonly NetworkPolicyPeer[], ips: readonly string[]): string[] {
  const out: string[] = []
  for (const peer of peers) {
    const block = peer.ipBlock
    if (block === undefined || block.except.length === 0) continue
    const cidr = parseCidr(block.cidr)
    if (!cidr.ok) continue
    for (const text of ips) {
      const ip = parseIp(text)
      if (!ip || !cidrContainsIp(cidr.cidr, ip)) continue
      const hole = block.except.find((x) => {
        const c = parseCidr(x)
        return c.ok && cidrContainsIp(c.cidr, ip)
      })
      if (hole !== undefined) out.push(`${text} is in except ${hole} of ${block.cidr}`)
    }
  }
  return [...new Set(out)]
}
