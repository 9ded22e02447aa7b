/**
 * @module The matrix folded into groups (`matrix --group-by`, the report's matrix), computed on
 * identities when the evaluator is the fast engine: never a pod-by-pod table.
 *
 * For a port, allowed pod pairs from group G1 to G2 are the sum over the identities S of G1 (with
 * n pods in G1) of n × (pods of G2 in identities S may reach); identities with the same row of
 * allowed destinations share one pass over it. Cost: identities × distinct rows' lengths plus
 * groups² per port, against pods² per port for the straightforward fold (`groupMatrix` of a
 * pod matrix, which other evaluators still use and the property tests compare with).
 */
import type { ClusterState, Protocol } from '../model/types.js'
import type { Evaluator } from '../engine/verdict.js'
import type { AllPairsResult } from '../engine/engine.js'
import { equalSets, hasBit, hashSet, type Bitset } from '../engine/bitset.js'
import { groupLabel, groupMatrix, podGroup, registerCompactGroupedMatrix, type GroupBy, type GroupedConnection, type GroupedMatrix } from './group.js'
import { computeMatrix, uniquePortSpecs, type PortSpec } from './matrix.js'

interface BulkEngine extends Evaluator {
  readonly state: ClusterState
  allPairs(port: number, protocol: Protocol): AllPairsResult
}

function bulkFor(evaluator: Evaluator, state: ClusterState): BulkEngine | undefined {
  const e = evaluator as Partial<BulkEngine>
  return typeof e.allPairs === 'function' && e.state === state ? (evaluator as BulkEngine) : undefined
}

/** The grouped matrix of `state` on `ports`; the same result as `groupMatrix(computeMatrix(...), by)`. */
export function computeGroupedMatrix(evaluator: Evaluator, state: ClusterState, ports: readonly PortSpec[], by: GroupBy): GroupedMatrix {
  const engine = bulkFor(evaluator, state)
  if (!engine) return groupMatrix(computeMatrix(evaluator, state, ports), by)
  const sortedPorts = uniquePortSpecs(ports)
  const labels = state.pods.map((pod) => groupLabel(podGroup(pod, by)))
  const groups = [...new Set(labels)].sort()
  const gIndex = new Map(groups.map((g, i) => [g, i]))
  const groupOfPod = Int32Array.from(labels, (l) => gIndex.get(l)!)
  const G = groups.length
  const P = sortedPorts.length
  const size = new Float64Array(G)
  for (const g of groupOfPod) size[g]++
  // Counts stay below pods² < 2³²; 4 bytes a cell.
  const allowed = new Uint32Array(G * G * P)
  let offset: Int32Array | undefined
  let cellGroup: Int32Array | undefined
  let cellCount: Float64Array | undefined
  sortedPorts.forEach((port, p) => {
    const ap = engine.allPairs(port.port, port.protocol)
    const I = ap.identities.length
    if (!offset) {
      // (identity, group, pods) cells, by identity.
      offset = new Int32Array(I + 1)
      const g: number[] = []
      const c: number[] = []
      for (const idn of ap.identities) {
        const counts = new Map<number, number>()
        for (const i of idn.pods) counts.set(groupOfPod[i], (counts.get(groupOfPod[i]) ?? 0) + 1)
        offset[idn.id] = g.length
        for (const [group, n] of [...counts].sort((x, y) => x[0] - y[0])) {
          g.push(group)
          c.push(n)
        }
        offset[idn.id + 1] = g.length
      }
      cellGroup = Int32Array.from(g)
      cellCount = Float64Array.from(c)
    }
    const off = offset
    const cg = cellGroup!
    const cc = cellCount!
    const byHash = new Map<number, { row: Bitset; groups: Int32Array; pods: Float64Array }[]>()
    const byRow = new Map<Bitset, { row: Bitset; groups: Int32Array; pods: Float64Array }>()
    const acc = new Float64Array(G)
    for (let s = 0; s < I; s++) {
      if (off[s] === off[s + 1]) continue
      const row = ap.identityRow(s)
      // Rows are shared objects (one per distinct row the engine built); equal ones are found by hash.
      let entry = byRow.get(row)
      if (!entry) {
        const h = hashSet(row)
        let bucket = byHash.get(h)
        if (!bucket) byHash.set(h, (bucket = []))
        entry = bucket.find((e) => equalSets(e.row, row))
        if (entry) byRow.set(row, entry)
      }
      if (!entry) {
        // Pods per group the row reaches.
        const touched: number[] = []
        for (let w = 0; w < row.length; w++) {
          let word = row[w]!
          while (word !== 0) {
            const low = word & -word
            const t = (w << 5) + 31 - Math.clz32(low)
            word ^= low
            for (let k = off[t]; k < off[t + 1]; k++) {
              if (acc[cg[k]] === 0) touched.push(cg[k])
              acc[cg[k]] += cc[k]
            }
          }
        }
        entry = { row, groups: Int32Array.from(touched), pods: Float64Array.from(touched, (g) => acc[g]) }
        for (const g of touched) acc[g] = 0
        byHash.get(hashSet(row))!.push(entry)
        byRow.set(row, entry)
      }
      const self = hasBit(row, s)
      for (let k = off[s]; k < off[s + 1]; k++) {
        const g1 = cg[k]
        const n1 = cc[k]
        const base = g1 * G * P + p
        for (let i = 0; i < entry.groups.length; i++) allowed[base + entry.groups[i] * P] += n1 * entry.pods[i]
        // Each of the n1 pods reached itself through its own identity: not a pair.
        if (self) allowed[base + g1 * P] -= n1
      }
    }
    // Pairs allowed only as traffic from the destination's own node (hostNetwork source).
    for (const [i, j] of ap.nodeOnlyPairs()) allowed[groupOfPod[i] * G * P + groupOfPod[j] * P + p]++
  })
  const count = G * G * P
  const at = (i: number): GroupedConnection => {
    const p = i % P
    const ab = (i - p) / P
    const b = ab % G
    const a = (ab - b) / G
    const pairs = size[a] * size[b] - (a === b ? size[a] : 0)
    // A group of one pod to itself: only the pod to itself, always allowed.
    const n = pairs > 0 ? pairs : size[a]
    const ok = pairs > 0 ? allowed[i] : size[a]
    return {
      from: groups[a],
      to: groups[b],
      port: sortedPorts[p].port,
      protocol: sortedPorts[p].protocol,
      allowed: n > 0 && ok === n,
      partial: ok > 0 && ok < n,
      pairs: n,
      allowedPairs: ok,
    }
  }
  let connections: GroupedConnection[] | undefined
  const result: GroupedMatrix = {
    groupBy: by,
    groups,
    ports: sortedPorts,
    // Built on first read: streaming renderers visit cells by index instead.
    get connections(): readonly GroupedConnection[] {
      if (connections === undefined) {
        connections = new Array<GroupedConnection>(count)
        for (let i = 0; i < count; i++) connections[i] = at(i)
      }
      return connections
    },
  }
  registerCompactGroupedMatrix(result, { count, at, cell: (a, b, p) => at((a * G + b) * P + p) })
  return result
}
