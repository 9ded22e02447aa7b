/**
 * @module Per-policy counters of a running lab: new connections each policy allowed and packets
 * dropped for each pod, summed over the nodes (the data plane's named counters; they restart
 * when `lab apply` replaces a node's table).
 */
import { compileRuleset } from '../dataplane/compile-ruleset.js'
import type { Side } from '../model/describe.js'
import { readPolicyCounters } from '../dataplane/nft.js'
import type { LabState } from './lab-state.js'

export interface LabCounters {
  /** `ns/name` of a policy, the side it decides, and the new connections it allowed. */
  readonly policies: readonly { policy: string; side: Side; allowed: number }[]
  /** `ns/name` of a pod, the side, and the packets dropped there. */
  readonly pods: readonly { pod: string; side: Side; denied: number }[]
}

export async function readLabCounters(state: LabState): Promise<LabCounters> {
  const allowed = new Map<string, number>()
  const denied = new Map<string, number>()
  for (const node of state.topology.nodes) {
    const counters = await readPolicyCounters(compileRuleset(state.cluster, { nodeName: node.name }).index, { netns: node.netns })
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
  }
}
