/**
 * @module One sync of the agent: the informers' objects -> ClusterState -> this node's ruleset ->
 * one atomic apply, skipped when the ruleset is the one in the kernel (unless a resync forces it).
 *
 * It only computes and applies: the outcome says what happened, with what logs and metrics need
 * (sync-report.ts reports it; the agent records it). Nothing here throws: a build or compile that
 * throws is a `sync-error` outcome, a refused apply an `apply-error` one; in both the kernel keeps
 * the ruleset it had (nft transactions are atomic), so an error never opens the firewall.
 */
import type { LiveStateBuilder, LiveStateResult } from '../cluster/live-state.js'
import type { RawObject } from '../cluster/live-api.js'
import type { AgentDataplane, CompiledRuleset } from './agent-dataplane.js'

/** The objects of each watched resource, as the informers hold them. */
export interface ClusterObjects {
  readonly namespaces: Iterable<RawObject>
  readonly pods: Iterable<RawObject>
  readonly networkpolicies: Iterable<RawObject>
  /** Empty when the cluster does not serve them (their CRD is not installed). */
  readonly clusternetworkpolicies: Iterable<RawObject>
}

export interface SyncInput {
  readonly objects: ClusterObjects
  /** Converts objects to a ClusterState (caches conversions between syncs). */
  readonly builder: Pick<LiveStateBuilder, 'build'>
  readonly dataplane: Pick<AgentDataplane, 'compile' | 'apply'>
  /** The ruleset in the kernel, as far as the agent knows (undefined before the first apply). */
  readonly applied: CompiledRuleset | undefined
  /** Apply even when the script equals the applied one (a resync: the table may have been removed by hand). */
  readonly force: boolean
  /** Monotonic milliseconds for the phase timings. @default performance.now */
  readonly now?: () => number
}

/** Milliseconds per phase. */
export interface SyncPhases {
  readonly buildMs: number
  readonly compileMs: number
}

export type SyncOutcome =
  /** Building the state or compiling it threw; `built` when the build itself succeeded. */
  | { readonly result: 'sync-error'; readonly error: unknown; readonly built?: LiveStateResult; readonly endedAt: number }
  /** The state compiles to the ruleset already applied: nothing was done. */
  | { readonly result: 'unchanged'; readonly built: LiveStateResult; readonly compiled: CompiledRuleset; readonly phases: SyncPhases; readonly endedAt: number }
  /** nft refused the ruleset: the previous one stays in force. */
  | {
      readonly result: 'apply-error'
      readonly error: unknown
      readonly built: LiveStateResult
      readonly compiled: CompiledRuleset
      readonly phases: SyncPhases
      readonly endedAt: number
    }
  | {
      readonly result: 'applied'
      readonly built: LiveStateResult
      readonly compiled: CompiledRuleset
      readonly phases: SyncPhases & { readonly applyMs: number }
      readonly endedAt: number
    }

export async function syncStep(input: SyncInput): Promise<SyncOutcome> {
  const now = input.now ?? (() => performance.now())
  const t0 = now()
  let built: LiveStateResult | undefined
  let t1 = t0
  let compiled: CompiledRuleset
  try {
    const o = input.objects
    built = input.builder.build(o.namespaces, o.pods, o.networkpolicies, o.clusternetworkpolicies)
    t1 = now()
    compiled = input.dataplane.compile(built.state)
  } catch (error) {
    return { result: 'sync-error', error, ...(built ? { built } : {}), endedAt: now() }
  }
  const t2 = now()
  const phases: SyncPhases = { buildMs: t1 - t0, compileMs: t2 - t1 }
  if (!input.force && input.applied && compiled.script === input.applied.script) {
    return { result: 'unchanged', built, compiled, phases, endedAt: now() }
  }
  // Counters are NOT read before replacing the table: listing a large table takes nft seconds,
  // which would all be sync latency (see the counter reader). Deny-log records are carried into
  // the new table by applyRuleset.
  try {
    await input.dataplane.apply(compiled.script)
  } catch (error) {
    return { result: 'apply-error', error, built, compiled, phases, endedAt: now() }
  }
  const t3 = now()
  return { result: 'applied', built, compiled, phases: { ...phases, applyMs: t3 - t2 }, endedAt: t3 }
}
