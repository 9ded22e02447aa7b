/**
 * @module A data plane for agent tests without a kernel: the real ruleset compiler, and an apply
 * that records every script (and can be told to fail).
 */
import type { AgentDataplane, CompiledRuleset } from '../../src/agent/agent-dataplane.js'
import { compileRuleset, rulesetIndex } from '../../src/dataplane/compile-ruleset.js'
import type { ClusterState } from '../../src/model/types.js'

export interface RecordingDataplane extends AgentDataplane {
  readonly applied: string[]
  /** States passed to compile, in order. */
  readonly compiled: ClusterState[]
  failNextApplies: number
}

export function recordingDataplane(nodeName: string): RecordingDataplane {
  const dp: RecordingDataplane = {
    applied: [],
    compiled: [],
    failNextApplies: 0,
    compile(state: ClusterState): CompiledRuleset {
      dp.compiled.push(state)
      const options = { nodeName }
      return { script: compileRuleset(state, options), allowCounters: rulesetIndex(state, options).allowCounters }
    },
    async apply(script: string): Promise<void> {
      if (dp.failNextApplies > 0) {
        dp.failNextApplies--
        throw new Error('netlink: Error: Could not process rule: Operation not permitted (injected)')
      }
      dp.applied.push(script)
    },
  }
  return dp
}
