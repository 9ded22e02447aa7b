/**
 * @module What the agent needs from a data plane: compile a state into a ruleset, apply it
 * atomically, and read back what the kernel counted. The nft implementation is nft-dataplane.ts;
 * tests may record scripts instead of applying them.
 */
import type { ClusterState } from '../model/types.js'

export type Side = 'ingress' | 'egress'

export interface CompiledRuleset {
  readonly script: string
  /** Named counters of allowed new connections, one per (policy, side) with a chain on this node. */
  readonly allowCounters: readonly { readonly name: string; readonly namespace: string; readonly policy: string; readonly side: Side }[]
}

/** One denied new connection, as recorded by the kernel. */
export interface DeniedConnection {
  /** Identifies the record (same connection attempt, same key) so it is reported once. */
  readonly key: string
  readonly side: Side
  /** The local pod the denial enforced (source for egress, destination for ingress), when known. */
  readonly namespace?: string
  readonly pod?: string
  readonly protocol: string
  /** `ip` or `ip:port`. */
  readonly source: string
  readonly destination: string
}

export interface AgentDataplane {
  compile(state: ClusterState): CompiledRuleset
  /** One atomic transaction; on failure the previous ruleset stays and this throws with nft's message. */
  apply(script: string): Promise<void>
  /** Packet counts of the named counters currently in the kernel. */
  readCounters?(): Promise<ReadonlyMap<string, number>>
  /** Denied-connection records currently held by the kernel for the applied ruleset. */
  readDenied?(applied: CompiledRuleset): Promise<readonly DeniedConnection[]>
}
