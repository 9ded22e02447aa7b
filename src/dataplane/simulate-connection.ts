/**
 * @module Where a connection's first packet meets netpol's rulesets, and what they decide (pure).
 *
 * Models the lab/cluster topology the data plane is built for: every pod has its own network
 * namespace routed (no bridge) through its node's namespace, nodes route to each other. A packet
 * from a pod enters its node on the `forward` hook (or `input` when addressed to the node itself,
 * e.g. a hostNetwork pod there); on another node it meets that node's `forward` (or `input`) hook.
 * Traffic a node originates (a hostNetwork pod, kubelet) leaves through `output`, which netpol
 * never filters — Kubernetes requires that a node can always reach its own pods.
 */
import { parseIp, type IpFamily } from '../model/cidr.js'
import type { Pod, Protocol } from '../model/types.js'
import type { Endpoint, Traffic } from '../engine/verdict.js'
import { L4PROTO, type Hook, type NftRuleset } from './nft-ruleset.js'
import { runHook, type HookResult } from './nft-run.js'

export interface HookVisit {
  readonly node: string
  readonly hook: Hook
  readonly result: HookResult
}

export interface SimulatedConnection {
  readonly allowed: boolean
  /** Why no ruleset was consulted, when none was. */
  readonly note?: string
  readonly family?: IpFamily
  readonly visits: readonly HookVisit[]
}

function endpointAddress(e: Endpoint, family: IpFamily): bigint | undefined {
  const texts = e.kind === 'pod' ? e.pod.ips : [e.ip]
  for (const t of texts) {
    const ip = parseIp(t)
    if (ip && ip.family === family) return ip.value
  }
  return undefined
}

function sameFamily(t: Traffic): { family: IpFamily; saddr: bigint; daddr: bigint } | undefined {
  for (const family of [4, 6] as const) {
    const saddr = endpointAddress(t.from, family)
    const daddr = endpointAddress(t.to, family)
    if (saddr !== undefined && daddr !== undefined) return { family, saddr, daddr }
  }
  return undefined
}

function podNode(e: Endpoint): { node: string; hostNetwork: boolean } | undefined {
  if (e.kind !== 'pod' || e.pod.nodeName === undefined) return undefined
  return { node: e.pod.nodeName, hostNetwork: e.pod.hostNetwork }
}

function isSamePod(a: Pod, b: Pod): boolean {
  return a.namespace === b.namespace && a.name === b.name
}

/**
 * The hooks the first packet of `traffic` passes, each with the node's ruleset verdict. A node
 * missing from `rulesets` has no netpol table (nothing filters there). `sourcePort` only matters
 * for deny-log records.
 */
export function simulateConnection(rulesets: ReadonlyMap<string, NftRuleset>, traffic: Traffic, sourcePort = 40000): SimulatedConnection {
  if (traffic.from.kind === 'pod' && traffic.to.kind === 'pod' && isSamePod(traffic.from.pod, traffic.to.pod)) {
    return { allowed: true, note: 'a pod reaching itself never leaves its network namespace', visits: [] }
  }
  const addrs = sameFamily(traffic)
  if (!addrs) return { allowed: false, note: 'the endpoints share no IP family', visits: [] }
  const src = podNode(traffic.from)
  const dst = podNode(traffic.to)
  const path: { node: string; hook: Hook }[] = []
  if (src && !src.hostNetwork) {
    // Leaves the pod into its node.
    if (dst && dst.node === src.node) path.push({ node: src.node, hook: dst.hostNetwork ? 'input' : 'forward' })
    else {
      path.push({ node: src.node, hook: 'forward' })
      if (dst) path.push({ node: dst.node, hook: dst.hostNetwork ? 'input' : 'forward' })
    }
  } else {
    // Originated by a node (hostNetwork pod: `output`, unfiltered) or outside the cluster.
    if (dst && (!src || dst.node !== src.node)) path.push({ node: dst.node, hook: dst.hostNetwork ? 'input' : 'forward' })
  }
  const packet = {
    family: addrs.family,
    saddr: addrs.saddr,
    daddr: addrs.daddr,
    l4proto: L4PROTO[traffic.protocol.toLowerCase() as Lowercase<Protocol>],
    sport: sourcePort,
    dport: traffic.port,
    ctState: 'new' as const,
  }
  const visits: HookVisit[] = []
  for (const step of path) {
    const ruleset = rulesets.get(step.node)
    if (!ruleset) continue
    const result = runHook(ruleset, step.hook, packet)
    visits.push({ node: step.node, hook: step.hook, result })
    if (result.verdict === 'drop') return { allowed: false, family: addrs.family, visits }
  }
  return { allowed: true, family: addrs.family, visits }
}
