/**
 * @module The node agent: wires its parts together.
 *
 * - cluster-informers.ts: list/watch of Namespaces, Pods, NetworkPolicies, ClusterNetworkPolicies (when their CRD is served) and Nodes into stores;
 * - sync-scheduler.ts: when to sync (coalescing, least interval, backoff, periodic resync);
 * - sync-step.ts: one sync, stores -> ClusterState -> this node's nft ruleset -> one atomic apply
 *   (incremental between full replaces: see docs/agent.md);
 * - sync-record.ts and sync-report.ts: what a sync changed, for /readyz, the logs and the metrics;
 * - allowed-counters.ts and denied-connections.ts: what the kernel counted, read back periodically;
 *
 * Level-triggered: an event only asks the scheduler for a sync; a sync rebuilds the whole state
 * from the stores and applies it only when the script differs from the one in the kernel. Nothing
 * is applied before every resource has been listed once, and an API outage never touches the
 * ruleset: the stores keep the last known objects, so the last good ruleset stays in force. A
 * failed sync leaves the previous ruleset in place (nft transactions are atomic) and is retried
 * with backoff.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { LiveStateBuilder } from '../cluster/live-state.js'
import type { ClusterState } from '../model/types.js'
import type { AgentDataplane } from './agent-dataplane.js'
import type { AgentMetrics } from './agent-metrics.js'
import { AllowedCounters } from './allowed-counters.js'
import { ClusterInformers, seconds, type ResourceName, type WatchTuning } from './cluster-informers.js'
import { DeniedConnections } from './denied-connections.js'
import { setLongInterval, type LongTimer } from './long-timer.js'
import type { ResourceWatcher } from './resource-watcher.js'
import { EMPTY_RECORD, recordOutcome, type SyncRecord } from './sync-record.js'
import { SyncReporter } from './sync-report.js'
import { SyncScheduler, type SyncBatch } from './sync-scheduler.js'
import { syncStep, type SyncOutcome } from './sync-step.js'

export type { ResourceName } from './cluster-informers.js'

export interface AgentOptions {
  readonly nodeName: string
  readonly kubeConfig: KubeConfig
  readonly dataplane: AgentDataplane
  readonly logger: Logger
  readonly metrics: AgentMetrics
  /** Minimum time between two syncs (bursts of events coalesce). @default 200 */
  readonly minSyncIntervalMs?: number
  /** Replace the whole ruleset this often even when nothing changed (repairs a table changed or removed by hand). 0 = never. @default 300000 */
  readonly resyncIntervalMs?: number
  /** How often denied-connection records are read from the kernel. 0 = never. @default 2000 */
  readonly denyPollIntervalMs?: number
  /** How often the per-policy counters are read besides each scrape. 0 = only on scrapes. @default 30000 */
  readonly counterPollIntervalMs?: number
  /** While the ClusterNetworkPolicy CRD is not installed (404), the agent asks again this often. @default 30000 */
  readonly crdRecheckIntervalMs?: number
  /**
   * A watch may be down this long before the agent stops reporting ready (reconnects after the
   * server's watch timeout take milliseconds); changes may wait this long to be applied. @default 30000
   */
  readonly readyGraceMs?: number
  /** The sync loop counts as stuck (liveness fails) when a sync runs, or is due, this long without progress. @default 300000 */
  readonly stuckAfterMs?: number
  /** Passed to each resource's watcher as they are. */
  readonly watch?: WatchTuning
}

/** What /healthz, /readyz and tests read. */
export interface AgentStatus {
  /** A live watch on every resource, and the current state applied (see docs/agent.md). */
  readonly ready: boolean
  /** Why not ready (empty when ready). */
  readonly notReady: readonly string[]
  /** False only when the sync loop is stuck. */
  readonly live: boolean
  readonly synced: Readonly<Record<ResourceName, boolean>>
  readonly connected: Readonly<Record<ResourceName, boolean>>
  readonly applies: number
  readonly applyErrors: number
  readonly lastApplyAt?: string
  readonly lastError?: string
  readonly rulesetBytes: number
  /** Inputs refused since start (see netpol_agent_rejected_objects_total). */
  readonly rejected: number
  /** Facts that do not make the agent not ready, e.g. that the cluster does not serve ClusterNetworkPolicies. */
  readonly notes: readonly string[]
}

export class Agent {
  readonly watchers: Readonly<Record<ResourceName, ResourceWatcher>>
  private readonly informers: ClusterInformers
  private readonly scheduler: SyncScheduler
  private readonly builder: LiveStateBuilder
  private readonly reporter: SyncReporter
  private readonly counters: AllowedCounters
  private readonly denied: DeniedConnections
  private readonly readyGraceMs: number
  private readonly stuckAfterMs: number
  private readonly log: Logger
  private readonly minSyncIntervalMs: number
  private started = false
  private pollers: LongTimer[] = []
  /** What the syncs did so far (read by status() and the pollers). */
  private record: SyncRecord = EMPTY_RECORD

  constructor(private readonly options: AgentOptions) {
    this.minSyncIntervalMs = duration('minSyncIntervalMs', options.minSyncIntervalMs, 200)
    this.readyGraceMs = duration('readyGraceMs', options.readyGraceMs, 30_000)
    this.stuckAfterMs = duration('stuckAfterMs', options.stuckAfterMs, 300_000)
    const resyncIntervalMs = duration('resyncIntervalMs', options.resyncIntervalMs, 300_000)
    duration('denyPollIntervalMs', options.denyPollIntervalMs, 0)
    duration('counterPollIntervalMs', options.counterPollIntervalMs, 0)
    const crdRecheckIntervalMs = duration('crdRecheckIntervalMs', options.crdRecheckIntervalMs, 30_000)
    this.log = options.logger
    this.builder = new LiveStateBuilder({ nodeName: options.nodeName })
    this.reporter = new SyncReporter(options.nodeName, options.metrics, this.log)
    this.informers = new ClusterInformers({
      kubeConfig: options.kubeConfig,
      metrics: options.metrics,
      logger: this.log,
      ...(options.watch ? { watch: options.watch } : {}),
      onChange: (receivedAt) => this.scheduler.request(receivedAt),
      rulesetKept: () => this.record.applied !== undefined,
      crdRecheckIntervalMs,
    })
    this.watchers = this.informers.watchers
    this.scheduler = new SyncScheduler({
      minIntervalMs: this.minSyncIntervalMs,
      resyncIntervalMs,
      // Never apply from a partial view: wait until every resource has been listed once.
      canRun: () => this.informers.allSynced(),
      run: (batch) => this.sync(batch),
      // A throw past syncStep is a bug: reported and retried as a failed sync.
      onRunError: (error, retryInMs) =>
        this.settle({ result: 'sync-error', error, endedAt: performance.now() }, { since: undefined, resync: false, retryInMs }),
    })
    this.counters = new AllowedCounters(
      options.dataplane,
      options.metrics,
      this.log,
      () => this.record.applied,
      () => this.record.fullApplies,
    )
    this.denied = new DeniedConnections({
      nodeName: options.nodeName,
      dataplane: options.dataplane,
      metrics: options.metrics,
      log: this.log,
      hasRuleset: () => this.record.applied !== undefined,
      state: () => this.record.state,
    })
    options.metrics.setReadySource(() => this.status().ready)
  }

  start(): void {
    if (this.started) return
    this.started = true
    // The CLI's logger already carries `node` on every line; do not write the key twice.
    const node = this.log.bindings().node === undefined ? { node: this.options.nodeName } : {}
    this.log.info({ event: 'start', ...node, minSyncIntervalMs: this.minSyncIntervalMs }, `netpol agent starting for node ${this.options.nodeName}`)
    this.scheduler.start()
    this.informers.start()
    const counterPoll = this.options.counterPollIntervalMs ?? 30_000
    if (counterPoll > 0 && this.options.dataplane.readCounters) this.pollers.push(setLongInterval(() => void this.counters.collect(), counterPoll))
    const denyPoll = this.options.denyPollIntervalMs ?? 2000
    if (denyPoll > 0 && this.options.dataplane.readDenied) this.pollers.push(setLongInterval(() => void this.denied.poll(), denyPoll))
  }

  /** Stops watching. The ruleset stays in the kernel: pods keep their policies while the agent restarts. */
  async stop(): Promise<void> {
    this.started = false
    for (const t of this.pollers.splice(0)) t.clear()
    const stopping = this.scheduler.stop()
    await this.informers.stop()
    await stopping
    this.options.dataplane.close?.()
  }

  status(): AgentStatus {
    const now = performance.now()
    const r = this.record
    const notReady: string[] = []
    if (!r.applied) notReady.push('no ruleset applied yet')
    notReady.push(...this.informers.watchProblems(now, this.readyGraceMs))
    const waitingSince = this.scheduler.waitingSince
    if (waitingSince !== undefined && now - waitingSince >= this.readyGraceMs) {
      notReady.push(`changes waiting ${seconds(now - waitingSince)} to be applied${r.lastError ? ` (last error: ${r.lastError})` : ''}`)
    }
    return {
      ready: notReady.length === 0,
      notReady,
      live: this.scheduler.stalledFor() < this.stuckAfterMs,
      synced: this.informers.per((w) => w.synced),
      connected: this.informers.per((w) => w.connected),
      applies: r.applies,
      applyErrors: r.applyErrors,
      ...(r.lastApplyAt ? { lastApplyAt: r.lastApplyAt.toISOString() } : {}),
      ...(r.lastError ? { lastError: r.lastError } : {}),
      rulesetBytes: r.applied?.script.length ?? 0,
      rejected: this.informers.rejected,
      notes: this.informers.notes(),
    }
  }

  /** The state of the last sync (for tests and debugging). */
  currentState(): ClusterState {
    return this.record.state
  }

  /** The script in the kernel, as far as the agent knows. */
  appliedScript(): string | undefined {
    return this.record.applied?.script
  }

  /** Reads the kernel's counters into the metrics (on every scrape and every counterPollIntervalMs). */
  collectCounters(): Promise<void> {
    return this.counters.collect()
  }

  /** One run of the scheduler: true when the kernel now holds the ruleset of the current state. */
  private async sync(batch: SyncBatch): Promise<boolean> {
    const outcome = await syncStep({
      objects: this.informers.objects(),
      builder: this.builder,
      dataplane: this.options.dataplane,
      applied: this.record.applied,
      force: batch.resync,
      // A resync and the apply after a failed one replace the whole ruleset: whatever the kernel
      // holds (a table changed or removed by hand, a half-known state) is replaced by the known one.
      ...(batch.resync ? { fullReplace: 'a periodic resync' } : this.record.applyFailed ? { fullReplace: 'the last apply failed' } : {}),
    })
    this.settle(outcome, batch)
    return outcome.result === 'applied' || outcome.result === 'unchanged'
  }

  private settle(outcome: SyncOutcome, batch: SyncBatch): void {
    const before = this.record
    const at = new Date()
    this.record = recordOutcome(before, outcome, at)
    this.reporter.report(outcome, {
      since: batch.since,
      eventSince: batch.eventSince,
      retryInMs: batch.retryInMs,
      rulesetKept: before.applied !== undefined,
      appliedAt: at,
    })
  }
}

/** A duration option: a finite number >= 0 (timers are safe for any such value, see long-timer.ts). */
function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new RangeError(`Agent option ${name} must be a finite number >= 0, got ${String(value)}`)
  return value
}
