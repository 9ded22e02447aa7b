/**
 * @module Per-policy counters of a running lab: new connections each policy allowed, new
 * connections each ClusterNetworkPolicy rule decided (and those dropped as a same-priority
 * conflict), and packets dropped for each pod, summed over the nodes (the data plane's named
 * counters; they restart when `lab apply` replaces a node's table).
 */
import { compileRuleset } from '../dataplane/compile-ruleset.js'
import { formatClusterRule, type Side } from '../model/describe.js'
import type { ClusterNetworkPolicyRuleAction } from '../model/cluster-network-policy-types.js'
import { readPolicyCounters } from '../dataplane/nft.js'
import type { LabState } from './lab-state.js'

export interface LabCounters {
  /** `ns/name` of a policy, the side it decides, and the new connections it allowed. */
  readonly policies: readonly { policy: string; side: Side; allowed: number }[]
  /** `ns/name` of a pod, the side, and the packets dropped there. */
  readonly pods: readonly { pod: string; side: Side; denied: number }[]
  /**
   * Only with ClusterNetworkPolicies: each rule (`admin ClusterNetworkPolicy P rule R (priority N)`,
   * or a same-priority conflict), the side, its action, and the new connections it decided.
   */
  readonly clusterRules?: readonly { rule: string; side: Side; action: ClusterNetworkPolicyRuleAction | 'conflict'; connections: number }[]
}

export async function readLabCounters(state: LabState): Promise<LabCounters> {
  const allowed = new Map<string, number>()
  const denied = new Map<string, number>()
  // In the order the rules are evaluated (first seen on any node), summed over the nodes.
  const cluster = new Map<string, { rule: string; side: Side; action: ClusterNetworkPolicyRuleAction | 'conflict'; connections: number }>()
  const count = (rule: string, side: Side, action: ClusterNetworkPolicyRuleAction | 'conflict', packets: number): void => {
    const key = `${rule}\0${side}\0${action}`
    const c = cluster.get(key)
    if (c) c.connections += packets
    else cluster.set(key, { rule, side, action, connections: packets })
  }
  for (const node of state.topology.nodes) {
    const counters = await readPolicyCounters(compileRuleset(state.cluster, { nodeName: node.name }).index, { netns: node.netns })
    for (const c of counters.clusterRules) count(formatClusterRule(c), c.side, c.action, c.packets)
    for (const c of counters.clusterConflicts) {
      const tier = c.tier === 'Admin' ? 'admin' : 'baseline'
      count(`${tier} ClusterNetworkPolicies ${c.policies.join(', ')} (priority ${c.priority}) in conflict`, c.side, 'conflict', c.packets)
    }
    for (const c of counters.allowed) {
      const key = `${c.namespace}/${c.policy}\0${c.side}`
      allowed.set(key, (allowed.get(key) ?? 0) + c.packets)
    }
    for (const c of counters.denied) {
      const key = `${c.namespace}/${c.pod}\0${c.side}`
      denied.set(key, (denied.get(key) ?? 0) + c.packets)
    }
  }
  const split = (key: string): [string, Side] => key.split('\0') as [string, Side]
  return {
    policies: [...allowed].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => ({ policy: split(key)[0], side: split(key)[1], allowed: n })),
    pods: [...denied].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => ({ pod: split(key)[0], side: split(key)[1], denied: n })),
    ...((state.cluster.clusterNetworkPolicies?.length ?? 0) > 0 ? { clusterRules: [...cluster.values()] } : {}),
  }
}
