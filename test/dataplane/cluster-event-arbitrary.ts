/**
 * Random sequences of cluster events for the incremental-update tests: a generated cluster (with
 * or without ClusterNetworkPolicies) and events on it, as the agent sees them from the API server:
 * a NetworkPolicy added, changed or deleted, a pod added, deleted, replaced or relabelled, a namespace
 * relabelled, a ClusterNetworkPolicy deleted. New objects come from a second generated cluster.
 */
import fc from 'fast-check'
import type { ClusterState, Pod } from '../../src/model/types.js'
import { clusterArb, tieredClusterArb } from './dataplane-cluster-arbitrary.js'

export type ClusterEvent =
  | { kind: 'policy-add'; from: number }
  | { kind: 'policy-change'; at: number; from: number }
  | { kind: 'policy-delete'; at: number }
  | { kind: 'pod-add'; from: number }
  | { kind: 'pod-delete'; at: number }
  /** Another pod in its place, with its address (a Deployment's new pod may get a freed address). */
  | { kind: 'pod-replace'; at: number }
  | { kind: 'pod-relabel'; at: number; app: string; tier: boolean }
  | { kind: 'namespace-relabel'; at: number; team: string }
  | { kind: 'cluster-policy-delete'; at: number }
  | { kind: 'cluster-policy-add'; from: number }
  /** The same pod with another address, or a second one of the other family (dual-stack). */
  | { kind: 'pod-readdress'; at: number; dual: boolean }
  /** The same pod on the other node. */
  | { kind: 'pod-move'; at: number }

const index = fc.nat({ max: 20 })

export const clusterEventArb: fc.Arbitrary<ClusterEvent> = fc.oneof(
  index.map((from) => ({ kind: 'policy-add' as const, from })),
  fc.record({ at: index, from: index }).map((e) => ({ kind: 'policy-change' as const, ...e })),
  index.map((at) => ({ kind: 'policy-delete' as const, at })),
  index.map((from) => ({ kind: 'pod-add' as const, from })),
  index.map((at) => ({ kind: 'pod-delete' as const, at })),
  index.map((at) => ({ kind: 'pod-replace' as const, at })),
  fc.record({ at: index, app: fc.constantFrom('a', 'b', 'c'), tier: fc.boolean() }).map((e) => ({ kind: 'pod-relabel' as const, ...e })),
  fc.record({ at: fc.nat({ max: 2 }), team: fc.constantFrom('a', 'b', 'red') }).map((e) => ({ kind: 'namespace-relabel' as const, ...e })),
  index.map((at) => ({ kind: 'cluster-policy-delete' as const, at })),
  index.map((from) => ({ kind: 'cluster-policy-add' as const, from })),
  fc.record({ at: index, dual: fc.boolean() }).map((e) => ({ kind: 'pod-readdress' as const, ...e })),
  index.map((at) => ({ kind: 'pod-move' as const, at })),
)

/** A starting cluster, a pool of objects for the add and change events (both from `clusters`), and the events. */
export const eventSequenceArb = (
  maxEvents: number,
  clusters: fc.Arbitrary<ClusterState> = fc.oneof(clusterArb, tieredClusterArb),
  events: fc.Arbitrary<ClusterEvent> = clusterEventArb,
): fc.Arbitrary<{ start: ClusterState; pool: ClusterState; events: ClusterEvent[] }> =>
  fc.record({
    start: clusters,
    pool: clusters,
    events: fc.array(events, { minLength: 1, maxLength: maxEvents }),
  })

/** Mostly what moves pods in and out of peers (pods come, go, get other labels and addresses; namespaces relabelled), and some policy changes. */
export const podEventArb: fc.Arbitrary<ClusterEvent> = fc.oneof(
  { arbitrary: index.map((from) => ({ kind: 'pod-add' as const, from })), weight: 3 },
  { arbitrary: index.map((at) => ({ kind: 'pod-delete' as const, at })), weight: 3 },
  {
    arbitrary: fc.record({ at: index, app: fc.constantFrom('a', 'b', 'c'), tier: fc.boolean() }).map((e) => ({ kind: 'pod-relabel' as const, ...e })),
    weight: 2,
  },
  {
    arbitrary: fc.record({ at: fc.nat({ max: 2 }), team: fc.constantFrom('a', 'b', 'red') }).map((e) => ({ kind: 'namespace-relabel' as const, ...e })),
    weight: 2,
  },
  { arbitrary: fc.record({ at: index, dual: fc.boolean() }).map((e) => ({ kind: 'pod-readdress' as const, ...e })), weight: 2 },
  { arbitrary: fc.record({ at: index, from: index }).map((e) => ({ kind: 'policy-change' as const, ...e })), weight: 1 },
)

function pick<T>(list: readonly T[], i: number): T | undefined {
  return list.length === 0 ? undefined : list[i % list.length]
}

/** The state after `event`; `serial` makes the names and addresses of added objects unique. */
export function applyEvent(state: ClusterState, pool: ClusterState, event: ClusterEvent, serial: number): ClusterState {
  switch (event.kind) {
    case 'policy-add': {
      const p = pick(pool.policies, event.from)
      return p ? { ...state, policies: [...state.policies, { ...p, name: `added${serial}` }] } : state
    }
    case 'policy-change': {
      const target = pick(state.policies, event.at)
      const p = pick(pool.policies, event.from)
      if (!target || !p) return state
      return { ...state, policies: state.policies.map((x) => (x === target ? { ...p, namespace: x.namespace, name: x.name } : x)) }
    }
    case 'policy-delete': {
      const target = pick(state.policies, event.at)
      return { ...state, policies: state.policies.filter((x) => x !== target) }
    }
    case 'pod-add': {
      const p = pick(pool.pods, event.from)
      if (!p) return state
      // Addresses outside the generator's ranges, so they never collide with a pod already there.
      const ip = p.hostNetwork ? p.ips[0] : p.ips[0].includes(':') ? `fd00::1:${serial.toString(16)}` : `10.0.1.${serial % 250}`
      if (!p.hostNetwork && state.pods.some((x) => x.ips.includes(ip))) return state
      if (p.hostNetwork && state.pods.some((x) => x.hostNetwork && x.nodeName === p.nodeName)) return state
      const pod: Pod = { ...p, name: `added${serial}`, ips: [ip] }
      return { ...state, pods: [...state.pods, pod] }
    }
    case 'pod-delete': {
      const target = pick(state.pods, event.at)
      return { ...state, pods: state.pods.filter((x) => x !== target) }
    }
    case 'pod-replace': {
      const target = pick(state.pods, event.at)
      return { ...state, pods: state.pods.map((x) => (x === target ? { ...x, name: `replaced${serial}` } : x)) }
    }
    case 'pod-relabel': {
      const target = pick(state.pods, event.at)
      if (!target) return state
      const labels = { app: event.app, ...(event.tier ? { tier: 'web' } : {}) }
      return { ...state, pods: state.pods.map((x) => (x === target ? { ...x, labels } : x)) }
    }
    case 'namespace-relabel': {
      const target = pick(state.namespaces, event.at)
      if (!target) return state
      return { ...state, namespaces: state.namespaces.map((x) => (x === target ? { ...x, labels: { ...x.labels, team: event.team } } : x)) }
    }
    case 'cluster-policy-delete': {
      const target = pick(state.clusterNetworkPolicies ?? [], event.at)
      if (!target) return state
      return { ...state, clusterNetworkPolicies: state.clusterNetworkPolicies!.filter((x) => x !== target) }
    }
    case 'cluster-policy-add': {
      const p = pick(pool.clusterNetworkPolicies ?? [], event.from)
      if (!p) return state
      return { ...state, clusterNetworkPolicies: [...(state.clusterNetworkPolicies ?? []), { ...p, name: `added${serial}` }] }
    }
    case 'pod-readdress': {
      const target = pick(state.pods, event.at)
      if (!target || target.hostNetwork) return state
      const v6 = target.ips[0].includes(':')
      const other = v6 !== event.dual ? `fd00::2:${serial.toString(16)}` : `10.0.2.${serial % 250}`
      if (state.pods.some((x) => x.ips.includes(other))) return state
      const ips = event.dual ? [target.ips[0], other] : [other]
      return { ...state, pods: state.pods.map((x) => (x === target ? { ...x, ips } : x)) }
    }
    case 'pod-move': {
      const target = pick(state.pods, event.at)
      if (!target || target.hostNetwork) return state
      return { ...state, pods: state.pods.map((x) => (x === target ? { ...x, nodeName: x.nodeName === 'n1' ? 'n2' : 'n1' } : x)) }
    }
  }
}
