/**
 * @module Allowed connections between groups of pods (workloads, pods or namespaces) and address
 * ranges outside the cluster, with the exact set of ports each pair may use: the edges of the
 * report's graph. Exact like diff.ts (port classes and address ranges cut at every boundary).
 */
import type { ClusterState, Pod } from '../model/types.js'
import type { Evaluator } from '../engine/verdict.js'
import { externalRanges, mergeAdjacentRanges, rangeLabel } from './external-ranges.js'
import { podGroup, type GroupBy, type PodGroup } from './group.js'
import { groupEnds, groupReachability, isRangeKey, pairKey } from './group-reachability.js'
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
  const classes = portClasses([state])
  const ranges = externalRanges([state])
  const ends = groupEnds(state, groupBy, ranges)
  const reach = groupReachability(state, evaluator, ends, classes)
  const groups: ConnectivityGroup[] = [...ends.values()]
    .filter((e) => !isRangeKey(e.key))
    .map((e) => {
      const pods = e.endpoints.flatMap((x) => (x.kind === 'pod' ? [x.pod] : []))
      return { ...podGroup(pods[0], groupBy), label: e.key, pods }
    })
  const toSet = (indices: Iterable<number>): PortClass[] => [...indices].sort((a, b) => a - b).map((i) => classes[i])
  const edges: ConnectivityEdge[] = []
  for (const from of groups) {
    for (const to of groups) {
      const set = reach.get(pairKey(from.label, to.label))
      if (!set) continue
      const edgeClasses = toSet(set)
      edges.push({ from: from.label, to: to.label, ports: formatPortSet(edgeClasses), allPorts: set.size === classes.length, classes: edgeClasses })
    }
  }
  const rangeEnds = [...ends.values()].filter((e) => e.range)
  for (const side of ['from', 'to'] as const) {
    for (const g of groups) {
      const items = rangeEnds
        .map((r) => {
          const set = reach.get(side === 'from' ? pairKey(r.key, g.label) : pairKey(g.label, r.key))
          return { range: r.range as IpRange, set: set ? [...set].sort((a, b) => a - b).join(',') : '' }
        })
        .filter((x) => x.set !== '')
      const merged = mergeAdjacentRanges(
        items,
        (a, b) => a.set === b.set,
        (a, range) => ({ ...a, range }),
      )
      for (const m of merged) {
        const set = m.set.split(',').map(Number)
        const label = rangeLabel(m.range)
        const edgeClasses = toSet(set)
        edges.push({
          from: side === 'from' ? label : g.label,
          to: side === 'to' ? label : g.label,
          ports: formatPortSet(edgeClasses),
          allPorts: set.length === classes.length,
          external: side,
          classes: edgeClasses,
          range: m.range,
        })
      }
    }
  }
  return { groupBy, groups, edges }
}
