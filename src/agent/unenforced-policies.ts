/**
 * @module Whether the synced state holds ClusterNetworkPolicies, which the compiler does not
 * enforce yet.
 *
 * An agent that enforces only the NetworkPolicies of a cluster with an Admin Deny or a Baseline
 * default deny lets through what the cluster's guardrails deny. It keeps enforcing the
 * NetworkPolicies (dropping them would open more), but it reports not ready and logs an error
 * while any ClusterNetworkPolicy exists, so the gap is visible on every node. The informer of
 * ClusterNetworkPolicies (cluster-informers.ts) feeds the state; this only reads it.
 */
import type { Logger } from 'pino'
import { printable } from '../model/printable.js'
import type { ClusterState } from '../model/types.js'

export class UnenforcedPolicies {
  private example: string | undefined

  constructor(private readonly log: Logger) {}

  /** The reason for /readyz while ClusterNetworkPolicies exist; undefined otherwise. */
  problem(): string | undefined {
    if (this.example === undefined) return undefined
    return `ClusterNetworkPolicies exist (e.g. ${this.example}) and this agent does not enforce them: only NetworkPolicies are enforced on this node`
  }

  /** Reads the state of a sync; logs when ClusterNetworkPolicies appear and when they are gone. */
  update(state: ClusterState): void {
    const first = state.clusterNetworkPolicies?.[0]
    const before = this.example
    this.example = first === undefined ? undefined : `"${printable(first.name.slice(0, 253))}"`
    if (before === undefined && this.example !== undefined)
      this.log.error(
        { event: 'cluster-policies-not-enforced', example: this.example },
        `${this.problem()}; the Admin and Baseline tiers are not applied, so traffic they deny may pass (reported not ready until they are gone)`,
      )
    else if (before !== undefined && this.example === undefined) this.log.info({ event: 'cluster-policies-gone' }, 'no ClusterNetworkPolicies any more')
  }
}
