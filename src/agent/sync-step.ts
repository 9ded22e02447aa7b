/**
 * @module One sync of the agent: the informers' objects -> ClusterState -> this node's ruleset ->
 * one atomic apply, skipped when the ruleset is the one in the kernel (unless a resync forces it).
 *
 * The apply is incremental (only what changed, one transaction) when the data plane can do it, a
 * ruleset is in the kernel and the caller allows it; otherwise, or when the data plane says the
 * change needs it, the whole ruleset is replaced. An incremental update that fails is followed at
 * once by a full replace: the kernel keeps the old ruleset until that succeeds.
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
  /** Absent when the agent may not read them: unknown (see cluster-informers.ts). */
  readonly nodes?: Iterable<RawObject>
}

export interface SyncInput {
  readonly objects: ClusterObjects
  /** Converts objects to a ClusterState (caches conversions between syncs). */
  readonly builder: Pick<LiveStateBuilder, 'build'>
  readonly dataplane: Pick<AgentDataplane, 'compile' | 'apply' | 'applyIncremental'>
  /** The ruleset in the kernel, as far as the agent knows (undefined before the first apply). */
  readonly applied: CompiledRuleset | undefined
  /** Apply even when the script equals the applied one (a resync: the table may have been removed by hand). */
  readonly force: boolean
  /** Why the ruleset must be replaced whole this time (a resync, an earlier failed apply); absent: an incremental update may do. */
  readonly fullReplace?: string
  /** Monotonic milliseconds for the phase timings. @default performance.now */
  readonly now?: () => number
}

/** How a ruleset was applied. */
export interface ApplyKind {
  readonly kind: 'full' | 'incremental'
  /** Why the ruleset was replaced whole (kind 'full'). */
  readonly reason?: string
  /** The incremental update nft refused just before the full replace. */
  readonly incrementalError?: unknown
  /** Size of the incremental update's script (kind 'incremental'). */
  readonly deltaBytes?: number
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
  /** nft refused the ruleset: the previous one stays in force (unless `enforced`). */
  | {
      readonly result: 'apply-error'
      readonly error: unknown
      /** The incremental update nft refused before the full replace that failed too. */
      readonly incrementalError?: unknown
      /**
       * The incremental update's first transaction had committed (the new verdicts are in force);
       * removing what it superseded failed, and so did the full replace after it.
       */
      readonly enforced?: true
      readonly built: LiveStateResult
      readonly compiled: CompiledRuleset
      readonly phases: SyncPhases
      readonly endedAt: number
    }
  | {
      readonly result: 'applied'
      readonly built: LiveStateResult
      readonly compiled: CompiledRuleset
      readonly apply: ApplyKind
      /** applyMs: until the new ruleset was in force (`enforcedAt`); an incremental update's tidying comes after. */
      readonly phases: SyncPhases & { readonly applyMs: number }
      readonly enforcedAt: number
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
    built = input.builder.build(o.namespaces, o.pods, o.networkpolicies, o.clusternetworkpolicies, o.nodes)
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
  // the new table by applyRuleset (an incremental update does not touch them).
  const applied = await applyCompiled(input, compiled.script, now)
  if (!applied.ok) {
    const { error, incrementalError, enforced } = applied
    return {
      result: 'apply-error',
      error,
      ...(incrementalError === undefined ? {} : { incrementalError }),
      ...(enforced ? { enforced } : {}),
      built,
      compiled,
      phases,
      endedAt: now(),
    }
  }
  const t3 = applied.enforcedAt ?? now()
  const endedAt = applied.enforcedAt === undefined ? t3 : now()
  return { result: 'applied', built, compiled, apply: applied.apply, phases: { ...phases, applyMs: t3 - t2 }, enforcedAt: t3, endedAt }
}

type ApplyResult =
  | { readonly ok: true; readonly apply: ApplyKind; readonly enforcedAt?: number }
  | { readonly ok: false; readonly error: unknown; readonly incrementalError?: unknown; readonly enforced?: true }

/** Incremental when allowed and possible, else (and at once after a failed incremental update) a full replace. */
async function applyCompiled(input: SyncInput, script: string, now: () => number): Promise<ApplyResult> {
  const dp = input.dataplane
  let full: Omit<ApplyKind, 'kind'>
  let enforcedAt: number | undefined
  if (input.applied === undefined) full = { reason: 'no ruleset applied yet' }
  else if (input.fullReplace !== undefined) full = { reason: input.fullReplace }
  else if (dp.applyIncremental === undefined) full = { reason: 'the data plane has no incremental updates' }
  else {
    try {
      const r = await dp.applyIncremental(input.applied.script, script)
      if (r.kind === 'incremental') {
        enforcedAt = now()
        // The new ruleset is in force; what it superseded goes before the next update can start from `script`.
        await r.tidy?.()
        return { ok: true, apply: { kind: 'incremental', deltaBytes: r.bytes }, enforcedAt }
      }
      full = { reason: r.reason }
    } catch (incrementalError) {
      // Refused (nothing changed), or enforced but not tidied: replace the whole ruleset now, never wait with the old one.
      full = { reason: enforcedAt === undefined ? 'the incremental update failed' : 'removing what the incremental update superseded failed', incrementalError }
    }
  }
  try {
    await dp.apply(script)
  } catch (error) {
    return {
      ok: false,
      error,
      ...(full.incrementalError === undefined ? {} : { incrementalError: full.incrementalError }),
      ...(enforcedAt === undefined ? {} : { enforced: true as const }),
    }
  }
  return { ok: true, apply: { kind: 'full', ...full }, ...(enforcedAt === undefined ? {} : { enforcedAt }) }
}
