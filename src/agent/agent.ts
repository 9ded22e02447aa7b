/**
 * @module The node agent: three informers (Namespaces, Pods, NetworkPolicies) -> ClusterState ->
 * this node's nft ruleset -> one atomic apply.
 *
 * Level-triggered: an event only marks the state dirty and schedules a sync; a sync rebuilds the
 * whole state from the informers' stores, compiles it and applies it only when the script differs
 * from the one in the kernel. Bursts coalesce (at most one sync per `minSyncIntervalMs`). Nothing is
 * applied before every resource has been listed once, and an API outage never touches the
 * ruleset: the stores keep the last known objects, so the last good ruleset stays in force. A failed
 * apply leaves the previous ruleset in place (nft transactions are atomic) and is retried with backoff.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { LiveStateBuilder, type InvalidObject } from '../cluster/live-state.js'
import { qualifiedName, type ClusterState, type Pod } from '../model/types.js'
import { formatDiagnostic } from '../model/diagnostic.js'
import type { AgentMetrics } from './agent-metrics.js'
import type { AgentDataplane, CompiledRuleset, DeniedRecord } from './agent-dataplane.js'
import type { ResourceKind } from './api-envelope.js'
import { setLongInterval, setLongTimeout, type LongTimer } from './long-timer.js'
import { ResourceWatcher, type ResourceWatcherOptions } from './resource-watcher.js'
import { rulesetStats } from './ruleset-stats.js'

export interface AgentOptions {
  readonly nodeName: string
  readonly kubeConfig: KubeConfig
  readonly dataplane: AgentDataplane
  readonly logger: Logger
  readonly metrics: AgentMetrics
  /** Minimum time between two syncs (bursts of events coalesce). @default 200 */
  readonly minSyncIntervalMs?: number
  /** Re-apply the ruleset this often even when nothing changed (repairs a table removed by hand). 0 = never. @default 300000 */
  readonly resyncIntervalMs?: number
  /** How often denied-connection records are read from the kernel. 0 = never. @default 2000 */
  readonly denyPollIntervalMs?: number
  /** How often the per-policy counters are read besides each scrape. 0 = only on scrapes. @default 30000 */
  readonly counterPollIntervalMs?: number
  /**
   * A watch may be down this long before the agent stops reporting ready (reconnects after the
   * server's watch timeout take milliseconds); changes may wait this long to be applied. @default 30000
   */
  readonly readyGraceMs?: number
  /** The sync loop counts as stuck (liveness fails) when a sync runs, or is due, this long without progress. @default 300000 */
  readonly stuckAfterMs?: number
  /** Passed to each resource's watcher as they are. */
  readonly watch?: Pick<ResourceWatcherOptions, 'backoffInitialMs' | 'backoffMaxMs' | 'watchTimeoutSeconds' | 'idleTimeoutMs' | 'pageSize' | 'maxLineBytes' | 'maxListPageBytes' | 'limits' | 'getPage'>
}

export type ResourceName = 'namespaces' | 'pods' | 'networkpolicies'

const PATHS: Record<ResourceName, string> = {
  namespaces: '/api/v1/namespaces',
  pods: '/api/v1/pods',
  networkpolicies: '/apis/networking.k8s.io/v1/networkpolicies',
}

const KINDS: Record<ResourceName, ResourceKind> = {
  namespaces: { kind: 'Namespace', namespaced: false },
  pods: { kind: 'Pod', namespaced: true },
  networkpolicies: { kind: 'NetworkPolicy', namespaced: true },
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
}

export class Agent {
  readonly watchers: Readonly<Record<ResourceName, ResourceWatcher>>
  private readonly builder: LiveStateBuilder
  private readonly minInterval: number
  private readonly readyGraceMs: number
  private readonly stuckAfterMs: number
  private stopped = true
  private running = false
  private dirty = false
  private forceApply = false
  private pendingSince: number | undefined
  private lastSyncStart = -Infinity
  private syncTimer: LongTimer | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private resyncTimer: LongTimer | undefined
  private denyTimer: LongTimer | undefined
  private counterTimer: LongTimer | undefined
  private collecting: Promise<void> | undefined
  private applyBackoffMs = 1000
  private applied: CompiledRuleset | undefined
  private appliedCount = 0
  private applyErrorCount = 0
  private lastApplyAt: Date | undefined
  private lastError: string | undefined
  private reportedInvalid = new Set<string>()
  private state: ClusterState = { namespaces: [], pods: [], policies: [] }
  private counterBaseline = new Map<string, number>()
  private deniedSeen = new Set<string>()
  private polling = false
  private podIpIndex: { state: ClusterState; map: Map<string, Pod> } | undefined
  private idle: Array<() => void> = []
  private readonly log: Logger
  /** performance.now() since when the stores hold changes not yet in the kernel. */
  private unsyncedSince: number | undefined
  private syncStartedAt = 0
  private lastSyncEndAt = 0
  private rejectedCount = 0
  private syncErrorCount = 0

  constructor(private readonly options: AgentOptions) {
    this.minInterval = duration('minSyncIntervalMs', options.minSyncIntervalMs, 200)
    this.readyGraceMs = duration('readyGraceMs', options.readyGraceMs, 30_000)
    this.stuckAfterMs = duration('stuckAfterMs', options.stuckAfterMs, 300_000)
    duration('resyncIntervalMs', options.resyncIntervalMs, 0)
    duration('denyPollIntervalMs', options.denyPollIntervalMs, 0)
    duration('counterPollIntervalMs', options.counterPollIntervalMs, 0)
    this.builder = new LiveStateBuilder({ nodeName: options.nodeName })
    this.log = options.logger
    options.metrics.setReadySource(() => this.status().ready)
    const make = (name: ResourceName): ResourceWatcher =>
      new ResourceWatcher({
        kubeConfig: options.kubeConfig,
        path: PATHS[name],
        name,
        resource: KINDS[name],
        ...options.watch,
        onChange: () => this.schedule(),
        onReject: (reason, detail, retryInMs) => {
          this.rejectedCount++
          options.metrics.rejectedObjects.inc({ resource: name, reason })
          const rulesetKept = this.applied !== undefined
          this.log.error(
            { event: 'rejected', resource: name, reason, detail, retryInMs, rulesetKept },
            `${name}: refused input from the API server (${reason}: ${detail}); keeping the last good ${name} and relisting in ${retryInMs} ms`,
          )
        },
        onError: (err, retryInMs) => {
          options.metrics.apiErrors.inc({ resource: name })
          const rulesetKept = this.applied !== undefined
          this.log.warn({ event: 'api-error', resource: name, err: errorText(err), retryInMs, rulesetKept }, `${name}: API error, retrying in ${retryInMs} ms; ${rulesetKept ? 'the applied ruleset stays in force' : 'nothing is applied until every resource has been listed'}`)
        },
        onList: (items, resourceVersion) => {
          options.metrics.relists.inc({ resource: name })
          this.log.info({ event: 'list', resource: name, items, resourceVersion }, `listed ${items} ${name}`)
        },
        onWatchEvent: (type) => options.metrics.watchEvents.inc({ resource: name, type }),
      })
    this.watchers = { namespaces: make('namespaces'), pods: make('pods'), networkpolicies: make('networkpolicies') }
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    // The CLI's logger already carries `node` on every line; do not write the key twice.
    const node = this.log.bindings().node === undefined ? { node: this.options.nodeName } : {}
    this.log.info({ event: 'start', ...node, minSyncIntervalMs: this.minInterval }, `netpol agent starting for node ${this.options.nodeName}`)
    for (const w of Object.values(this.watchers)) w.start()
    const resync = this.options.resyncIntervalMs ?? 300_000
    if (resync > 0) {
      this.resyncTimer = setLongInterval(() => {
        // Not an API event: no latency sample.
        this.forceApply = true
        this.markDirty()
        this.kick()
      }, resync)
    }
    const counterPoll = this.options.counterPollIntervalMs ?? 30_000
    if (counterPoll > 0 && this.options.dataplane.readCounters) {
      this.counterTimer = setLongInterval(() => void this.collectCounters(), counterPoll)
    }
    const denyPoll = this.options.denyPollIntervalMs ?? 2000
    if (denyPoll > 0 && this.options.dataplane.readDenied) {
      this.denyTimer = setLongInterval(() => void this.pollDenied(), denyPoll)
    }
  }

  /** Stops watching. The ruleset stays in the kernel: pods keep their policies while the agent restarts. */
  async stop(): Promise<void> {
    this.stopped = true
    this.syncTimer?.clear()
    clearTimeout(this.retryTimer)
    this.resyncTimer?.clear()
    this.denyTimer?.clear()
    this.counterTimer?.clear()
    await Promise.all(Object.values(this.watchers).map((w) => w.stop()))
    while (this.running) await new Promise<void>((r) => this.idle.push(r))
  }

  status(): AgentStatus {
    const per = <T>(f: (w: ResourceWatcher) => T): Record<ResourceName, T> => ({
      namespaces: f(this.watchers.namespaces),
      pods: f(this.watchers.pods),
      networkpolicies: f(this.watchers.networkpolicies),
    })
    const now = performance.now()
    const notReady: string[] = []
    if (!this.applied) notReady.push('no ruleset applied yet')
    for (const [name, w] of Object.entries(this.watchers)) {
      if (w.connected) continue
      const since = w.connectionChangedAt
      if (since === 0) notReady.push(`${name}: no watch has been open yet`)
      else if (now - since >= this.readyGraceMs) notReady.push(`${name}: no live watch for ${seconds(now - since)}`)
    }
    if (this.unsyncedSince !== undefined && now - this.unsyncedSince >= this.readyGraceMs) {
      notReady.push(`changes waiting ${seconds(now - this.unsyncedSince)} to be applied${this.lastError ? ` (last error: ${this.lastError})` : ''}`)
    }
    let live = true
    if (this.running && now - this.syncStartedAt >= this.stuckAfterMs) live = false
    if (!this.running && this.dirty && !this.stopped && this.allSynced() && now - Math.max(this.lastSyncEndAt, this.unsyncedSince ?? now) >= this.stuckAfterMs) live = false
    return {
      ready: notReady.length === 0,
      notReady,
      live,
      synced: per((w) => w.synced),
      connected: per((w) => w.connected),
      applies: this.appliedCount,
      applyErrors: this.applyErrorCount,
      ...(this.lastApplyAt ? { lastApplyAt: this.lastApplyAt.toISOString() } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      rulesetBytes: this.applied?.script.length ?? 0,
      rejected: this.rejectedCount,
    }
  }

  /** The state of the last sync (for tests and debugging). */
  currentState(): ClusterState {
    return this.state
  }

  /** The script in the kernel, as far as the agent knows. */
  appliedScript(): string | undefined {
    return this.applied?.script
  }

  /** Reads the kernel's counters into the metrics (on every scrape and every counterPollIntervalMs). */
  async collectCounters(): Promise<void> {
    // One nft listing at a time: concurrent scrapes share it.
    this.collecting ??= this.readCountersOnce().finally(() => (this.collecting = undefined))
    return this.collecting
  }

  private async readCountersOnce(): Promise<void> {
    const dp = this.options.dataplane
    const applied = this.applied
    if (!dp.readCounters || !applied) return
    let values: ReadonlyMap<string, number>
    try {
      values = await dp.readCounters()
    } catch (err) {
      this.log.warn({ event: 'counters-error', err: errorText(err) }, 'cannot read nft counters')
      return
    }
    if (this.applied !== applied) return // replaced meanwhile: these values belong to a table that is gone
    for (const c of applied.allowCounters) {
      const v = values.get(c.name)
      if (v === undefined) continue
      const prev = this.counterBaseline.get(c.name) ?? 0
      const delta = v >= prev ? v - prev : v
      if (delta > 0) this.options.metrics.allowedConnections.inc({ direction: c.side, namespace: c.namespace, policy: c.policy }, delta)
      this.counterBaseline.set(c.name, v)
    }
  }

  private schedule(): void {
    if (this.stopped) return
    if (this.pendingSince === undefined) this.pendingSince = performance.now()
    this.markDirty()
    this.kick()
  }

  private markDirty(): void {
    this.dirty = true
    this.unsyncedSince ??= performance.now()
  }

  private kick(): void {
    if (this.stopped || this.running || this.syncTimer || this.retryTimer) return
    const wait = Math.max(0, this.lastSyncStart + this.minInterval - performance.now())
    this.syncTimer = setLongTimeout(() => {
      this.syncTimer = undefined
      void this.runSync()
    }, wait)
  }

  private allSynced(): boolean {
    return Object.values(this.watchers).every((w) => w.synced)
  }

  private async runSync(): Promise<void> {
    if (this.stopped || this.running || !this.dirty) return
    // Never apply from a partial view: wait until every resource has been listed once.
    if (!this.allSynced()) return
    this.running = true
    this.dirty = false
    const since = this.pendingSince
    this.pendingSince = undefined
    this.lastSyncStart = performance.now()
    this.syncStartedAt = this.lastSyncStart
    try {
      if (await this.sync(since)) {
        if (!this.dirty) this.unsyncedSince = undefined
      }
    } catch (err) {
      // A bug or an input the compiler refuses: the ruleset in the kernel stays, and the sync is retried.
      this.syncErrorCount++
      this.lastError = errorText(err)
      this.options.metrics.syncErrors.inc()
      const retryInMs = this.applyBackoffMs
      this.applyBackoffMs = Math.min(this.applyBackoffMs * 2, 30_000)
      this.log.error(
        { event: 'sync-error', err: this.lastError, stack: err instanceof Error ? err.stack : undefined, retryInMs, rulesetKept: this.applied !== undefined },
        `building or compiling the ruleset failed; the previous ruleset stays in force; retrying in ${retryInMs} ms`,
      )
      this.pendingSince = this.pendingSince ?? since
      this.dirty = true
      clearTimeout(this.retryTimer)
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined
        this.kick()
      }, retryInMs)
    } finally {
      this.lastSyncEndAt = performance.now()
      this.running = false
      for (const f of this.idle.splice(0)) f()
      if (this.dirty) this.kick()
    }
  }

  /** One sync; true when the kernel now holds the ruleset of the current state. */
  private async sync(since: number | undefined): Promise<boolean> {
    const { metrics, dataplane, nodeName } = this.options
    const t0 = performance.now()
    const built = this.builder.build(this.watchers.namespaces.objects(), this.watchers.pods.objects(), this.watchers.networkpolicies.objects())
    this.reportInvalid(built.invalid)
    this.state = built.state
    const t1 = performance.now()
    const compiled = dataplane.compile(built.state)
    const t2 = performance.now()
    metrics.applyDuration.observe({ phase: 'build' }, (t1 - t0) / 1000)
    metrics.applyDuration.observe({ phase: 'compile' }, (t2 - t1) / 1000)
    const localPods = built.state.pods.filter((p) => p.nodeName === nodeName).length
    metrics.pods.set({ scope: 'cluster' }, built.state.pods.length)
    metrics.pods.set({ scope: 'node' }, localPods)
    metrics.policies.set(built.state.policies.length)

    if (!this.forceApply && this.applied && compiled.script === this.applied.script) {
      if (since !== undefined) metrics.syncLatency.observe({ result: 'unchanged' }, (performance.now() - since) / 1000)
      this.log.debug(
        { event: 'sync', result: 'unchanged', namespaces: built.state.namespaces.length, pods: built.state.pods.length, localPods, policies: built.state.policies.length },
        'state changed, ruleset unchanged',
      )
      return true
    }
    this.forceApply = false
    // Counters are NOT read here: listing a large table takes nft seconds, which would all be sync
    // latency. They are read on each scrape and every counterPollIntervalMs; what the old table
    // counted after the last read is lost when it is replaced. (Deny-log records are carried into
    // the new table by applyRuleset.)
    try {
      await dataplane.apply(compiled.script)
    } catch (err) {
      this.applyErrorCount++
      this.lastError = errorText(err)
      metrics.applies.inc({ result: 'error' })
      const retryInMs = this.applyBackoffMs
      this.applyBackoffMs = Math.min(this.applyBackoffMs * 2, 30_000)
      this.log.error(
        { event: 'apply-error', err: this.lastError, retryInMs, rulesetKept: this.applied !== undefined },
        `applying the ruleset failed; the previous ruleset stays in force; retrying in ${retryInMs} ms`,
      )
      // Keep the batch's start time: the latency covers the wait for a working apply.
      this.pendingSince = this.pendingSince ?? since
      this.dirty = true
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined
        this.kick()
      }, retryInMs)
      return false
    }
    const t3 = performance.now()
    this.applyBackoffMs = 1000
    this.applied = compiled
    this.counterBaseline = new Map()
    this.appliedCount++
    this.lastApplyAt = new Date()
    this.lastError = undefined
    const stats = rulesetStats(compiled.script)
    metrics.applyDuration.observe({ phase: 'apply' }, (t3 - t2) / 1000)
    metrics.applies.inc({ result: 'ok' })
    metrics.lastApplyTimestamp.set(this.lastApplyAt.getTime() / 1000)
    metrics.rulesetBytes.set(stats.bytes)
    metrics.rulesetRules.set(stats.rules)
    metrics.rulesetSets.set(stats.sets)
    if (since !== undefined) metrics.syncLatency.observe({ result: 'applied' }, (t3 - since) / 1000)
    this.log.info(
      {
        event: 'apply',
        node: nodeName,
        durationMs: round(t3 - t0),
        buildMs: round(t1 - t0),
        compileMs: round(t2 - t1),
        applyMs: round(t3 - t2),
        ...(since !== undefined ? { latencyMs: round(t3 - since) } : {}),
        rulesetBytes: stats.bytes,
        rules: stats.rules,
        sets: stats.sets,
        namespaces: built.state.namespaces.length,
        pods: built.state.pods.length,
        localPods,
        policies: built.state.policies.length,
        invalidObjects: built.invalid.length,
      },
      'ruleset applied',
    )
    return true
  }

  private reportInvalid(invalid: readonly InvalidObject[]): void {
    const now = new Set<string>()
    const byKind: Record<string, number> = { Namespace: 0, Pod: 0, NetworkPolicy: 0 }
    for (const o of invalid) {
      byKind[o.kind]++
      const key = `${o.object}@${o.resourceVersion}`
      now.add(key)
      if (this.reportedInvalid.has(key)) continue
      const handling =
        o.kind === 'NetworkPolicy'
          ? 'enforced as deny-all for the pods it selects'
          : o.kind === 'Pod'
            ? 'enforced with the parts that can be read'
            : 'left out: its pods and policies keep the namespace, with only its name label'
      this.log.error(
        { event: 'invalid-object', kind: o.kind, object: o.object, resourceVersion: o.resourceVersion, errors: o.diagnostics.map(formatDiagnostic) },
        `${o.object} is invalid (${handling}): ${o.diagnostics.map((d) => `${d.field ?? ''} ${d.message}`.trim()).join('; ')}`,
      )
    }
    this.reportedInvalid = now
    for (const [kind, n] of Object.entries(byKind)) this.options.metrics.invalidObjects.set({ kind }, n)
  }

  private async pollDenied(): Promise<void> {
    const dp = this.options.dataplane
    const applied = this.applied
    if (!dp.readDenied || !applied || this.polling) return
    this.polling = true
    let records: readonly DeniedRecord[]
    try {
      records = await dp.readDenied()
    } catch (err) {
      this.log.warn({ event: 'deny-log-error', err: errorText(err) }, 'cannot read denied connections')
      return
    } finally {
      this.polling = false
    }
    const localByIp = new Map<string, Pod>()
    for (const p of this.state.pods) if (p.nodeName === this.options.nodeName && !p.hostNetwork) for (const ip of p.ips) localByIp.set(ip, p)
    const current = new Set<string>()
    for (const r of records) {
      const key = `${r.side}|${r.protocol}|${r.sourceIp}|${r.sourcePort}|${r.destinationIp}|${r.destinationPort}`
      current.add(key)
      if (this.deniedSeen.has(key)) continue
      const pod = localByIp.get(r.side === 'egress' ? r.sourceIp : r.destinationIp)
      const peer = this.podByIp().get(r.side === 'egress' ? r.destinationIp : r.sourceIp)
      this.options.metrics.deniedConnections.inc({ direction: r.side, namespace: pod?.namespace ?? '' })
      const src = `${r.sourceIp}:${r.sourcePort}`
      const dst = `${r.destinationIp}:${r.destinationPort}`
      this.log.info(
        {
          event: 'denied',
          direction: r.side,
          protocol: r.protocol,
          source: src,
          destination: dst,
          ...(pod ? { pod: qualifiedName(pod) } : {}),
          ...(peer ? { peer: qualifiedName(peer) } : {}),
        },
        `denied ${r.side} ${r.protocol.toUpperCase()} ${src} -> ${dst}${pod ? ` (${r.side} of ${qualifiedName(pod)})` : ''}`,
      )
    }
    // Records expire from the kernel's sets; forget them too, so this set stays bounded.
    this.deniedSeen = current
  }

  private podByIp(): Map<string, Pod> {
    if (this.podIpIndex?.state !== this.state) {
      const m = new Map<string, Pod>()
      for (const p of this.state.pods) if (!p.hostNetwork) for (const ip of p.ips) m.set(ip, p)
      this.podIpIndex = { state: this.state, map: m }
    }
    return this.podIpIndex.map
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`
}

/** A duration option: a finite number >= 0 (timers are safe for any such value, see long-timer.ts). */
function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`Agent option ${name} must be a finite number >= 0, got ${String(value)}`)
  return value
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}

/** An error for logs and /readyz: its message (and HTTP status), cut to a few lines' worth (nft may echo a long script line). */
export function errorText(err: unknown): string {
  let text: string
  if (err instanceof Error) {
    const code = (err as { statusCode?: number }).statusCode
    text = code ? `${err.message} (HTTP ${code})` : err.message
  } else {
    text = String(err)
  }
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}... (${text.length - MAX_ERROR_TEXT} more characters)` : text
}

const MAX_ERROR_TEXT = 2000
