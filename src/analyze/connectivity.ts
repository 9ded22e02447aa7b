/**
 * @module Allowed connections between groups of pods (workloads, pods or namespaces) and address
 * ranges outside the cluster, with the exact set of ports each pair may use: the edges of the
 * report's graph. Exact like diff.ts (port classes and address ranges cut at every boundary).
 */
import type { ClusterState, Pod } from '../model/types.js'
import type { Evaluator } from '../engine/verdict.js'
import { externalRanges, rangeLabel, type ExternalRange } from './external-ranges.js'
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
 * The connections of one grouping before they become edges: `list` reads them straight into its
 * rows (hundreds of thousands at 10,000 pods), the report through `Connectivity`.
 */
export interface ConnectivityWalk {
  readonly groupBy: GroupBy
  readonly groups: readonly ConnectivityGroup[]
  readonly classes: readonly PortClass[]
  /** The address ranges the external ends are runs of (address order). */
  readonly ranges: readonly ExternalRange[]
  /** Every connection, in the order of `Connectivity.edges`. */
  walk(visit: EdgeVisitor): void
}

/** Receives the connections of a walk; equal class sets are one object. */
export interface EdgeVisitor {
  /** From group `from` to group `to` (indexes into the walk's groups). */
  pair(from: number, to: number, set: ClassSet): void
  /**
   * Between group `group` and `range`, which is `ranges[first..last]` joined (the range object
   * itself when first = last), on the `side` the range is.
   */
  external(side: 'from' | 'to', group: number, range: IpRange, first: number, last: number, set: ClassSet): void
}

/** The connections of `state` by `groupBy`, to walk once (see `ConnectivityWalk`). */
export function connectivityWalk(state: ClusterState, evaluator: Evaluator, groupBy: GroupBy): ConnectivityWalk {
  const classes = portClasses([state])
  const ranges = externalRanges([state])
  const ends = podGroupEnds(state, groupBy)
  return walkOf(groupBy, ends, computeReachability(state, evaluator, ends, ranges, classes), classes, ranges)
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
  const out = [connectivityOf(walkOf(groupBy, ends, reach, classes, ranges))]
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
        walkOf(
          by,
          coarse,
          foldReachability(reach, coarse, (i) => nsOf[i], classes.length),
          classes,
          ranges,
        ),
      ),
    )
  }
  return out
}

function walkOf(
  groupBy: GroupBy,
  ends: readonly GroupEnd[],
  reach: Reachability,
  classes: readonly PortClass[],
  ranges: readonly ExternalRange[],
): ConnectivityWalk {
  const groups: ConnectivityGroup[] = ends.map((e) => {
    const pods = e.endpoints.flatMap((x) => (x.kind === 'pod' ? [x.pod] : []))
    return { ...podGroup(pods[0], groupBy), label: e.key, pods }
  })
  const walk = (visit: EdgeVisitor): void => {
    const G = groups.length
    for (let i1 = 0; i1 < G; i1++) {
      for (let i2 = 0; i2 < G; i2++) {
        const set = reach.between(i1, i2)
        if (set) visit.pair(i1, i2, set)
      }
    }
    // Neighbouring ranges (the ranges cut the address space in order) with the same set (interned:
    // the same object) are joined.
    const adjacent = ranges.map((r, i) => i > 0 && ranges[i - 1].family === r.family && ranges[i - 1].end + 1n === r.start)
    for (const side of ['from', 'to'] as const) {
      for (let gi = 0; gi < G; gi++) {
        let first = -1
        let last = -1
        let run: ClassSet | undefined
        const flush = (): void => {
          if (run === undefined) return
          const range = first === last ? ranges[first] : { family: ranges[first].family, start: ranges[first].start, end: ranges[last].end }
          visit.external(side, gi, range, first, last, run)
        }
        for (let r = 0; r < ranges.length; r++) {
          const rc = reach.rangeClass[r]
          const set = side === 'from' ? reach.fromRange(rc, gi) : reach.toRange(gi, rc)
          if (!set) continue
          if (run === set && last === r - 1 && adjacent[r]) {
            last = r
            continue
          }
          flush()
          first = r
          last = r
          run = set
        }
        flush()
      }
    }
  }
  return { groupBy, groups, classes, ranges, walk }
}

function connectivityOf(w: ConnectivityWalk): Connectivity {
  const { groups, classes } = w
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
  w.walk({
    pair: (i1, i2, set) => {
      const f = format(set)
      edges.push({ from: groups[i1].label, to: groups[i2].label, ports: f.ports, allPorts: set.size === classes.length, classes: f.classes })
    },
    external: (side, gi, range, _first, _last, set) => {
      const label = labelOf(range)
      const f = format(set)
      const g = groups[gi]
      edges.push({
        from: side === 'from' ? label : g.label,
        to: side === 'to' ? label : g.label,
        ports: f.ports,
        allPorts: set.size === classes.length,
        external: side,
        classes: f.classes,
        range,
      })
    },
  })
  return { groupBy: w.groupBy, groups, edges }
}
