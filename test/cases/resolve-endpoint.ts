/** Test helper: a case table's `ns/pod` or IP as an engine Endpoint, and a Traffic from an Expectation. */
import type { ClusterState } from '../../src/model/types.js'
import type { Endpoint, Traffic } from '../../src/engine/verdict.js'
import type { Expectation } from './case-types.js'

export function endpoint(state: ClusterState, text: string): Endpoint {
  const slash = text.indexOf('/')
  if (slash > 0 && !text.includes(':')) {
    const ns = text.slice(0, slash)
    const name = text.slice(slash + 1)
    const pod = state.pods.find((p) => p.namespace === ns && p.name === name)
    if (pod === undefined) throw new Error(`case names pod ${text}, which its manifests do not declare`)
    return { kind: 'pod', pod }
  }
  return { kind: 'ip', ip: text }
}

export function trafficOf(state: ClusterState, x: Expectation): Traffic {
  return { from: endpoint(state, x.from), to: endpoint(state, x.to), port: x.port, protocol: x.protocol }
}
