/**
 * @module Grouping pods into the units a reviewer thinks in: workloads (the Deployment a pod came
 * from), single pods, or whole namespaces. Pure; used by matrix, diff and report output so that a
 * real cluster stays readable.
 */
import { qualifiedName, type Pod, type Protocol } from '../model/types.js'
import type { MatrixResult } from './matrix.js'

export type GroupBy = 'workload' | 'pod' | 'namespace'
export const GROUP_BY_VALUES: readonly GroupBy[] = ['workload', 'pod', 'namespace']

/** The unit a pod belongs to. `name` is what people read: `ns/frontend`, `ns/frontend-0`, `ns`. */
export interface PodGroup {
  readonly key: string
  readonly namespace: string
  readonly name: string
  /** `Deployment`, `Pod`, `Namespace`, ... */
  readonly kind: string
}

/**
 * The group of a pod under a grouping. A pod's workload is its owner, as the readers set it
 * (src/cluster/workload-owner.ts: ownerReferences, a ReplicaSet's pods under their Deployment);
 * pods without an owner are their own workload.
 */
export function podGroup(pod: Pod, by: GroupBy): PodGroup {
  if (by === 'namespace') return { key: pod.namespace, namespace: pod.namespace, name: pod.namespace, kind: 'Namespace' }
  if (by === 'workload' && pod.owner) {
    const { kind, name: ownerName } = pod.owner
    const name = `${pod.namespace}/${ownerName}`
    return { key: `${name}[${kind}]`, namespace: pod.namespace, name, kind }
  }
  const name = qualifiedName(pod)
  return { key: `${name}[Pod]`, namespace: pod.namespace, name, kind: 'Pod' }
}

/** `ns/name[Kind]` as the netpol-analyzer family prints workloads; namespaces print bare. */
export function groupLabel(g: PodGroup): string {
  return g.kind === 'Namespace' ? g.name : `${g.name}[${g.kind}]`
}

/** One cell of a grouped matrix: `allowed` when every pod pair of the two groups is allowed, `partial` when only some are. */
export interface GroupedConnection {
  readonly from: string
  readonly to: string
  readonly port: number
  readonly protocol: Protocol
  readonly allowed: boolean
  /** Some but not all pod pairs are allowed (replicas with different labels, or a namespace of mixed pods). */
  readonly partial: boolean
  /** Pod pairs counted in this cell (a pod to itself is left out unless it is the only pair). */
  readonly pairs: number
  readonly allowedPairs: number
}

export interface GroupedMatrix {
  readonly groupBy: GroupBy
  /** Group labels, sorted. */
  readonly groups: readonly string[]
  readonly ports: MatrixResult['ports']
  readonly connections: readonly GroupedConnection[]
}

/** Cells of grouped matrices computed compactly (grouped-matrix.ts): the i-th connection, by index, and a cell by its place. */
interface CompactCells {
  readonly count: number
  at(i: number): GroupedConnection
  cell(from: number, to: number, port: number): GroupedConnection
}
const compact = new WeakMap<GroupedMatrix, CompactCells>()

/** Registers a compact grouped matrix whose `connections` array is only built when read. */
export function registerCompactGroupedMatrix(g: GroupedMatrix, cells: CompactCells): void {
  compact.set(g, cells)
}

/**
 * Looks cells up by the index of their source and destination in `groups` and of their port in
 * `ports` (undefined where the matrix has no such cell), without building every cell first when
 * the matrix is compact.
 */
export function groupedCellLookup(g: GroupedMatrix): (from: number, to: number, port: number) => GroupedConnection | undefined {
  const c = compact.get(g)
  if (c) return (from, to, port) => c.cell(from, to, port)
  const index = (from: string, to: string, port: number, protocol: string) => `${from}\u0000${to}\u0000${port}/${protocol}`
  const cells = new Map(g.connections.map((x) => [index(x.from, x.to, x.port, x.protocol), x]))
  return (from, to, port) => cells.get(index(g.groups[from]!, g.groups[to]!, g.ports[port]!.port, g.ports[port]!.protocol))
}

/** Every connection in order, without building the whole array when the matrix is compact. */
export function* groupedConnections(g: GroupedMatrix): Generator<GroupedConnection> {
  const c = compact.get(g)
  if (!c) {
    yield* g.connections
    return
  }
  for (let i = 0; i < c.count; i++) yield c.at(i)
}

export function groupedConnectionCount(g: GroupedMatrix): number {
  return compact.get(g)?.count ?? g.connections.length
}

/**
 * Folds a pod matrix into groups. A pod talking to itself is always allowed (it never leaves its
 * network namespace), so self-pairs are left out of a group's count: otherwise every workload
 * would look "partially" open to itself.
 */
export function groupMatrix(m: MatrixResult, by: GroupBy): GroupedMatrix {
  // Connections are laid out (from, to, port) in the order of m.pods and m.ports: index arithmetic, no string keys.
  const labels = m.pods.map((pod) => groupLabel(podGroup(pod, by)))
  const groups = [...new Set(labels)].sort()
  const gIndex = new Map(groups.map((g, i) => [g, i]))
  const groupOfPod = labels.map((l) => gIndex.get(l)!)
  const G = groups.length
  const P = m.ports.length
  const N = m.pods.length
  const size = G * G * P
  const pairs = new Uint32Array(size)
  const allowed = new Uint32Array(size)
  const selfPairs = new Uint32Array(size)
  const selfAllowed = new Uint32Array(size)
  for (let i = 0; i < N; i++) {
    const gi = groupOfPod[i]
    for (let j = 0; j < N; j++) {
      const base = (gi * G + groupOfPod[j]) * P
      const row = (i * N + j) * P
      for (let p = 0; p < P; p++) {
        const ok = m.connections[row + p].allowed
        if (i === j) {
          selfPairs[base + p]++
          if (ok) selfAllowed[base + p]++
        } else {
          pairs[base + p]++
          if (ok) allowed[base + p]++
        }
      }
    }
  }
  const connections: GroupedConnection[] = []
  for (let a = 0; a < G; a++) {
    for (let b = 0; b < G; b++) {
      for (let p = 0; p < P; p++) {
        const k = (a * G + b) * P + p
        if (pairs[k] === 0 && selfPairs[k] === 0) continue
        const n = pairs[k] > 0 ? pairs[k] : selfPairs[k]
        const ok = pairs[k] > 0 ? allowed[k] : selfAllowed[k]
        connections.push({
          from: groups[a],
          to: groups[b],
          port: m.ports[p].port,
          protocol: m.ports[p].protocol,
          allowed: n > 0 && ok === n,
          partial: ok > 0 && ok < n,
          pairs: n,
          allowedPairs: ok,
        })
      }
    }
  }
  return { groupBy: by, groups, ports: m.ports, connections }
}
