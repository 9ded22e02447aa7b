/**
 * @module The fast engine (src/engine/engine.ts) as the benchmark drives it: build, all pairs for
 * one port over a list of endpoints, and one-policy changes.
 */
import type { ClusterState, NetworkPolicy, Pod, Protocol } from '../src/model/types.js'
import type { Evaluator } from '../src/engine/verdict.js'
import { createEngine, type AllPairsResult, type Engine } from '../src/engine/engine.js'

/** One policy put (added or replaced by namespace/name) or deleted. */
export type PolicyChange =
  { readonly kind: 'put'; readonly policy: NetworkPolicy } | { readonly kind: 'delete'; readonly namespace: string; readonly name: string }

export interface FastAllPairs {
  /** The engine's own result (identity level, pods expanded lazily). */
  readonly result: AllPairsResult
  /** Allowed ordered pairs among the endpoints asked for. */
  readonly allowedPairs: number
  /** Decision for endpoints[i] -> endpoints[j]. */
  allowed(i: number, j: number): boolean
  /** Visits every pair's answer once (the engine's own pair iteration when it can); returns the allowed count. */
  visit(): number
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
  // Built on first use, so that timing an update times the engine, not this adapter.
  let indexOf: Map<Pod, number> | undefined
  const podIndex = (pod: Pod): number | undefined => {
    if (!indexOf) {
      indexOf = new Map()
      engine.state.pods.forEach((p, i) => indexOf!.set(p, i))
    }
    return indexOf.get(pod)
  }
  return {
    engine,
    evaluator: engine,
    allPairs: (endpoints, p) => {
      const result = engine.allPairs(p.port, p.protocol)
      if (endpoints === engine.state.pods) {
        const visit = (): number => {
          let c = 0
          result.forEachPodPair((_from, _to, allowed) => {
            if (allowed) c++
          })
          return c
        }
        return { result, allowedPairs: result.allowedPodPairs, allowed: (i, j) => result.isAllowedIndex(i, j), visit }
      }
      const idx = endpoints.map((e) => {
        const i = podIndex(e)
        if (i === undefined) throw new Error(`${e.namespace}/${e.name} is not a pod of the engine's state`)
        return i
      })
      let allowedPairs = 0
      for (const i of idx) for (const j of idx) if (result.isAllowedIndex(i, j)) allowedPairs++
      const allowed = (i: number, j: number): boolean => result.isAllowedIndex(idx[i], idx[j])
      const visit = (): number => {
        let c = 0
        for (let i = 0; i < idx.length; i++) for (let j = 0; j < idx.length; j++) if (allowed(i, j)) c++
        return c
      }
      return { result, allowedPairs, allowed, visit }
    },
    update: (change) => wrap(change.kind === 'put' ? engine.withPolicy(change.policy) : engine.withoutPolicy(change.namespace, change.name)),
  }
}

export function buildFastEngine(state: ClusterState): FastEngine {
  return wrap(createEngine(state))
}
