/**
 * @module Reads the kernel's per-policy counters of allowed new connections into
 * netpol_agent_allowed_connections_total, and the per-rule counters of ClusterNetworkPolicies into
 * netpol_agent_cluster_policy_rule_connections_total (on every scrape and every counterPollIntervalMs; never
 * on the sync path: listing a large table takes nft seconds). What the old table counted after the
 * last read is lost when a sync replaces it whole; an incremental update leaves the counters it
 * does not remove counting, so their values carry on from the last read.
 */
import type { Logger } from 'pino'
import type { AgentDataplane, CompiledRuleset } from './agent-dataplane.js'
import type { AgentMetrics } from './agent-metrics.js'
import { errorText } from './error-text.js'

export class AllowedCounters {
  private collecting: Promise<void> | undefined
  /** The last value read per counter, for the table it was read from. */
  private baseline = new Map<string, number>()
  private baselineOf: CompiledRuleset | undefined
  /** The full replace the baseline's table came from (see `fullApplies`). */
  private baselineTable = -1

  constructor(
    private readonly dataplane: Pick<AgentDataplane, 'readCounters'>,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
    /** The ruleset in the kernel now (undefined before the first apply). */
    private readonly applied: () => CompiledRuleset | undefined,
    /** How many full replaces so far: a new count is a new table, whose counters start at zero. */
    private readonly fullApplies: () => number,
  ) {}

  /** One nft listing at a time: concurrent callers share it. */
  collect(): Promise<void> {
    this.collecting ??= this.readOnce().finally(() => (this.collecting = undefined))
    return this.collecting
  }

  private async readOnce(): Promise<void> {
    const applied = this.applied()
    if (!this.dataplane.readCounters || !applied) return
    let values: ReadonlyMap<string, number>
    try {
      values = await this.dataplane.readCounters()
    } catch (err) {
      this.log.warn({ event: 'counters-error', err: errorText(err) }, 'cannot read nft counters')
      return
    }
    if (this.applied() !== applied) return // changed meanwhile: these values may belong to counters that are gone
    const table = this.fullApplies()
    if (this.baselineTable !== table) {
      // A new table's counters start at zero.
      this.baseline = new Map()
      this.baselineTable = table
    } else if (this.baselineOf !== applied) {
      // An incremental update: counters it kept carry on; one it removed starts at zero if it comes back.
      const names = new Set([...applied.allowCounters, ...applied.clusterRuleCounters].map((c) => c.name))
      for (const name of this.baseline.keys()) if (!names.has(name)) this.baseline.delete(name)
    }
    this.baselineOf = applied
    for (const c of applied.allowCounters) {
      const delta = this.delta(values, c.name)
      if (delta > 0) this.metrics.allowedConnections.inc({ direction: c.side, namespace: c.namespace, policy: c.policy }, delta)
    }
    for (const c of applied.clusterRuleCounters) {
      const delta = this.delta(values, c.name)
      const rule = c.ruleName ?? String(c.ruleIndex)
      if (delta > 0) this.metrics.clusterRuleConnections.inc({ direction: c.side, tier: c.tier, policy: c.policy, rule, action: c.action }, delta)
    }
  }

  /** What counter `name` counted since the last read (0 when it is not in the kernel). */
  private delta(values: ReadonlyMap<string, number>, name: string): number {
    const v = values.get(name)
    if (v === undefined) return 0
    const prev = this.baseline.get(name) ?? 0
    this.baseline.set(name, v)
    return v >= prev ? v - prev : v
  }
}
