/**
 * @module Allowed connections between groups of pods (workloads, pods or namespaces) and address
 * ranges outside the cluster, with the exact set of ports each pair may use: the edges of the
 * report's graph. Exact like diff.ts (port classes and address ranges cut at every boundary).
 */
import type { ClusterState, Pod } from '../model/types.js'
import type { Evaluator } from '../engine/verdict.js'
import { externalRanges, mergeAdjacentRanges, rangeLabel, type ExternalRange } from './external-ranges.js'
import { podGroup, type GroupBy, type PodGroup } from './group.js'
import { computeReachability, foldReachability, podGroupEnds, type ClassSet, type GroupEnd, type Reachability } from './group-reachability.js'
import { formatPortSet, portClasses, type PortClass } from './port-classes.js'
import type { IpRange } from '../model/cidr.js'

export interface ConnectivityGroup extends PodGroup {
  readonly label: string
  readonly pods: readonly Pod[]
}

export interface ConnectivityEdge {
  /** Group label, or an address range for the outside. */
  readonly from: string
  readonly to: string
  /** `TCP 80,443`, `all ports`. */
  readonly ports: string
  /** Every port of every protocol (typically: neither side isolated). */
  readonly allPorts: boolean
  /** Which end, if any, is an address range outside the cluster. */
  readonly external?: 'from' | 'to'
  /** The port classes behind `ports`, by protocol then port (for filters and machine output). */
  readonly classes: readonly PortClass[]
  /** The addresses of the external end, when there is one. */
  readonly range?: IpRange
}

export interface Connectivity {
  readonly groupBy: GroupBy
  readonly groups: readonly ConnectivityGroup[]
  readonly edges: readonly ConnectivityEdge[]
}

/** Every allowed connection between groups (a pod to itself left out), and to/from the outside. */
export function computeConnectivity(state: ClusterState, evaluator: Evaluator, groupBy: GroupBy): Connectivity {
  return computeConnectivities(state, evaluator, groupBy, [])[0]
}

/**
 * Connectivity by `groupBy` and, folded from the same computation, by coarser units (namespace
 * from workload or pod): one reachability computation for the report's table and its graph.
 */
export function computeConnectivities(state: ClusterState, evaluator: Evaluator, groupBy: GroupBy, coarser: readonly GroupBy[]): Connectivity[] {
  const classes = portClasses([state])
  const ranges = externalRanges([state])
  const ends = podGroupEnds(state, groupBy)
  const reach = computeReachability(state, evaluator, ends, ranges, classes)
  const out = [connectivityOf(groupBy, ends, reach, classes, ranges)]
  for (const by of coarser) {
    if (by === groupBy) {
      out.push(out[0])
      continue
    }
    if (by !== 'namespace') throw new Error(`cannot fold ${groupBy} into ${by}`)
    const coarse = podGroupEnds(state, by)
    const index = new Map(coarse.map((g, i) => [g.key, i]))
    const nsOf = ends.map((e) => index.get((e.endpoints[0] as { pod: Pod }).pod.namespace)!)
    out.push(
      connectivityOf(
        by,
        coarse,
        foldReachability(reach, coarse, (i) => nsOf[i], classes.length),
        classes,
        ranges,
      ),
    )
  }
  return out
}

function connectivityOf(
  groupBy: GroupBy,
  ends: readonly GroupEnd[],
  reach: Reachability,
  classes: readonly PortClass[],
  ranges: readonly ExternalRange[],
): Connectivity {
  const groups: ConnectivityGroup[] = ends.map((e) => {
    const pods = e.endpoints.flatMap((x) => (x.kind === 'pod' ? [x.pod] : []))
    return { ...podGroup(pods[0], groupBy), label: e.key, pods }
  })
  const toSet = (indices: Iterable<number>): PortClass[] => [...indices].sort((a, b) => a - b).map((i) => classes[i])
  // Each distinct set is formatted once.
  const formatted = new Map<ClassSet, { ports: string; classes: PortClass[] }>()
  const format = (set: ClassSet): { ports: string; classes: PortClass[] } => {
    let f = formatted.get(set)
    if (f === undefined) {
      const list = toSet(set)
      formatted.set(set, (f = { ports: formatPortSet(list), classes: list }))
    }
    return f
  }
  // Many groups reach the same ranges: label each merged range once.
  const labels = new Map<string, string>()
  const labelOf = (r: IpRange): string => {
    const k = `${r.family}:${r.start}:${r.end}`
    let l = labels.get(k)
    if (l === undefined) labels.set(k, (l = rangeLabel(r)))
    return l
  }
  const edges: ConnectivityEdge[] = []
  groups.forEach((from, i1) => {
    groups.forEach((to, i2) => {
      const set = reach.between(i1, i2)
      if (!set) return
      const f = format(set)
      edges.push({ from: from.label, to: to.label, ports: f.ports, allPorts: set.size === classes.length, classes: f.classes })
    })
  })
  for (const side of ['from', 'to'] as const) {
    groups.forEach((g, gi) => {
      const items: { range: IpRange; set: ClassSet }[] = []
      ranges.forEach((range, r) => {
        const rc = reach.rangeClass[r]
        const set = side === 'from' ? reach.fromRange(rc, gi) : reach.toRange(gi, rc)
        if (set) items.push({ range, set })
      })
      // Interned sets: equal sets are the same object.
      const merged = mergeAdjacentRanges(
        items,
        (a, b) => a.set === b.set,
        (a, range) => ({ ...a, range }),
      )
      for (const m of merged) {
        const label = labelOf(m.range)
        const f = format(m.set)
        edges.push({
          from: side === 'from' ? label : g.label,
          to: side === 'to' ? label : g.label,
          ports: f.ports,
          allPorts: m.set.size === classes.length,
          external: side,
          classes: f.classes,
          range: m.range,
        })
      }
    })
  }
  return { groupBy, groups, edges }
}
