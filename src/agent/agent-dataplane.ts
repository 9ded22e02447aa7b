/**
 * @module What the agent needs from a data plane: compile a state into a ruleset, apply it
 * atomically, and read back what the kernel counted. The nft implementation is nft-dataplane.ts;
 * tests may record scripts instead of applying them.
 */
import type { ClusterState } from '../model/types.js'
import type { Side } from '../model/describe.js'
import type { ClusterNetworkPolicyRuleAction, ClusterNetworkPolicyTier } from '../model/cluster-network-policy-types.js'

export interface CompiledRuleset {
  readonly script: string
  /** Named counters of allowed new connections, one per (policy, side) with a chain on this node. */
  readonly allowCounters: readonly { readonly name: string; readonly namespace: string; readonly policy: string; readonly side: Side }[]
  /** Named counters of ClusterNetworkPolicy rules, one per (policy, rule, side) with lines on this node: the new connections the rule decided. */
  readonly clusterRuleCounters: readonly {
    readonly name: string
    readonly side: Side
    readonly tier: ClusterNetworkPolicyTier
    readonly policy: string
    readonly ruleIndex: number
    readonly ruleName?: string
    readonly action: ClusterNetworkPolicyRuleAction
  }[]
}

/** One denied new connection, as recorded by the kernel's deny-log sets. */
export interface DeniedRecord {
  readonly side: Side
  readonly protocol: string
  readonly sourceIp: string
  readonly destinationIp: string
  readonly sourcePort: number
  readonly destinationPort: number
}

export interface AgentDataplane {
  compile(state: ClusterState): CompiledRuleset
  /** One atomic transaction; on failure the previous ruleset stays and this throws with nft's message. */
  apply(script: string): Promise<void>
  /** Packet counts of the named counters currently in the kernel. */
  readCounters?(): Promise<ReadonlyMap<string, number>>
  /** Denied-connection records the kernel currently holds (they expire after a while). */
  readDenied?(): Promise<readonly DeniedRecord[]>
}
