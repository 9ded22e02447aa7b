/**
 * @module The matrix folded into groups (`matrix --group-by`, the report's matrix), computed on
 * identities when the evaluator is the fast engine: never a pod-by-pod table.
 *
 * For a port, allowed pod pairs from group G1 to G2 are the sum over the identities S of G1 (with
 * n pods in G1) of n × (pods of G2 in identities S may reach). Each distinct row of allowed
 * destinations is folded into groups once (group-reachability.ts's `rowFolder`), and ports that
 * every policy treats alike (the same port class key) share one all-pairs. The matrix is then
 * swept one source group at a time into a small table (groups × distinct ports), so memory does
 * not grow with groups² × ports and only the cells with an allowed pair come out. Cost:
 * identities × groups reached per distinct port, against pods² per port for the straightforward
 * fold (`groupMatrix` of a pod matrix, which other evaluators still use and the property tests
 * compare with).
 */
import type { ClusterState, Protocol } from '../model/types.js'
import type { Evaluator } from '../engine/verdict.js'
import type { AllPairsResult } from '../engine/engine.js'
import { hasBit } from '../engine/bitset.js'
import {
  groupedCellLookup,
  groupLabel,
  groupMatrix,
  podGroup,
  registerGroupedRows,
  type GroupBy,
  type GroupedConnection,
  type GroupedMatrix,
  type GroupedRow,
} from './group.js'
import { identityCells, portClassKeys, rowFolder, type FoldedRow, type IdentityCells } from './group-reachability.js'
import { computeMatrix, uniquePortSpecs, type PortSpec } from './matrix.js'
import { portClasses } from './port-classes.js'

interface BulkEngine extends Evaluator {
  readonly state: ClusterState
  allPairs(port: number, protocol: Protocol): AllPairsResult
}

function bulkFor(evaluator: Evaluator, state: ClusterState): BulkEngine | undefined {
  const e = evaluator as Partial<BulkEngine>
  return typeof e.allPairs === 'function' && e.state === state ? (evaluator as BulkEngine) : undefined
}

/** Each probed port's index among the distinct port class keys of `state` (ports of one key answer alike). */
function distinctPorts(state: ClusterState, ports: readonly PortSpec[]): { rep: Int32Array; first: number[] } {
  const classes = portClasses([state])
  const keys = portClassKeys(state, classes)
  const index = new Map<string, number>()
  const first: number[] = []
  const rep = Int32Array.from(ports, (port, p) => {
    // Classes cover every port of every protocol, so each probed port is in exactly one.
    const c = classes.findIndex((x) => x.protocol === port.protocol && x.start <= port.port && port.port <= x.end)
    const key = keys[c]!
    let d = index.get(key)
    if (d === undefined) {
      index.set(key, (d = first.length))
      first.push(p)
    }
    return d
  })
  return { rep, first }
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
  const groupSizes = groups.map(() => 0)
  for (const g of groupOfPod) groupSizes[g]++

  const { rep, first } = distinctPorts(state, sortedPorts)
  const D = first.length
  // Per distinct port: each identity's row folded into groups, whether it reaches itself, and the
  // pairs allowed only as traffic from the destination's own node (hostNetwork sources), by source group.
  let cells: IdentityCells | undefined
  const folded: FoldedRow[][] = []
  const reachesSelf: Uint8Array[] = []
  const nodeOnly = new Map<number, number[]>()
  first.forEach((p, d) => {
    const ap = engine.allPairs(sortedPorts[p]!.port, sortedPorts[p]!.protocol)
    cells ??= identityCells(ap, (i) => groupOfPod[i])
    const fold = rowFolder(cells, G)
    const I = ap.identities.length
    const rows = new Array<FoldedRow>(I)
    const self = new Uint8Array(I)
    for (let s = 0; s < I; s++) {
      if (cells.offset[s] === cells.offset[s + 1]) continue
      const row = ap.identityRow(s)
      rows[s] = fold(row)
      if (hasBit(row, s)) self[s] = 1
    }
    folded.push(rows)
    reachesSelf.push(self)
    for (const [i, j] of ap.nodeOnlyPairs()) {
      const g1 = groupOfPod[i]!
      let list = nodeOnly.get(g1)
      if (!list) nodeOnly.set(g1, (list = []))
      list.push(groupOfPod[j]!, d)
    }
  })
  // Identities of each group, with their pods in it (the cells, by group).
  const memberOffset = new Int32Array(G + 1)
  const memberIdentity: number[] = []
  const memberPods: number[] = []
  if (cells !== undefined) {
    const c = cells
    const byGroup: number[][] = groups.map(() => [])
    for (let s = 0; s + 1 < c.offset.length; s++) for (let k = c.offset[s]; k < c.offset[s + 1]; k++) byGroup[c.groupOf[k]].push(s, c.count[k])
    byGroup.forEach((list, g) => {
      for (let i = 0; i < list.length; i += 2) {
        memberIdentity.push(list[i]!)
        memberPods.push(list[i + 1]!)
      }
      memberOffset[g + 1] = memberIdentity.length
    })
  }

  function* rows(): Generator<GroupedRow> {
    // One source group at a time: allowed pod pairs to every group on every distinct port.
    const acc = new Float64Array(G * D)
    const seen = new Uint8Array(G)
    const touched = new Int32Array(G)
    const weight = new Map<FoldedRow, number>()
    const row = { from: 0, length: 0, to: new Int32Array(G * P), port: new Int32Array(G * P), allowedPairs: new Float64Array(G * P) }
    for (let g1 = 0; g1 < G; g1++) {
      let t = 0
      const touch = (g2: number): void => {
        if (seen[g2] === 0) {
          seen[g2] = 1
          touched[t++] = g2
        }
      }
      // A group of one pod holds only that pod to itself: always allowed.
      touch(g1)
      const m0 = memberOffset[g1]!
      const m1 = memberOffset[g1 + 1]!
      for (let d = 0; d < D; d++) {
        const rowsOf = folded[d]!
        const self = reachesSelf[d]!
        // Identities of g1 with the same row (a workload's pods split by node, say) are added once, weighted.
        weight.clear()
        for (let m = m0; m < m1; m++) {
          const s = memberIdentity[m]!
          const n1 = memberPods[m]!
          const f = rowsOf[s]!
          weight.set(f, (weight.get(f) ?? 0) + n1)
          // Each of the n1 pods reached itself through its own identity: not a pair.
          if (self[s] === 1) acc[g1 * D + d] -= n1
        }
        for (const [f, n1] of weight) {
          const reached = f.groups
          const pods = f.pods
          for (let i = 0; i < reached.length; i++) {
            const g2 = reached[i]!
            acc[g2 * D + d] += n1 * pods[i]!
            if (seen[g2] === 0) {
              seen[g2] = 1
              touched[t++] = g2
            }
          }
        }
      }
      const local = nodeOnly.get(g1)
      if (local) {
        for (let i = 0; i < local.length; i += 2) {
          acc[local[i]! * D + local[i + 1]!]++
          touch(local[i]!)
        }
      }
      const order = touched.subarray(0, t).sort()
      let n = 0
      for (const g2 of order) {
        const single = groupSizes[g1] === 1 && g2 === g1
        for (let p = 0; p < P; p++) {
          const ok = single ? 1 : acc[g2 * D + rep[p]!]!
          if (ok > 0) {
            row.to[n] = g2
            row.port[n] = p
            row.allowedPairs[n] = ok
            n++
          }
        }
        for (let d = 0; d < D; d++) acc[g2 * D + d] = 0
        seen[g2] = 0
      }
      row.from = g1
      row.length = n
      yield row
    }
  }

  let connections: GroupedConnection[] | undefined
  const result: GroupedMatrix = {
    groupBy: by,
    groups,
    groupSizes,
    ports: sortedPorts,
    // Built on first read (groups² × ports objects): machine output reads the rows instead.
    get connections(): readonly GroupedConnection[] {
      if (connections === undefined) {
        const cell = groupedCellLookup(result)
        connections = []
        for (let a = 0; a < G; a++) for (let b = 0; b < G; b++) for (let p = 0; p < P; p++) connections.push(cell(a, b, p))
      }
      return connections
    },
  }
  registerGroupedRows(result, rows)
  return result
}
