/**
 * @module A data plane for agent tests without a kernel: the agent's real (incremental) ruleset
 * compiler, checked against a full compile of every state, and an apply that records every script
 * (and can be told to fail). With `incremental`, it also has the incremental update: the real
 * delta (ruleset-delta.ts), recorded, and applied through the interpreter's parser to the ruleset
 * it holds (which refuses a delta that does not fit it).
 */
import type { AgentDataplane, CompiledRuleset, IncrementalResult } from '../../src/agent/agent-dataplane.js'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { IncrementalCompiler } from '../../src/dataplane/incremental-compile.js'
import { parseNftScript } from '../../src/dataplane/nft-interpreter.js'
import { rulesetDelta } from '../../src/dataplane/ruleset-delta.js'
import type { ClusterState } from '../../src/model/types.js'

export interface RecordingDataplane extends AgentDataplane {
  /** The full replaces, in order. */
  readonly applied: string[]
  /** With `incremental`: each incremental update's script and the script it brought the ruleset to, in order. */
  readonly deltas: { readonly delta: string; readonly tidy: string; readonly next: string }[]
  /** The script whose ruleset the (pretend) kernel holds: the last full replace or incremental update. */
  current(): string | undefined
  /** Incremental updates that throw (nft refusing the transaction). */
  failNextIncrementals: number
  /** Incremental updates applied whose second transaction (removing what they superseded) throws. */
  failNextTidies: number
  /** States passed to compile, in order. */
  readonly compiled: ClusterState[]
  failNextApplies: number
  /** Compiles that throw (a compiler that refuses its input, or a bug). */
  failNextCompiles: number
  /** While true, applies do not finish (a hung `nft`); `release()` lets them finish. */
  hold: boolean
  release(): void
}

export function recordingDataplane(nodeName: string, options: { incremental?: boolean } = {}): RecordingDataplane {
  const waiting: (() => void)[] = []
  const compiler = new IncrementalCompiler({ nodeName })
  let current: string | undefined
  const dp: RecordingDataplane = {
    applied: [],
    deltas: [],
    current: () => current,
    failNextIncrementals: 0,
    failNextTidies: 0,
    compiled: [],
    failNextApplies: 0,
    failNextCompiles: 0,
    hold: false,
    release() {
      dp.hold = false
      for (const f of waiting.splice(0)) f()
    },
    compile(state: ClusterState): CompiledRuleset {
      if (dp.failNextCompiles > 0) {
        dp.failNextCompiles--
        throw new Error('duplicate nft name pol_in_x_0123456789 (injected)')
      }
      dp.compiled.push(state)
      const { script, index } = compiler.compile(state)
      // Every agent test is also a check of the incremental compiler against a full compile.
      if (script !== compileRuleset(state, { nodeName }).script) throw new Error('incremental compile differs from a full compile (a bug)')
      return { script, allowCounters: index.allowCounters, clusterRuleCounters: index.clusterRuleCounters }
    },
    async apply(script: string): Promise<void> {
      if (dp.failNextApplies > 0) {
        dp.failNextApplies--
        throw new Error('netlink: Error: Could not process rule: Operation not permitted (injected)')
      }
      if (dp.hold) await new Promise<void>((resolve) => waiting.push(resolve))
      dp.applied.push(script)
      current = script
    },
    ...(options.incremental
      ? {
          async applyIncremental(previous: string, next: string): Promise<IncrementalResult> {
            const delta = rulesetDelta(previous, next)
            if (delta.kind === 'full') return delta
            if (dp.failNextIncrementals > 0) {
              dp.failNextIncrementals--
              throw new Error('nft -f (incremental update) failed: Error: Could not process rule: No such file or directory (injected)')
            }
            // As the kernel would: the delta must apply to the ruleset held now (the interpreter checks each command).
            if (current === undefined) throw new Error('applyIncremental without a ruleset in the kernel')
            const enforced = parseNftScript(delta.script, parseNftScript(current))
            dp.deltas.push({ delta: delta.script, tidy: delta.tidy, next })
            current = undefined
            const tidy = async (): Promise<void> => {
              if (dp.failNextTidies > 0) {
                dp.failNextTidies--
                throw new Error('nft -f (incremental update) failed: Error: Could not process rule: Device or resource busy (injected)')
              }
              parseNftScript(delta.tidy, enforced)
              current = next
            }
            return { kind: 'incremental', bytes: delta.script.length + delta.tidy.length, tidy }
          },
        }
      : {}),
  }
  return dp
}
