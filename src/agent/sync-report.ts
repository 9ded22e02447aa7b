/**
 * @module The logs and metrics of one sync outcome (see sync-step.ts): phase timings, sync
 * latency, ruleset size, applies and errors, and each invalid object once per version.
 */
import type { Logger } from 'pino'
import type { InvalidObject } from '../cluster/live-state.js'
import { formatDiagnostic } from '../model/diagnostic.js'
import type { AgentMetrics } from './agent-metrics.js'
import { errorText } from './error-text.js'
import { rulesetStats } from './ruleset-stats.js'
import type { SyncOutcome } from './sync-step.js'
import { CNP_TIERS } from '../model/cluster-network-policy-types.js'

export interface SyncReportContext {
  /** When the batch's first API event arrived (same clock as the outcome's endedAt); undefined for a resync alone. */
  readonly since: number | undefined
  /** When the batch's first watch event was received (same clock); undefined when no watch event is in the batch (a LIST, a resync). */
  readonly eventSince?: number
  /** When a failed sync is retried. */
  readonly retryInMs: number
  /** A ruleset from an earlier apply is in the kernel (it stays in force when this sync fails). */
  readonly rulesetKept: boolean
  /** Wall-clock time of a successful apply. */
  readonly appliedAt: Date
}

export class SyncReporter {
  /** `object@resourceVersion` of the invalid objects already logged. */
  private reportedInvalid = new Set<string>()

  constructor(
    private readonly nodeName: string,
    private readonly metrics: AgentMetrics,
    private readonly log: Logger,
  ) {}

  report(outcome: SyncOutcome, ctx: SyncReportContext): void {
    const { metrics, log } = this
    if (outcome.built) this.reportInvalid(outcome.built.invalid)
    if (outcome.result === 'sync-error') {
      const err = errorText(outcome.error)
      metrics.syncErrors.inc()
      log.error(
        {
          event: 'sync-error',
          err,
          stack: outcome.error instanceof Error ? outcome.error.stack : undefined,
          retryInMs: ctx.retryInMs,
          rulesetKept: ctx.rulesetKept,
        },
        `building or compiling the ruleset failed; the previous ruleset stays in force; retrying in ${ctx.retryInMs} ms`,
      )
      return
    }
    const { state } = outcome.built
    const { phases } = outcome
    metrics.applyDuration.observe({ phase: 'build' }, phases.buildMs / 1000)
    metrics.applyDuration.observe({ phase: 'compile' }, phases.compileMs / 1000)
    const localPods = state.pods.filter((p) => p.nodeName === this.nodeName).length
    metrics.pods.set({ scope: 'cluster' }, state.pods.length)
    metrics.pods.set({ scope: 'node' }, localPods)
    metrics.policies.set(state.policies.length)
    const cnps = state.clusterNetworkPolicies ?? []
    for (const tier of CNP_TIERS) metrics.clusterPolicies.set({ tier }, cnps.filter((p) => p.spec.tier === tier).length)
    // Applied: until the new ruleset was in force (an incremental update's tidying is after it, in tidyMs).
    const latencyMs = ctx.since === undefined ? undefined : (outcome.result === 'applied' ? outcome.enforcedAt : outcome.endedAt) - ctx.since
    const counts = { namespaces: state.namespaces.length, pods: state.pods.length, localPods, policies: state.policies.length, clusterPolicies: cnps.length }

    if (outcome.result === 'unchanged') {
      if (latencyMs !== undefined) metrics.syncLatency.observe({ result: 'unchanged' }, latencyMs / 1000)
      log.debug({ event: 'sync', result: 'unchanged', ...counts }, 'state changed, ruleset unchanged')
      return
    }
    const incrementalError = outcome.result === 'apply-error' ? outcome.incrementalError : outcome.apply.incrementalError
    if (incrementalError !== undefined) this.reportIncrementalError(incrementalError)
    if (outcome.result === 'apply-error') {
      const err = errorText(outcome.error)
      metrics.applies.inc({ result: 'error', kind: 'full' })
      if (outcome.enforced) {
        log.error(
          { event: 'apply-error', err, retryInMs: ctx.retryInMs, rulesetKept: ctx.rulesetKept, enforced: true },
          'removing what the incremental update superseded failed, and so did replacing the table: the new ruleset decides ' +
            `(its first transaction is in force) but the table still holds the rules it superseded; replacing it in ${ctx.retryInMs} ms`,
        )
      } else {
        log.error(
          { event: 'apply-error', err, retryInMs: ctx.retryInMs, rulesetKept: ctx.rulesetKept },
          `applying the ruleset failed; the previous ruleset stays in force; retrying in ${ctx.retryInMs} ms`,
        )
      }
      return
    }
    const stats = rulesetStats(outcome.compiled.script)
    const applyMs = outcome.phases.applyMs
    metrics.applyDuration.observe({ phase: 'apply' }, applyMs / 1000)
    const { apply } = outcome
    metrics.applies.inc({ result: 'ok', kind: apply.kind })
    metrics.lastApplyTimestamp.set(ctx.appliedAt.getTime() / 1000)
    metrics.rulesetBytes.set(stats.bytes)
    metrics.rulesetRules.set(stats.rules)
    metrics.rulesetSets.set(stats.sets)
    if (latencyMs !== undefined) metrics.syncLatency.observe({ result: 'applied' }, latencyMs / 1000)
    if (ctx.eventSince !== undefined) metrics.enforcementLatency.observe((outcome.enforcedAt - ctx.eventSince) / 1000)
    log.info(
      {
        event: 'apply',
        node: this.nodeName,
        durationMs: round(phases.buildMs + phases.compileMs + applyMs),
        buildMs: round(phases.buildMs),
        compileMs: round(phases.compileMs),
        applyMs: round(applyMs),
        ...(outcome.endedAt > outcome.enforcedAt ? { tidyMs: round(outcome.endedAt - outcome.enforcedAt) } : {}),
        applyKind: apply.kind,
        ...(apply.reason !== undefined ? { fullReason: apply.reason } : {}),
        ...(apply.deltaBytes !== undefined ? { deltaBytes: apply.deltaBytes } : {}),
        ...(latencyMs !== undefined ? { latencyMs: round(latencyMs) } : {}),
        rulesetBytes: stats.bytes,
        rules: stats.rules,
        sets: stats.sets,
        ...counts,
        invalidObjects: outcome.built.invalid.length,
      },
      apply.kind === 'incremental' ? 'ruleset updated (incremental)' : 'ruleset replaced (full)',
    )
  }

  /** An incremental update nft refused: counted, logged; the sync replaced the whole ruleset at once. */
  private reportIncrementalError(error: unknown): void {
    this.metrics.applies.inc({ result: 'error', kind: 'incremental' })
    this.log.warn(
      { event: 'incremental-apply-error', err: errorText(error) },
      'a transaction of the incremental update was refused (it changed nothing); replacing the whole ruleset at once',
    )
  }

  /** Logs each invalid object once per version; the gauge counts those of this sync by kind. */
  private reportInvalid(invalid: readonly InvalidObject[]): void {
    const seen = new Set<string>()
    const byKind: Record<InvalidObject['kind'], number> = { Namespace: 0, Pod: 0, NetworkPolicy: 0, ClusterNetworkPolicy: 0, Node: 0 }
    for (const o of invalid) {
      byKind[o.kind]++
      const key = `${o.object}@${o.resourceVersion}`
      seen.add(key)
      if (this.reportedInvalid.has(key)) continue
      const handling =
        o.kind === 'NetworkPolicy'
          ? 'enforced as deny-all for the pods it selects'
          : o.kind === 'ClusterNetworkPolicy'
            ? 'enforced as a Deny of all traffic of its subject, at its tier and priority, in the directions it has rules for'
            : o.kind === 'Pod'
              ? 'enforced with the parts that can be read'
              : o.kind === 'Node'
                ? "the nodes are unknown: nodes peers of ClusterNetworkPolicies never accept and, in a Deny, drop every address that is not an ordinary pod's"
                : 'left out: its pods and policies keep the namespace, with only its name label'
      this.log.error(
        { event: 'invalid-object', kind: o.kind, object: o.object, resourceVersion: o.resourceVersion, errors: o.diagnostics.map(formatDiagnostic) },
        `${o.object} is invalid (${handling}): ${o.diagnostics.map((d) => `${d.field ?? ''} ${d.message}`.trim()).join('; ')}`,
      )
    }
    this.reportedInvalid = seen
    for (const [kind, n] of Object.entries(byKind)) this.metrics.invalidObjects.set({ kind }, n)
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100
}
