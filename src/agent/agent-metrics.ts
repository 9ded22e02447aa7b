/**
 * @module The agent's Prometheus metrics, in their own registry (nothing global, so tests and
 * several agents in one process never collide).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

export interface AgentMetrics {
  readonly registry: Registry
  /** Seconds from the first API event of a batch to the ruleset being in the kernel. */
  readonly syncLatency: Histogram<'result'>
  /** Seconds from a watch event's arrival (the first of a coalesced batch) to the ruleset it changed being committed in the kernel. */
  readonly enforcementLatency: Histogram
  /** Seconds spent compiling and applying one ruleset. */
  readonly applyDuration: Histogram<'phase'>
  readonly rulesetBytes: Gauge
  readonly rulesetRules: Gauge
  readonly rulesetSets: Gauge
  /** Ruleset applies by result and kind (full replace or incremental update). */
  readonly applies: Counter<'result' | 'kind'>
  readonly lastApplyTimestamp: Gauge
  readonly apiErrors: Counter<'resource'>
  readonly watchEvents: Counter<'resource' | 'type'>
  readonly relists: Counter<'resource'>
  readonly invalidObjects: Gauge<'kind'>
  /** Lines, events and list items from the API server refused before use (see api-envelope.ts). */
  readonly rejectedObjects: Counter<'resource' | 'reason'>
  /** Syncs that failed before reaching nft (building the state or compiling the ruleset). */
  readonly syncErrors: Counter
  readonly pods: Gauge<'scope'>
  readonly policies: Gauge
  readonly clusterPolicies: Gauge<'tier'>
  readonly deniedConnections: Counter<'direction' | 'namespace'>
  readonly allowedConnections: Counter<'direction' | 'namespace' | 'policy'>
  readonly clusterRuleConnections: Counter<'direction' | 'tier' | 'policy' | 'rule' | 'action'>
  readonly ready: Gauge
  /** Where the `ready` gauge reads its value at each scrape. */
  setReadySource(source: () => boolean): void
}

export function createAgentMetrics(options: { defaultMetrics?: boolean } = {}): AgentMetrics {
  const registry = new Registry()
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'netpol_agent_' })
  const registers = [registry]
  let readySource: () => boolean = () => false
  return {
    setReadySource(source) {
      readySource = source
    },
    registry,
    syncLatency: new Histogram({
      name: 'netpol_agent_sync_latency_seconds',
      help:
        'Time from an API event (the first of a coalesced batch) to the resulting ruleset being applied; result="unchanged" when the new ' +
        'state compiles to the ruleset already in place.',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    enforcementLatency: new Histogram({
      name: 'netpol_policy_enforcement_latency_seconds',
      help:
        'Time from a watch event (Pod, Namespace, NetworkPolicy or ClusterNetworkPolicy) being received by the agent, before parsing, to the ' +
        'nft transaction that enforces it being committed in the kernel; for a coalesced batch, from its first event. Only syncs that changed ' +
        'the ruleset are observed.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    applyDuration: new Histogram({
      name: 'netpol_agent_sync_phase_seconds',
      help: 'Duration of one phase of a sync: build (API objects to model), compile (model to nft script), apply (nft -f).',
      labelNames: ['phase'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    rulesetBytes: new Gauge({ name: 'netpol_agent_ruleset_bytes', help: 'Size of the applied nft script in bytes.', registers }),
    rulesetRules: new Gauge({ name: 'netpol_agent_ruleset_rules', help: 'Rules (statements inside chains) in the applied ruleset.', registers }),
    rulesetSets: new Gauge({ name: 'netpol_agent_ruleset_sets', help: 'Sets and maps in the applied ruleset.', registers }),
    applies: new Counter({
      name: 'netpol_agent_applies_total',
      help: 'Ruleset applies by result (ok, error) and kind (full: the whole table replaced; incremental: only what changed, one transaction).',
      labelNames: ['result', 'kind'],
      registers,
    }),
    lastApplyTimestamp: new Gauge({ name: 'netpol_agent_last_apply_timestamp_seconds', help: 'Unix time of the last successful ruleset apply.', registers }),
    apiErrors: new Counter({
      name: 'netpol_agent_api_errors_total',
      help: 'Failed list or watch calls to the API server, by resource.',
      labelNames: ['resource'],
      registers,
    }),
    watchEvents: new Counter({
      name: 'netpol_agent_watch_events_total',
      help: 'Watch events received, by resource and type (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR).',
      labelNames: ['resource', 'type'],
      registers,
    }),
    relists: new Counter({
      name: 'netpol_agent_lists_total',
      help: 'Full LISTs of a resource (startup, 410 Gone, replaced watches).',
      labelNames: ['resource'],
      registers,
    }),
    invalidObjects: new Gauge({
      name: 'netpol_agent_invalid_objects',
      help: 'API objects netpol cannot read (pods/namespaces left out; policies enforced as deny-all for the pods they select; a Node makes the nodes unknown).',
      labelNames: ['kind'],
      registers,
    }),
    pods: new Gauge({
      name: 'netpol_agent_pods',
      help: 'Pods known (scope="cluster") and pods on this node (scope="node").',
      labelNames: ['scope'],
      registers,
    }),
    policies: new Gauge({ name: 'netpol_agent_policies', help: 'NetworkPolicies known in the cluster.', registers }),
    clusterPolicies: new Gauge({
      name: 'netpol_agent_cluster_network_policies',
      help: 'ClusterNetworkPolicies known in the cluster, by tier (Admin, Baseline).',
      labelNames: ['tier'],
      registers,
    }),
    deniedConnections: new Counter({
      name: 'netpol_agent_denied_connections_total',
      help: 'New connections denied on this node, by side (ingress of the destination, egress of the source) and namespace of the local pod.',
      labelNames: ['direction', 'namespace'],
      registers,
    }),
    allowedConnections: new Counter({
      name: 'netpol_agent_allowed_connections_total',
      help: 'New connections to or from pods on this node allowed by a policy rule, by side and policy (namespace, name).',
      labelNames: ['direction', 'namespace', 'policy'],
      registers,
    }),
    clusterRuleConnections: new Counter({
      name: 'netpol_agent_cluster_policy_rule_connections_total',
      help:
        'New connections to or from pods on this node decided by a ClusterNetworkPolicy rule (accepted, denied or passed), by side, tier, ' +
        'policy, rule (its name, else its index) and action.',
      labelNames: ['direction', 'tier', 'policy', 'rule', 'action'],
      registers,
    }),
    rejectedObjects: new Counter({
      name: 'netpol_agent_rejected_objects_total',
      help:
        'Input from the API server refused before use (the last good objects are kept and the resource relisted), by resource and reason ' +
        '(not-json, too-large, too-deep, bad-event-type, no-object, no-metadata, bad-name, bad-namespace, bad-resource-version, wrong-kind, ' +
        'bad-status, bad-list, duplicate).',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    syncErrors: new Counter({
      name: 'netpol_agent_sync_errors_total',
      help: 'Syncs that failed while building the state or compiling the ruleset (the applied ruleset stays; retried with backoff).',
      registers,
    }),
    ready: new Gauge({
      name: 'netpol_agent_ready',
      help: '1 while the agent is ready: a live watch on every resource and the current state applied (as /readyz).',
      registers,
      collect() {
        this.set(readySource() ? 1 : 0)
      },
    }),
  }
}
