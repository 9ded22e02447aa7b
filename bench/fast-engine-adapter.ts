/**
 * @module The fast engine (src/engine/engine.ts) as the benchmark drives it: build, all pairs for
 * one port over a list of endpoints, and one-policy changes.
 */
import type { ClusterState, NetworkPolicy, Pod, Protocol } from '../src/model/types.js'
import type { Evaluator } from '../src/engine/verdict.js'
import { createEngine, type AllPairsResult, type Engine } from '../src/engine/engine.js'

/** One policy put (added or replaced by namespace/name) or deleted. */
export type PolicyChange =
  | { readonly kind: 'put'; readonly policy: NetworkPolicy }
  | { readonly kind: 'delete'; readonly namespace: string; readonly name: string }

export interface FastAllPairs {
  /** The engine's own result (identity level, pods expanded lazily). */
  readonly result: AllPairsResult
  /** Allowed ordered pairs among the endpoints asked for. */
  readonly allowedPairs: number
  /** Decision for endpoints[i] -> endpoints[j]. */
  allowed(i: number, j: number): boolean
}

export interface FastEngine {
  readonly engine: Engine
  readonly evaluator: Evaluator
  /** All ordered pairs of `endpoints` (pods of the state) for one port. */
  allPairs(endpoints: readonly Pod[], port: { port: number; protocol: Protocol }): FastAllPairs
  /** A new engine with the change applied; this one is unchanged. */
  update(change: PolicyChange): FastEngine
}

function wrap(engine: Engine): FastEngine {
  const indexOf = new Map<Pod, number>()
  engine.state.pods.forEach((p, i) => indexOf.set(p, i))
  return {
    engine,
    evaluator: engine,
    allPairs: (endpoints, p) => {
      const result = engine.allPairs(p.port, p.protocol)
      if (endpoints === engine.state.pods) {
        return { result, allowedPairs: result.allowedPodPairs, allowed: (i, j) => result.isAllowedIndex(i, j) }
      }
      const idx = endpoints.map((e) => {
        const i = indexOf.get(e)
        if (i === undefined) throw new Error(`${e.namespace}/${e.name} is not a pod of the engine's state`)
        return i
      })
      let allowedPairs = 0
      for (const i of idx) for (const j of idx) if (result.isAllowedIndex(i, j)) allowedPairs++
      return { result, allowedPairs, allowed: (i, j) => result.isAllowedIndex(idx[i], idx[j]) }
    },
    update: (change) => wrap(change.kind === 'put' ? engine.withPolicy(change.policy) : engine.withoutPolicy(change.namespace, change.name)),
  }
}

export function buildFastEngine(state: ClusterState): FastEngine {
  return wrap(createEngine(state))
}
