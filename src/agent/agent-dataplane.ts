/**
 * @module What the agent needs from a data plane: compile a state into a ruleset, apply it
 * atomically (whole, or only what changed), and read back what the kernel counted. The nft
 * implementation is nft-dataplane.ts; tests may record scripts instead of applying them.
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

/**
 * What `applyIncremental` did: applied the difference, or nothing (the ruleset must be replaced
 * whole, for `reason`). After an incremental update the new ruleset is in force; `tidy`, when
 * given, must run before the next update: it removes what the update superseded, so that the
 * kernel holds exactly the new ruleset again (it rejects when nft refuses it; then replace the
 * whole ruleset).
 */
export type IncrementalResult =
  { readonly kind: 'incremental'; readonly bytes: number; readonly tidy?: () => Promise<void> } | { readonly kind: 'full'; readonly reason: string }

export interface AgentDataplane {
  compile(state: ClusterState): CompiledRuleset
  /** Replaces the whole ruleset atomically; on failure the previous ruleset stays and this throws with nft's message. */
  apply(script: string): Promise<void>
  /**
   * Turns the ruleset `previous` (the one in the kernel) into `next` by applying only what changed,
   * in one atomic transaction (and, with the result's `tidy`, a second one that removes what it
   * superseded). `{ kind: 'full' }` when the change cannot be made that way (nothing was applied);
   * throws when nft refuses it (nothing was changed). Optional: without it every apply replaces
   * the whole ruleset.
   */
  applyIncremental?(previous: string, next: string): Promise<IncrementalResult>
  /** Ends what the data plane keeps running between applies (the agent stops); a later apply starts it again. */
  close?(): void
  /** Packet counts of the named counters currently in the kernel. */
  readCounters?(): Promise<ReadonlyMap<string, number>>
  /** Denied-connection records the kernel currently holds (they expire after a while). */
  readDenied?(): Promise<readonly DeniedRecord[]>
}
