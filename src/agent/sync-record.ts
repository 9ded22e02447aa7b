/**
 * @module What the agent knows after its syncs: the ruleset in the kernel, the state it was built
 * from, and the counts /readyz shows. Updated from each sync outcome by a pure function.
 */
import type { ClusterState } from '../model/types.js'
import type { CompiledRuleset } from './agent-dataplane.js'
import { errorText } from './error-text.js'
import type { SyncOutcome } from './sync-step.js'

export interface SyncRecord {
  /** The ruleset in the kernel, as far as the agent knows (undefined before the first apply). */
  readonly applied?: CompiledRuleset
  /** The state of the last sync that could build one. */
  readonly state: ClusterState
  readonly applies: number
  /** Applies that replaced the whole ruleset (a new table: its counters start at zero). */
  readonly fullApplies: number
  readonly applyErrors: number
  readonly syncErrors: number
  readonly lastApplyAt?: Date
  /** The error of the last failed sync, until a ruleset is applied. */
  readonly lastError?: string
  /** The last apply failed: the next one replaces the whole ruleset (whatever the kernel holds now). */
  readonly applyFailed: boolean
}

export const EMPTY_RECORD: SyncRecord = {
  state: { namespaces: [], pods: [], policies: [] },
  applies: 0,
  fullApplies: 0,
  applyErrors: 0,
  syncErrors: 0,
  applyFailed: false,
}

/** The record after `outcome`; `at` is the wall-clock time of an apply. */
export function recordOutcome(record: SyncRecord, outcome: SyncOutcome, at: Date): SyncRecord {
  const state = outcome.built?.state ?? record.state
  switch (outcome.result) {
    case 'sync-error':
      return { ...record, state, syncErrors: record.syncErrors + 1, lastError: errorText(outcome.error) }
    case 'apply-error':
      return { ...record, state, applyErrors: record.applyErrors + 1, lastError: errorText(outcome.error), applyFailed: true }
    case 'unchanged':
      return { ...record, state }
    case 'applied': {
      const { lastError: _cleared, ...rest } = record
      return {
        ...rest,
        state,
        applied: outcome.compiled,
        applies: record.applies + 1,
        fullApplies: record.fullApplies + (outcome.apply.kind === 'full' ? 1 : 0),
        lastApplyAt: at,
        applyFailed: false,
      }
    }
  }
}
