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
  /** Pods in each group, in the order of `groups`. */
  readonly groupSizes: readonly number[]
  readonly ports: MatrixResult['ports']
  /**
   * Every cell, denied ones included, by from, to, port (in the order of `groups` and `ports`):
   * groups² × ports objects, for small matrices (the report's, the table). Machine output reads
   * `groupedRows` instead.
   */
  readonly connections: readonly GroupedConnection[]
}

/**
 * The cells of one source group in which at least one pod pair is allowed, by destination then
 * port: `to[i]`, `port[i]` (indexes into `groups` and `ports`) and `allowedPairs[i]` for i below
 * `length`. Every other cell of the row is denied for every pod pair.
 */
export interface GroupedRow {
  readonly from: number
  readonly length: number
  readonly to: Int32Array
  readonly port: Int32Array
  readonly allowedPairs: Float64Array
}

/**
 * Pod pairs in the cell from group `from` to group `to`: every pair of two different pods (a pod
 * to itself is always allowed, so it would make every group look open to itself), or the one pod
 * to itself for a group of one pod to itself.
 */
export function groupPairs(sizes: readonly number[], from: number, to: number): number {
  const n = sizes[from]! * sizes[to]! - (from === to ? sizes[from]! : 0)
  return n > 0 ? n : sizes[from]!
}

/** The cell whose counts are `allowedPairs` of `pairs`. */
export function groupedCell(g: GroupedMatrix, from: number, to: number, port: number, allowedPairs: number): GroupedConnection {
  const pairs = groupPairs(g.groupSizes, from, to)
  return {
    from: g.groups[from]!,
    to: g.groups[to]!,
    port: g.ports[port]!.port,
    protocol: g.ports[port]!.protocol,
    allowed: pairs > 0 && allowedPairs === pairs,
    partial: allowedPairs > 0 && allowedPairs < pairs,
    pairs,
    allowedPairs,
  }
}

/** Grouped matrices computed compactly (grouped-matrix.ts): their rows without an object per cell. */
const compactRows = new WeakMap<GroupedMatrix, () => Generator<GroupedRow>>()

/** Registers the rows of a compact grouped matrix (one whose `connections` are only built when read). */
export function registerGroupedRows(g: GroupedMatrix, rows: () => Generator<GroupedRow>): void {
  compactRows.set(g, rows)
}

/**
 * The rows of a grouped matrix, source group by source group, each with only its cells in which
 * some pod pair is allowed. A compact matrix's rows reuse one object: read each before the next.
 */
export function* groupedRows(g: GroupedMatrix): Generator<GroupedRow> {
  const compact = compactRows.get(g)
  if (compact) {
    yield* compact()
    return
  }
  const G = g.groups.length
  const gIndex = new Map(g.groups.map((x, i) => [x, i]))
  const pIndex = new Map(g.ports.map((p, i) => [`${p.port}/${p.protocol}`, i]))
  const rows = Array.from({ length: G }, () => [] as { to: number; port: number; allowedPairs: number }[])
  for (const c of g.connections) {
    if (c.allowedPairs > 0)
      rows[gIndex.get(c.from)!]!.push({ to: gIndex.get(c.to)!, port: pIndex.get(`${c.port}/${c.protocol}`)!, allowedPairs: c.allowedPairs })
  }
  for (let from = 0; from < G; from++) {
    const cells = rows[from]!.sort((a, b) => a.to - b.to || a.port - b.port)
    yield {
      from,
      length: cells.length,
      to: Int32Array.from(cells, (c) => c.to),
      port: Int32Array.from(cells, (c) => c.port),
      allowedPairs: Float64Array.from(cells, (c) => c.allowedPairs),
    }
  }
}

/**
 * Looks cells up by the index of their source and destination in `groups` and of their port in
 * `ports`, without an object per cell until asked (for a compact matrix, one pass over its rows
 * into a table of counts: groups² × ports × 4 bytes).
 */
export function groupedCellLookup(g: GroupedMatrix): (from: number, to: number, port: number) => GroupedConnection {
  const G = g.groups.length
  const P = g.ports.length
  const allowed = new Uint32Array(G * G * P)
  for (const row of groupedRows(g)) {
    for (let i = 0; i < row.length; i++) allowed[(row.from * G + row.to[i]!) * P + row.port[i]!] = row.allowedPairs[i]!
  }
  return (from, to, port) => groupedCell(g, from, to, port, allowed[(from * G + to) * P + port]!)
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
  const groupSizes = groups.map(() => 0)
  for (const gi of groupOfPod) groupSizes[gi]++
  return { groupBy: by, groups, groupSizes, ports: m.ports, connections }
}
