/**
 * @module Addresses outside the cluster, cut into ranges on which every policy agrees.
 *
 * Policies only tell addresses apart at ipBlock `cidr`/`except` boundaries, so cutting the whole
 * address space (0.0.0.0/0, and ::/0 when IPv6 appears) at every boundary seen gives the fewest
 * ranges that keep every answer exact; one address per range stands for all of it. Output then
 * reads `0.0.0.0-9.255.255.255` instead of four billion rows.
 */
import { cidrRange, familyBits, formatIp, parseCidr, rangeToCidrs, type IpFamily, type IpRange } from '../model/cidr.js'
import type { ClusterState, NetworkPolicyPeer } from '../model/types.js'

export interface ExternalRange extends IpRange {
  /** `10.0.0.0/8` when the range is exactly one prefix, else `first-last`. */
  readonly label: string
  /** An address of the range that is no pod's IP: the one to evaluate. */
  readonly probe: string
}

function everyPeer(state: ClusterState): Pick<NetworkPolicyPeer, 'ipBlock'>[] {
  const peers: Pick<NetworkPolicyPeer, 'ipBlock'>[] = state.policies.flatMap((p) => [...p.ingress.flatMap((r) => r.from), ...p.egress.flatMap((r) => r.to)])
  // ClusterNetworkPolicy networks tell addresses apart like ipBlocks without except.
  for (const cnp of state.clusterNetworkPolicies ?? []) {
    for (const rule of cnp.spec.egress) for (const peer of rule.to) for (const cidr of peer.networks ?? []) peers.push({ ipBlock: { cidr, except: [] } })
  }
  // A nodes peer tells each address of the Node objects apart (each node may be selected or not).
  const nodesPeer = (state.clusterNetworkPolicies ?? []).some((cnp) => cnp.spec.egress.some((r) => r.to.some((peer) => peer.nodes !== undefined)))
  if (nodesPeer) {
    for (const node of state.nodes ?? []) for (const a of node.addresses) peers.push({ ipBlock: { cidr: `${a}/${a.includes(':') ? 128 : 32}`, except: [] } })
  }
  return peers
}

/** The families worth showing: IPv4 always, IPv6 when a policy or a pod mentions it. */
function familiesIn(states: readonly ClusterState[]): IpFamily[] {
  let v6 = false
  for (const s of states) {
    for (const peer of everyPeer(s)) if (peer.ipBlock && peer.ipBlock.cidr.includes(':')) v6 = true
    for (const pod of s.pods) if (pod.ips.some((ip) => ip.includes(':'))) v6 = true
  }
  return v6 ? [4, 6] : [4]
}

export function rangeLabel(r: IpRange): string {
  const cidrs = rangeToCidrs(r)
  if (cidrs.length === 1) return cidrs[0]
  return `${formatIp({ family: r.family, value: r.start })}-${formatIp({ family: r.family, value: r.end })}`
}

/**
 * The address space cut at every ipBlock boundary of the given states (both sides of a diff
 * share one cut so their rows line up), in address order, IPv4 first.
 */
export function externalRanges(states: readonly ClusterState[]): ExternalRange[] {
  const podIps = new Set<string>()
  for (const s of states) for (const pod of s.pods) for (const ip of pod.ips) podIps.add(ip)
  const out: ExternalRange[] = []
  for (const family of familiesIn(states)) {
    const max = (1n << BigInt(familyBits(family))) - 1n
    // Cut points: the first address of each piece.
    const starts = new Set<bigint>([0n])
    for (const s of states) {
      for (const peer of everyPeer(s)) {
        if (!peer.ipBlock) continue
        for (const text of [peer.ipBlock.cidr, ...peer.ipBlock.except]) {
          const parsed = parseCidr(text)
          if (!parsed.ok || parsed.cidr.family !== family) continue
          const r = cidrRange(parsed.cidr)
          starts.add(r.start)
          if (r.end < max) starts.add(r.end + 1n)
        }
      }
    }
    const sorted = [...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    for (let i = 0; i < sorted.length; i++) {
      const range: IpRange = { family, start: sorted[i], end: i + 1 < sorted.length ? sorted[i + 1] - 1n : max }
      out.push({ ...range, label: rangeLabel(range), probe: probeAddress(range, podIps) })
    }
  }
  return out
}

/** The first address of the range that no pod uses (pods are never "outside"). */
function probeAddress(r: IpRange, podIps: ReadonlySet<string>): string {
  let v = r.start
  for (let i = 0; i < 1024 && v <= r.end; i++, v++) {
    const text = formatIp({ family: r.family, value: v })
    if (!podIps.has(text)) return text
  }
  return formatIp({ family: r.family, value: r.start })
}

/** Joins neighbouring ranges (same family, adjacent) for which `same(a, b)` holds; keeps order. */
export function mergeAdjacentRanges<T extends { readonly range: IpRange }>(
  items: readonly T[],
  same: (a: T, b: T) => boolean,
  join: (a: T, range: IpRange) => T,
): T[] {
  const out: T[] = []
  for (const item of items) {
    const last = out[out.length - 1]
    if (last && last.range.family === item.range.family && last.range.end + 1n === item.range.start && same(last, item)) {
      out[out.length - 1] = join(last, { family: item.range.family, start: last.range.start, end: item.range.end })
    } else {
      out.push(item)
    }
  }
  return out
}
