/**
 * @module Which port classes each ordered pair of ends may use, where an end is a group of pods
 * (workload, pod or namespace) or an address range outside the cluster. Shared by diff and the
 * report's graph.
 *
 * A port class counts for two groups when any pod pair of them may use it (a pod to itself is
 * left out: it is always allowed). Pod-to-pod answers come from the engine's all-pairs bit matrix
 * when the evaluator is the fast engine (one pass per port class over identities, not pods), and
 * from one evaluation per pair otherwise.
 */
import { qualifiedName, type ClusterState, type Protocol } from '../model/types.js'
import type { Endpoint, Evaluator, Traffic } from '../engine/verdict.js'
import type { AllPairsResult } from '../engine/engine.js'
import { emptySet, forEachBit, hasBit, intersects, orInto, setBit, type Bitset } from '../engine/bitset.js'
import type { ExternalRange } from './external-ranges.js'
import { groupLabel, podGroup, type GroupBy } from './group.js'
import type { PortClass } from './port-classes.js'

export interface GroupEnd {
  /** Group label (`ns/name[Kind]`), or `\u0000ext:<i>` for the i-th address range. */
  readonly key: string
  readonly endpoints: readonly Endpoint[]
  readonly range?: ExternalRange
}

export function isRangeKey(key: string): boolean {
  return key.startsWith('\u0000')
}

/** The groups of a state (sorted by label) followed by the address ranges. */
export function groupEnds(state: ClusterState, groupBy: GroupBy, ranges: readonly ExternalRange[]): Map<string, GroupEnd> {
  const groups = new Map<string, Endpoint[]>()
  for (const pod of [...state.pods].sort((a, b) => (qualifiedName(a) < qualifiedName(b) ? -1 : 1))) {
    const key = groupLabel(podGroup(pod, groupBy))
    groups.set(key, [...(groups.get(key) ?? []), { kind: 'pod', pod }])
  }
  const ends = new Map<string, GroupEnd>()
  for (const key of [...groups.keys()].sort()) ends.set(key, { key, endpoints: groups.get(key)! })
  ranges.forEach((range, i) => ends.set(`\u0000ext:${i}`, { key: `\u0000ext:${i}`, endpoints: [{ kind: 'ip', ip: range.probe }], range }))
  return ends
}

export function pairKey(from: string, to: string): string {
  return `${from}\u0001${to}`
}

interface AllPairsCapable {
  allPairs(port: number, protocol: Protocol): AllPairsResult
}

function hasAllPairs(e: Evaluator): e is Evaluator & AllPairsCapable {
  return typeof (e as Partial<AllPairsCapable>).allPairs === 'function'
}

/** Allowed port classes per ordered pair of ends (`pairKey(from, to)`); pairs with none are absent. */
export function groupReachability(state: ClusterState, evaluator: Evaluator, ends: ReadonlyMap<string, GroupEnd>, classes: readonly PortClass[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>()
  const add = (from: string, to: string, ci: number) => {
    const k = pairKey(from, to)
    let s = out.get(k)
    if (!s) out.set(k, (s = new Set()))
    s.add(ci)
  }
  const groupOfPod = new Map<string, string>()
  for (const end of ends.values()) for (const e of end.endpoints) if (e.kind === 'pod') groupOfPod.set(qualifiedName(e.pod), end.key)
  const groups = [...ends.values()].filter((e) => !isRangeKey(e.key))
  const ranges = [...ends.values()].filter((e) => isRangeKey(e.key))

  // Pod groups to pod groups.
  if (hasAllPairs(evaluator) && groups.length > 0) {
    podGroupsByIdentity(evaluator, classes, groups, groupOfPod, add)
  } else {
    for (const from of groups) for (const to of groups) for (const ci of allowedClasses(evaluator, from, to, classes)) add(from.key, to.key, ci)
  }
  // The outside, both ways.
  for (const r of ranges) {
    for (const g of groups) {
      for (const ci of allowedClasses(evaluator, r, g, classes)) add(r.key, g.key, ci)
      for (const ci of allowedClasses(evaluator, g, r, classes)) add(g.key, r.key, ci)
    }
  }
  return out
}

/**
 * On identities: group G1 reaches G2 on a class when some identity of G1 has a row (the
 * identities it may reach) that meets G2's identities. A row's own identity needs two different
 * pods, handled apart.
 */
function podGroupsByIdentity(
  engine: AllPairsCapable,
  classes: readonly PortClass[],
  groups: readonly GroupEnd[],
  groupOfPod: ReadonlyMap<string, string>,
  add: (from: string, to: string, ci: number) => void,
): void {
  let idsOfGroup: Bitset[] | undefined
  let groupsOfIdentity: Map<number, number>[] = []
  const groupIndex = new Map(groups.map((g, i) => [g.key, i]))
  classes.forEach((c, ci) => {
    const ap = engine.allPairs(c.start, c.protocol)
    const size = ap.identities.length
    if (!idsOfGroup) {
      idsOfGroup = groups.map(() => emptySet(size))
      groupsOfIdentity = ap.identities.map((id) => {
        const counts = new Map<number, number>()
        for (const i of id.pods) {
          const g = groupIndex.get(groupOfPod.get(qualifiedName(ap.pods[i])) ?? '')
          if (g === undefined) continue
          counts.set(g, (counts.get(g) ?? 0) + 1)
          setBit(idsOfGroup![g], id.id)
        }
        return counts
      })
    }
    const ids = idsOfGroup
    groups.forEach((g1, i1) => {
      const reach = emptySet(size)
      const selfAllowed: number[] = []
      forEachBit(ids[i1], (s) => {
        const row = ap.identityRow(s).slice()
        if (hasBit(row, s)) {
          selfAllowed.push(s)
          row[s >>> 5] &= ~(1 << (s & 31))
        }
        orInto(reach, row)
      })
      groups.forEach((g2, i2) => {
        if (intersects(reach, ids[i2])) add(g1.key, g2.key, ci)
      })
      for (const s of selfAllowed) {
        for (const [i2, count2] of groupsOfIdentity[s]) {
          if (i2 !== i1 || count2 >= 2) add(g1.key, groups[i2].key, ci)
        }
      }
    })
  })
}

function allowedClasses(evaluator: Evaluator, from: GroupEnd, to: GroupEnd, classes: readonly PortClass[]): number[] {
  const out: number[] = []
  classes.forEach((c, ci) => {
    if (witness(evaluator, from, to, c, true)) out.push(ci)
  })
  return out
}

/**
 * A pod pair (or pod and address) of two ends whose answer on this class is `allowed`, to explain
 * a change; undefined when there is none.
 */
export function witness(evaluator: Evaluator, from: GroupEnd, to: GroupEnd, c: PortClass, allowed: boolean): Traffic | undefined {
  for (const f of from.endpoints) {
    for (const t of to.endpoints) {
      if (f.kind === 'pod' && t.kind === 'pod' && f.pod === t.pod) continue
      const traffic: Traffic = { from: f, to: t, port: c.start, protocol: c.protocol }
      if (evaluator.isAllowed(traffic) === allowed) return traffic
    }
  }
  return undefined
}
