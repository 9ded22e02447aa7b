/**
 * @module Allowed connections between groups of pods (workloads, pods or namespaces) and address
 * ranges outside the cluster, with the exact set of ports each pair may use: the edges of the
 * report's graph. Exact like diff.ts (port classes and address ranges cut at every boundary).
 */
import { qualifiedName, type ClusterState, type Pod } from '../model/types.js'
import type { Endpoint, Evaluator } from '../engine/verdict.js'
import { externalRanges, mergeAdjacentRanges, rangeLabel } from './external-ranges.js'
import { groupLabel, podGroup, type GroupBy, type PodGroup } from './group.js'
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
  const pods = [...state.pods].sort((a, b) => (qualifiedName(a) < qualifiedName(b) ? -1 : 1))
  const groupMap = new Map<string, { group: PodGroup; pods: Pod[] }>()
  for (const pod of pods) {
    const g = podGroup(pod, groupBy)
    const label = groupLabel(g)
    const entry = groupMap.get(label) ?? { group: g, pods: [] }
    entry.pods.push(pod)
    groupMap.set(label, entry)
  }
  const groups = [...groupMap.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([label, e]) => ({ ...e.group, label, pods: e.pods }))

  const allowedSet = (froms: readonly Endpoint[], tos: readonly Endpoint[]): number[] => {
    const out: number[] = []
    classes.forEach((c, ci) => {
      for (const from of froms) {
        for (const to of tos) {
          if (from.kind === 'pod' && to.kind === 'pod' && from.pod === to.pod) continue
          if (evaluator.isAllowed({ from, to, port: c.start, protocol: c.protocol })) {
            out.push(ci)
            return
          }
        }
      }
    })
    return out
  }
  const toSet = (indices: readonly number[]): PortClass[] => indices.map((i) => classes[i])
  const edges: ConnectivityEdge[] = []
  const endpoints = groups.map((g) => g.pods.map((pod): Endpoint => ({ kind: 'pod', pod })))
  for (let i = 0; i < groups.length; i++) {
    for (let j = 0; j < groups.length; j++) {
      const set = allowedSet(endpoints[i], endpoints[j])
      if (set.length === 0) continue
      edges.push({ from: groups[i].label, to: groups[j].label, ports: formatPortSet(toSet(set)), allPorts: set.length === classes.length })
    }
  }
  for (const side of ['from', 'to'] as const) {
    for (let j = 0; j < groups.length; j++) {
      const items = ranges
        .map((r) => {
          const ip: Endpoint = { kind: 'ip', ip: r.probe }
          const set = side === 'from' ? allowedSet([ip], endpoints[j]) : allowedSet(endpoints[j], [ip])
          return { range: r as IpRange, set: set.join(',') }
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
        edges.push({
          from: side === 'from' ? label : groups[j].label,
          to: side === 'to' ? label : groups[j].label,
          ports: formatPortSet(toSet(set)),
          allPorts: set.length === classes.length,
          external: side,
        })
      }
    }
  }
  return { groupBy, groups, edges }
}
