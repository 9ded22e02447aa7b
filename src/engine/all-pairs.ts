/**
 * @module All-pairs reachability for one port, computed on identities and expanded to pods lazily.
 *
 * For port P/proto:
 * 1. every rule's ports become "all destinations", "none", or the identities whose named port
 *    resolves to P (named ports depend on the destination only);
 * 2. egress: per distinct egress list of policies, the union over its rules of peers ∩ port
 *    destinations (every identity when not isolated);
 * 3. ingress: per distinct (ingress list, named ports of the destination), the union over the
 *    list's policies of the peers of rules whose ports admit P on that destination: a column;
 * 4. allowed(S, D) = egress(S) ∋ D and column(D) ∋ S. The distinct columns (about as many as
 *    distinct ingress lists, far fewer than identities) are transposed once, so each source knows
 *    which columns take it; sources with the same egress list and the same columns have the same
 *    row, computed once from the destinations of those columns. When that would touch more bits
 *    than transposing the whole identity matrix (every source distinct and taken by broad
 *    columns), the rows come from one blocked transpose of all columns instead.
 * Pod pairs inherit their identities' answer, except a pod to itself, which is always allowed.
 * Cost is at most about identities² / 32 word operations, independent of the number of pods;
 * rows are shared objects, one per distinct row.
 */
import type { Pod, Protocol } from '../model/types.js'
import { and, copySet, count, emptySet, equalSets, hashSet, hasBit, orInto, setBit, transpose, transposeRect, wordsFor, type Bitset } from './bitset.js'
import type { CompiledPolicy, CompiledRule, EngineIndex } from './engine-index.js'
import type { Identity } from './identity.js'
import type { TierLists } from './cluster-policy-index.js'
import { tierRows } from './tier-pairs.js'
import type { Outcome } from './verdict.js'

export interface AllPairsResult {
  readonly port: number
  readonly protocol: Protocol
  /** Identities in id order; `identities[i].pods` index `pods`' source, the state's pod list. */
  readonly identities: readonly Identity[]
  /** The state's pods (indexes used by `isAllowedIndex` and `forEachPodPair`). */
  readonly pods: readonly Pod[]
  /**
   * Destinations identity `s` may reach for certain (identity ids; a pod to itself is not included
   * here). With ClusterNetworkPolicies, `undefined` and `unknown` pairs are not in it (fail closed).
   */
  identityRow(s: number): Bitset
  identityAllowed(s: number, d: number): boolean
  /** True when the state has ClusterNetworkPolicies (then outcomes other than allowed/denied can occur). */
  readonly tiered: boolean
  /** Destinations of `s` whose outcome is `undefined` / `unknown` (empty sets without ClusterNetworkPolicies). */
  identityUndefinedRow(s: number): Bitset
  identityUnknownRow(s: number): Bitset
  /** The outcome for state.pods[from] -> state.pods[to] (a pod to itself, and from its own node: allowed). */
  outcomeIndex(from: number, to: number): Outcome
  /** Ordered identity pairs (s, d) that are allowed (counted on first read, like allowedPodPairs). */
  readonly allowedIdentityPairs: number
  /** Ordered pod pairs (including each pod to itself) that are allowed. */
  readonly allowedPodPairs: number
  /** pods.length²: every ordered pod pair, including each pod to itself. */
  readonly totalPodPairs: number
  /**
   * Pod pairs (indexes into `pods`) allowed only because the source is the destination's own node
   * (a hostNetwork pod on its node), which identity rows do not show: views built on identity
   * rows add these.
   */
  nodeOnlyPairs(): readonly (readonly [from: number, to: number])[]
  /** Decision for state.pods[from] -> state.pods[to]; O(1). */
  isAllowedIndex(from: number, to: number): boolean
  /** Every ordered pod pair in state order (sources outer, destinations inner). */
  forEachPodPair(f: (from: Pod, to: Pod, allowed: boolean) => void): void
  pairs(): IterableIterator<{ from: Pod; to: Pod; allowed: boolean }>
}

type PortDest = 'all' | 'none' | Bitset

function rulePortDest(index: EngineIndex, rule: CompiledRule, port: number, protocol: Protocol, cache: Map<CompiledRule, PortDest>): PortDest {
  const cached = cache.get(rule)
  if (cached !== undefined) return cached
  let result: PortDest = 'none'
  if (rule.compiledPorts.length === 0) result = 'all'
  else {
    let named: Bitset | undefined
    for (const cp of rule.compiledPorts) {
      if (cp.protocol !== protocol) continue
      if (cp.kind === 'range') {
        if (port >= cp.lo && port <= cp.hi) {
          result = 'all'
          break
        }
      } else {
        const s = index.namedIndex.get(cp.key)?.get(port)
        if (s !== undefined) {
          if (named === undefined) named = copySet(s)
          else orInto(named, s)
        }
      }
    }
    if (result !== 'all' && named !== undefined) result = named
  }
  cache.set(rule, result)
  return result
}

/**
 * Policy lists numbered once per engine: identities with the same list share its number (lists
 * are shared objects, see engine.ts), and `portKind` numbers identities by their named ports.
 * All-pairs and `externalAccess` answer once per distinct list (and, for ingress lists with named
 * ports, per kind of named ports) instead of once per identity.
 */
export interface ListIds {
  readonly egress: Int32Array
  readonly ingress: Int32Array
  readonly egressLists: readonly (readonly CompiledPolicy[])[]
  readonly ingressLists: readonly (readonly CompiledPolicy[])[]
  /** 1 when an ingress list has a rule with a named port. */
  readonly named: Uint8Array
  readonly portKind: Int32Array
  readonly portKinds: number
}

export function numberLists(index: EngineIndex, ingressOf: readonly (readonly CompiledPolicy[])[], egressOf: readonly (readonly CompiledPolicy[])[]): ListIds {
  const number = (lists: readonly (readonly CompiledPolicy[])[]) => {
    const ids = new Map<readonly CompiledPolicy[], number>()
    const distinct: (readonly CompiledPolicy[])[] = []
    const out = new Int32Array(lists.length)
    lists.forEach((l, s) => {
      let id = ids.get(l)
      if (id === undefined) {
        ids.set(l, (id = distinct.length))
        distinct.push(l)
      }
      out[s] = id
    })
    return { out, distinct }
  }
  const e = number(egressOf)
  const i = number(ingressOf)
  const named = Uint8Array.from(i.distinct, (list) => (list.some((cp) => cp.ingressRules.some((r) => r.compiledPorts.some((p) => p.kind !== 'range'))) ? 1 : 0))
  const kinds = new Map<string, number>()
  // Identities of pods with the same container ports share one namedPorts map: keyed once each.
  const kindOfMap = new Map<ReadonlyMap<string, readonly number[]>, number>()
  const portKind = Int32Array.from(index.ids.identities, (idn) => {
    let kind = kindOfMap.get(idn.namedPorts)
    if (kind !== undefined) return kind
    const key = [...idn.namedPorts]
      .map(([k, ports]) => `${k}=${ports.join(',')}`)
      .sort()
      .join('|')
    kind = kinds.get(key)
    if (kind === undefined) kinds.set(key, (kind = kinds.size))
    kindOfMap.set(idn.namedPorts, kind)
    return kind
  })
  return { egress: e.out, ingress: i.out, egressLists: e.distinct, ingressLists: i.distinct, named, portKind, portKinds: Math.max(1, kinds.size) }
}

/** The allowed rows: identity `s` may reach `rows[rowOf[s]]` (rows are shared, never changed). */
interface Rows {
  readonly rowOf: Int32Array
  readonly rows: readonly Bitset[]
}

/**
 * How rows are built: `auto` (by signature while cheaper, else by one transpose) in use; tests
 * force each way to check both against the reference.
 */
export const rowStrategy: { mode: 'auto' | 'signature' | 'transpose' } = { mode: 'auto' }

export function computeAllPairs(index: EngineIndex, lists: ListIds, port: number, protocol: Protocol, tiers?: TierLists): AllPairsResult {
  const size = index.size
  const identities = index.ids.identities
  const portCache = new Map<CompiledRule, PortDest>()

  // Egress rows, one per distinct list; `egressId` numbers equal rows (every empty list: 0).
  // Sets are only read once built, so a policy whose one rule admits the port on every destination
  // shares that rule's peers, and a list of one policy shares the policy's set: at L most of the
  // thousands of sets per port are such shares (allocating each cost more than the bit work).
  const empty = emptySet(size)
  const egressSetOf = new Map<CompiledPolicy, Bitset>()
  const egressPolicySet = (p: CompiledPolicy): Bitset => {
    let s = egressSetOf.get(p)
    if (s !== undefined) return s
    let own = false
    for (const r of p.egressRules) {
      const dest = rulePortDest(index, r, port, protocol, portCache)
      if (dest === 'none') continue
      const add = dest === 'all' ? r.union : and(r.union, dest)
      if (s === undefined) s = add
      else {
        if (!own) {
          s = copySet(s)
          own = true
        }
        orInto(s, add)
      }
    }
    s ??= empty
    egressSetOf.set(p, s)
    return s
  }
  const egressRows: Bitset[] = [index.all]
  const egressIdOfList = new Int32Array(lists.egressLists.length)
  lists.egressLists.forEach((list, e) => {
    if (list.length === 0) return
    let row: Bitset
    if (list.length === 1) row = egressPolicySet(list[0]!)
    else {
      row = emptySet(size)
      for (const p of list) orInto(row, egressPolicySet(p))
    }
    egressIdOfList[e] = egressRows.length
    egressRows.push(row)
  })
  const egressId = new Int32Array(size)
  for (let s = 0; s < size; s++) egressId[s] = egressIdOfList[lists.egress[s]!]!

  // Ingress columns, one per distinct (list, named ports when the list has named-port rules);
  // `columnOf[d]` is -1 for destinations open to every source (not isolated for ingress).
  // `base` (undefined: none) is shared like the egress sets above.
  const ingressParts = new Map<CompiledPolicy, { base: Bitset | undefined; named: { peers: Bitset; dest: Bitset }[] }>()
  const partsOf = (p: CompiledPolicy): { base: Bitset | undefined; named: { peers: Bitset; dest: Bitset }[] } => {
    let parts = ingressParts.get(p)
    if (parts !== undefined) return parts
    let base: Bitset | undefined
    let own = false
    const named: { peers: Bitset; dest: Bitset }[] = []
    for (const r of p.ingressRules) {
      const dest = rulePortDest(index, r, port, protocol, portCache)
      if (dest === 'none') continue
      if (dest !== 'all') named.push({ peers: r.union, dest })
      else if (base === undefined) base = r.union
      else {
        if (!own) {
          base = copySet(base)
          own = true
        }
        orInto(base, r.union)
      }
    }
    parts = { base, named }
    ingressParts.set(p, parts)
    return parts
  }
  const columnByKey = new Map<number, number>()
  const columnsByHash = new Map<number, number[]>()
  const columns: Bitset[] = []
  const columnOf = new Int32Array(size)
  const open = emptySet(size)
  const scratch = emptySet(size)
  for (let d = 0; d < size; d++) {
    const i = lists.ingress[d]!
    const list = lists.ingressLists[i]!
    if (list.length === 0) {
      columnOf[d] = -1
      setBit(open, d)
      continue
    }
    // Named ports resolve by the destination's own named ports: identities of one kind answer alike.
    const key = i * lists.portKinds + (lists.named[i] === 1 ? lists.portKind[d]! : 0)
    let c = columnByKey.get(key)
    if (c === undefined) {
      // Built in a scratch set: most columns equal one seen before (only new ones are kept).
      const col = scratch
      col.fill(0)
      for (const p of list) {
        const parts = partsOf(p)
        if (parts.base !== undefined) orInto(col, parts.base)
        for (const n of parts.named) if (hasBit(n.dest, d)) orInto(col, n.peers)
      }
      // Different lists often take the same sources on this port (a deny-all, rules on other
      // ports): equal columns share one number, so fewer columns are transposed and compared.
      const h = hashSet(col)
      let bucket = columnsByHash.get(h)
      if (bucket === undefined) columnsByHash.set(h, (bucket = []))
      c = bucket.find((k) => equalSets(columns[k]!, col))
      if (c === undefined) {
        c = columns.length
        columns.push(copySet(col))
        bucket.push(c)
      }
      columnByKey.set(key, c)
    }
    columnOf[d] = c
  }

  let allowedRows: Bitset[]
  let undefinedRows: Bitset[] | undefined
  let unknownRows: Bitset[] | undefined
  if (tiers !== undefined) {
    const rows = Array.from(egressId, (e) => egressRows[e]!)
    const cols = Array.from(columnOf, (c) => (c < 0 ? index.all : columns[c]!))
    const t = tierRows(
      index,
      tiers,
      port,
      protocol,
      rows,
      cols,
      (s) => egressId[s] !== 0,
      (d) => columnOf[d]! >= 0,
    )
    allowedRows = t.allowed
    undefinedRows = t.undefinedRows
    unknownRows = t.unknownRows
  } else {
    const rows =
      (rowStrategy.mode === 'transpose' ? undefined : rowsBySignature(size, egressRows, egressId, columns, columnOf, open, rowStrategy.mode === 'signature')) ??
      rowsByTranspose(size, egressRows, egressId, columns, columnOf, open)
    allowedRows = new Array<Bitset>(size)
    for (let s = 0; s < size; s++) allowedRows[s] = rows.rows[rows.rowOf[s]!]!
  }
  const none = emptySet(size)

  // Counting visits every allowed identity pair, so it only runs when a count is asked for.
  let counts: { identityPairs: number; podPairs: number } | undefined
  const countPairs = (): { identityPairs: number; podPairs: number } => {
    if (counts !== undefined) return counts
    const podCount = new Float64Array(size)
    for (const idn of identities) podCount[idn.id] = idn.pods.length
    let identityPairs = 0
    let podPairs = 0
    for (let s = 0; s < size; s++) {
      const row = allowedRows[s]!
      identityPairs += count(row)
      let reach = 0
      for (let w = 0; w < row.length; w++) {
        let word = row[w]!
        while (word !== 0) {
          const low = word & -word
          reach += podCount[(w << 5) + 31 - Math.clz32(low)]!
          word ^= low
        }
      }
      const n = podCount[s]!
      podPairs += n * reach
      // Each pod to itself is allowed even when its identity may not reach itself.
      if (!hasBit(row, s)) podPairs += n
    }
    // A hostNetwork pod to a pod on its own node is allowed even when its identity may not reach the pod's.
    for (const [i, local] of nodeLocal) {
      const row = allowedRows[podIdentity[i]!]!
      for (const j of local) if (!hasBit(row, podIdentity[j]!)) podPairs++
    }
    counts = { identityPairs, podPairs }
    return counts
  }

  const pods = index.state.pods
  const podIdentity = index.ids.podIdentity
  const nodeLocal = nodeLocalPods(pods)
  const fromNode = (i: number, j: number): boolean => nodeLocal.get(i)?.has(j) === true
  const isAllowedIndex = (from: number, to: number): boolean => from === to || hasBit(allowedRows[podIdentity[from]!]!, podIdentity[to]!) || fromNode(from, to)
  const forEachPodPair = (f: (from: Pod, to: Pod, allowed: boolean) => void): void => {
    for (let i = 0; i < pods.length; i++) {
      const row = allowedRows[podIdentity[i]!]!
      for (let j = 0; j < pods.length; j++) f(pods[i]!, pods[j]!, i === j || hasBit(row, podIdentity[j]!) || fromNode(i, j))
    }
  }
  const identityOutcome = (s: number, d: number): Outcome => {
    if (hasBit(allowedRows[s]!, d)) return 'allowed'
    if (undefinedRows !== undefined && hasBit(undefinedRows[s]!, d)) return 'undefined'
    if (unknownRows !== undefined && hasBit(unknownRows[s]!, d)) return 'unknown'
    return 'denied'
  }
  return {
    port,
    protocol,
    identities,
    pods,
    identityRow: (s) => allowedRows[s]!,
    identityAllowed: (s, d) => hasBit(allowedRows[s]!, d),
    tiered: tiers !== undefined,
    identityUndefinedRow: (s) => undefinedRows?.[s] ?? none,
    identityUnknownRow: (s) => unknownRows?.[s] ?? none,
    outcomeIndex: (from, to) => (from === to || fromNode(from, to) ? 'allowed' : identityOutcome(podIdentity[from]!, podIdentity[to]!)),
    get allowedIdentityPairs() {
      return countPairs().identityPairs
    },
    get allowedPodPairs() {
      return countPairs().podPairs
    },
    totalPodPairs: pods.length * pods.length,
    isAllowedIndex,
    forEachPodPair,
    nodeOnlyPairs: () => {
      const out: [number, number][] = []
      for (const [i, local] of nodeLocal) {
        const row = allowedRows[podIdentity[i]!]!
        for (const j of local) if (!hasBit(row, podIdentity[j]!)) out.push([i, j])
      }
      return out
    },
    *pairs() {
      for (let i = 0; i < pods.length; i++) {
        const row = allowedRows[podIdentity[i]!]!
        for (let j = 0; j < pods.length; j++) yield { from: pods[i]!, to: pods[j]!, allowed: i === j || hasBit(row, podIdentity[j]!) || fromNode(i, j) }
      }
    },
  }
}

/**
 * Rows from the transposed distinct columns: `taken[s]` (a bit per column) says which columns
 * take source s; sources with the same egress row and the same `taken` share one row, built from
 * the destinations of their columns. Undefined when building the rows would visit more
 * destinations than a transpose of the whole matrix costs (the caller transposes then).
 */
function rowsBySignature(
  size: number,
  egressRows: readonly Bitset[],
  egressId: Int32Array,
  columns: readonly Bitset[],
  columnOf: Int32Array,
  open: Bitset,
  unbounded: boolean,
): Rows | undefined {
  const words = wordsFor(size)
  const C = columns.length
  const CW = wordsFor(C)
  const taken = transposeRect(columns, C, size)
  // Destinations of each column, in one array.
  const first = new Int32Array(C + 1)
  for (let d = 0; d < size; d++) if (columnOf[d]! >= 0) first[columnOf[d]! + 1]++
  for (let c = 0; c < C; c++) first[c + 1]! += first[c]!
  const destinations = new Int32Array(first[C]!)
  const next = first.slice(0, C)
  for (let d = 0; d < size; d++) if (columnOf[d]! >= 0) destinations[next[columnOf[d]!]!++] = d
  // Visiting destinations one by one beats the blocked transpose only while they are few.
  let budget = size * words * 4
  const rowOf = new Int32Array(size)
  const rows: Bitset[] = []
  const bySignature = new Map<number, number[]>()
  for (let s = 0; s < size; s++) {
    const at = s * CW
    const e = egressId[s]!
    let h = Math.imul(0x811c9dc5 ^ e, 0x01000193)
    for (let w = 0; w < CW; w++) h = Math.imul(h ^ taken[at + w]!, 0x01000193)
    let bucket = bySignature.get(h)
    if (bucket === undefined) bySignature.set(h, (bucket = []))
    let found = -1
    for (const other of bucket) {
      if (egressId[other] !== e) continue
      const ot = other * CW
      let same = true
      for (let w = 0; w < CW && same; w++) same = taken[ot + w] === taken[at + w]
      if (same) {
        found = rowOf[other]!
        break
      }
    }
    if (found < 0) {
      const egress = egressRows[e]!
      const row = emptySet(size)
      for (let w = 0; w < words; w++) row[w] = egress[w]! & open[w]!
      for (let w = 0; w < CW; w++) {
        let x = taken[at + w]!
        while (x !== 0) {
          const low = x & -x
          x ^= low
          const c = (w << 5) + 31 - Math.clz32(low)
          budget -= first[c + 1]! - first[c]!
          for (let k = first[c]!; k < first[c + 1]!; k++) {
            const d = destinations[k]!
            if ((egress[d >>> 5]! & (1 << (d & 31))) !== 0) row[d >>> 5]! |= 1 << (d & 31)
          }
        }
      }
      budget -= words
      if (budget < 0 && !unbounded) return undefined
      found = rows.length
      rows.push(row)
      bucket.push(s)
    }
    rowOf[s] = found
  }
  return { rowOf, rows }
}

/** Rows from one blocked transpose of every destination's column: one row per identity. */
function rowsByTranspose(
  size: number,
  egressRows: readonly Bitset[],
  egressId: Int32Array,
  columns: readonly Bitset[],
  columnOf: Int32Array,
  open: Bitset,
): Rows {
  const colsT = transpose(
    Array.from(columnOf, (c) => (c < 0 ? undefined : columns[c])),
    size,
  )
  const rows: Bitset[] = new Array<Bitset>(size)
  for (let s = 0; s < size; s++) {
    const r = colsT[s]!
    const egress = egressRows[egressId[s]!]!
    for (let w = 0; w < r.length; w++) r[w] = (r[w]! | open[w]!) & egress[w]!
    rows[s] = r
  }
  return { rowOf: Int32Array.from(rows.keys()), rows }
}

/**
 * Per hostNetwork pod with a known node (index in `pods`): the other pods on that node. Its
 * connections to them come from their own node, which the API reference always allows (see
 * `isFromLocalNode`); identities do not carry nodes, so this is applied per pod pair.
 */
function nodeLocalPods(pods: readonly Pod[]): Map<number, Set<number>> {
  const byNode = new Map<string, number[]>()
  pods.forEach((p, i) => {
    if (p.nodeName !== undefined && !p.hostNetwork) {
      const list = byNode.get(p.nodeName)
      if (list) list.push(i)
      else byNode.set(p.nodeName, [i])
    }
  })
  const out = new Map<number, Set<number>>()
  pods.forEach((p, i) => {
    if (p.hostNetwork && p.nodeName !== undefined) out.set(i, new Set(byNode.get(p.nodeName) ?? []))
  })
  return out
}
