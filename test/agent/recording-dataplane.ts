/**
 * @module A data plane for agent tests without a kernel: the agent's real (incremental) ruleset
 * compiler, checked against a full compile of every state, and an apply that records every script
 * (and can be told to fail).
 */
import type { AgentDataplane, CompiledRuleset } from '../../src/agent/agent-dataplane.js'
import { compileRuleset } from '../../src/dataplane/compile-ruleset.js'
import { IncrementalCompiler } from '../../src/dataplane/incremental-compile.js'
import type { ClusterState } from '../../src/model/types.js'

export interface RecordingDataplane extends AgentDataplane {
  readonly applied: string[]
  /** States passed to compile, in order. */
  readonly compiled: ClusterState[]
  failNextApplies: number
  /** Compiles that throw (a compiler that refuses its input, or a bug). */
  failNextCompiles: number
  /** While true, applies do not finish (a hung `nft`); `release()` lets them finish. */
  hold: boolean
  release(): void
}

export function recordingDataplane(nodeName: string): RecordingDataplane {
  const waiting: (() => void)[] = []
  const compiler = new IncrementalCompiler({ nodeName })
  const dp: RecordingDataplane = {
    applied: [],
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
    },
  }
  return dp
}
