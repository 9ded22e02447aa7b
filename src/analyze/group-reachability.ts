/**
 * @module Which port classes each ordered pair of ends may use, where an end is a group of pods
 * (workload, pod or namespace) or an address range outside the cluster. Shared by diff, the
 * report and `netpol list` (through connectivity.ts).
 *
 * A port class counts for two groups when any pod pair of them may use it (a pod to itself is
 * left out: it is always allowed). With the fast engine nothing is computed per pod pair:
 * - port classes that every policy treats alike (the same numeric ports match, no named port
 *   resolves to them) share one all-pairs computation;
 * - identities (pods every selector and peer treats alike) with the same row of allowed
 *   destinations share one pass over that row, folded into groups as a bit set;
 * - address ranges covered by the same ipBlocks share one answer (`engine.externalAccessPorts`, one
 *   bit mask over the distinct port classes per identity and range class).
 * So the cost grows with identities, groups, distinct rows and ipBlocks, not with pods² or with
 * ranges × groups × pods. Any other evaluator is asked pair by pair (the straightforward
 * computation the property tests compare with).
 */
import { protocolEntry } from '../engine/cluster-policy.js'
import { ipBlockRanges, type IpRange } from '../model/cidr.js'
import { PROTOCOLS, qualifiedName, type ClusterState, type ContainerPort, type Pod, type Protocol } from '../model/types.js'
import type { Endpoint, Evaluator, Traffic } from '../engine/verdict.js'
import type { AllPairsResult, ExternalAccessPorts, PortQuery } from '../engine/engine.js'
import type { Identity } from '../engine/identity.js'
import { equalSets, hasBit, hashSet, type Bitset } from '../engine/bitset.js'
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

/** The pod groups of a state, sorted by label. */
export function podGroupEnds(state: ClusterState, groupBy: GroupBy): GroupEnd[] {
  const groups = new Map<string, Endpoint[]>()
  const sorted = state.pods.map((pod) => ({ pod, name: qualifiedName(pod) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const { pod } of sorted) {
    const key = groupLabel(podGroup(pod, groupBy))
    let list = groups.get(key)
    if (!list) groups.set(key, (list = []))
    list.push({ kind: 'pod', pod })
  }
  return [...groups.keys()].sort().map((key) => ({ key, endpoints: groups.get(key)! }))
}

export function rangeEnd(range: ExternalRange, i: number): GroupEnd {
  return { key: `\u0000ext:${i}`, endpoints: [{ kind: 'ip', ip: range.probe }], range }
}

/** The groups of a state (sorted by label) followed by the address ranges. */
export function groupEnds(state: ClusterState, groupBy: GroupBy, ranges: readonly ExternalRange[]): Map<string, GroupEnd> {
  const ends = new Map<string, GroupEnd>()
  for (const g of podGroupEnds(state, groupBy)) ends.set(g.key, g)
  ranges.forEach((range, i) => {
    const e = rangeEnd(range, i)
    ends.set(e.key, e)
  })
  return ends
}

export function pairKey(from: string, to: string): string {
  return `${from}\u0001${to}`
}

/** Allowed port-class sets; equal sets are one shared, frozen-by-convention object. */
export type ClassSet = ReadonlySet<number>

/**
 * Reachability between the pod groups of one state and the address ranges (given in address
 * order, as from externalRanges). Ranges covered by the same ipBlocks form one range class.
 */
export interface Reachability {
  readonly groups: readonly GroupEnd[]
  readonly ranges: readonly ExternalRange[]
  /** `rangeClass[r]`: the class of `ranges[r]`. */
  readonly rangeClass: Int32Array
  /** Port classes from group `g1` to group `g2` (indexes into `groups`); undefined: none. */
  between(g1: number, g2: number): ClassSet | undefined
  /** From group `g` to range class `rc`, and back. */
  toRange(g: number, rc: number): ClassSet | undefined
  fromRange(rc: number, g: number): ClassSet | undefined
}

interface BulkEngine extends Evaluator {
  readonly state: ClusterState
  readonly identities: readonly Identity[]
  allPairs(port: number, protocol: Protocol): AllPairsResult
  externalAccessPorts(ip: string, ports: readonly PortQuery[]): ExternalAccessPorts
}

function bulkFor(evaluator: Evaluator, state: ClusterState): BulkEngine | undefined {
  const e = evaluator as Partial<BulkEngine>
  return typeof e.allPairs === 'function' && typeof e.externalAccessPorts === 'function' && e.state === state ? (evaluator as BulkEngine) : undefined
}

/** Class sets interned by content, so equal sets are one object. */
class ClassSets {
  private readonly byKey = new Map<string, ClassSet>()
  of(members: readonly number[]): ClassSet {
    const sorted = [...members].sort((a, b) => a - b)
    const key = sorted.join(',')
    let set = this.byKey.get(key)
    if (set === undefined) this.byKey.set(key, (set = new Set(sorted)))
    return set
  }
}

/**
 * Port classes that every policy of the state treats alike: the same numeric policy ports contain
 * them and no named port of a policy resolves to them (on any pod). Classes of one key have the
 * same answers for every pair, so one representative is computed.
 */
export function portClassKeys(state: ClusterState, classes: readonly PortClass[]): string[] {
  const numeric: { protocol: Protocol; lo: number; hi: number; id: number }[] = []
  const names = new Set<string>()
  let id = 0
  for (const policy of state.policies) {
    for (const rule of [...policy.ingress, ...policy.egress]) {
      for (const p of rule.ports) {
        if (typeof p.port === 'number') numeric.push({ protocol: p.protocol, lo: p.port, hi: p.endPort ?? p.port, id: id++ })
        else if (typeof p.port === 'string') names.add(`${p.port}/${p.protocol}`)
      }
    }
  }
  // ClusterNetworkPolicy protocols: numbers and ranges like policy ports; a destinationNamedPort
  // resolves for the connection's protocol, whichever it is.
  for (const cnp of state.clusterNetworkPolicies ?? []) {
    for (const rule of [...cnp.spec.ingress, ...cnp.spec.egress]) {
      for (const p of rule.protocols) {
        const e = protocolEntry(p)
        if (e === undefined) continue
        if ('named' in e) for (const protocol of PROTOCOLS) names.add(`${e.named}/${protocol}`)
        else numeric.push({ protocol: e.protocol, lo: e.lo, hi: e.hi, id: id++ })
      }
    }
  }
  // Container ports (by protocol) that some policy's named port may resolve to.
  const namedAt = new Map<Protocol, Set<number>>()
  const seenPorts = new Set<readonly ContainerPort[]>()
  for (const pod of state.pods) {
    if (seenPorts.has(pod.containerPorts)) continue
    seenPorts.add(pod.containerPorts)
    for (const c of pod.containerPorts) {
      if (!c.name || !names.has(`${c.name}/${c.protocol}`)) continue
      let set = namedAt.get(c.protocol)
      if (!set) namedAt.set(c.protocol, (set = new Set()))
      set.add(c.containerPort)
    }
  }
  return classes.map((c) => {
    // Classes are cut at every policy port boundary, so a numeric port contains all or none of a class.
    const hits = numeric.filter((n) => n.protocol === c.protocol && n.lo <= c.start && c.start <= n.hi).map((n) => n.id)
    let named = -1
    for (const p of namedAt.get(c.protocol) ?? []) if (p >= c.start && p <= c.end && (named < 0 || p < named)) named = p
    // A class some named port resolves to is unique to its protocol and port.
    return named >= 0 ? `named:${named}/${c.protocol}` : `ports:${hits.join(',')}`
  })
}

/**
 * Ranges covered by the same ipBlocks (cidr minus except) of the state's policies: every policy
 * answers their addresses alike. Returns each range's class and one range per class.
 */
export function rangeClasses(state: ClusterState, ranges: readonly ExternalRange[]): { rangeClass: Int32Array; representatives: number[] } {
  const covering: number[][] = ranges.map(() => [])
  const byFamily = new Map<number, number[]>()
  ranges.forEach((r, i) => {
    let list = byFamily.get(r.family)
    if (!list) byFamily.set(r.family, (list = []))
    list.push(i)
  })
  const firstAtOrAfter = (list: readonly number[], value: bigint): number => {
    let lo = 0
    let hi = list.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (ranges[list[mid]].start < value) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const seen = new Map<string, number>()
  // ClusterNetworkPolicy networks tell addresses apart like ipBlocks without except.
  const cnpPeers = (state.clusterNetworkPolicies ?? []).flatMap((c) =>
    c.spec.egress.flatMap((r) => r.to.flatMap((p) => (p.networks ?? []).map((cidr) => ({ ipBlock: { cidr, except: [] as string[] } })))),
  )
  for (const policy of [...state.policies, { ingress: [], egress: [{ to: cnpPeers }] }]) {
    for (const rule of [...policy.ingress.map((r) => r.from), ...policy.egress.map((r) => r.to)]) {
      for (const peer of rule) {
        if (!peer.ipBlock) continue
        const key = `${peer.ipBlock.cidr}|${peer.ipBlock.except.join(',')}`
        if (seen.has(key)) continue
        const block = seen.size
        seen.set(key, block)
        for (const piece of ipBlockRanges(peer.ipBlock)) {
          const list = byFamily.get(piece.family)
          if (!list) continue
          // Ranges are cut at every boundary, so each piece is a run of whole ranges.
          for (let k = firstAtOrAfter(list, piece.start); k < list.length && ranges[list[k]].start <= piece.end; k++) covering[list[k]].push(block)
        }
      }
    }
  }
  const classOf = new Map<string, number>()
  const rangeClass = new Int32Array(ranges.length)
  const representatives: number[] = []
  ranges.forEach((r, i) => {
    const key = `${r.family}:${covering[i].join(',')}`
    let c = classOf.get(key)
    if (c === undefined) {
      classOf.set(key, (c = representatives.length))
      representatives.push(i)
    }
    rangeClass[i] = c
  })
  return { rangeClass, representatives }
}

/**
 * Group membership of identities: identity `s` has `count[k]` pods in group `groupOf[k]`, for k
 * from `offset[s]` to `offset[s + 1]` (by group).
 */
export interface IdentityCells {
  readonly groupOf: Int32Array
  readonly count: Int32Array
  readonly offset: Int32Array
}

/** The cells of `ap`'s identities; `groupOfPod` takes an index into `ap.pods` (undefined: in no group). */
export function identityCells(ap: AllPairsResult, groupOfPod: (pod: number) => number | undefined): IdentityCells {
  const size = ap.identities.length
  const offset = new Int32Array(size + 1)
  const g: number[] = []
  const c: number[] = []
  for (const idn of ap.identities) {
    const counts = new Map<number, number>()
    for (const i of idn.pods) {
      const group = groupOfPod(i)
      if (group !== undefined) counts.set(group, (counts.get(group) ?? 0) + 1)
    }
    offset[idn.id] = g.length
    for (const [group, n] of [...counts].sort((x, y) => x[0] - y[0])) {
      g.push(group)
      c.push(n)
    }
    offset[idn.id + 1] = g.length
  }
  return { groupOf: Int32Array.from(g), count: Int32Array.from(c), offset }
}

/** A row of destination identities folded into groups. */
export interface FoldedRow {
  /** The groups the row reaches (in the order met) and the pods it reaches in each. */
  readonly groups: Int32Array
  readonly pods: Float64Array
  /** The same groups as a bit set. */
  readonly bits: Uint32Array
}

/**
 * Folds the rows of one all-pairs into groups, each distinct row once: rows are shared objects
 * (one per distinct row the engine built), and equal ones are found by hash. Used by the
 * reachability below (which groups) and the grouped matrix (how many pod pairs).
 */
export function rowFolder(cells: IdentityCells, groupCount: number): (row: Bitset) => FoldedRow {
  const words = (groupCount + 31) >>> 5
  const byHash = new Map<number, FoldedRow[]>()
  const byRow = new Map<Bitset, FoldedRow>()
  const rowOf = new Map<FoldedRow, Bitset>()
  const acc = new Float64Array(groupCount)
  const touched = new Int32Array(groupCount)
  const { offset, groupOf, count } = cells
  return (row) => {
    let entry = byRow.get(row)
    if (entry !== undefined) return entry
    const h = hashSet(row)
    let bucket = byHash.get(h)
    if (!bucket) byHash.set(h, (bucket = []))
    entry = bucket.find((e) => equalSets(rowOf.get(e)!, row))
    if (entry === undefined) {
      const bits = new Uint32Array(words)
      let n = 0
      for (let w = 0; w < row.length; w++) {
        let word = row[w]!
        while (word !== 0) {
          const low = word & -word
          const t = (w << 5) + 31 - Math.clz32(low)
          word ^= low
          for (let k = offset[t]!, end = offset[t + 1]!; k < end; k++) {
            const g = groupOf[k]!
            if (acc[g] === 0) touched[n++] = g
            acc[g] += count[k]!
            bits[g >>> 5] |= 1 << (g & 31)
          }
        }
      }
      const groups = touched.slice(0, n)
      const pods = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        pods[i] = acc[groups[i]!]!
        acc[groups[i]!] = 0
      }
      entry = { groups, pods, bits }
      bucket.push(entry)
      rowOf.set(entry, row)
    }
    byRow.set(row, entry)
    return entry
  }
}

/**
 * For one port: words `g1 * words ..` of `reach` are the bit set (over groups) of the groups g1 may reach. An identity
 * that may reach itself connects two different pods of it: to its own group only with two pods.
 */
function groupRowsForPort(ap: AllPairsResult, cells: IdentityCells, groupCount: number, reach: Uint32Array): void {
  const words = (groupCount + 31) >>> 5
  reach.fill(0)
  const size = ap.identities.length
  const fold = rowFolder(cells, groupCount)
  for (let s = 0; s < size; s++) {
    if (cells.offset[s] === cells.offset[s + 1]) continue
    const row = ap.identityRow(s)
    const entry = fold(row)
    const selfInRow = hasBit(row, s)
    for (let k = cells.offset[s]; k < cells.offset[s + 1]; k++) {
      const g1 = cells.groupOf[k]
      const base = g1 * words
      const own = reach[base + (g1 >>> 5)] & (1 << (g1 & 31))
      const bits = entry.bits
      for (let w = 0; w < words; w++) reach[base + w] |= bits[w]
      if (own === 0 && selfInRow && cells.count[k] < 2) {
        // g1 is in the row through s itself (its one pod here); it counts only through another pod of g1.
        let others = 0
        for (let i = 0; i < entry.groups.length; i++) if (entry.groups[i] === g1) others = entry.pods[i] - cells.count[k]
        if (others === 0) reach[base + (g1 >>> 5)] &= ~(1 << (g1 & 31))
      }
    }
  }
}

/** Reachability computed with the fast engine's bulk answers. */
function bulkReachability(engine: BulkEngine, groups: readonly GroupEnd[], ranges: readonly ExternalRange[], classes: readonly PortClass[]): Reachability {
  const state = engine.state
  const G = groups.length
  // Groups hold the state's own pod objects (a state's pod names are unique): looked up by
  // object, by name only for a pod object the groups do not hold.
  const groupOfObject = new Map<Pod, number>()
  let groupOfName: Map<string, number> | undefined
  groups.forEach((g, i) => {
    for (const e of g.endpoints) if (e.kind === 'pod') groupOfObject.set(e.pod, i)
  })
  const groupOfPod = (pod: Pod): number | undefined => {
    const g = groupOfObject.get(pod)
    if (g !== undefined) return g
    if (groupOfName === undefined) {
      groupOfName = new Map()
      for (const [p, i] of groupOfObject) groupOfName.set(qualifiedName(p), i)
    }
    return groupOfName.get(qualifiedName(pod))
  }
  const keys = portClassKeys(state, classes)
  const distinct = new Map<string, number[]>()
  keys.forEach((k, ci) => {
    let list = distinct.get(k)
    if (!list) distinct.set(k, (list = []))
    list.push(ci)
  })
  const { rangeClass, representatives } = rangeClasses(state, ranges)
  const RC = representatives.length
  const lists = [...distinct.values()]
  const D = lists.length
  const Dw = (D + 31) >>> 5
  // Per pair, a bit mask over the distinct port classes; turned into shared class sets when read.
  const podPairs = new Uint32Array(G * G * Dw)
  const toRange = new Uint32Array(G * RC * Dw)
  const fromRange = new Uint32Array(G * RC * Dw)
  let cells: IdentityCells | undefined
  const GW = (G + 31) >>> 5
  const reach = new Uint32Array(G * GW)
  lists.forEach((cis, d) => {
    const word = d >>> 5
    const bit = 1 << (d & 31)
    const c = classes[cis[0]]
    const ap = engine.allPairs(c.start, c.protocol)
    cells ??= identityCells(ap, (i) => groupOfPod(ap.pods[i]!))
    groupRowsForPort(ap, cells, G, reach)
    // Pairs allowed only as traffic from the destination's own node (hostNetwork source).
    for (const [i, j] of ap.nodeOnlyPairs()) {
      const g1 = groupOfPod(ap.pods[i]!)
      const g2 = groupOfPod(ap.pods[j]!)
      if (g1 !== undefined && g2 !== undefined) reach[g1 * GW + (g2 >>> 5)] |= 1 << (g2 & 31)
    }
    for (let g1 = 0; g1 < G; g1++) {
      const base = g1 * GW
      for (let w = 0; w < GW; w++) {
        let x = reach[base + w]
        while (x !== 0) {
          const low = x & -x
          const g2 = (w << 5) + 31 - Math.clz32(low)
          x ^= low
          podPairs[(g1 * G + g2) * Dw + word] |= bit
        }
      }
    }
  })
  // Address ranges: one pass over the policies per range class answers every port class at once
  // (per identity, a bit mask over the distinct port classes), folded into the identity's groups.
  if (RC > 0 && G > 0 && cells !== undefined) {
    const ports: PortQuery[] = lists.map((cis) => ({ port: classes[cis[0]].start, protocol: classes[cis[0]].protocol }))
    const size = engine.identities.length
    for (let rc = 0; rc < RC; rc++) {
      const access = engine.externalAccessPorts(ranges[representatives[rc]].probe, ports)
      for (let s = 0; s < size; s++) {
        const at = s * Dw
        for (let k = cells.offset[s]; k < cells.offset[s + 1]; k++) {
          const base = (cells.groupOf[k] * RC + rc) * Dw
          for (let w = 0; w < Dw; w++) {
            toRange[base + w] |= access.egress[at + w]
            fromRange[base + w] |= access.ingress[at + w]
          }
        }
      }
    }
  }
  const sets = new Map<string | number, ClassSet>()
  const setAt = (table: Uint32Array, at: number): ClassSet | undefined => {
    let key: string | number
    if (Dw === 1) {
      key = table[at]
      if (key === 0) return undefined
    } else {
      const words = table.subarray(at * Dw, at * Dw + Dw)
      if (words.every((w) => w === 0)) return undefined
      key = words.join(',')
    }
    let set = sets.get(key)
    if (set === undefined) {
      const members: number[] = []
      for (let d = 0; d < D; d++) if ((table[at * Dw + (d >>> 5)] & (1 << (d & 31))) !== 0) members.push(...lists[d])
      sets.set(key, (set = new Set(members.sort((x, y) => x - y))))
    }
    return set
  }
  return {
    groups,
    ranges,
    rangeClass,
    between: (g1, g2) => setAt(podPairs, g1 * G + g2),
    toRange: (g, rc) => setAt(toRange, g * RC + rc),
    fromRange: (rc, g) => setAt(fromRange, g * RC + rc),
  }
}

/** Reachability asked pair by pair (any evaluator; the reference for the fast path). */
function pairwiseReachability(
  evaluator: Evaluator,
  groups: readonly GroupEnd[],
  ranges: readonly ExternalRange[],
  classes: readonly PortClass[],
): Reachability {
  const sets = new ClassSets()
  const G = groups.length
  const R = ranges.length
  const ends = ranges.map(rangeEnd)
  const pp: (ClassSet | undefined)[] = new Array(G * G)
  const tr: (ClassSet | undefined)[] = new Array(G * R)
  const fr: (ClassSet | undefined)[] = new Array(G * R)
  const setOf = (from: GroupEnd, to: GroupEnd): ClassSet | undefined => {
    const cis = allowedClasses(evaluator, from, to, classes)
    return cis.length > 0 ? sets.of(cis) : undefined
  }
  groups.forEach((g1, i1) => groups.forEach((g2, i2) => (pp[i1 * G + i2] = setOf(g1, g2))))
  groups.forEach((g, i) =>
    ends.forEach((r, k) => {
      tr[i * R + k] = setOf(g, r)
      fr[i * R + k] = setOf(r, g)
    }),
  )
  return {
    groups,
    ranges,
    rangeClass: Int32Array.from(ranges.keys()),
    between: (g1, g2) => pp[g1 * G + g2],
    toRange: (g, rc) => tr[g * R + rc],
    fromRange: (rc, g) => fr[g * R + rc],
  }
}

/**
 * The same reachability for coarser groups (namespaces from workloads or pods): a coarse pair may
 * use a class when some pair of its fine groups may. Exact because a fine pair already stands
 * for "some two different pods", and every fine group lies inside one coarse group.
 */
export function foldReachability(fine: Reachability, coarse: readonly GroupEnd[], coarseOf: (fineIndex: number) => number, classCount: number): Reachability {
  const G = fine.groups.length
  const C = coarse.length
  const RC = fine.rangeClass.length === 0 ? 0 : Math.max(...fine.rangeClass) + 1
  const sets = new ClassSets()
  const fold = (size: number, visit: (add: (at: number, set: ClassSet) => void) => void): (ClassSet | undefined)[] => {
    const acc = new Map<number, Uint8Array>()
    visit((at, set) => {
      let bits = acc.get(at)
      if (!bits) acc.set(at, (bits = new Uint8Array(classCount)))
      for (const ci of set) bits[ci] = 1
    })
    const out: (ClassSet | undefined)[] = new Array(size)
    for (const [at, bits] of acc) {
      const members: number[] = []
      bits.forEach((b, ci) => {
        if (b) members.push(ci)
      })
      out[at] = sets.of(members)
    }
    return out
  }
  const map = Int32Array.from({ length: G }, (_, i) => coarseOf(i))
  const pp = fold(C * C, (add) => {
    for (let a = 0; a < G; a++)
      for (let b = 0; b < G; b++) {
        const set = fine.between(a, b)
        if (set) add(map[a] * C + map[b], set)
      }
  })
  const tr = fold(C * RC, (add) => {
    for (let a = 0; a < G; a++)
      for (let rc = 0; rc < RC; rc++) {
        const set = fine.toRange(a, rc)
        if (set) add(map[a] * RC + rc, set)
      }
  })
  const fr = fold(C * RC, (add) => {
    for (let a = 0; a < G; a++)
      for (let rc = 0; rc < RC; rc++) {
        const set = fine.fromRange(rc, a)
        if (set) add(map[a] * RC + rc, set)
      }
  })
  return {
    groups: coarse,
    ranges: fine.ranges,
    rangeClass: fine.rangeClass,
    between: (a, b) => pp[a * C + b],
    toRange: (g, rc) => tr[g * RC + rc],
    fromRange: (rc, g) => fr[g * RC + rc],
  }
}

/** Reachability of a state's pod groups and the given address ranges on the given port classes. */
export function computeReachability(
  state: ClusterState,
  evaluator: Evaluator,
  groups: readonly GroupEnd[],
  ranges: readonly ExternalRange[],
  classes: readonly PortClass[],
): Reachability {
  const bulk = bulkFor(evaluator, state)
  return bulk ? bulkReachability(bulk, groups, ranges, classes) : pairwiseReachability(evaluator, groups, ranges, classes)
}

/** Allowed port classes per ordered pair of ends (`pairKey(from, to)`); pairs with none are absent. */
export function groupReachability(
  state: ClusterState,
  evaluator: Evaluator,
  ends: ReadonlyMap<string, GroupEnd>,
  classes: readonly PortClass[],
): Map<string, Set<number>> {
  const groups = [...ends.values()].filter((e) => !isRangeKey(e.key))
  const rangeEnds = [...ends.values()].filter((e) => isRangeKey(e.key))
  const reach = computeReachability(
    state,
    evaluator,
    groups,
    rangeEnds.map((e) => e.range!),
    classes,
  )
  const out = new Map<string, Set<number>>()
  groups.forEach((g1, i1) =>
    groups.forEach((g2, i2) => {
      const s = reach.between(i1, i2)
      if (s) out.set(pairKey(g1.key, g2.key), new Set(s))
    }),
  )
  rangeEnds.forEach((r, k) =>
    groups.forEach((g, i) => {
      const to = reach.toRange(i, reach.rangeClass[k])
      const from = reach.fromRange(reach.rangeClass[k], i)
      if (to) out.set(pairKey(g.key, r.key), new Set(to))
      if (from) out.set(pairKey(r.key, g.key), new Set(from))
    }),
  )
  return out
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

export type { IpRange }
